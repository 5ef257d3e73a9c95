//! One replicate's loop: the clock, the three sources of events, the
//! dispatch, and the rules that cross the model's parts.
//!
//! The parts keep their own books: [`Referrals`] the people, [`Arrivals`]
//! the referral process, [`WaitingList`] the list for a link worker,
//! [`Posts`] the link workers and their caseloads, [`Stretch`] the contacts,
//! [`Services`] the VCSE places and the people held for them, [`Measure`]
//! the time averages and weekly snapshots. What is left here is what moves a
//! referral from one part to the next: triage, allocation, the onward
//! decision, connection or holding, exits and re-referral, handovers when a
//! link worker leaves, and the scenario's dated changes.
//!
//! Three sources of time feed the loop without going through the event
//! list: the next referral (fresh or from an intake), the next dated change,
//! and the list of everything else. On a tie, dated changes come first, then
//! fresh referrals, then intake referrals, then the list (see
//! `docs/model.md`, 2.3).

use super::arrivals::{pick_group, Arrivals, Intakes, INITIAL_STREAM};
use super::contacts::{disengage_probability, Step, Stretch};
use super::levels::{Levels, Measure};
use super::plan::{Dated, Plan};
use super::posts::{leaving_time, Posts};
use super::queue::{Event, EventKind, EventQueue};
use super::random::{person_stream, PersonRng, Streams};
use super::record::{Exit, ReplicateRecord, Trace};
use super::referral::{
    Attending, OnCaseload, PostId, ReReferral, Referral, ReferralId, Referrals, ServiceId, Slot, Stage, TooMany,
};
use super::sampling::pick;
use super::vcse::Services;
use super::waiting_list::{Entry, WaitingList};
use crate::scenario::{HoldingPolicy, ReReferralReason};
use rand::Rng as _;

/// Pieces of a referral's own stream: attributes, triage and patience, the
/// start-of-run extras of people already in the service; stretches of
/// contacts and holds take the numbers after these, one each.
const PART_ATTRIBUTES: u32 = 0;
const PART_TRIAGE: u32 = 1;
const PART_INITIAL: u32 = 2;
const FIRST_FREE_PART: u32 = 3;

/// A replicate grew past what the event list can name: more than
/// [`super::queue::MAX_IDS`] referrals, or [`super::queue::MAX_SLOTS`] people
/// in the service at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a replicate of this scenario has more than {} referrals, or more than {} people in the service at once, \
     which is more than spcap can simulate in one replicate; split it into smaller services or shorten the horizon",
    super::queue::MAX_IDS,
    super::queue::MAX_SLOTS
)]
pub struct TooLarge;

/// The reusable workspace of one thread: every buffer a replicate needs,
/// cleared rather than reallocated between replicates.
#[derive(Default)]
pub struct Simulation {
    referrals: Referrals,
    queue: EventQueue,
    waiting: WaitingList<Slot>,
    posts: Posts,
    services: Services,
    record: ReplicateRecord,
}

impl Simulation {
    pub fn new() -> Self {
        Self::default()
    }

    /// The record of the last replicate run, for the statistics to consume.
    pub fn record_mut(&mut self) -> &mut ReplicateRecord {
        &mut self.record
    }

    /// Slots the referral store has used: the most people in the service at
    /// once over the replicates run so far (what a replicate's memory follows).
    pub fn referral_slots(&self) -> usize {
        self.referrals.capacity()
    }

    /// Runs replicate `replicate` of the plan's scenario with streams derived from `seed`.
    pub fn run<T: Trace>(
        &mut self,
        plan: &Plan,
        seed: u64,
        replicate: u64,
        trace: &mut T,
    ) -> Result<&ReplicateRecord, TooLarge> {
        self.run_copy(plan, seed, replicate, 0, trace)
    }

    /// Runs copy `copy` of a site in replicate `replicate`: the same as
    /// [`Simulation::run`], with the copy's own streams (copy 0's are the
    /// replicate's, see [`random::copy_key`](super::random::copy_key)).
    pub fn run_copy<T: Trace>(
        &mut self,
        plan: &Plan,
        seed: u64,
        replicate: u64,
        copy: u64,
        trace: &mut T,
    ) -> Result<&ReplicateRecord, TooLarge> {
        let mut run = Run::new(self, plan, Streams::of_copy(seed, replicate, copy), trace);
        run.initialise().map_err(|TooMany| TooLarge)?;
        run.event_loop().map_err(|TooMany| TooLarge)?;
        run.finish();
        Ok(&self.record)
    }
}

struct Run<'a, T: Trace> {
    sim: &'a mut Simulation,
    plan: &'a Plan<'a>,
    rng: Streams,
    trace: &'a mut T,
    now: f64,
    end: f64,
    warm_up: f64,
    measure: Measure,
    arrivals: Arrivals,
    intakes: Intakes,
    next_dated: usize,
    /// Set while a handover or an allocation is under way, so that nested
    /// exits do not start filling places in the middle of it.
    filling: bool,
}

impl<'a, T: Trace> Run<'a, T> {
    fn new(sim: &'a mut Simulation, plan: &'a Plan<'a>, rng: Streams, trace: &'a mut T) -> Self {
        sim.referrals.clear();
        sim.queue.clear();
        sim.waiting.reset(plan.priority_levels);
        sim.record.clear();
        Run {
            sim,
            plan,
            rng,
            trace,
            now: 0.0,
            end: plan.scenario.end(),
            warm_up: plan.scenario.warm_up,
            measure: Measure::new(plan.scenario.warm_up, plan.weeks, plan.month_ends.clone()),
            arrivals: Arrivals::default(),
            intakes: Intakes::default(),
            next_dated: 0,
            filling: false,
        }
    }

