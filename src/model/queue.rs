//! The future event list: a calendar queue of (time, event) keys.
//!
//! Times are non-negative, so the bit pattern of an `f64` time orders like
//! the time itself and the queue can compare integers. The second key packs
//! the event kind, the entity's number, where it is kept and an epoch;
//! besides carrying the payload it breaks ties between simultaneous events in
//! a fixed order (kind, then number), so a replicate is reproducible to the
//! bit. An event whose entity has moved on since it was scheduled (its epoch
//! no longer matches, or its slot now holds another referral) is stale and is
//! skipped when popped.
//!
//! A calendar queue (Brown, 1988) rather than a heap because of the shape of
//! this model's future: a few hundred events spread over the coming weeks,
//! about ten falling due on any one day. Each day has its own bucket; a push
//! appends to its day's bucket, and a day's bucket is sorted once, when the
//! clock reaches it. Both are a few instructions where a heap of a few
//! hundred keys crosses nine levels on every push and pop. Events more than
//! [`DAYS`] days ahead (a long patience, a tenure of years) wait in a small
//! heap and move into the calendar as the clock comes within range.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What a scheduled event does when it comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EventKind {
    /// A person reaches the end of a stretch of contacts: an onward decision, a disengagement or the last contact.
    SupportStep = 0,
    /// A held person disengages at a check-in or reaches the maximum holding time.
    HoldEnds = 1,
    /// A waiting person's patience runs out.
    Renege = 2,
    /// A person's time in a VCSE place ends.
    LeavesVcsePlace = 3,
    /// A discharged person comes back as a new referral.
    ReReferral = 4,
    /// A link worker leaves their post.
    WorkerLeaves = 5,
    /// A vacant post is filled by a new starter.
    WorkerStarts = 6,
    /// A new starter's induction ends.
    InductionEnds = 7,
    /// A VCSE service closes at random.
    ServiceCloses = 8,
    /// A randomly closed VCSE service reopens.
    ServiceReopens = 9,
    /// A new VCSE service starts (`[vcse.births]`).
    ServiceBorn = 10,
}

impl EventKind {
    const ALL: [EventKind; 11] = [
        EventKind::SupportStep,
        EventKind::HoldEnds,
        EventKind::Renege,
        EventKind::LeavesVcsePlace,
        EventKind::ReReferral,
        EventKind::WorkerLeaves,
        EventKind::WorkerStarts,
        EventKind::InductionEnds,
        EventKind::ServiceCloses,
        EventKind::ServiceReopens,
        EventKind::ServiceBorn,
    ];
}

/// A due event: its time, kind, entity and epoch. For a referral's events the
/// entity is the referral's number (which orders ties) and the slot that
/// holds it; for a post's or a service's, its index, and slot 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub time: f64,
    pub kind: EventKind,
    pub id: u32,
    pub slot: u32,
    pub epoch: u32,
}

/// The payload's fields, from the most significant: kind, id, slot, epoch.
const KIND_BITS: u32 = 4;
const ID_BITS: u32 = 26;
const SLOT_BITS: u32 = 20;
const EPOCH_BITS: u32 = 64 - KIND_BITS - ID_BITS - SLOT_BITS;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;
/// Referral numbers must stay below this in a replicate (67 million).
pub const MAX_IDS: u32 = 1 << ID_BITS;
/// People in the service at once must stay below this (about a million).
pub const MAX_SLOTS: u32 = 1 << SLOT_BITS;

/// Days the calendar spans ahead of the clock; later events wait in a heap.
pub const DAYS: u64 = 1024;

