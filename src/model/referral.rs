//! A referral: one person's one passage through the pathway, and the store
//! of the referrals in the service now.
//!
//! A referral's [`Stage`] carries the data that only that stage has (where
//! on a caseload, the stretch of contacts being walked, why a hold would
//! end), so that a combination the pathway cannot produce, such as a held
//! person with no link worker, cannot be written. What a referral keeps
//! through every stage (its group, its contacts so far, whether it was
//! measured, allocated or connected) sits beside the stage.
//!
//! The store recycles the slot of a referral that has left and can no longer
//! be reached by an event: its memory follows the people in the service at
//! once, not every referral of the run. Events name a referral by its number
//! (which orders simultaneous events, as `docs/model.md` states) and by its
//! slot (to find it); an event whose slot now holds another referral is stale.

use super::contacts::Stretch;
use super::queue::MAX_SLOTS;

/// A referral's number: its place in the order referrals were made in this
/// replicate (people present on the start date first). The trace calls it
/// `referral`; a person is named by the number of their first referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReferralId(pub u32);

/// A link-worker post: its index in the scenario's posts, then posts added by funding changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostId(pub u32);

/// A VCSE service: its index in the scenario's `[[vcse.services]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

impl PostId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ServiceId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a referral is kept in the [`Referrals`] store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(pub u32);

/// A place on a link worker's caseload: the post, and the index in its caseload list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnCaseload {
    pub post: PostId,
    pub place: u32,
}

/// Where a referral is on the pathway, with what only that stage knows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// Referred, not yet through triage.
    New,
    /// On the waiting list for a link worker.
    Waiting {
        /// Sent back to the list while held: on allocation, seek a VCSE place again.
        resume_holding: bool,
        /// Days from allocation to the first contact (people already on a
        /// caseload on the start date, part-way between contacts).
        first_contact_after: f64,
    },
    /// On a caseload, receiving contacts.
    Supported { on: OnCaseload, stretch: Stretch },
    /// On a caseload, waiting for a VCSE place.
    Held {
        on: OnCaseload,
        /// Whether the scheduled end of the hold is the maximum holding time
        /// (unmet) rather than a disengagement at a check-in.
        ends_unmet: bool,
    },
    /// Left the pathway (possibly still attending a VCSE service).
    Gone,
}

impl Stage {
    /// The caseload place of a supported or held referral.
    pub fn caseload(&self) -> Option<OnCaseload> {
        match *self {
            Stage::Supported { on, .. } | Stage::Held { on, .. } => Some(on),
            _ => None,
        }
    }

    /// The caseload place, to change it when a caseload's list moves people.
    pub fn caseload_mut(&mut self) -> Option<&mut OnCaseload> {
        match self {
            Stage::Supported { on, .. } | Stage::Held { on, .. } => Some(on),
            _ => None,
        }
    }

    pub fn is_waiting(&self) -> bool {
        matches!(self, Stage::Waiting { .. })
    }

    pub fn is_held(&self) -> bool {
        matches!(self, Stage::Held { .. })
    }
}

/// A place at a VCSE service: the service, and the index in its attendee list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attending {
    pub service: ServiceId,
    pub place: u32,
}

/// Whether a referral has come back, or is due to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReReferral {
    /// Not drawn (or drawn and not taken): it may still be.
    NotYet,
    /// Scheduled: the slot is kept until it happens, for the new referral's group and person.
    Due,
    /// Happened: a referral comes back at most once.
    Done,
}

/// One referral.
#[derive(Clone, Copy, Debug)]
pub struct Referral {
    pub id: ReferralId,
    /// The person: the number of their first referral.
    pub person: ReferralId,
    /// The number of the referral's own random stream (see `random`).
    pub stream: u32,
    pub referral_time: f64,
    /// When the onward decision was made (holding is measured from it).
    pub decision_time: Option<f64>,
    pub stage: Stage,
    pub attending: Option<Attending>,
    /// Bumped whenever the referral's scheduled events or queue entries become stale.
    pub epoch: u32,
    /// The same for its VCSE place.
    pub vcse_epoch: u32,
    /// Pieces of the referral's own stream used so far.
    pub part: u32,
    /// Contacts the referral will have if it stays engaged, and has had.
    pub contacts: u16,
    pub done: u16,
    pub group: u8,
    /// The VCSE category the referral would need (none if its group needs none).
    pub category: Option<u8>,
    pub re_referral: ReReferral,
    /// Contact by phone or video is harder for this person (digital exclusion).
    pub excluded: bool,
    /// Referred after the warm-up: counted in the outputs.
    pub measured: bool,
    /// Needs a VCSE service, revealed at the planning contact.
    pub needs_onward: bool,
    pub connected: bool,
    /// Allocated to a link worker at least once (its wait is known).
    pub allocated: bool,
    /// Its holding time has been recorded (or is not known: held before the start).
    pub holding_recorded: bool,
}