    #[inline]
    fn note(&mut self, what: &'static str, who: Option<Slot>, post: Option<PostId>, service: Option<ServiceId>) {
        if T::ENABLED {
            let r = who.map(|s| &self.sim.referrals[s]);
            let (referral, person) = (r.map(|r| r.id.0), r.map(|r| r.person.0));
            self.trace.event(
                self.now,
                what,
                referral,
                person,
                post.map(|p| p.0),
                service.map(|s| s.0),
            );
        }
    }

    fn push(&mut self, time: f64, kind: EventKind, who: Slot) {
        let r = &self.sim.referrals[who];
        let epoch = if kind == EventKind::LeavesVcsePlace {
            r.vcse_epoch
        } else {
            r.epoch
        };
        self.sim.queue.push(time, kind, r.id.0, who.0, epoch);
    }

    /// The levels as they stand, gathered from the parts.
    fn levels(&self) -> Levels {
        let (posts, services) = (&self.sim.posts, &self.sim.services);
        Levels {
            waiting: self.sim.waiting.len(),
            held: services.held,
            caseload: posts.caseload,
            capacity: posts.capacity,
            in_post: posts.in_post,
            vacant: posts.vacant,
            fte_in_post: posts.fte_in_post,
            places_open: services.places_open,
        }
    }

    // ----- set-up -------------------------------------------------------

    fn initialise(&mut self) -> Result<(), TooMany> {
        let s = self.plan.scenario;
        let lw = &s.link_workers;
        self.sim.posts.reset();
        for post in &lw.posts {
            self.sim.posts.add(post.fte, post.contract_end.unwrap_or(f64::INFINITY));
        }
        for (post, spec) in self.sim.posts.ids().zip(&lw.posts).collect::<Vec<_>>() {
            if spec.vacant_at_start {
                self.schedule_recruitment(post);
            } else {
                self.start_worker(post, false);
            }
        }
        self.sim.services.reset(self.plan, self.rng.vcse_key);
        for service in self.sim.services.ids().collect::<Vec<_>>() {
            if self.sim.services[service].open {
                self.schedule_closure(service);
            }
        }
        for service in self.sim.services.ids().collect::<Vec<_>>() {
            self.refresh_places(service);
        }
        self.schedule_birth();
        if self.warm_up <= 0.0 {
            // Before the people present at the start, whose allocations count.
            self.measure.open_first_month(&mut self.sim.record);
        }
        self.initial_people()?;
        self.arrivals = Arrivals::start(&self.plan.rate_segments, &mut self.rng.referrals);
        self.intakes = Intakes::start(self.plan, self.rng.intakes_key);
        if self.warm_up <= 0.0 {
            self.sim.waiting.begin_measuring();
        }
        Ok(())
    }

    /// People already in the service on the start date: held first, then those
    /// on caseloads, then those waiting, so that allocation fills caseloads in
    /// that order.
    fn initial_people(&mut self) -> Result<(), TooMany> {
        let init = &self.plan.scenario.initial;
        let mut n = 0;
        for (count, kind) in [(init.held, 0), (init.on_caseload, 1), (init.waiting, 2)] {
            let first = self.sim.referrals.len();
            for _ in 0..count {
                let stream = INITIAL_STREAM + n;
                n += 1;
                let mut extras = person_stream(self.rng.support_key, stream, PART_INITIAL);
                let group = pick_group(self.plan, extras.random());
                let who = self.new_referral(0.0, group, stream, None)?;
                let plan = self.plan;
                let r = &mut self.sim.referrals[who];
                r.measured = self.warm_up <= 0.0;
                // Already allocated before the start: no waiting time of theirs is known.
                r.allocated = kind < 2;
                let planning = plan.scenario.groups[group].planning_contact.min(u32::from(r.contacts)) as u16;
                let mut first_contact_after = 0.0;
                match kind {
                    0 => {
                        // Held for a place of their category; a group that needs
                        // no VCSE service has none, and its people just continue.
                        r.needs_onward = r.category.is_some();
                        r.done = planning;
                        r.decision_time = Some(0.0);
                    }
                    1 => {
                        r.done = extras.random_range(0..r.contacts);
                        first_contact_after =
                            extras.random::<f64>() * plan.groups[group].interval_before(r.done + 1).sample(&mut extras);
                        if r.done >= planning {
                            r.decision_time = Some(0.0);
                            r.connected = r.needs_onward;
                            r.holding_recorded = true;
                        }
                    }
                    _ => {
                        let waited = plan.waited_so_far.as_ref().map_or(0.0, |w| w.sample(&mut extras));
                        r.referral_time = -waited;
                    }
                }
                r.stage = Stage::Waiting {
                    resume_holding: kind == 0 && r.needs_onward,
                    first_contact_after,
                };
            }
            if kind == 2 {
                // The waiting are numbered in the order they were referred,
                // and that is their order on the list.
                let waiting = self.sim.referrals.tail_mut(first);
                waiting.sort_by(|a, b| a.referral_time.total_cmp(&b.referral_time));
                for (i, r) in waiting.iter_mut().enumerate() {
                    r.id = ReferralId((first + i) as u32);
                    r.person = r.id;
                }
            }
        }
        // People already on caseloads are placed before anyone waiting, whatever the list's order.
        let on_caseloads = (init.held + init.on_caseload) as usize;
        let everyone = self.sim.referrals.len() as u32;
        for slot in (0..everyone).map(Slot) {
            if slot.0 as usize == on_caseloads {
                self.fill_places();
            }
            if self.sim.referrals[slot].measured {
                self.sim.record.referrals += 1;
                self.sim.record.carried_over += 1;
            }
            self.note("referral", Some(slot), None, None);
            self.join_waiting_list(slot, false);
        }
        self.fill_places();
        for slot in (0..everyone).map(Slot) {
            let mut triage = person_stream(self.rng.support_key, self.sim.referrals[slot].stream, PART_TRIAGE);
            let _skipped: f64 = triage.random();
            self.schedule_renege(slot, &mut triage);
        }
        Ok(())
    }