/// The queue of future events. Cleared, not reallocated, between replicates.
/// Each entry is one `u128`, the time's bits above the payload, so that one
/// integer comparison orders by time and then by payload.
pub struct EventQueue {
    /// `buckets[d % DAYS]` holds the events of day `d`, for `d` in `low..low + DAYS`.
    buckets: Vec<Vec<u128>>,
    /// Events of day `low + DAYS` or later, earliest first.
    far: BinaryHeap<Reverse<u128>>,
    /// The day of the last event popped. No event is pushed earlier, because
    /// the model only schedules at or after its clock, which is never
    /// behind the last event it handled.
    low: u64,
    /// The days from `low` up to `scan` hold no events.
    scan: u64,
    /// The day whose bucket is sorted, latest key first so that its earliest
    /// is popped from the end; `u64::MAX` if none.
    sorted: u64,
}

/// The key of no event: at infinity, later than any real one.
pub const NO_EVENT: u128 = ((0x7ff0_0000_0000_0000_u64 as u128) << 64) | u64::MAX as u128;

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            buckets: vec![Vec::new(); DAYS as usize],
            far: BinaryHeap::new(),
            low: 0,
            scan: 0,
            sorted: u64::MAX,
        }
    }
}

impl EventQueue {
    pub fn clear(&mut self) {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.far.clear();
        self.low = 0;
        self.scan = 0;
        self.sorted = u64::MAX;
    }

    /// Events in the queue, stale ones included. Counted when asked, not
    /// kept up on every push and pop: only the tests ask.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum::<usize>() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules an event. `id` and `slot` must be below [`MAX_IDS`] and
    /// [`MAX_SLOTS`] (the model checks its counts against them); the epoch is
    /// kept modulo 2^14.
    #[inline]
    pub fn push(&mut self, time: f64, kind: EventKind, id: u32, slot: u32, epoch: u32) {
        debug_assert!(time >= 0.0);
        debug_assert!(id < MAX_IDS && slot < MAX_SLOTS);
        let payload = (u64::from(kind as u8) << (64 - KIND_BITS))
            | (u64::from(id) << (SLOT_BITS + EPOCH_BITS))
            | (u64::from(slot) << EPOCH_BITS)
            | (u64::from(epoch) & EPOCH_MASK);
        self.place((u128::from(time.to_bits()) << 64) | u128::from(payload));
    }

    /// The day of a key: its time rounded down (times are days). Through
    /// `i64`, one instruction, where a direct conversion to `u64` takes several;
    /// times are never negative, and those past `i64::MAX` days saturate.
    #[inline]
    fn day(key: u128) -> u64 {
        Self::time_of(key) as i64 as u64
    }

    #[inline]
    fn place(&mut self, key: u128) {
        let day = Self::day(key);
        debug_assert!(day >= self.low, "an event scheduled before the clock");
        if day >= self.low.saturating_add(DAYS) {
            self.far.push(Reverse(key));
            return;
        }
        let bucket = &mut self.buckets[(day % DAYS) as usize];
        if day == self.sorted {
            let at = bucket.partition_point(|&k| k > key);
            bucket.insert(at, key);
        } else {
            bucket.push(key);
        }
        self.scan = self.scan.min(day);
    }

    /// The key of the earliest event ([`NO_EVENT`] if none): its time, then
    /// its payload, the order in which events are due.
    #[inline]
    pub fn next_key(&mut self) -> u128 {
        let end = self.low.saturating_add(DAYS);
        while self.scan < end {
            let day = self.scan;
            let bucket = &mut self.buckets[(day % DAYS) as usize];
            if let Some(&last) = bucket.last() {
                if self.sorted != day {
                    bucket.sort_unstable_by(|a, b| b.cmp(a));
                    self.sorted = day;
                    return bucket[bucket.len() - 1];
                }
                return last;
            }
            self.scan += 1;
        }
        self.far.peek().map_or(NO_EVENT, |r| r.0)
    }

    /// The time of an event key, infinity for [`NO_EVENT`].
    #[inline]
    pub fn time_of(key: u128) -> f64 {
        f64::from_bits((key >> 64) as u64)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        let key = self.next_key();
        if key == NO_EVENT {
            return None;
        }
        self.take(key);
        Some(Self::decode(key))
    }

