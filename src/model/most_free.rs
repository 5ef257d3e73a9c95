//! The choice the model makes of link-worker posts and of VCSE services
//! alike: the one with the most free places, the first such on a tie.
//!
//! Members are kept in groups by their number of free places, each group a
//! set of member indices as a bitset with a summary bit per word, and
//! the highest group with anyone in it is tracked. A change moves one
//! member between two groups and the question reads the first bit of the
//! top group: a few word operations whatever the number of members, so a
//! service of thousands of posts costs no more per referral than one of
//! four. (A tournament tree did it in O(log n), and its walk was the
//! largest part of what a referral cost more in a large service.)
//!
//! A member with more than [`GROUPS`] free places (a service written as
//! "unlimited") is kept in a short list of its own instead, searched in
//! full, so that memory stays bounded by the number of groups, not by the
//! largest count a scenario may give.

/// Free places of a row of posts or services, and which has the most.
#[derive(Clone, Debug, Default)]
pub struct MostFree {
    free: Vec<u32>,
    /// The groups' bitsets, one after another, `stride` words each: group
    /// `f - 1` holds the members with `f` free places, for `f` from 1 to
    /// [`GROUPS`]; members with none are in no group. One flat array keeps
    /// a small row's groups in a few cache lines.
    words: Vec<u64>,
    /// Per group, `summary_stride` words: bit `w` set when its word `w` is not empty.
    summary: Vec<u64>,
    /// Bit `f - 1` set when group `f - 1` is not empty, so that the next
    /// group down is found in a word or two when the top one empties.
    occupied: [u64; GROUPS as usize / 64],
    stride: usize,
    summary_stride: usize,
    /// The most free places of any member with at most [`GROUPS`], 0 if none has one.
    top: u32,
    /// Members with more than [`GROUPS`] free places, in no particular order.
    many: Vec<u32>,
}

/// The largest count of free places kept in a group of its own.
pub const GROUPS: u32 = 1024;

impl MostFree {
    /// A row of `len` members, none with a free place.
    pub fn new(len: usize) -> Self {
        let mut row = MostFree::default();
        row.reset(len);
        row
    }

    /// Empties the row for `len` members with no free place, keeping the
    /// memory for the next replicate.
    pub fn reset(&mut self, len: usize) {
        self.free.clear();
        self.free.resize(len, 0);
        self.words.clear();
        self.summary.clear();
        self.occupied = [0; GROUPS as usize / 64];
        self.stride = len.div_ceil(64).max(1);
        self.summary_stride = self.stride.div_ceil(64);
        self.top = 0;
        self.many.clear();
    }

    pub fn len(&self) -> usize {
        self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.free.is_empty()
    }

    /// Adds a member at the end of the row, with no free place.
    pub fn push(&mut self) {
        self.free.push(0);
        if self.free.len() > 64 * self.stride {
            // The bitsets are a word too narrow: lay them out again.
            let free = std::mem::take(&mut self.free);
            self.reset(free.len());
            for (i, &f) in free.iter().enumerate() {
                self.set(i, f);
            }
        }
    }

    /// Member `i`'s free places.
    pub fn free(&self, i: usize) -> u32 {
        self.free[i]
    }

    /// Sets member `i`'s free places.
    // Always inlined: in a small row the call itself was a large part of
    // what a change costs.
    #[inline(always)]
    pub fn set(&mut self, i: usize, free: u32) {
        let old = std::mem::replace(&mut self.free[i], free);
        if old == free {
            return;
        }
        if old > GROUPS {
            self.unlist(i);
        } else if old > 0 {
            self.remove(old as usize - 1, i);
        }
        if free > GROUPS {
            self.many.push(i as u32);
        } else if free > 0 {
            self.insert(free as usize - 1, i);
            self.top = self.top.max(free);
        }
    }

    #[cold]
    fn unlist(&mut self, i: usize) {
        let at = self.many.iter().position(|&m| m as usize == i).expect("listed");
        self.many.swap_remove(at);
    }

    #[cold]
    fn grow(&mut self, groups: usize) {
        self.words.resize(groups * self.stride, 0);
        self.summary.resize(groups * self.summary_stride, 0);
    }

    // In a row of at most 64 members (the usual case: one bitset word per
    // group) the summary says nothing the word does not, and is skipped.
    #[inline(always)]
    fn insert(&mut self, group: usize, i: usize) {
        if (group + 1) * self.stride > self.words.len() {
            self.grow(group + 1);
        }
        let w = i / 64;
        self.words[group * self.stride + w] |= 1 << (i % 64);
        if self.stride > 1 {
            self.summary[group * self.summary_stride + w / 64] |= 1 << (w % 64);
        }
        self.occupied[group / 64] |= 1 << (group % 64);
    }

    #[inline(always)]
    fn remove(&mut self, group: usize, i: usize) {
        let w = i / 64;
        let word = &mut self.words[group * self.stride + w];
        *word &= !(1 << (i % 64));
        if *word != 0 {
            return;
        }
        if self.stride > 1 && !self.summary_empties(group, w) {
            return;
        }
        self.occupied[group / 64] &= !(1 << (group % 64));
        if group + 1 == self.top as usize {
            // The top group emptied: the highest one below with anyone in it.
            self.top = (0..=group / 64)
                .rev()
                .find(|&o| self.occupied[o] != 0)
                .map_or(0, |o| (o * 64 + 64 - self.occupied[o].leading_zeros() as usize) as u32);
        }
    }

