//! The choice the model makes of link-worker posts and of VCSE services
//! alike: the one with the most free places, the first such on a tie.
//!
//! A tournament tree (a segment tree of maxima) keeps it in O(log n) per
//! change and O(1) per question, so a service of thousands of posts costs
//! no more per referral than one of four. Each leaf is one post's or
//! service's free places; each inner node holds the better of its two
//! children, the left (lower index) winning a tie, which is the rule
//! "the first such" exactly.

/// Free places of a row of posts or services, and which has the most.
#[derive(Clone, Debug, Default)]
pub struct MostFree {
    /// Leaves start at `width`; node `i`'s children are `2i` and `2i + 1`.
    /// Each node holds the [`key`] of the best leaf below it.
    keys: Vec<u64>,
    width: usize,
    len: usize,
}

/// A member's free places in the high half and the complement of its index
/// in the low half: the larger key is the better member (more free places,
/// then the lower index), so each node is the plain maximum of its children.
/// One comparison of integers per level instead of two of pairs: the
/// tree's walk is a large share of the work per referral in a large service.
fn key(free: u32, i: usize) -> u64 {
    (u64::from(free) << 32) | u64::from(!(i as u32))
}

impl MostFree {
    /// A row of `len` members, none with a free place.
    pub fn new(len: usize) -> Self {
        let width = len.next_power_of_two().max(1);
        let mut keys = vec![0; 2 * width];
        for i in 0..width {
            keys[width + i] = key(0, i);
        }
        for node in (1..width).rev() {
            keys[node] = keys[2 * node].max(keys[2 * node + 1]);
        }
        MostFree { keys, width, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a member at the end of the row, with no free place.
    pub fn push(&mut self) {
        if self.len == self.width {
            let free: Vec<u32> = (0..self.len).map(|i| self.free(i)).collect();
            *self = MostFree::new(self.len + 1);
            for (i, f) in free.into_iter().enumerate() {
                self.set(i, f);
            }
        } else {
            self.len += 1;
        }
    }

    /// Member `i`'s free places.
    pub fn free(&self, i: usize) -> u32 {
        (self.keys[self.width + i] >> 32) as u32
    }

    /// Sets member `i`'s free places.
    #[inline]
    pub fn set(&mut self, i: usize, free: u32) {
        debug_assert!(i < self.len);
        let mut node = self.width + i;
        let new = key(free, i);
        if self.keys[node] == new {
            return;
        }
        self.keys[node] = new;
        // Each node is decided by its children alone, so once a node comes
        // out as it was, every node above it stands too. A post that has
        // just taken someone on was usually the best, and the change goes
        // to the root; one that has just let someone go usually stays
        // behind the best, and the walk stops a level or two up.
        let keys = self.keys.as_mut_slice();
        while node > 1 {
            // `node | 1` is below `keys.len()`, an even number above `node`;
            // slicing the pair lets the compiler check both at once.
            let pair = &keys[node & !1..=node | 1];
            let best = pair[0].max(pair[1]);
            node /= 2;
            if keys[node] == best {
                break;
            }
            keys[node] = best;
        }
    }

    /// The member with the most free places, the first on a tie; none if no
    /// member has a free place.
    #[inline]
    pub fn best(&self) -> Option<usize> {
        let top = self.keys[1];
        (top >> 32 > 0).then_some(!(top as u32) as usize)
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
        let mut tree = MostFree::new(5);
        assert_eq!(tree.best(), None, "nobody has a free place");
        for (i, f) in [2, 5, 1, 5, 5].into_iter().enumerate() {
            tree.set(i, f);
        }
        assert_eq!(tree.best(), Some(1));
        tree.set(1, 4);
        assert_eq!(tree.best(), Some(3));
        tree.set(0, 9);
        assert_eq!(tree.best(), Some(0));
    }

    #[test]
    fn a_row_knows_its_length() {
        let mut tree = MostFree::new(0);
        assert!(tree.is_empty());
        assert_eq!(tree.len(), 0);
        tree.push();
        assert!(!tree.is_empty() && tree.len() == 1);
        assert_eq!(MostFree::new(3).len(), 3);
    }

    #[test]
    fn the_most_not_the_fewest() {
        let mut tree = MostFree::new(3);
        tree.set(0, 1);
        tree.set(1, 3);
        tree.set(2, 2);
        assert_eq!(tree.best(), Some(1));
    }

    proptest! {
        /// Any sequence of changes, growing the row too, agrees with the scan.
        #[test]
        fn agrees_with_a_scan(len in 1usize..40, changes in prop::collection::vec((0usize..64, 0u32..6, any::<bool>()), 0..200)) {
            let mut tree = MostFree::new(len);
            let mut free = vec![0; len];
            for (i, f, grow) in changes {
                if grow {
                    tree.push();
                    free.push(0);
                }
                let i = i % free.len();
                tree.set(i, f);
                free[i] = f;
                prop_assert_eq!(tree.best(), scan(&free));
                prop_assert_eq!(tree.len(), free.len());
            }
        }
    }
}