    /// A person still waiting gives up after a patience time, drawn from
    /// their triage stream just after the triage draw.
    fn schedule_renege(&mut self, who: Slot, triage: &mut PersonRng) {
        if let (true, Some(patience)) = (self.sim.referrals[who].stage.is_waiting(), &self.plan.patience) {
            let t = self.now + patience.sample(triage);
            self.push(t, EventKind::Renege, who);
        }
    }

    // ----- the loop -----------------------------------------------------

    fn event_loop(&mut self) -> Result<(), TooMany> {
        loop {
            let dated = self.plan.dated.get(self.next_dated).map_or(f64::INFINITY, |d| d.0);
            // On a tie, dated changes come first, then referrals, then
            // intake referrals, then the queue.
            let outside = dated.min(self.arrivals.next).min(self.intakes.next);
            if let Some(e) = self.sim.queue.pop_before(outside) {
                if e.time > self.end {
                    break;
                }
                // Two events ahead gives the line time to arrive; at a
                // bucket's end, the next one is all there is to fetch.
                let ahead = self.sim.queue.following_slots(2);
                if let Some(next) = ahead.or_else(|| self.sim.queue.following_slot()) {
                    self.sim.referrals.prefetch(Slot(next));
                }
                self.advance(e.time);
                if self.due_event(e)? {
                    self.sim.record.events += 1;
                }
                continue;
            }
            let t = outside;
            if t > self.end {
                break;
            }
            self.advance(t);
            if dated == t {
                let (_, what) = self.plan.dated[self.next_dated];
                self.next_dated += 1;
                self.dated_event(what);
            } else if self.arrivals.next == t {
                self.fresh_referral()?;
                self.arrivals
                    .advance(&self.plan.rate_segments, &mut self.rng.referrals, t);
            } else {
                let (group, stream) = self.intakes.take(self.plan, t)?;
                let who = self.new_referral(t, group, stream, None)?;
                self.refer(who, "intake_referral");
            }
            self.sim.record.events += 1;
        }
        self.advance(self.end);
        Ok(())
    }

    /// The referral an event is for, if the event is still current.
    fn current(&self, e: Event, stage: fn(&Stage) -> bool) -> Option<Slot> {
        let who = Slot(e.slot);
        let r = &self.sim.referrals[who];
        (stage(&r.stage) && r.is_current(e.id, e.epoch, EventQueue::current)).then_some(who)
    }

    /// Dispatches a due event; returns false if it was stale (its referral,
    /// post or service has moved on since it was scheduled).
    fn due_event(&mut self, e: Event) -> Result<bool, TooMany> {
        match e.kind {
            EventKind::SupportStep => {
                let Some(who) = self.current(e, |s| matches!(s, Stage::Supported { .. })) else {
                    return Ok(false);
                };
                self.support_step(who);
            }
            EventKind::HoldEnds => {
                let Some(who) = self.current(e, Stage::is_held) else {
                    return Ok(false);
                };
                let Stage::Held { ends_unmet, .. } = self.sim.referrals[who].stage else {
                    unreachable!("checked as held")
                };
                self.exit(who, if ends_unmet { Exit::Unmet } else { Exit::Disengaged });
            }
            EventKind::Renege => {
                let Some(who) = self.current(e, Stage::is_waiting) else {
                    return Ok(false);
                };
                self.exit(who, Exit::Reneged);
            }
            EventKind::LeavesVcsePlace => {
                let who = Slot(e.slot);
                let r = &self.sim.referrals[who];
                let Some(place) = r
                    .attending
                    .filter(|_| r.id.0 == e.id && EventQueue::current(e.epoch, r.vcse_epoch))
                else {
                    return Ok(false);
                };
                self.leave_service(who);
                self.note("vcse_place_ends", Some(who), None, Some(place.service));
                self.sim.referrals.release_if_finished(who);
                let category = self.sim.services[place.service].category;
                self.admit_from_holding(category);
            }
            EventKind::ReReferral => self.re_referral(Slot(e.slot))?,
            EventKind::WorkerLeaves => {
                let post = PostId(e.id);
                let p = &self.sim.posts[post];
                let current = EventQueue::current(e.epoch, p.epoch);
                // A holder leaves before their time only when the post is
                // cut, and a cut post is never filled again: an out-of-date
                // leaving finds the post empty. (docs/testing.md leans on this.)
                debug_assert_eq!(
                    p.in_post, current,
                    "post {}: a leaving out of date with the post filled",
                    post.0
                );
                if !p.in_post || !current {
                    return Ok(false);
                }
                self.worker_leaves(post, true);
            }
            EventKind::WorkerStarts => {
                let post = PostId(e.id);
                let p = &self.sim.posts[post];
                let current = EventQueue::current(e.epoch, p.epoch);
                // A post has one recruitment at a time, and only a cut
                // (unfunding it for good) makes it out of date.
                debug_assert_eq!(p.funded && !p.in_post, current, "post {}: a start out of step", post.0);
                if !p.funded || p.in_post || !current {
                    return Ok(false);
                }
                let inducting = self.plan.scenario.link_workers.induction_duration > 0.0;
                self.start_worker(post, inducting);
            }
            EventKind::InductionEnds => {
                let post = PostId(e.id);
                let p = &self.sim.posts[post];
                let current = EventQueue::current(e.epoch, p.epoch);
                // Out of date when its holder left; the next holder may be inducting.
                debug_assert!(
                    !current || (p.in_post && p.inducting),
                    "post {}: an induction out of step",
                    post.0
                );
                if !p.in_post || !p.inducting || !current {
                    return Ok(false);
                }
                self.sim.posts.end_induction(post);
                self.note("induction_ends", None, Some(post), None);
                self.refresh_caseload_places(post);
            }
            EventKind::ServiceCloses => {
                let service = ServiceId(e.id);
                let v = &self.sim.services[service];
                let current = EventQueue::current(e.epoch, v.epoch);
                // A service has one closure drawn at a time, from when it
                // opens until it closes; the test is a safeguard.
                debug_assert!(current && v.open, "service {}: a closure out of step", service.0);
                if !v.open || !current {
                    return Ok(false);
                }
                self.service_closes(service);
            }
            EventKind::ServiceReopens => {
                let service = ServiceId(e.id);
                let v = &self.sim.services[service];
                let current = EventQueue::current(e.epoch, v.epoch);
                // Only a closure schedules a reopening, and only the reopening ends it.
                debug_assert!(current && !v.open, "service {}: a reopening out of step", service.0);
                if v.open || !current {
                    return Ok(false);
                }
                self.sim.services.open(service);
                self.note("service_reopens", None, None, Some(service));
                self.refresh_places(service);
                self.schedule_closure(service);
            }
            EventKind::ServiceBorn => self.service_born(),
        }
        Ok(true)
    }

