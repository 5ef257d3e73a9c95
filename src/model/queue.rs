//! The future event list: a binary min-heap of (time, event) pairs.
//!
//! Times are non-negative, so the bit pattern of an `f64` time orders like
//! the time itself and the heap can compare integers. The second key packs
//! the event kind, the entity and an epoch; besides carrying the payload it
//! breaks ties between simultaneous events in a fixed order, so a replicate
//! is reproducible to the bit. An event whose epoch no longer matches its
//! entity's is stale (the person moved on) and is skipped when popped.

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
///
/// A hand-written binary min-heap rather than `std`'s, for one reason:
/// popping is deferred. [`pop`](Self::pop) reads the top and leaves it in
/// place; the next [`push`](Self::push) takes its slot and sifts down once,
/// instead of a removal and an insertion each crossing the heap. Almost every
/// event schedules another, so this saves most of the queue's work. Keys are
/// distinct, so the order of pops is the same either way.
#[derive(Default)]
pub struct EventQueue {
    heap: Vec<u128>,
    /// The top has been handed out by `pop` but is still in the heap.
    popped: bool,
}

/// The key of no event: later than any real one.
pub const NO_EVENT: u128 = u128::MAX;

impl EventQueue {
    pub fn clear(&mut self) {
        self.heap.clear();
        self.popped = false;
    }

    /// Events in the queue, stale ones included.
    pub fn len(&mut self) -> usize {
        self.settle();
        self.heap.len()
    }

    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn push(&mut self, time: f64, kind: EventKind, id: u32, epoch: u32) {
        debug_assert!(time >= 0.0);
        let payload = (u64::from(kind as u8) << 56) | (u64::from(id) << EPOCH_BITS) | (u64::from(epoch) & EPOCH_MASK);
        let key = (u128::from(time.to_bits()) << 64) | u128::from(payload);
        if std::mem::take(&mut self.popped) {
            self.replace_top(key);
        } else {
            self.heap.push(key);
            self.sift_up(self.heap.len() - 1, key);
        }
    }

    /// Removes the top if `pop` handed it out and nothing has taken its slot.
    #[inline]
    fn settle(&mut self) {
        if std::mem::take(&mut self.popped) {
            if let Some(last) = self.heap.pop() {
                if !self.heap.is_empty() {
                    self.replace_top(last);
                }
            }
        }
    }

    /// Puts `key` in place of the top: the hole goes down to a leaf along the
    /// smaller children (one comparison per level), then `key` rises from
    /// there. A new key usually belongs near the bottom, so this beats the
    /// two comparisons per level of a plain sift-down.
    #[inline]
    fn replace_top(&mut self, key: u128) {
        let heap = &mut self.heap[..];
        let n = heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            child += usize::from(heap[child + 1] < heap[child]);
            heap[hole] = heap[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child < n {
            heap[hole] = heap[child];
            hole = child;
        }
        self.sift_up(hole, key);
    }

    #[inline]
    fn sift_up(&mut self, mut hole: usize, key: u128) {
        let heap = &mut self.heap[..];
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if heap[parent] <= key {
                break;
            }
            heap[hole] = heap[parent];
            hole = parent;
        }
        heap[hole] = key;
    }

    /// The key of the earliest event ([`NO_EVENT`] if none): its time, then
    /// its payload, the order in which events are due.
    #[inline]
    pub fn next_key(&mut self) -> u128 {
        self.settle();
        self.heap.first().copied().unwrap_or(NO_EVENT)
    }

    /// The time of an event key, or infinity for [`NO_EVENT`].
    #[inline]
    pub fn time_of(key: u128) -> f64 {
        if key == NO_EVENT {
            f64::INFINITY
        } else {
            f64::from_bits((key >> 64) as u64)
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.settle();
        let key = *self.heap.first()?;
        self.popped = true;
        Some(Self::decode(key))
    }

    #[inline]
    fn decode(key: u128) -> Event {
        let payload = key as u64;
        Event {
            time: f64::from_bits((key >> 64) as u64),
            kind: EventKind::ALL[(payload >> 56) as usize],
            id: ((payload >> EPOCH_BITS) & 0xffff_ffff) as u32,
            epoch: (payload & EPOCH_MASK) as u32,
        }
    }

    /// Keeps only the events for which `live` holds, and rebuilds the heap:
    /// drops stale events in bulk when they would otherwise crowd it.
    pub fn retain(&mut self, mut live: impl FnMut(&Event) -> bool) {
        self.settle();
        self.heap.retain(|&key| live(&Self::decode(key)));
        for i in 1..self.heap.len() {
            let key = self.heap[i];
            self.sift_up(i, key);
        }
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
        assert_eq!(EventQueue::time_of(q.next_key()), 0.25);
        let e = q.pop().unwrap();
        assert_eq!((e.time, e.kind, e.id, e.epoch), (0.25, EventKind::WorkerLeaves, 1, 0));
        let e = q.pop().unwrap();
        assert_eq!((e.time, e.kind, e.id, e.epoch), (5.5, EventKind::Renege, 7, 3));
        let e = q.pop().unwrap();
        assert_eq!((e.kind, e.id, e.epoch), (EventKind::SupportStep, 123_456, 99));
        assert!(q.pop().is_none());
    }

    /// Random pushes and pops, some pops followed by a push that takes the
    /// popped slot, against a sorted list: every pop is the smallest key left.
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
        for step in 0..20_000u32 {
            let r = next();
            if r % 3 == 0 && !reference.is_empty() {
                reference.sort_unstable();
                let (time, id) = reference.remove(0);
                let e = q.pop().unwrap();
                assert_eq!((e.time.to_bits(), e.id), (time, id), "step {step}");
            } else {
                let time = ((r >> 8) % 1000) as f64 / 8.0;
                q.push(time, EventKind::SupportStep, step, 0);
                reference.push((time.to_bits(), step));
            }
            assert_eq!(q.len(), reference.len());
        }
        q.retain(|e| e.id % 2 == 0);
        reference.retain(|&(_, id)| id % 2 == 0);
        reference.sort_unstable();
        for (time, id) in reference {
            let e = q.pop().unwrap();
            assert_eq!((e.time.to_bits(), e.id), (time, id));
        }
        assert!(q.pop().is_none());
    }
}