    /// The earliest event, taken off the queue, if it falls due before
    /// `limit`: the event loop's question, answered with one look at the
    /// calendar rather than a peek and then a pop.
    #[inline]
    pub fn pop_before(&mut self, limit: f64) -> Option<Event> {
        let key = self.next_key();
        // NO_EVENT's time is infinity, never before any limit.
        if Self::time_of(key) >= limit {
            return None;
        }
        self.take(key);
        Some(Self::decode(key))
    }

    /// The slot of the event after the one just popped, if it is already
    /// in the sorted bucket: the next referral the loop will touch.
    #[inline]
    pub fn following_slot(&self) -> Option<u32> {
        self.following_slots(1)
    }

    /// The slot of the `nth` event after the one just popped (1 is the next).
    #[inline]
    pub fn following_slots(&self, nth: usize) -> Option<u32> {
        let bucket = &self.buckets[(self.scan % DAYS) as usize];
        (self.sorted == self.scan && bucket.len() >= nth)
            .then(|| bucket[bucket.len() - nth])
            .map(|k| Self::decode(k).slot)
    }

    /// Removes `key`, the earliest event, which [`Self::next_key`] has just found.
    #[inline]
    fn take(&mut self, key: u128) {
        if self.scan < self.low.saturating_add(DAYS) {
            self.buckets[(self.scan % DAYS) as usize].pop();
        } else {
            self.far.pop();
            self.scan = Self::day(key);
        }
        self.advance_to(Self::day(key));
    }

    /// Moves the calendar's window to start at `day`, bringing in the far
    /// events that now fall within it.
    fn advance_to(&mut self, day: u64) {
        if day == self.low {
            return;
        }
        self.low = day;
        let end = day.saturating_add(DAYS);
        while let Some(&Reverse(key)) = self.far.peek() {
            if Self::day(key) >= end {
                break;
            }
            self.far.pop();
            self.place(key);
        }
    }

    #[inline]
    fn decode(key: u128) -> Event {
        let payload = key as u64;
        Event {
            time: Self::time_of(key),
            kind: EventKind::ALL[(payload >> (64 - KIND_BITS)) as usize],
            id: ((payload >> (SLOT_BITS + EPOCH_BITS)) & u64::from(MAX_IDS - 1)) as u32,
            slot: ((payload >> EPOCH_BITS) & u64::from(MAX_SLOTS - 1)) as u32,
            epoch: (payload & EPOCH_MASK) as u32,
        }
    }