    /// Moves the clock to `t` (at most the end), measuring the levels over the elapsed time.
    #[inline]
    fn advance(&mut self, t: f64) {
        debug_assert!(t <= self.end);
        self.now = t;
        let levels = self.levels();
        if self.measure.advance(t, &levels, &mut self.sim.record) {
            self.sim.waiting.begin_measuring();
        }
    }

    fn finish(&mut self) {
        let levels = self.levels();
        self.measure.close_last_month(&levels, &mut self.sim.record);
        let end = self.end;
        let r = &mut self.sim.record;
        r.measured_days = (end - self.warm_up).max(0.0);
        r.waiting_list_end = self.sim.waiting.len();
        r.waiting_list_peak = self.sim.waiting.peak();
        // In the order of referral, so that sums over them are the same whatever slots people had.
        for p in self.sim.referrals.in_service() {
            if !p.measured {
                continue;
            }
            r.in_system_end += 1;
            if p.stage.is_waiting() && !p.allocated {
                r.waiting_times.push(end - p.referral_time);
            }
            if let (Some(decided), false) = (p.decision_time, p.holding_recorded) {
                r.holding_times.push(end - decided);
            }
        }
    }

    // ----- referrals ----------------------------------------------------

    /// Stores a referral with the attributes of its own stream (part 0):
    /// contacts, onward need and category, digital exclusion.
    fn new_referral(
        &mut self,
        time: f64,
        group: usize,
        stream: u32,
        person: Option<ReferralId>,
    ) -> Result<Slot, TooMany> {
        let gp = &self.plan.groups[group];
        let g = &self.plan.scenario.groups[group];
        let mut a = person_stream(self.rng.support_key, stream, PART_ATTRIBUTES);
        let contacts = gp.contacts.sample_count(&mut a).min(u32::from(u16::MAX)) as u16;
        let needs_onward = a.random::<f64>() < g.onward_need;
        // A group with no onward need may have no categories: then nobody in it needs one.
        let category = gp.categories.get(pick(&gp.category_cdf, a.random())).copied();
        let excluded = a.random::<f64>() < g.digitally_excluded_share;
        let measured = time >= self.warm_up;
        self.sim.referrals.add(|id| Referral {
            id,
            person: person.unwrap_or(id),
            stream,
            referral_time: time,
            decision_time: None,
            stage: Stage::New,
            attending: None,
            epoch: 0,
            vcse_epoch: 0,
            part: FIRST_FREE_PART,
            contacts,
            done: 0,
            group: u8::try_from(group).expect("validation allows at most 255 client groups"),
            category,
            re_referral: ReReferral::NotYet,
            excluded,
            measured,
            needs_onward,
            connected: false,
            allocated: false,
            holding_recorded: false,
        })
    }

    fn fresh_referral(&mut self) -> Result<(), TooMany> {
        let group = pick_group(self.plan, self.rng.referrals.random());
        let stream = self.arrivals.fresh_stream();
        let who = self.new_referral(self.now, group, stream, None)?;
        self.refer(who, "referral");
        Ok(())
    }

    /// A discharged person comes back: a new referral of the same person and group.
    fn re_referral(&mut self, previous: Slot) -> Result<(), TooMany> {
        let prev = &mut self.sim.referrals[previous];
        prev.re_referral = ReReferral::Done;
        let (group, person) = (prev.group as usize, prev.person);
        self.sim.referrals.release_if_finished(previous);
        let stream = self.arrivals.re_referral_stream();
        let who = self.new_referral(self.now, group, stream, Some(person))?;
        if self.sim.referrals[who].measured {
            self.sim.record.re_referrals += 1;
        }
        self.refer(who, "referral");
        Ok(())
    }

    /// Triage: redirect, decline, or join the waiting list. `what` names the
    /// referral in the trace: "referral", or "intake_referral" for one from an intake.
    fn refer(&mut self, who: Slot, what: &'static str) {
        let r = self.sim.referrals[who];
        if r.measured {
            self.sim.record.referrals += 1;
        }
        if let Some(month) = self.sim.record.this_month() {
            month.referrals += 1;
        }
        self.note(what, Some(who), None, None);
        let referrals = &self.plan.scenario.referrals;
        let mut triage = person_stream(self.rng.support_key, r.stream, PART_TRIAGE);
        if triage.random::<f64>() < referrals.inappropriate_share {
            return self.exit(who, Exit::Redirected);
        }
        if referrals
            .waiting_list_cap
            .is_some_and(|cap| self.sim.waiting.len() >= cap)
        {
            return self.exit(who, Exit::Declined);
        }
        self.join_waiting_list(who, false);
        self.fill_places();
        self.schedule_renege(who, &mut triage);
    }