    /// Clears word `w`'s bit in `group`'s summary; whether the group is now empty.
    fn summary_empties(&mut self, group: usize, w: usize) -> bool {
        let summary = &mut self.summary[group * self.summary_stride..(group + 1) * self.summary_stride];
        summary[w / 64] &= !(1 << (w % 64));
        summary.iter().all(|&b| b == 0)
    }

    /// The member with the most free places, the first on a tie; none if no
    /// member has a free place.
    #[inline]
    pub fn best(&self) -> Option<usize> {
        if !self.many.is_empty() {
            return self.best_of_many();
        }
        let group = (self.top as usize).checked_sub(1)?;
        if self.stride == 1 {
            return Some(self.words[group].trailing_zeros() as usize);
        }
        // The group is not empty, so some summary word is not.
        let summary = &self.summary[group * self.summary_stride..(group + 1) * self.summary_stride];
        let s = summary.iter().position(|&b| b != 0)?;
        let w = s * 64 + summary[s].trailing_zeros() as usize;
        Some(w * 64 + self.words[group * self.stride + w].trailing_zeros() as usize)
    }

    /// The best of the members with more than [`GROUPS`] free places.
    #[cold]
    fn best_of_many(&self) -> Option<usize> {
        let &i = self
            .many
            .iter()
            .max_by_key(|&&m| (self.free[m as usize], std::cmp::Reverse(m)))?;
        Some(i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule written as a scan, as the model once did it.
    fn scan(free: &[u32]) -> Option<usize> {
        let mut best = None;
        let mut best_free = 0;
        for (i, &f) in free.iter().enumerate() {
            if f > best_free {
                best = Some(i);
                best_free = f;
            }
        }
        best
    }

    #[test]
    fn ties_go_to_the_first() {
        let mut row = MostFree::new(5);
        assert_eq!(row.best(), None, "nobody has a free place");
        for (i, f) in [2, 5, 1, 5, 5].into_iter().enumerate() {
            row.set(i, f);
        }
        assert_eq!(row.best(), Some(1));
        row.set(1, 4);
        assert_eq!(row.best(), Some(3));
        row.set(0, 9);
        assert_eq!(row.best(), Some(0));
    }

    #[test]
    fn a_row_knows_its_length() {
        let mut row = MostFree::new(0);
        assert!(row.is_empty());
        assert_eq!(row.len(), 0);
        row.push();
        assert!(!row.is_empty() && row.len() == 1);
        assert_eq!(MostFree::new(3).len(), 3);
    }

    #[test]
    fn the_most_not_the_fewest() {
        let mut row = MostFree::new(3);
        row.set(0, 1);
        row.set(1, 3);
        row.set(2, 2);
        assert_eq!(row.best(), Some(1));
    }

    #[test]
    fn members_past_the_first_summary_word_count() {
        // 64 x 64 members fill the first summary word; these are beyond it.
        let mut row = MostFree::new(10_000);
        row.set(9_000, 2);
        row.set(5_000, 2);
        assert_eq!(row.best(), Some(5_000));
        row.set(5_000, 0);
        assert_eq!(row.best(), Some(9_000));
        row.set(9_000, 0);
        assert_eq!(row.best(), None);
    }

    #[test]
    fn a_member_with_more_places_than_the_groups_hold_still_counts() {
        let mut row = MostFree::new(4);
        row.set(0, GROUPS);
        row.set(3, GROUPS + 5);
        row.set(2, GROUPS + 5);
        assert_eq!(row.best(), Some(2), "the most, the first on a tie");
        row.set(2, 1);
        assert_eq!(row.best(), Some(3));
        row.set(3, 0);
        assert_eq!(row.best(), Some(0), "back to the groups");
    }

    #[test]
    fn a_row_grown_one_member_at_a_time_widens_its_bitsets() {
        // Each new member has the most free places the moment it joins, so
        // a bitset one word too narrow at 65 or 129 members gives it away.
        let mut row = MostFree::new(0);
        for n in 0..200 {
            row.push();
            row.set(n, 6);
            assert_eq!(row.best(), Some(n), "member {n} of {}", n + 1);
            row.set(n, (n % 5) as u32 + 1);
        }
    }

    #[test]
    fn a_reset_row_forgets_its_members() {
        let mut row = MostFree::new(3);
        row.set(1, 4);
        row.set(2, GROUPS + 1);
        row.reset(2);
        assert_eq!((row.len(), row.best()), (2, None));
        row.set(1, 1);
        assert_eq!(row.best(), Some(1));
    }

    proptest! {
        /// Any sequence of changes, growing the row too, agrees with the scan:
        /// rows of more than one word, counts near the top group and past it.
        #[test]
        fn agrees_with_a_scan(len in 1usize..300, changes in prop::collection::vec((0usize..400, 0u32..6, any::<bool>(), any::<bool>()), 0..200)) {
            let mut row = MostFree::new(len);
            let mut free = vec![0; len];
            for (i, f, grow, many) in changes {
                if grow {
                    row.push();
                    free.push(0);
                }
                let i = i % free.len();
                let f = if many && f > 0 { GROUPS - 3 + f } else { f };
                row.set(i, f);
                free[i] = f;
                prop_assert_eq!(row.best(), scan(&free));
                prop_assert_eq!(row.len(), free.len());
                prop_assert_eq!(row.free(i), f);
            }
            row.reset(len);
            prop_assert_eq!(row.best(), None);
        }
    }
}
