//! The waiting list for a link worker: one first-come-first-served queue per
//! priority level (lower level served first), with lazy deletion; and that
//! queue, [`Fifo`], which the holding queues for VCSE places reuse.
//!
//! Someone who leaves a queue early (reneges, or is discharged from it)
//! stays in it as a stale entry and is skipped when it reaches the front:
//! removing from the middle of a queue would cost more than skipping. So the
//! list keeps its own count of the people really on it, and their peak over
//! the measured period.

use std::collections::VecDeque;

/// An entry: who, and the epoch they had when they joined (stale if it has changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<P> {
    pub who: P,
    pub epoch: u32,
}

/// A first-come-first-served queue with lazy deletion.
#[derive(Clone, Debug)]
pub struct Fifo<P>(VecDeque<Entry<P>>);

impl<P> Default for Fifo<P> {
    fn default() -> Self {
        Fifo(VecDeque::new())
    }
}

impl<P: Copy> Fifo<P> {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn push_back(&mut self, entry: Entry<P>) {
        self.0.push_back(entry);
    }

    pub fn push_front(&mut self, entry: Entry<P>) {
        self.0.push_front(entry);
    }

    /// Takes the first current entry, dropping the stale ones before it.
    pub fn pop(&mut self, mut is_current: impl FnMut(Entry<P>) -> bool) -> Option<P> {
        while let Some(entry) = self.0.pop_front() {
            if is_current(entry) {
                return Some(entry.who);
            }
        }
        None
    }

    /// Whether no current entry is left; drops the stale ones at the front.
    pub fn is_empty(&mut self, mut is_current: impl FnMut(Entry<P>) -> bool) -> bool {
        while let Some(&entry) = self.0.front() {
            if is_current(entry) {
                return false;
            }
            self.0.pop_front();
        }
        true
    }
}

/// The waiting list of one replicate. `P` names a person (the model's slot).
pub struct WaitingList<P> {
    levels: Vec<Fifo<P>>,
    live: u32,
    peak: u32,
    measuring: bool,
}

impl<P> Default for WaitingList<P> {
    fn default() -> Self {
        WaitingList {
            levels: Vec::new(),
            live: 0,
            peak: 0,
            measuring: false,
        }
    }
}

impl<P: Copy> WaitingList<P> {
    /// Empties the list for a replicate with `levels` priority levels.
    pub fn reset(&mut self, levels: usize) {
        self.levels.resize_with(levels, Fifo::default);
        self.levels.truncate(levels);
        self.levels.iter_mut().for_each(Fifo::clear);
        self.live = 0;
        self.peak = 0;
        self.measuring = false;
    }

    /// People on the list now.
    pub fn len(&self) -> u32 {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The most people on the list at once since measuring began.
    pub fn peak(&self) -> u32 {
        self.peak
    }

    /// From now on the peak is measured, starting from the list as it stands.
    pub fn begin_measuring(&mut self) {
        self.measuring = true;
        self.peak = self.peak.max(self.live);
    }

    /// Joins the back of `level` (a referral), or its head (someone handed
    /// back by a link worker who left, who keeps their place in the pathway).
    pub fn join(&mut self, level: usize, entry: Entry<P>, at_head: bool) {
        if at_head {
            self.levels[level].push_front(entry);
        } else {
            self.levels[level].push_back(entry);
        }
        self.live += 1;
        if self.measuring {
            self.peak = self.peak.max(self.live);
        }
    }

    /// Someone left the list other than from its head: their entry goes stale.
    pub fn leave(&mut self) {
        self.live -= 1;
    }

    /// Takes the first person on the list, skipping stale entries (those for
    /// whom `is_current` says no).
    pub fn pop(&mut self, mut is_current: impl FnMut(Entry<P>) -> bool) -> Option<P> {
        let who = self.levels.iter_mut().find_map(|level| level.pop(&mut is_current))?;
        self.live -= 1;
        Some(who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(who: u32) -> Entry<u32> {
        Entry { who, epoch: 0 }
    }

    #[test]
    fn first_come_first_served_within_a_level_and_levels_in_order() {
        let mut list = WaitingList::default();
        list.reset(2);
        list.join(1, entry(10), false);
        list.join(0, entry(20), false);
        list.join(1, entry(11), false);
        list.join(0, entry(21), false);
        list.join(1, entry(9), true);
        let order: Vec<u32> = std::iter::from_fn(|| list.pop(|_| true)).collect();
        assert_eq!(order, [20, 21, 9, 10, 11]);
        assert!(list.is_empty());
    }

    #[test]
    fn stale_entries_are_skipped_and_the_count_stays_right() {
        let mut list = WaitingList::default();
        list.reset(1);
        for who in 0..4 {
            list.join(0, entry(who), false);
        }
        // 1 reneges: it leaves the count at once, its entry later.
        list.leave();
        assert_eq!(list.len(), 3);
        assert_eq!(list.pop(|e| e.who != 1), Some(0));
        assert_eq!(list.pop(|e| e.who != 1), Some(2));
        assert_eq!(list.len(), 1);
        assert_eq!(list.pop(|e| e.who != 1), Some(3));
        assert_eq!(list.pop(|_| true), None);
    }

    #[test]
    fn the_peak_counts_only_once_measuring() {
        let mut list = WaitingList::default();
        list.reset(1);
        for who in 0..5 {
            list.join(0, entry(who), false);
        }
        for _ in 0..3 {
            list.pop(|_| true);
        }
        assert_eq!(list.peak(), 0, "before the warm-up ends nothing is measured");
        list.begin_measuring();
        assert_eq!(list.peak(), 2, "measuring starts from the list as it stands");
        list.join(0, entry(7), false);
        list.pop(|_| true);
        assert_eq!(list.peak(), 3);
    }
}