    /// Puts a referral on the waiting list: at the back, or at the head for
    /// someone handed back by a link worker who left. Their stage's data
    /// (returned while held, delay to a first contact) is set by the caller
    /// or kept from before.
    fn join_waiting_list(&mut self, who: Slot, at_head: bool) {
        let r = &mut self.sim.referrals[who];
        if !r.stage.is_waiting() {
            r.stage = Stage::Waiting {
                resume_holding: false,
                first_contact_after: 0.0,
            };
        }
        r.epoch += 1;
        let level = self.plan.groups[r.group as usize].priority_level;
        let entry = Entry { who, epoch: r.epoch };
        self.sim.waiting.join(level, entry, at_head);
    }

    /// Allocates people from the head of the waiting list while any link worker has a free place.
    fn fill_places(&mut self) {
        if self.filling {
            return;
        }
        self.filling = true;
        while !self.sim.waiting.is_empty() && self.sim.posts.free_places() > 0 {
            let Some(post) = self.sim.posts.most_free() else {
                break;
            };
            let referrals = &self.sim.referrals;
            let is_current = |e: Entry<Slot>| {
                let r = &referrals[e.who];
                r.stage.is_waiting() && r.epoch == e.epoch
            };
            let Some(who) = self.sim.waiting.pop(is_current) else {
                break;
            };
            self.allocate(who, post);
        }
        self.filling = false;
    }

    fn allocate(&mut self, who: Slot, post: PostId) {
        let Stage::Waiting {
            resume_holding,
            first_contact_after,
        } = self.sim.referrals[who].stage
        else {
            unreachable!("only people waiting are allocated")
        };
        let place = self.sim.posts.join(post, who);
        let now = self.now;
        let r = &mut self.sim.referrals[who];
        r.epoch += 1;
        let on = OnCaseload { post, place };
        // Supported until the walk below or the search for a place says otherwise.
        r.stage = Stage::Supported {
            on,
            stretch: Stretch {
                start: now,
                contact_at_start: true,
                end: Step::Complete,
                done_at_end: r.done,
            },
        };
        if !r.allocated {
            r.allocated = true;
            let wait = now - r.referral_time;
            if r.measured {
                self.sim.record.supported += 1;
                self.sim.record.waiting_times.push(wait);
            }
            if let Some(month) = self.sim.record.this_month() {
                month.allocated += 1;
                self.sim.record.month_waits.push(wait);
            }
        }
        self.note("allocated", Some(who), Some(post), None);
        if resume_holding {
            self.seek_place(who);
        } else {
            self.start_stretch(who, now + first_contact_after, true);
        }
    }

    /// Takes a referral off its caseload, if it is on one.
    fn leave_caseload(&mut self, who: Slot) {
        let Some(on) = self.sim.referrals[who].stage.caseload() else {
            return;
        };
        let moved = self.sim.posts.leave(on.post, on.place, who);
        if let Some(m) = self.sim.referrals[moved].stage.caseload_mut() {
            m.place = on.place;
        }
    }

    // ----- support --------------------------------------------------------

    /// Draws the referral's next stretch of contacts from `start` and schedules its end.
    fn start_stretch(&mut self, who: Slot, start: f64, contact_at_start: bool) {
        let r = &mut self.sim.referrals[who];
        r.part += 1;
        let on = r.stage.caseload().expect("a stretch starts on a caseload");
        let (stretch, time) = Stretch::walk(self.plan, r, start, contact_at_start, self.rng.support_key);
        r.stage = Stage::Supported { on, stretch };
        self.push(time, EventKind::SupportStep, who);
    }

    fn support_step(&mut self, who: Slot) {
        let r = &mut self.sim.referrals[who];
        let Stage::Supported { on, stretch } = r.stage else {
            unreachable!("checked as supported")
        };
        r.done = stretch.done_at_end;
        match stretch.end {
            Step::Disengage => self.exit(who, Exit::Disengaged),
            Step::Complete => {
                let exit = if r.connected {
                    Exit::CompletedConnected
                } else {
                    Exit::CompletedNoNeed
                };
                self.exit(who, exit);
            }
            Step::Decision | Step::Interrupted => {
                r.decision_time = Some(self.now);
                self.note("onward_decision", Some(who), Some(on.post), None);
                self.seek_place(who);
            }
        }
    }

    /// The VCSE category a referral needs.
    fn category(&self, who: Slot) -> usize {
        let category = self.sim.referrals[who].category;
        usize::from(category.expect("validation gives a category to every group whose people can need one"))
    }

    /// After the onward decision (or on re-allocation while held): connect, hold or discharge.
    fn seek_place(&mut self, who: Slot) {
        let category = self.category(who);
        let referrals = &self.sim.referrals;
        let nobody_held = self.sim.services.nobody_held(category, |e| {
            let r = &referrals[e.who];
            r.stage.is_held() && r.epoch == e.epoch
        });
        if let Some(service) = self.sim.services.with_free_place(category).filter(|_| nobody_held) {
            return self.connect(who, service);
        }
        let holding = &self.plan.scenario.holding;
        let decided = self.sim.referrals[who]
            .decision_time
            .expect("a place is sought after the decision");
        let held_for = self.now - decided;
        if holding.policy == HoldingPolicy::Discharge || holding.max_holding.is_some_and(|m| held_for >= m) {
            return self.exit(who, Exit::Unmet);
        }
        self.hold(who);
    }