    /// Whether an entity's current epoch matches an event's (14 bits are kept).
    #[inline]
    pub fn current(event_epoch: u32, entity_epoch: u32) -> bool {
        u64::from(event_epoch) == (u64::from(entity_epoch) & EPOCH_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_queue_has_nothing_due_before_any_limit() {
        let mut q = EventQueue::default();
        assert!(q.is_empty());
        assert_eq!(EventQueue::time_of(NO_EVENT), f64::INFINITY);
        assert!(q.pop_before(f64::MAX).is_none());
        q.push(1.5, EventKind::Renege, 1, 2, 3);
        assert!(!q.is_empty());
        assert_eq!(q.pop_before(f64::MAX).map(|e| e.id), Some(1));
        assert!(
            q.is_empty() && q.pop_before(f64::MAX).is_none(),
            "and empty again once it is taken"
        );
    }

    #[test]
    fn an_event_beyond_the_calendar_is_popped_once() {
        // Past the calendar's DAYS days, an event waits in the far heap; taking
        // it from there must not leave it to be found again in a bucket.
        let mut q = EventQueue::default();
        q.push(2000.5, EventKind::Renege, 1, 2, 3);
        q.push(2000.25, EventKind::Renege, 2, 2, 3);
        assert_eq!(q.pop().map(|e| e.id), Some(2));
        assert_eq!(q.pop().map(|e| e.id), Some(1));
        assert!(q.pop().is_none() && q.is_empty());
    }

    #[test]
    fn names_the_slot_of_the_event_after_the_one_popped() {
        let mut q = EventQueue::default();
        q.push(2.5, EventKind::Renege, 1, 7, 0);
        q.push(2.25, EventKind::SupportStep, 2, 5, 0);
        q.push(2.75, EventKind::HoldEnds, 3, 9, 0);
        q.push(40.0, EventKind::HoldEnds, 4, 11, 0);
        assert_eq!(q.pop().map(|e| e.slot), Some(5));
        assert_eq!(q.following_slot(), Some(7));
        q.pop();
        assert_eq!(q.following_slot(), Some(9));
        q.pop();
        // Day 40's bucket is not sorted until the clock reaches it.
        assert_eq!(q.following_slot(), None);
    }

    #[test]
    fn pops_in_time_order_with_payload_intact() {
        let mut q = EventQueue::default();
        q.push(5.5, EventKind::Renege, 7, 2, 3);
        q.push(0.25, EventKind::WorkerLeaves, 1, 0, 0);
        q.push(
            100.0,
            EventKind::ServiceReopens,
            MAX_IDS - 1,
            MAX_SLOTS - 1,
            EPOCH_MASK as u32,
        );
        assert_eq!(EventQueue::time_of(q.next_key()), 0.25);
        let e = q.pop().unwrap();
        assert_eq!(
            (e.time, e.kind, e.id, e.slot, e.epoch),
            (0.25, EventKind::WorkerLeaves, 1, 0, 0)
        );
        let e = q.pop().unwrap();
        assert_eq!(
            (e.time, e.kind, e.id, e.slot, e.epoch),
            (5.5, EventKind::Renege, 7, 2, 3)
        );
        let e = q.pop().unwrap();
        assert_eq!(
            (e.kind, e.id, e.slot, e.epoch),
            (EventKind::ServiceReopens, MAX_IDS - 1, MAX_SLOTS - 1, EPOCH_MASK as u32)
        );
        assert!(q.pop().is_none());
    }

    /// Simultaneous events are taken by kind, then by number, whatever their
    /// slots: the order `docs/model.md` states, which recycling slots must not change.
    #[test]
    fn ties_go_by_kind_then_number_not_slot() {
        let mut q = EventQueue::default();
        q.push(3.0, EventKind::Renege, 5, 0, 0);
        q.push(3.0, EventKind::Renege, 4, 9, 0);
        q.push(3.0, EventKind::SupportStep, 8, 1, 0);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| (e.kind, e.id)).collect();
        assert_eq!(
            order,
            [
                (EventKind::SupportStep, 8),
                (EventKind::Renege, 4),
                (EventKind::Renege, 5)
            ]
        );
    }

    /// Random pushes and pops against a sorted list: every pop is the
    /// smallest key left. Pushes fall at or after the last pop, as the
    /// model's do, from the same day to years ahead (past the calendar).
    #[test]
    fn agrees_with_a_sorted_list() {
        let mut q = EventQueue::default();
        let mut reference: Vec<(u64, u32)> = Vec::new();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut clock = 0.0;
        for step in 0..40_000u32 {
            let r = next();
            if r % 3 == 0 && !reference.is_empty() {
                reference.sort_unstable();
                let (time, id) = reference.remove(0);
                assert_eq!(EventQueue::time_of(q.next_key()).to_bits(), time, "step {step}");
                let e = q.pop().unwrap();
                assert_eq!((e.time.to_bits(), e.id), (time, id), "step {step}");
                clock = e.time;
            } else {
                // Mostly within weeks; one in sixteen up to eight years ahead.
                let span = if r % 16 == 1 { 3000.0 } else { 60.0 };
                let time = clock + ((r >> 8) % 4096) as f64 / 4096.0 * span * f64::from((r >> 40) as u8 % 2);
                q.push(time, EventKind::SupportStep, step, 0, 0);
                reference.push((time.to_bits(), step));
            }
            assert_eq!(q.len(), reference.len());
        }
        reference.sort_unstable();
        for (time, id) in reference {
            let e = q.pop().unwrap();
            assert_eq!((e.time.to_bits(), e.id), (time, id));
        }
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }
}