impl Referral {
    /// Whether an event scheduled for (`id`, `epoch`) still concerns this referral.
    pub fn is_current(&self, id: u32, epoch: u32, current: fn(u32, u32) -> bool) -> bool {
        self.id.0 == id && current(epoch, self.epoch)
    }

    /// Whether nothing can reach this referral any more: gone, attending
    /// nothing, and no re-referral due to read its group and person.
    fn finished(&self) -> bool {
        self.stage == Stage::Gone && self.attending.is_none() && self.re_referral != ReReferral::Due
    }
}

/// The referrals in the service, in recycled slots.
#[derive(Default)]
pub struct Referrals {
    slots: Vec<Referral>,
    free: Vec<u32>,
    next_id: u32,
}

/// A replicate grew past what events can name (see `queue::MAX_IDS` and `MAX_SLOTS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooMany;

impl Referrals {
    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.next_id = 0;
    }

    /// The number the next referral will get.
    pub fn next_id(&self) -> ReferralId {
        ReferralId(self.next_id)
    }

    /// Stores a referral made by `make` from its number, in a free slot if
    /// there is one.
    pub fn add(&mut self, make: impl FnOnce(ReferralId) -> Referral) -> Result<Slot, TooMany> {
        let id = ReferralId(self.next_id);
        if self.next_id >= super::queue::MAX_IDS {
            return Err(TooMany);
        }
        self.next_id += 1;
        let referral = make(id);
        match self.free.pop() {
            Some(slot) => {
                // Events still scheduled for the last occupant carry its
                // number, not this one's, and so stay stale (`is_current`);
                // entries on the waiting list and holding queues carry only
                // the slot and an epoch, so the epochs carry on from the last
                // occupant's, and its entries can never look current.
                let old = &self.slots[slot as usize];
                let (epoch, vcse_epoch) = (old.epoch.wrapping_add(1), old.vcse_epoch.wrapping_add(1));
                self.slots[slot as usize] = Referral {
                    epoch,
                    vcse_epoch,
                    ..referral
                };
                Ok(Slot(slot))
            }
            None if self.slots.len() as u32 >= MAX_SLOTS => Err(TooMany),
            None => {
                self.slots.push(referral);
                Ok(Slot(self.slots.len() as u32 - 1))
            }
        }
    }

    /// Frees the slot if nothing can reach its referral any more.
    pub fn release_if_finished(&mut self, slot: Slot) {
        if self.slots[slot.0 as usize].finished() {
            self.free.push(slot.0);
        }
    }

    /// Asks the processor to bring a slot into cache ahead of its use: the
    /// event loop does so for the next event's referral while it handles
    /// this one, because in a large service the slots outgrow the cache and
    /// the wait for memory, not the model's logic, is most of the cost.
    #[inline]
    pub fn prefetch(&self, slot: Slot) {
        #[cfg(target_arch = "x86_64")]
        if let Some(r) = self.slots.get(slot.0 as usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: a prefetch is a hint to the cache; it never faults and
            // reads nothing into the program, and the pointer is a live
            // reference besides.
            // A referral straddles two or three cache lines; its first and
            // last bytes name them all.
            let first = (r as *const Referral).cast::<i8>();
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(first);
                _mm_prefetch::<_MM_HINT_T0>(first.wrapping_add(std::mem::size_of::<Referral>() - 1));
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Slots ever used (free ones included): the store's size.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The referrals still on the pathway, in the order of their numbers.
    pub fn in_service(&self) -> Vec<&Referral> {
        let mut live: Vec<&Referral> = self.slots.iter().filter(|r| r.stage != Stage::Gone).collect();
        live.sort_unstable_by_key(|r| r.id);
        live
    }

    /// The referrals of slots `from..`, to reorder people added together.
    pub fn tail_mut(&mut self, from: usize) -> &mut [Referral] {
        &mut self.slots[from..]
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl std::ops::Index<Slot> for Referrals {
    type Output = Referral;
    #[inline]
    fn index(&self, slot: Slot) -> &Referral {
        &self.slots[slot.0 as usize]
    }
}

impl std::ops::IndexMut<Slot> for Referrals {
    #[inline]
    fn index_mut(&mut self, slot: Slot) -> &mut Referral {
        &mut self.slots[slot.0 as usize]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn referral(id: ReferralId) -> Referral {
        Referral {
            id,
            person: id,
            stream: id.0,
            referral_time: 0.0,
            decision_time: None,
            stage: Stage::New,
            attending: None,
            epoch: 0,
            vcse_epoch: 0,
            part: 0,
            contacts: 1,
            done: 0,
            group: 0,
            category: Some(0),
            re_referral: ReReferral::NotYet,
            excluded: false,
            measured: true,
            needs_onward: false,
            connected: false,
            allocated: false,
            holding_recorded: false,
        }
    }

    #[test]
    fn a_finished_slot_is_reused_under_a_new_number() {
        let mut store = Referrals::default();
        let a = store.add(referral).unwrap();
        let b = store.add(referral).unwrap();
        store[a].epoch = 5;
        store[a].vcse_epoch = 3;
        store[a].stage = Stage::Gone;
        store.release_if_finished(a);
        let c = store.add(referral).unwrap();
        assert_eq!(c, a, "the freed slot is taken first");
        assert_eq!(store[c].id, ReferralId(2), "numbers keep counting");
        assert!(store[c].epoch > 5, "a queue entry of the old occupant stays stale");
        assert!(store[c].vcse_epoch > 3, "so does a VCSE queue entry");
        assert!(
            !store[c].is_current(0, store[c].epoch, |e, c| e == c),
            "an event of the old occupant stays stale"
        );
        assert!(store[c].is_current(2, store[c].epoch, |e, c| e == c));
        assert_eq!(store.capacity(), 2);
        assert_ne!(b, c);
    }

    #[test]
    fn a_slot_is_kept_while_its_referral_attends_or_is_due_back() {
        let mut store = Referrals::default();
        let a = store.add(referral).unwrap();
        store[a].stage = Stage::Gone;
        store[a].attending = Some(Attending {
            service: ServiceId(0),
            place: 0,
        });
        store.release_if_finished(a);
        store[a].attending = None;
        store[a].re_referral = ReReferral::Due;
        store.release_if_finished(a);
        assert_ne!(store.add(referral).unwrap(), a, "attending or due back: not freed");
        store[a].re_referral = ReReferral::Done;
        store.release_if_finished(a);
        assert_eq!(store.add(referral).unwrap(), a);
    }

    #[test]
    fn in_service_lists_the_living_by_number() {
        let mut store = Referrals::default();
        let slots: Vec<Slot> = (0..4).map(|_| store.add(referral).unwrap()).collect();
        store[slots[0]].stage = Stage::Gone;
        store.release_if_finished(slots[0]);
        let e = store.add(referral).unwrap();
        assert_eq!(e, slots[0]);
        let ids: Vec<u32> = store.in_service().iter().map(|r| r.id.0).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }

    #[test]
    fn slots_past_what_an_event_can_name_are_refused() {
        let mut store = Referrals::default();
        assert!(store.is_empty());
        for _ in 0..MAX_SLOTS {
            store.add(referral).unwrap();
        }
        assert_eq!((store.len(), store.is_empty()), (MAX_SLOTS as usize, false));
        assert_eq!(
            store.add(referral),
            Err(TooMany),
            "one slot more than an event can name"
        );
        let last = Slot(MAX_SLOTS - 1);
        store[last].stage = Stage::Gone;
        store.release_if_finished(last);
        assert_eq!(store.add(referral), Ok(last), "a freed slot can be taken again");
    }
}