    fn connect(&mut self, who: Slot, service: ServiceId) {
        let now = self.now;
        let kind = self.sim.services[service].kind;
        let attendance = self.plan.attendance[kind].sample(&mut self.rng.vcse);
        let place = self.sim.services.attend(service, who);
        let r = &mut self.sim.referrals[who];
        // The onward decision is made once, so a referral is connected once
        // and has at most one place ending on the queue.
        debug_assert!(!r.connected, "a referral connected twice");
        r.attending = Some(Attending { service, place });
        r.vcse_epoch += 1;
        r.connected = true;
        if r.measured {
            self.sim.record.connected += 1;
        }
        let post = r.stage.caseload().map(|on| on.post);
        self.record_holding(who);
        self.push(now + attendance, EventKind::LeavesVcsePlace, who);
        self.note("connected", Some(who), post, Some(service));
        self.start_stretch(who, now, false);
    }

    /// Records a referral's holding time, once, when it ends.
    fn record_holding(&mut self, who: Slot) {
        let now = self.now;
        let r = &mut self.sim.referrals[who];
        if let (Some(decided), false) = (r.decision_time, r.holding_recorded) {
            r.holding_recorded = true;
            if r.measured {
                self.sim.record.holding_times.push(now - decided);
            }
        }
    }

    /// Keeps the person on the caseload in the category's queue, with check-ins
    /// at which they may disengage, until a place opens or the maximum holding time.
    fn hold(&mut self, who: Slot) {
        let now = self.now;
        let holding = &self.plan.scenario.holding;
        let category = self.category(who);
        let r = &mut self.sim.referrals[who];
        let on = r.stage.caseload().expect("people are held on a caseload");
        r.epoch += 1;
        r.part += 1;
        self.sim.services.hold(category, Entry { who, epoch: r.epoch });
        let decided = r.decision_time.expect("people are held after the decision");
        let deadline = holding.max_holding.map_or(f64::INFINITY, |m| decided + m);
        let mut rng = person_stream(self.rng.support_key, r.stream, r.part);
        let interval = holding.check_in_interval;
        let mut end = None;
        // The k-th check-in is at start + k·interval, computed afresh rather
        // than by adding the interval again and again: repeated addition
        // drifts, and a check-in due at the deadline could round to just
        // before it and be counted.
        for k in 1u32.. {
            let check_in = now + f64::from(k) * interval;
            if check_in >= deadline || check_in > self.end {
                break;
            }
            if rng.random::<f64>() < disengage_probability(self.plan, r, check_in) {
                end = Some((check_in, false));
                break;
            }
        }
        if end.is_none() && deadline <= self.end {
            end = Some((deadline, true));
        }
        r.stage = Stage::Held {
            on,
            ends_unmet: end.is_some_and(|(_, unmet)| unmet),
        };
        if let Some((t, _)) = end {
            self.push(t, EventKind::HoldEnds, who);
        }
        self.note("held", Some(who), Some(on.post), None);
    }

    /// Gives free places of a category to held people, first held first.
    fn admit_from_holding(&mut self, category: usize) {
        while let Some(service) = self.sim.services.with_free_place(category) {
            let referrals = &self.sim.referrals;
            let is_current = |e: Entry<Slot>| {
                let r = &referrals[e.who];
                r.stage.is_held() && r.epoch == e.epoch
            };
            let Some(who) = self.sim.services.next_held(category, is_current) else {
                return;
            };
            let r = &mut self.sim.referrals[who];
            let on = r.stage.caseload().expect("held people are on a caseload");
            r.stage = Stage::Supported {
                on,
                stretch: Stretch {
                    start: self.now,
                    contact_at_start: false,
                    end: Step::Complete,
                    done_at_end: r.done,
                },
            };
            r.epoch += 1;
            self.connect(who, service);
        }
    }

    /// Ends a referral with a named exit, frees its caseload place, and perhaps schedules a re-referral.
    fn exit(&mut self, who: Slot, exit: Exit) {
        let stage = self.sim.referrals[who].stage;
        if stage == Stage::Gone {
            return;
        }
        if stage.caseload().is_some() {
            self.leave_caseload(who);
        }
        self.depart(who, exit);
    }

    /// The referral leaves the pathway from its stage, already off any
    /// caseload's list (by [`Self::exit`], or by a handover that took the
    /// whole caseload): it is counted, and may come back later.
    fn depart(&mut self, who: Slot, exit: Exit) {
        let r = &mut self.sim.referrals[who];
        let post = r.stage.caseload().map(|on| on.post);
        // Tests rather than a `match`, whose jump table mispredicts: most
        // people leave from a caseload, and the tests are predicted.
        if r.stage.is_held() {
            self.sim.services.unhold();
        }
        if r.stage.is_waiting() {
            self.sim.waiting.leave();
        }
        r.stage = Stage::Gone;
        r.epoch += 1;
        let measured = r.measured;
        self.record_holding(who);
        if measured {
            self.sim.record.exits[exit as usize] += 1;
        }
        if let Some(month) = self.sim.record.this_month() {
            month.exits[exit as usize] += 1;
        }
        self.note(exit.name(), Some(who), post, None);
        let reason = match exit {
            Exit::Redirected | Exit::Declined => None,
            Exit::Reneged => Some(ReReferralReason::Reneged),
            Exit::Disengaged => Some(ReReferralReason::Disengaged),
            Exit::CompletedConnected => Some(ReReferralReason::CompletedConnected),
            Exit::CompletedNoNeed => Some(ReReferralReason::CompletedNoNeed),
            Exit::Unmet => Some(ReReferralReason::Unmet),
        };
        if let Some(reason) = reason {
            self.maybe_re_refer(who, reason);
        }
        self.sim.referrals.release_if_finished(who);
        if post.is_some() {
            self.fill_places();
        }
    }

