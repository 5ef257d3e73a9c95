//! The future event list: a binary min-heap of (time, event) pairs.
//!
//! Times are non-negative, so the bit pattern of an `f64` time orders like
//! the time itself and the heap can compare integers. The second key packs
//! the event kind, the entity and an epoch; besides carrying the payload it
//! breaks ties between simultaneous events in a fixed order, so a replicate
//! is reproducible to the bit. An event whose epoch no longer matches its
//! entity's is stale (the person moved on) and is skipped when popped.

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
}

impl EventKind {
    const ALL: [EventKind; 10] = [
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
    ];
}

/// A due event: its time, kind, entity (person, post or service) and epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub time: f64,
    pub kind: EventKind,
    pub id: u32,
    pub epoch: u32,
}

const EPOCH_BITS: u32 = 24;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;

/// The heap of future events. Cleared, not reallocated, between replicates.
/// Each entry is one `u128`, the time's bits above the payload, so that one
/// integer comparison orders by time and then by payload.
#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<u128>>,
}

impl EventQueue {
    pub fn clear(&mut self) {
        self.heap.clear();
    }

    #[inline]
    pub fn push(&mut self, time: f64, kind: EventKind, id: u32, epoch: u32) {
        debug_assert!(time >= 0.0);
        let payload = (u64::from(kind as u8) << 56) | (u64::from(id) << EPOCH_BITS) | (u64::from(epoch) & EPOCH_MASK);
        self.heap
            .push(Reverse((u128::from(time.to_bits()) << 64) | u128::from(payload)));
    }

    /// The time of the earliest event, or infinity.
    #[inline]
    pub fn next_time(&self) -> f64 {
        self.heap
            .peek()
            .map_or(f64::INFINITY, |Reverse(key)| f64::from_bits((key >> 64) as u64))
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        let Reverse(key) = self.heap.pop()?;
        let payload = key as u64;
        Some(Event {
            time: f64::from_bits((key >> 64) as u64),
            kind: EventKind::ALL[(payload >> 56) as usize],
            id: ((payload >> EPOCH_BITS) & 0xffff_ffff) as u32,
            epoch: (payload & EPOCH_MASK) as u32,
        })
    }

    /// Whether an entity's current epoch matches an event's (24 bits are kept).
    #[inline]
    pub fn current(event_epoch: u32, entity_epoch: u32) -> bool {
        u64::from(event_epoch) == (u64::from(entity_epoch) & EPOCH_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_with_payload_intact() {
        let mut q = EventQueue::default();
        q.push(5.5, EventKind::Renege, 7, 3);
        q.push(0.25, EventKind::WorkerLeaves, 1, 0);
        q.push(100.0, EventKind::SupportStep, 123_456, 99);
        assert_eq!(q.next_time(), 0.25);
        let e = q.pop().unwrap();
        assert_eq!((e.time, e.kind, e.id, e.epoch), (0.25, EventKind::WorkerLeaves, 1, 0));
        let e = q.pop().unwrap();
        assert_eq!((e.time, e.kind, e.id, e.epoch), (5.5, EventKind::Renege, 7, 3));
        let e = q.pop().unwrap();
        assert_eq!((e.kind, e.id, e.epoch), (EventKind::SupportStep, 123_456, 99));
        assert!(q.pop().is_none());
    }
}