    fn maybe_re_refer(&mut self, who: Slot, reason: ReReferralReason) {
        let r = self.sim.referrals[who];
        if r.re_referral != ReReferral::NotYet {
            return;
        }
        let group = r.group as usize;
        let probability = self.plan.scenario.groups[group].re_referral[reason as usize];
        if probability > 0.0 && self.rng.support.random::<f64>() < probability {
            let delay = self.plan.groups[group].re_referral_delay.sample(&mut self.rng.support);
            self.sim.referrals[who].re_referral = ReReferral::Due;
            let r = &self.sim.referrals[who];
            self.sim
                .queue
                .push(self.now + delay, EventKind::ReReferral, r.id.0, who.0, 0);
        }
    }

    // ----- VCSE services --------------------------------------------------

    fn leave_service(&mut self, who: Slot) {
        let r = &mut self.sim.referrals[who];
        let place = r.attending.take().expect("leaving a service one attends");
        r.vcse_epoch += 1;
        let moved = self.sim.services.leave(place.service, place.place, who);
        if let Some(m) = self.sim.referrals[moved].attending.as_mut() {
            m.place = place.place;
        }
    }

    /// Recomputes a service's places from its state and the disruptions in force now.
    fn refresh_places(&mut self, service: ServiceId) {
        let places = self.sim.services.places_now(self.plan, service, self.now);
        let old = self.sim.services.set_capacity(service, places);
        if places == 0 && self.sim.services.last_attendee(service).is_some() {
            self.evict(service);
        }
        if places > old {
            self.admit_from_holding(self.sim.services[service].category);
        }
    }

    /// A service closed: everyone attending loses their place.
    fn evict(&mut self, service: ServiceId) {
        while let Some(who) = self.sim.services.last_attendee(service) {
            self.leave_service(who);
            self.note("lost_vcse_place", Some(who), None, Some(service));
            if self.sim.referrals[who].stage == Stage::Gone {
                self.maybe_re_refer(who, ReReferralReason::LostVcsePlace);
            }
            self.sim.referrals.release_if_finished(who);
        }
    }

    fn schedule_closure(&mut self, service: ServiceId) {
        if let Some((t, epoch)) = self.sim.services.next_closure(self.plan, service, self.now) {
            self.sim.queue.push(t, EventKind::ServiceCloses, service.0, 0, epoch);
        }
    }

    /// Schedules the next birth of a service, if the scenario has births:
    /// they are a Poisson process on their own stream.
    fn schedule_birth(&mut self) {
        if let Some(births) = &self.plan.births {
            let gap: f64 = self.rng.births.sample(rand_distr::Exp1);
            self.sim
                .queue
                .push(self.now + gap * births.mean_gap, EventKind::ServiceBorn, 0, 0, 0);
        }
    }

    /// A new service starts: its category and places are drawn, it opens,
    /// people held for its category take its places first held first, its
    /// closure clock starts, and the next birth is scheduled.
    fn service_born(&mut self) {
        let births = self
            .plan
            .births
            .as_ref()
            .expect("births are scheduled only when the scenario has them");
        let category = births.categories[pick(&births.category_cdf, self.rng.births.random())];
        let places = births.places.sample_count(&mut self.rng.births);
        let service = self
            .sim
            .services
            .add_born(self.plan, self.rng.vcse_key, category, places);
        self.note("service_born", None, None, Some(service));
        self.refresh_places(service);
        self.schedule_closure(service);
        self.schedule_birth();
    }

    fn service_closes(&mut self, service: ServiceId) {
        // Whether for good is drawn before the service is marked closed; the draws are the service's own.
        let reopens_after = self.sim.services.closure_length(self.plan, service);
        let epoch = self.sim.services.close(service);
        match reopens_after {
            None => self.note("service_closes_for_good", None, None, Some(service)),
            Some(duration) => {
                self.sim
                    .queue
                    .push(self.now + duration, EventKind::ServiceReopens, service.0, 0, epoch);
                self.note("service_closes", None, None, Some(service));
            }
        }
        self.refresh_places(service);
    }

    // ----- link workers ---------------------------------------------------

    fn refresh_caseload_places(&mut self, post: PostId) {
        self.sim.posts.refresh_capacity(post, &self.plan.scenario.link_workers);
        self.fill_places();
    }

    fn schedule_recruitment(&mut self, post: PostId) {
        let delay = self.plan.recruitment_delay.sample(&mut self.rng.turnover);
        let epoch = self.sim.posts.new_epoch(post);
        if self.now + delay < self.sim.posts[post].contract_end {
            self.sim
                .queue
                .push(self.now + delay, EventKind::WorkerStarts, post.0, 0, epoch);
        }
    }

    fn start_worker(&mut self, post: PostId, inducting: bool) {
        let now = self.now;
        let lw = &self.plan.scenario.link_workers;
        let epoch = self.sim.posts.start(post, now, inducting);
        if inducting {
            self.sim
                .queue
                .push(now + lw.induction_duration, EventKind::InductionEnds, post.0, 0, epoch);
        }
        let contract_end = self.sim.posts[post].contract_end;
        let leaves = leaving_time(self.plan, &mut self.rng.turnover, now, contract_end);
        if leaves < contract_end {
            self.sim.queue.push(leaves, EventKind::WorkerLeaves, post.0, 0, epoch);
        }
        self.note("link_worker_starts", None, Some(post), None);
        self.refresh_caseload_places(post);
    }

    /// The holder of a post leaves; the caseload is handed over; the post is
    /// advertised again if it is still funded and `refill`.
    fn worker_leaves(&mut self, post: PostId, refill: bool) {
        self.sim.posts.holder_leaves(post);
        self.note("link_worker_leaves", None, Some(post), None);
        self.hand_over(post);
        if self.sim.posts[post].funded && refill {
            self.schedule_recruitment(post);
        }
        self.fill_places();
    }

    /// Each person on a leaver's caseload may drift away; the rest move to the
    /// post with most free places or back to the head of the waiting list,
    /// keeping their progress.
    fn hand_over(&mut self, from: PostId) {
        let caseload = self.sim.posts.take_caseload(from);
        // Reversed so that pushing to the head keeps the caseload's order on the list.
        for &who in caseload.iter().rev() {
            if self.rng.support.random::<f64>() < self.plan.scenario.link_workers.handover_disengage {
                self.note("handover", Some(who), Some(from), None);
                self.depart(who, Exit::Disengaged);
                continue;
            }
            if let Some(to) = self.sim.posts.most_free() {
                let place = self.sim.posts.join(to, who);
                if let Some(on) = self.sim.referrals[who].stage.caseload_mut() {
                    *on = OnCaseload { post: to, place };
                }
                self.note("handover", Some(who), Some(to), None);
                continue;
            }
            let r = self.sim.referrals[who];
            let stage = match r.stage {
                Stage::Held { .. } => {
                    self.sim.services.unhold();
                    Stage::Waiting {
                        resume_holding: true,
                        first_contact_after: 0.0,
                    }
                }
                Stage::Supported { stretch, .. } => {
                    self.sim.referrals[who].done = stretch.done_by(self.plan, &r, self.now, self.rng.support_key);
                    Stage::Waiting {
                        resume_holding: false,
                        first_contact_after: 0.0,
                    }
                }
                _ => unreachable!("a caseload holds supported and held people"),
            };
            self.sim.referrals[who].stage = stage;
            self.join_waiting_list(who, true);
            self.note("returned_to_waiting_list", Some(who), None, None);
        }
        self.sim.posts.give_back(from, caseload);
    }

    fn dated_event(&mut self, what: Dated) {
        match what {
            Dated::Disruption(d) => {
                let disruption = &self.plan.scenario.vcse.disruptions[d];
                for &i in &disruption.services {
                    self.refresh_places(ServiceId(i as u32));
                }
                let born: Vec<ServiceId> = self.sim.services.born(self.plan).collect();
                for service in born {
                    if disruption
                        .categories
                        .binary_search(&self.sim.services[service].category)
                        .is_ok()
                    {
                        self.refresh_places(service);
                    }
                }
                self.note("disruption_changes", None, None, None);
            }
            Dated::ServiceOpens(i) => {
                let service = ServiceId(i as u32);
                self.sim.services.open(service);
                self.note("service_opens", None, None, Some(service));
                self.refresh_places(service);
                self.schedule_closure(service);
            }
            Dated::ContractEnds(post) => self.cut_post(PostId(post as u32)),
            Dated::Funding(f) => {
                let change = &self.plan.scenario.link_workers.funding_changes[f];
                for _ in 0..change.add_posts {
                    let post = self.sim.posts.add(change.fte, f64::INFINITY);
                    self.note("post_added", None, Some(post), None);
                    self.schedule_recruitment(post);
                }
                for _ in 0..change.remove_posts {
                    if let Some(post) = self.sim.posts.to_cut() {
                        self.cut_post(post);
                    }
                }
            }
        }
    }

    fn cut_post(&mut self, post: PostId) {
        if !self.sim.posts[post].funded {
            return;
        }
        self.note("post_cut", None, Some(post), None);
        if self.sim.posts[post].in_post {
            self.worker_leaves(post, false);
        }
        self.sim.posts.unfund(post);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NoTrace;
    use std::path::Path;

    /// A replicate's memory follows the people in the service at once: over
    /// six years of the baseline, some 7,500 referrals pass through slots
    /// that never number more than the few hundred people in it at one time.
    #[test]
    fn slots_of_people_who_left_are_reused() {
        let loaded = crate::scenario::load(Path::new("scenarios/baseline.toml")).expect("the baseline loads");
        let plan = Plan::new(&loaded.scenario);
        let mut sim = Simulation::new();
        let record = sim.run(&plan, 3, 0, &mut NoTrace).expect("fits");
        let (referrals, peak, end) = (record.referrals, record.waiting_list_peak, record.in_system_end);
        let slots = sim.referral_slots();
        assert!(referrals > 5_000, "{referrals} referrals measured");
        // Everyone waiting at the peak, and everyone in the service at the
        // end, had a slot at once.
        assert!(
            slots >= peak.max(end as u32) as usize,
            "{slots} slots, fewer than the {peak} people waiting at the peak or {end} in the service at the end"
        );
        assert!(
            slots * 10 < referrals as usize,
            "{slots} slots for {referrals} referrals: slots are not being reused"
        );
    }

    /// Recycling slots changes nothing: a replicate's record is the same
    /// whether or not earlier replicates left the store with free slots.
    #[test]
    fn a_replicate_is_the_same_in_a_used_workspace() {
        let loaded = crate::scenario::load(Path::new("scenarios/baseline.toml")).expect("the baseline loads");
        let plan = Plan::new(&loaded.scenario);
        let mut used = Simulation::new();
        used.run(&plan, 3, 1, &mut NoTrace).expect("fits");
        let again = used.run(&plan, 3, 2, &mut NoTrace).expect("fits").clone();
        let fresh = Simulation::new().run(&plan, 3, 2, &mut NoTrace).expect("fits").clone();
        assert_eq!(format!("{again:?}"), format!("{fresh:?}"));
    }
}
