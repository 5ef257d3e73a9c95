//! One replicate's event loop: people moving through the pathway, link
//! workers coming and going, VCSE services opening and closing.
//!
//! Events happen only where the state changes in a way someone else can see
//! (see `docs/model.md`, "Events"). A person's contacts between two such
//! points are drawn in one go from the person's own random stream, which is
//! exact for this model: nothing another person does can change a contact's
//! time or whether the person stays engaged. If the stretch is interrupted (a
//! handover back to the waiting list), it is replayed from the same stream up
//! to the interruption to find how many contacts had happened.
//!
//! Three sources of time feed the loop without going through the heap: the
//! next referral (a non-homogeneous Poisson process drawn by inversion), the
//! next dated scenario event, and the heap of everything else.

use super::plan::{Dated, Plan};
use super::queue::{EventKind, EventQueue};
use super::random::{person_stream, PersonRng, Streams};
use super::record::{Exit, ReplicateRecord, Trace};
use super::sampling::pick;
use crate::scenario::{units, HoldingPolicy, ReReferralReason};
use rand::Rng as _;
use rand_distr::Exp1;
use std::collections::VecDeque;

const NONE: u32 = u32::MAX;
/// Stream numbers of people who are not fresh referrals, so that fresh
/// referral k has the same personal stream in every scenario.
const INITIAL_STREAM: u32 = 0x4000_0000;
const RE_REFERRAL_STREAM: u32 = 0x8000_0000;
/// Pieces of a person's own stream: attributes, triage and patience, the
/// start-of-run extras of people already in the service; stretches of
/// contacts and holds take the numbers after these, one each.
const PART_ATTRIBUTES: u32 = 0;
const PART_TRIAGE: u32 = 1;
const PART_INITIAL: u32 = 2;
const FIRST_FREE_PART: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Referred, not yet through triage.
    New,
    Waiting,
    /// On a caseload, receiving contacts.
    Supported,
    /// On a caseload, waiting for a VCSE place.
    Held,
    Gone,
}

/// Where a stretch of contacts ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Disengage,
    Decision,
    Complete,
    /// Only when replaying: the stretch was cut short before its end.
    Interrupted,
}

/// A referral: one person's one passage through the pathway.
#[derive(Clone, Copy, Debug)]
struct Person {
    referral_time: f64,
    /// When the onward decision was made (holding is measured from here).
    decision_time: f64,
    /// When the current stretch of contacts began, and whether a contact happened then.
    stretch_start: f64,
    stretch_contact_at_start: bool,
    /// Delay before the first contact for people already on a caseload on the start date.
    start_offset: f64,
    /// The same person across re-referrals.
    identity: u32,
    stream: u32,
    /// Bumped whenever the person's scheduled events or queue entries become stale.
    epoch: u32,
    vcse_epoch: u32,
    worker: u32,
    slot: u32,
    service: u32,
    service_slot: u32,
    /// Pieces of the personal stream used so far.
    part: u32,
    contacts: u16,
    done: u16,
    step_done: u16,
    group: u8,
    category: u8,
    state: State,
    step: Step,
    hold_ends_unmet: bool,
    excluded: bool,
    measured: bool,
    needs_onward: bool,
    decided: bool,
    connected: bool,
    allocated: bool,
    holding_recorded: bool,
    re_referred: bool,
    /// Sent back to the waiting list while held: on allocation, seek a place again.
    resume_holding: bool,
}

/// A funded post and whoever holds it.
#[derive(Clone, Debug, Default)]
struct Worker {
    funded: bool,
    in_post: bool,
    inducting: bool,
    fte: f64,
    capacity: u32,
    caseload: Vec<u32>,
    epoch: u32,
    started: f64,
    contract_end: f64,
}

impl Worker {
    /// Places on the caseload not taken; none while it is over capacity.
    fn free_places(&self) -> u32 {
        self.capacity.saturating_sub(self.caseload.len() as u32)
    }
}

#[derive(Clone, Debug)]
struct ServiceState {
    /// This service's own stream of closure times and durations.
    closure_rng: PersonRng,
    open: bool,
    factor: f64,
    capacity: u32,
    attendees: Vec<u32>,
    epoch: u32,
}

/// The reusable workspace of one thread: every buffer a replicate needs,
/// cleared rather than reallocated between replicates.
#[derive(Default)]
pub struct Simulation {
    persons: Vec<Person>,
    queue: EventQueue,
    waiting: Vec<VecDeque<(u32, u32)>>,
    holding: Vec<VecDeque<(u32, u32)>>,
    workers: Vec<Worker>,
    services: Vec<ServiceState>,
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

    /// Runs replicate `replicate` of the plan's scenario with streams derived from `seed`.
    pub fn run<T: Trace>(&mut self, plan: &Plan, seed: u64, replicate: u64, trace: &mut T) -> &ReplicateRecord {
        let mut run = Run::new(self, plan, Streams::new(seed, replicate), trace);
        run.initialise();
        run.event_loop();
        run.finish();
        &self.record
    }
}

/// The levels the outputs follow, kept current as the state changes.
#[derive(Default)]
struct Levels {
    waiting: u32,
    held: u32,
    caseload: u32,
    capacity: u32,
    in_post: u32,
    vacant: u32,
    fte_in_post: f64,
    places_open: u32,
}

struct Run<'a, T: Trace> {
    sim: &'a mut Simulation,
    plan: &'a Plan<'a>,
    rng: Streams,
    trace: &'a mut T,
    now: f64,
    end: f64,
    warm_up: f64,
    levels: Levels,
    last_time: f64,
    next_week: usize,
    next_week_time: f64,
    next_referral: f64,
    rate_segment: usize,
    next_dated: usize,
    fresh_referrals: u32,
    re_referrals: u32,
    filling: bool,
    /// Free caseload places over all posts, so that allocation looks for a
    /// post only when there is one to find.
    free_places: u32,
}

impl<'a, T: Trace> Run<'a, T> {
    fn new(sim: &'a mut Simulation, plan: &'a Plan<'a>, rng: Streams, trace: &'a mut T) -> Self {
        sim.persons.clear();
        sim.queue.clear();
        sim.waiting.resize_with(plan.priority_levels, VecDeque::new);
        sim.waiting.iter_mut().for_each(VecDeque::clear);
        sim.holding.resize_with(plan.scenario.categories.len(), VecDeque::new);
        sim.holding.iter_mut().for_each(VecDeque::clear);
        sim.record.clear();
        Run {
            sim,
            plan,
            rng,
            trace,
            now: 0.0,
            end: plan.scenario.end(),
            warm_up: plan.scenario.warm_up,
            levels: Levels::default(),
            last_time: 0.0,
            next_week: 0,
            next_week_time: f64::INFINITY,
            next_referral: 0.0,
            rate_segment: 0,
            next_dated: 0,
            fresh_referrals: 0,
            re_referrals: 0,
            filling: false,
            free_places: 0,
        }
    }

    #[inline]
    fn note(&mut self, what: &'static str, person: Option<u32>, worker: Option<u32>, service: Option<u32>) {
        if T::ENABLED {
            let identity = person.map(|p| self.sim.persons[p as usize].identity);
            self.trace.event(self.now, what, person, identity, worker, service);
        }
    }

    // ----- set-up -------------------------------------------------------

    fn initialise(&mut self) {
        self.next_week_time = self.week_time(0);
        let s = self.plan.scenario;
        let lw = &s.link_workers;
        self.sim.workers.truncate(0);
        for post in &lw.posts {
            self.sim.workers.push(Worker {
                funded: true,
                fte: post.fte,
                contract_end: post.contract_end.unwrap_or(f64::INFINITY),
                ..Worker::default()
            });
        }
        for w in 0..self.sim.workers.len() {
            self.levels.vacant += 1;
            if lw.posts[w].vacant_at_start {
                self.schedule_recruitment(w);
            } else {
                self.start_worker(w, false);
            }
        }
        self.sim.services.truncate(0);
        for (i, v) in s.vcse.services.iter().enumerate() {
            self.sim.services.push(ServiceState {
                closure_rng: person_stream(self.rng.vcse_key, i as u32, 0),
                open: v.opens.is_none(),
                factor: 1.0,
                capacity: 0,
                attendees: Vec::new(),
                epoch: 0,
            });
            if v.opens.is_none() {
                self.schedule_closure(i);
            }
        }
        for i in 0..s.vcse.services.len() {
            self.refresh_capacity(i);
        }
        self.initial_people();
        self.next_referral = self.draw_next_referral(0.0);
        if self.warm_up <= 0.0 {
            self.sim.record.waiting_list_peak = self.levels.waiting;
        }
    }

    /// People already in the service on the start date: held first, then those
    /// on caseloads, then those waiting, so that allocation fills caseloads in
    /// that order.
    fn initial_people(&mut self) {
        let init = &self.plan.scenario.initial;
        let mut n = 0;
        for (count, kind) in [(init.held, 0), (init.on_caseload, 1), (init.waiting, 2)] {
            let first = self.sim.persons.len();
            for _ in 0..count {
                let mut attributes = person_stream(self.rng.support_key, INITIAL_STREAM + n, PART_INITIAL);
                let group = pick_group(self.plan, attributes.random());
                let idx = self.new_person(0.0, group, INITIAL_STREAM + n, NONE);
                n += 1;
                let p = &mut self.sim.persons[idx as usize];
                p.measured = self.warm_up <= 0.0;
                // Already allocated before the start: no waiting time of theirs is known.
                p.allocated = kind < 2;
                let kp = self.plan.scenario.groups[group]
                    .planning_contact
                    .min(u32::from(p.contacts)) as u16;
                match kind {
                    0 => {
                        p.needs_onward = true;
                        p.decided = true;
                        p.done = kp;
                        p.decision_time = 0.0;
                        p.resume_holding = true;
                    }
                    1 => {
                        p.done = attributes.random_range(0..p.contacts);
                        p.start_offset =
                            attributes.random::<f64>() * self.plan.groups[group].interval.sample(&mut attributes);
                        if p.done >= kp {
                            p.decided = true;
                            p.connected = p.needs_onward;
                            p.holding_recorded = true;
                        }
                    }
                    _ => {
                        let waited = self
                            .plan
                            .waited_so_far
                            .as_ref()
                            .map_or(0.0, |w| w.sample(&mut attributes));
                        p.referral_time = -waited;
                    }
                }
            }
            if kind == 2 {
                let waiting = &mut self.sim.persons[first..];
                waiting.sort_by(|a, b| a.referral_time.total_cmp(&b.referral_time));
                for (i, p) in waiting.iter_mut().enumerate() {
                    p.identity = (first + i) as u32;
                }
            }
        }
        // People already on caseloads are placed before anyone waiting, whatever the list's order.
        let on_caseloads = (init.held + init.on_caseload) as usize;
        for idx in 0..self.sim.persons.len() as u32 {
            if idx as usize == on_caseloads {
                self.fill_places();
            }
            if self.sim.persons[idx as usize].measured {
                self.sim.record.referrals += 1;
                self.sim.record.carried_over += 1;
            }
            self.note("referral", Some(idx), None, None);
            self.join_waiting_list(idx, false);
        }
        self.fill_places();
        for idx in 0..self.sim.persons.len() as u32 {
            let mut triage = person_stream(self.rng.support_key, self.sim.persons[idx as usize].stream, PART_TRIAGE);
            let _skipped: f64 = triage.random();
            self.schedule_renege(idx, &mut triage);
        }
    }

    /// A person still waiting gives up after a patience time, drawn from
    /// their triage stream just after the triage draw.
    fn schedule_renege(&mut self, idx: u32, triage: &mut PersonRng) {
        let p = &self.sim.persons[idx as usize];
        if let (State::Waiting, Some(patience)) = (p.state, &self.plan.patience) {
            let (epoch, t) = (p.epoch, self.now + patience.sample(triage));
            self.sim.queue.push(t, EventKind::Renege, idx, epoch);
        }
    }

    // ----- the loop -----------------------------------------------------

    fn event_loop(&mut self) {
        loop {
            let dated = self.plan.dated.get(self.next_dated).map_or(f64::INFINITY, |d| d.0);
            // On a tie, dated changes come first, then referrals, then the queue.
            let outside = dated.min(self.next_referral);
            if let Some(e) = self.sim.queue.pop_before(outside) {
                if e.time > self.end {
                    break;
                }
                self.advance(e.time);
                if self.due_event(e.kind, e.id, e.epoch) {
                    self.sim.record.events += 1;
                }
                continue;
            }
            let t = outside;
            if t > self.end {
                break;
            }
            self.advance(t);
            if dated <= self.next_referral {
                let (_, what) = self.plan.dated[self.next_dated];
                self.next_dated += 1;
                self.dated_event(what);
            } else {
                self.fresh_referral();
                self.next_referral = self.draw_next_referral(t);
            }
            self.sim.record.events += 1;
        }
        self.advance(self.end);
    }

    /// Dispatches a due event; returns false if it was stale (its person,
    /// post or service has moved on since it was scheduled).
    fn due_event(&mut self, kind: EventKind, id: u32, epoch: u32) -> bool {
        let i = id as usize;
        match kind {
            EventKind::SupportStep => {
                let p = &self.sim.persons[i];
                if p.state != State::Supported || !EventQueue::current(epoch, p.epoch) {
                    return false;
                }
                self.support_step(id);
            }
            EventKind::HoldEnds => {
                let p = &self.sim.persons[i];
                if p.state != State::Held || !EventQueue::current(epoch, p.epoch) {
                    return false;
                }
                let exit = if p.hold_ends_unmet {
                    Exit::Unmet
                } else {
                    Exit::Disengaged
                };
                self.exit(id, exit);
            }
            EventKind::Renege => {
                let p = &self.sim.persons[i];
                if p.state != State::Waiting || !EventQueue::current(epoch, p.epoch) {
                    return false;
                }
                self.exit(id, Exit::Reneged);
            }
            EventKind::LeavesVcsePlace => {
                let p = &self.sim.persons[i];
                if p.service == NONE || !EventQueue::current(epoch, p.vcse_epoch) {
                    return false;
                }
                let service = p.service as usize;
                self.leave_service(id);
                self.note("vcse_place_ends", Some(id), None, Some(service as u32));
                self.admit_from_holding(self.plan.scenario.vcse.services[service].category);
            }
            EventKind::ReReferral => self.re_referral(id),
            EventKind::WorkerLeaves => {
                let w = &self.sim.workers[i];
                if !w.in_post || !EventQueue::current(epoch, w.epoch) {
                    return false;
                }
                self.worker_leaves(i, true);
            }
            EventKind::WorkerStarts => {
                let w = &self.sim.workers[i];
                if !w.funded || w.in_post || !EventQueue::current(epoch, w.epoch) {
                    return false;
                }
                let inducting = self.plan.scenario.link_workers.induction_duration > 0.0;
                self.start_worker(i, inducting);
            }
            EventKind::InductionEnds => {
                let w = &self.sim.workers[i];
                if !w.in_post || !w.inducting || !EventQueue::current(epoch, w.epoch) {
                    return false;
                }
                self.sim.workers[i].inducting = false;
                self.note("induction_ends", None, Some(id), None);
                self.refresh_worker_capacity(i);
            }
            EventKind::ServiceCloses => {
                let v = &self.sim.services[i];
                if !v.open || !EventQueue::current(epoch, v.epoch) {
                    return false;
                }
                self.service_closes(i);
            }
            EventKind::ServiceReopens => {
                let v = &self.sim.services[i];
                if v.open || !EventQueue::current(epoch, v.epoch) {
                    return false;
                }
                self.sim.services[i].open = true;
                self.note("service_reopens", None, None, Some(id));
                self.refresh_capacity(i);
                self.schedule_closure(i);
            }
        }
        true
    }

    /// Moves the clock to `t` (at most the end): integrates the levels over
    /// the measured part of the elapsed time and takes any weekly snapshots
    /// that fall due.
    #[inline]
    fn advance(&mut self, t: f64) {
        debug_assert!(t <= self.end);
        self.now = t;
        if t <= self.last_time {
            return;
        }
        if t >= self.next_week_time {
            self.take_snapshots(t);
        }
        let from = if self.last_time >= self.warm_up {
            self.last_time
        } else {
            if t >= self.warm_up {
                let peak = &mut self.sim.record.waiting_list_peak;
                *peak = (*peak).max(self.levels.waiting);
            }
            self.warm_up
        };
        if t > from {
            let dt = t - from;
            let l = &self.levels;
            let r = &mut self.sim.record;
            r.waiting_list_area += f64::from(l.waiting) * dt;
            r.held_area += f64::from(l.held) * dt;
            r.caseload_area += f64::from(l.caseload) * dt;
            r.capacity_area += f64::from(l.capacity) * dt;
            r.vacancy_days += f64::from(l.vacant) * dt;
            r.fte_days += l.fte_in_post * dt;
        }
        self.last_time = t;
    }

    /// The weekly snapshots due by `t`, of the levels as they stand.
    #[cold]
    fn take_snapshots(&mut self, t: f64) {
        while self.next_week_time <= t {
            let l = &self.levels;
            self.sim
                .record
                .weekly
                .push([l.waiting, l.held, l.caseload, l.in_post, l.places_open]);
            self.next_week += 1;
            self.next_week_time = self.week_time(self.next_week);
        }
    }

    /// When weekly snapshot `week` is taken (infinity past the last).
    fn week_time(&self, week: usize) -> f64 {
        if week < self.plan.weeks {
            self.warm_up + 7.0 * week as f64
        } else {
            f64::INFINITY
        }
    }

    fn finish(&mut self) {
        let end = self.end;
        let r = &mut self.sim.record;
        r.measured_days = (end - self.warm_up).max(0.0);
        r.waiting_list_end = self.levels.waiting;
        for p in &self.sim.persons {
            if !p.measured || p.state == State::Gone {
                continue;
            }
            r.in_system_end += 1;
            if p.state == State::Waiting && !p.allocated {
                r.waiting_times.push(end - p.referral_time);
            }
            if p.decided && !p.holding_recorded {
                r.holding_times.push(end - p.decision_time);
            }
        }
    }

    // ----- referrals ----------------------------------------------------

    /// The next referral time after `from`: inverts the integrated rate across
    /// the piecewise-constant segments with one exponential draw.
    fn draw_next_referral(&mut self, from: f64) -> f64 {
        let mut e: f64 = self.rng.referrals.sample(Exp1);
        let mut t = from;
        let segments = &self.plan.rate_segments;
        while let Some(s) = segments.get(self.rate_segment) {
            if s.end <= t {
                self.rate_segment += 1;
                continue;
            }
            let start = t.max(s.start);
            let capacity = (s.end - start) * s.rate;
            if s.rate > 0.0 && e < capacity {
                return start + e / s.rate;
            }
            e -= capacity;
            t = s.end;
            self.rate_segment += 1;
        }
        f64::INFINITY
    }

    /// Creates a person with the attributes of their own stream (part 0).
    fn new_person(&mut self, time: f64, group: usize, stream: u32, identity: u32) -> u32 {
        let idx = self.sim.persons.len() as u32;
        let gp = &self.plan.groups[group];
        let g = &self.plan.scenario.groups[group];
        let mut a = person_stream(self.rng.support_key, stream, PART_ATTRIBUTES);
        let contacts = gp.contacts.sample_count(&mut a).min(u32::from(u16::MAX)) as u16;
        let needs_onward = a.random::<f64>() < g.onward_need;
        let category = gp.categories.get(pick(&gp.category_cdf, a.random())).map_or(0, |c| *c);
        let excluded = a.random::<f64>() < g.digitally_excluded_share;
        self.sim.persons.push(Person {
            referral_time: time,
            decision_time: 0.0,
            stretch_start: 0.0,
            stretch_contact_at_start: true,
            start_offset: 0.0,
            identity: if identity == NONE { idx } else { identity },
            stream,
            epoch: 0,
            vcse_epoch: 0,
            worker: NONE,
            slot: 0,
            service: NONE,
            service_slot: 0,
            part: FIRST_FREE_PART,
            contacts,
            done: 0,
            step_done: 0,
            group: group as u8,
            category: category as u8,
            state: State::New,
            step: Step::Complete,
            hold_ends_unmet: false,
            excluded,
            measured: time >= self.warm_up,
            needs_onward,
            decided: false,
            connected: false,
            allocated: false,
            holding_recorded: false,
            re_referred: false,
            resume_holding: false,
        });
        idx
    }

    fn fresh_referral(&mut self) {
        let group = pick_group(self.plan, self.rng.referrals.random());
        let stream = self.fresh_referrals;
        self.fresh_referrals += 1;
        let idx = self.new_person(self.now, group, stream, NONE);
        self.refer(idx);
    }

    fn re_referral(&mut self, previous: u32) {
        let prev = self.sim.persons[previous as usize];
        let stream = RE_REFERRAL_STREAM + self.re_referrals;
        self.re_referrals += 1;
        let idx = self.new_person(self.now, prev.group as usize, stream, prev.identity);
        if self.sim.persons[idx as usize].measured {
            self.sim.record.re_referrals += 1;
        }
        self.refer(idx);
    }

    /// Triage: redirect, decline, or join the waiting list.
    fn refer(&mut self, idx: u32) {
        let p = self.sim.persons[idx as usize];
        if p.measured {
            self.sim.record.referrals += 1;
        }
        self.note("referral", Some(idx), None, None);
        let referrals = &self.plan.scenario.referrals;
        let mut a = person_stream(self.rng.support_key, p.stream, PART_TRIAGE);
        if a.random::<f64>() < referrals.inappropriate_share {
            return self.exit(idx, Exit::Redirected);
        }
        if referrals.waiting_list_cap.is_some_and(|cap| self.levels.waiting >= cap) {
            return self.exit(idx, Exit::Declined);
        }
        self.join_waiting_list(idx, false);
        self.fill_places();
        self.schedule_renege(idx, &mut a);
    }

    fn join_waiting_list(&mut self, idx: u32, at_head: bool) {
        let p = &mut self.sim.persons[idx as usize];
        p.state = State::Waiting;
        p.epoch += 1;
        let level = self.plan.groups[p.group as usize].priority_level;
        let entry = (idx, p.epoch);
        if at_head {
            self.sim.waiting[level].push_front(entry);
        } else {
            self.sim.waiting[level].push_back(entry);
        }
        self.levels.waiting += 1;
        if self.now >= self.warm_up {
            let peak = &mut self.sim.record.waiting_list_peak;
            *peak = (*peak).max(self.levels.waiting);
        }
    }

    /// The next person on the waiting list, skipping entries that went stale (reneged).
    fn pop_waiting(&mut self) -> Option<u32> {
        for level in 0..self.sim.waiting.len() {
            while let Some((idx, epoch)) = self.sim.waiting[level].pop_front() {
                let p = &self.sim.persons[idx as usize];
                if p.state == State::Waiting && p.epoch == epoch {
                    return Some(idx);
                }
            }
        }
        None
    }

    /// The link worker in post with the most free places (the first such on a tie).
    fn most_free_worker(&self, except: usize) -> Option<usize> {
        let mut best = None;
        let mut best_free = 0;
        for (i, w) in self.sim.workers.iter().enumerate() {
            let free = w.free_places();
            if i != except && free > best_free {
                best = Some(i);
                best_free = free;
            }
        }
        best
    }

    /// Allocates people from the head of the waiting list while any link worker has a free place.
    fn fill_places(&mut self) {
        if self.filling {
            return;
        }
        self.filling = true;
        debug_assert_eq!(
            self.free_places,
            self.sim.workers.iter().map(Worker::free_places).sum::<u32>()
        );
        while self.levels.waiting > 0 && self.free_places > 0 {
            let Some(w) = self.most_free_worker(usize::MAX) else {
                break;
            };
            let Some(idx) = self.pop_waiting() else { break };
            self.levels.waiting -= 1;
            self.allocate(idx, w);
        }
        self.filling = false;
    }

    fn allocate(&mut self, idx: u32, w: usize) {
        self.add_to_caseload(idx, w);
        let now = self.now;
        let p = &mut self.sim.persons[idx as usize];
        p.epoch += 1;
        if !p.allocated {
            p.allocated = true;
            if p.measured {
                self.sim.record.supported += 1;
                self.sim.record.waiting_times.push(now - p.referral_time);
            }
        }
        self.note("allocated", Some(idx), Some(w as u32), None);
        let p = &mut self.sim.persons[idx as usize];
        if p.resume_holding {
            p.resume_holding = false;
            self.seek_place(idx);
        } else {
            let start = now + std::mem::take(&mut p.start_offset);
            self.start_stretch(idx, start, true);
        }
    }

    fn add_to_caseload(&mut self, idx: u32, w: usize) {
        let slot = self.update_worker(w, |worker| {
            worker.caseload.push(idx);
            worker.caseload.len() as u32 - 1
        });
        let p = &mut self.sim.persons[idx as usize];
        p.worker = w as u32;
        p.slot = slot;
        p.state = State::Supported;
        self.levels.caseload += 1;
    }

    /// Changes post `w` and keeps the count of free caseload places in step.
    #[inline]
    fn update_worker<R>(&mut self, w: usize, change: impl FnOnce(&mut Worker) -> R) -> R {
        let worker = &mut self.sim.workers[w];
        let before = worker.free_places();
        let result = change(worker);
        self.free_places = self.free_places - before + worker.free_places();
        result
    }

    fn remove_from_caseload(&mut self, idx: u32) {
        let p = self.sim.persons[idx as usize];
        if p.worker == NONE {
            return;
        }
        let moved = self.update_worker(p.worker as usize, |worker| swap_out(&mut worker.caseload, p.slot, idx));
        self.sim.persons[moved as usize].slot = p.slot;
        self.sim.persons[idx as usize].worker = NONE;
        self.levels.caseload -= 1;
    }

    // ----- support --------------------------------------------------------

    /// Draws the person's next stretch of contacts from `start` and schedules its end.
    fn start_stretch(&mut self, idx: u32, start: f64, contact_at_start: bool) {
        let p = &mut self.sim.persons[idx as usize];
        p.part += 1;
        p.stretch_start = start;
        p.stretch_contact_at_start = contact_at_start;
        let (step, time, done) = walk_contacts(self.plan, p, f64::INFINITY, self.rng.support_key);
        p.step = step;
        p.step_done = done;
        let epoch = p.epoch;
        self.sim.queue.push(time, EventKind::SupportStep, idx, epoch);
    }

    fn support_step(&mut self, idx: u32) {
        let p = &mut self.sim.persons[idx as usize];
        p.done = p.step_done;
        match p.step {
            Step::Disengage => self.exit(idx, Exit::Disengaged),
            Step::Complete => {
                let exit = if p.connected {
                    Exit::CompletedConnected
                } else {
                    Exit::CompletedNoNeed
                };
                self.exit(idx, exit);
            }
            Step::Decision | Step::Interrupted => {
                p.decided = true;
                p.decision_time = self.now;
                let worker = p.worker;
                self.note("onward_decision", Some(idx), Some(worker), None);
                self.seek_place(idx);
            }
        }
    }

    /// An open service of the category with a free place: the one with most free places.
    fn free_service(&self, category: usize) -> Option<usize> {
        let mut best = None;
        let mut best_free = 0;
        for &i in &self.plan.services_of[category] {
            let s = &self.sim.services[i];
            let free = s.capacity.saturating_sub(s.attendees.len() as u32);
            if free > best_free {
                best = Some(i);
                best_free = free;
            }
        }
        best
    }

    /// After the onward decision (or on re-allocation while held): connect, hold or discharge.
    fn seek_place(&mut self, idx: u32) {
        let category = self.sim.persons[idx as usize].category as usize;
        // Entries of people no longer held are dropped lazily; clear them from the front first.
        while let Some(&(front, epoch)) = self.sim.holding[category].front() {
            let f = &self.sim.persons[front as usize];
            if f.state == State::Held && f.epoch == epoch {
                break;
            }
            self.sim.holding[category].pop_front();
        }
        let queue_empty = self.sim.holding[category].is_empty();
        if let Some(service) = self.free_service(category).filter(|_| queue_empty) {
            return self.connect(idx, service);
        }
        let holding = &self.plan.scenario.holding;
        let p = self.sim.persons[idx as usize];
        let held_for = self.now - p.decision_time;
        if holding.policy == HoldingPolicy::Discharge || holding.max_holding.is_some_and(|m| held_for >= m) {
            return self.exit(idx, Exit::Unmet);
        }
        self.hold(idx);
    }

    fn connect(&mut self, idx: u32, service: usize) {
        let now = self.now;
        let attendance = self.plan.attendance[service].sample(&mut self.rng.vcse);
        let s = &mut self.sim.services[service];
        let p = &mut self.sim.persons[idx as usize];
        p.service = service as u32;
        p.service_slot = s.attendees.len() as u32;
        s.attendees.push(idx);
        p.vcse_epoch += 1;
        p.connected = true;
        let vcse_epoch = p.vcse_epoch;
        if p.measured {
            self.sim.record.connected += 1;
        }
        self.record_holding(idx);
        self.sim
            .queue
            .push(now + attendance, EventKind::LeavesVcsePlace, idx, vcse_epoch);
        self.note(
            "connected",
            Some(idx),
            Some(self.sim.persons[idx as usize].worker),
            Some(service as u32),
        );
        self.start_stretch(idx, now, false);
    }

    fn record_holding(&mut self, idx: u32) {
        let now = self.now;
        let p = &mut self.sim.persons[idx as usize];
        if p.decided && !p.holding_recorded {
            p.holding_recorded = true;
            if p.measured {
                self.sim.record.holding_times.push(now - p.decision_time);
            }
        }
    }

    /// Keeps the person on the caseload in the category's queue, with check-ins
    /// at which they may disengage, until a place opens or the maximum holding time.
    fn hold(&mut self, idx: u32) {
        let now = self.now;
        let s = self.plan.scenario;
        let p = &mut self.sim.persons[idx as usize];
        p.state = State::Held;
        p.epoch += 1;
        p.part += 1;
        self.levels.held += 1;
        self.sim.holding[p.category as usize].push_back((idx, p.epoch));
        let deadline = s.holding.max_holding.map_or(f64::INFINITY, |m| p.decision_time + m);
        let mut rng = person_stream(self.rng.support_key, p.stream, p.part);
        let interval = s.holding.check_in_interval;
        let mut check_in = now + interval;
        let mut end = None;
        while check_in < deadline && check_in <= self.end {
            if rng.random::<f64>() < disengage_probability(self.plan, p, check_in) {
                end = Some((check_in, false));
                break;
            }
            check_in += interval;
        }
        if end.is_none() && deadline <= self.end {
            end = Some((deadline, true));
        }
        let epoch = p.epoch;
        if let Some((t, unmet)) = end {
            p.hold_ends_unmet = unmet;
            self.sim.queue.push(t, EventKind::HoldEnds, idx, epoch);
        }
        self.note("held", Some(idx), Some(self.sim.persons[idx as usize].worker), None);
    }

    /// Gives free places of a category to held people, first held first.
    fn admit_from_holding(&mut self, category: usize) {
        while let Some(service) = self.free_service(category) {
            let Some((idx, epoch)) = self.sim.holding[category].pop_front() else {
                return;
            };
            let p = &mut self.sim.persons[idx as usize];
            if p.state != State::Held || p.epoch != epoch {
                continue;
            }
            p.state = State::Supported;
            p.epoch += 1;
            self.levels.held -= 1;
            self.connect(idx, service);
        }
    }

    /// Ends a referral with a named exit, frees its caseload place, and perhaps schedules a re-referral.
    fn exit(&mut self, idx: u32, exit: Exit) {
        let p = self.sim.persons[idx as usize];
        // Tests rather than a `match`, whose jump table mispredicts: most
        // people leave from a caseload, and the tests are predicted.
        if p.state == State::Gone {
            return;
        }
        let was_on_caseload = matches!(p.state, State::Held | State::Supported);
        if was_on_caseload {
            self.remove_from_caseload(idx);
        }
        if p.state == State::Held {
            self.levels.held -= 1;
        }
        if p.state == State::Waiting {
            self.levels.waiting -= 1;
        }
        {
            let p = &mut self.sim.persons[idx as usize];
            p.state = State::Gone;
            p.epoch += 1;
        }
        self.record_holding(idx);
        if p.measured {
            self.sim.record.exits[exit as usize] += 1;
        }
        self.note(exit.name(), Some(idx), (p.worker != NONE).then_some(p.worker), None);
        let reason = match exit {
            Exit::Redirected | Exit::Declined => None,
            Exit::Reneged => Some(ReReferralReason::Reneged),
            Exit::Disengaged => Some(ReReferralReason::Disengaged),
            Exit::CompletedConnected => Some(ReReferralReason::CompletedConnected),
            Exit::CompletedNoNeed => Some(ReReferralReason::CompletedNoNeed),
            Exit::Unmet => Some(ReReferralReason::Unmet),
        };
        if let Some(reason) = reason {
            self.maybe_re_refer(idx, reason);
        }
        if was_on_caseload {
            self.fill_places();
        }
    }

    fn maybe_re_refer(&mut self, idx: u32, reason: ReReferralReason) {
        let p = self.sim.persons[idx as usize];
        if p.re_referred {
            return;
        }
        let g = &self.plan.scenario.groups[p.group as usize];
        let probability = g.re_referral[reason as usize];
        if probability > 0.0 && self.rng.support.random::<f64>() < probability {
            let delay = self.plan.groups[p.group as usize]
                .re_referral_delay
                .sample(&mut self.rng.support);
            self.sim.persons[idx as usize].re_referred = true;
            self.sim.queue.push(self.now + delay, EventKind::ReReferral, idx, 0);
        }
    }

    // ----- VCSE services --------------------------------------------------

    fn leave_service(&mut self, idx: u32) {
        let p = self.sim.persons[idx as usize];
        let moved = swap_out(
            &mut self.sim.services[p.service as usize].attendees,
            p.service_slot,
            idx,
        );
        self.sim.persons[moved as usize].service_slot = p.service_slot;
        let p = &mut self.sim.persons[idx as usize];
        p.service = NONE;
        p.vcse_epoch += 1;
    }

    /// Recomputes a service's places from its state and the disruptions in force now.
    fn refresh_capacity(&mut self, i: usize) {
        let s = self.plan.scenario;
        let now = self.now;
        let factor: f64 = s
            .vcse
            .disruptions
            .iter()
            .filter(|d| d.from <= now && now < d.to && d.services.binary_search(&i).is_ok())
            .map(|d| d.capacity_factor)
            .product();
        let v = &mut self.sim.services[i];
        v.factor = factor;
        let places = if v.open {
            (f64::from(s.vcse.services[i].places) * factor).round() as u32
        } else {
            0
        };
        let old = v.capacity;
        v.capacity = places;
        self.levels.places_open = self.levels.places_open - old + places;
        if places == 0 && !self.sim.services[i].attendees.is_empty() {
            self.evict(i);
        }
        if places > old {
            self.admit_from_holding(s.vcse.services[i].category);
        }
    }

    /// A service closed: everyone attending loses their place.
    fn evict(&mut self, i: usize) {
        while let Some(&idx) = self.sim.services[i].attendees.last() {
            self.leave_service(idx);
            self.note("lost_vcse_place", Some(idx), None, Some(i as u32));
            if self.sim.persons[idx as usize].state == State::Gone {
                self.maybe_re_refer(idx, ReReferralReason::LostVcsePlace);
            }
        }
    }

    fn schedule_closure(&mut self, i: usize) {
        let rate = self.plan.scenario.vcse.services[i].closures.annual_rate;
        if rate > 0.0 {
            let e: f64 = self.sim.services[i].closure_rng.sample(Exp1);
            let t = self.now + e * units::DAYS_PER_YEAR / rate;
            let v = &mut self.sim.services[i];
            v.epoch += 1;
            self.sim.queue.push(t, EventKind::ServiceCloses, i as u32, v.epoch);
        }
    }

    fn service_closes(&mut self, i: usize) {
        let closures = &self.plan.scenario.vcse.services[i].closures;
        let permanent = self.sim.services[i].closure_rng.random::<f64>() < closures.permanent_probability;
        let v = &mut self.sim.services[i];
        v.open = false;
        v.epoch += 1;
        let epoch = v.epoch;
        if permanent {
            self.note("service_closes_for_good", None, None, Some(i as u32));
        } else {
            let duration = self.plan.closure_duration[i].sample(&mut self.sim.services[i].closure_rng);
            self.sim
                .queue
                .push(self.now + duration, EventKind::ServiceReopens, i as u32, epoch);
            self.note("service_closes", None, None, Some(i as u32));
        }
        self.refresh_capacity(i);
    }

    // ----- link workers ---------------------------------------------------

    fn full_capacity(&self, w: usize) -> u32 {
        let lw = &self.plan.scenario.link_workers;
        let worker = &self.sim.workers[w];
        let factor = if worker.inducting {
            lw.induction_capacity_factor
        } else {
            1.0
        };
        (lw.caseload_per_fte * worker.fte * (1.0 - lw.absence) * factor).round() as u32
    }

    fn refresh_worker_capacity(&mut self, w: usize) {
        let capacity = if self.sim.workers[w].in_post {
            self.full_capacity(w)
        } else {
            0
        };
        self.set_capacity(w, capacity);
        self.fill_places();
    }

    /// Sets post `w`'s caseload capacity, keeping the total capacity and the
    /// count of free places in step.
    fn set_capacity(&mut self, w: usize, capacity: u32) {
        self.levels.capacity = self.levels.capacity - self.sim.workers[w].capacity + capacity;
        self.update_worker(w, |worker| worker.capacity = capacity);
    }

    fn schedule_recruitment(&mut self, w: usize) {
        let delay = self.plan.recruitment_delay.sample(&mut self.rng.turnover);
        let worker = &mut self.sim.workers[w];
        worker.epoch += 1;
        if self.now + delay < worker.contract_end {
            self.sim
                .queue
                .push(self.now + delay, EventKind::WorkerStarts, w as u32, worker.epoch);
        }
    }

    fn start_worker(&mut self, w: usize, inducting: bool) {
        let now = self.now;
        let lw = &self.plan.scenario.link_workers;
        let worker = &mut self.sim.workers[w];
        worker.in_post = true;
        worker.inducting = inducting;
        worker.started = now;
        worker.epoch += 1;
        let epoch = worker.epoch;
        let contract_end = worker.contract_end;
        self.levels.in_post += 1;
        self.levels.vacant -= 1;
        self.levels.fte_in_post += worker.fte;
        if inducting {
            self.sim
                .queue
                .push(now + lw.induction_duration, EventKind::InductionEnds, w as u32, epoch);
        }
        if let Some(tenure) = &self.plan.tenure {
            let mut leaves = now + tenure.sample(&mut self.rng.turnover);
            if let (Some((window, multiplier)), crate::scenario::TenureModel::AnnualRate(rate)) =
                (lw.turnover.before_contract_end, &lw.turnover.tenure)
            {
                // Piecewise-constant hazard: memorylessness lets us redraw from the window's start.
                let window_start = contract_end - window;
                if leaves > window_start && contract_end.is_finite() {
                    let e: f64 = self.rng.turnover.sample(Exp1);
                    let hazard = rate * multiplier;
                    leaves = if hazard > 0.0 {
                        now.max(window_start) + e * units::DAYS_PER_YEAR / hazard
                    } else {
                        f64::INFINITY
                    };
                }
            }
            if leaves < contract_end {
                self.sim.queue.push(leaves, EventKind::WorkerLeaves, w as u32, epoch);
            }
        }
        self.note("link_worker_starts", None, Some(w as u32), None);
        self.refresh_worker_capacity(w);
    }

    /// The holder of post `w` leaves; the caseload is handed over; the post is
    /// advertised again if it is still funded and `refill`.
    fn worker_leaves(&mut self, w: usize, refill: bool) {
        let worker = &mut self.sim.workers[w];
        worker.in_post = false;
        worker.inducting = false;
        worker.epoch += 1;
        self.levels.in_post -= 1;
        self.levels.fte_in_post -= worker.fte;
        if worker.funded {
            self.levels.vacant += 1;
        }
        let funded = worker.funded;
        self.note("link_worker_leaves", None, Some(w as u32), None);
        self.set_capacity(w, 0);
        self.hand_over(w);
        if funded && refill {
            self.schedule_recruitment(w);
        }
        self.fill_places();
    }

    /// Each person on a leaver's caseload may drift away; the rest move to the
    /// worker with most free places or back to the head of the waiting list,
    /// keeping their progress.
    fn hand_over(&mut self, w: usize) {
        let mut caseload = std::mem::take(&mut self.sim.workers[w].caseload);
        // Reversed so that pushing to the head keeps the caseload's order on the list.
        for &idx in caseload.iter().rev() {
            self.levels.caseload -= 1;
            self.sim.persons[idx as usize].worker = NONE;
            if self.rng.support.random::<f64>() < self.plan.scenario.link_workers.handover_disengage {
                self.note("handover", Some(idx), Some(w as u32), None);
                self.exit(idx, Exit::Disengaged);
                continue;
            }
            let p = self.sim.persons[idx as usize];
            if let Some(to) = self.most_free_worker(w) {
                self.add_to_caseload(idx, to);
                self.sim.persons[idx as usize].state = p.state;
                self.note("handover", Some(idx), Some(to as u32), None);
                continue;
            }
            if p.state == State::Held {
                self.levels.held -= 1;
                self.sim.persons[idx as usize].resume_holding = true;
            } else {
                let (step, _, done) = walk_contacts(self.plan, &p, self.now, self.rng.support_key);
                // A decision due at this very moment has not been made: redo that contact on resuming.
                let done = if step == Step::Decision { done - 1 } else { done };
                self.sim.persons[idx as usize].done = done;
            }
            self.join_waiting_list(idx, true);
            self.note("returned_to_waiting_list", Some(idx), None, None);
        }
        caseload.clear();
        self.sim.workers[w].caseload = caseload;
    }

    fn dated_event(&mut self, what: Dated) {
        match what {
            Dated::Disruption(d) => {
                let affected = &self.plan.scenario.vcse.disruptions[d].services;
                for &i in affected {
                    self.refresh_capacity(i);
                }
                self.note("disruption_changes", None, None, None);
            }
            Dated::ServiceOpens(i) => {
                self.sim.services[i].open = true;
                self.note("service_opens", None, None, Some(i as u32));
                self.refresh_capacity(i);
                self.schedule_closure(i);
            }
            Dated::ContractEnds(w) => self.cut_post(w),
            Dated::Funding(f) => {
                let change = &self.plan.scenario.link_workers.funding_changes[f];
                for _ in 0..change.add_posts {
                    self.sim.workers.push(Worker {
                        funded: true,
                        fte: change.fte,
                        contract_end: f64::INFINITY,
                        ..Worker::default()
                    });
                    let w = self.sim.workers.len() - 1;
                    self.levels.vacant += 1;
                    self.note("post_added", None, Some(w as u32), None);
                    self.schedule_recruitment(w);
                }
                for _ in 0..change.remove_posts {
                    if let Some(w) = self.post_to_cut() {
                        self.cut_post(w);
                    }
                }
            }
        }
    }

    /// A cut falls on a vacant post if there is one (the last), else on the most recent starter.
    fn post_to_cut(&self) -> Option<usize> {
        let funded = || self.sim.workers.iter().enumerate().filter(|(_, w)| w.funded);
        funded()
            .filter(|(_, w)| !w.in_post)
            .map(|(i, _)| i)
            .next_back()
            .or_else(|| {
                funded()
                    .max_by(|a, b| a.1.started.total_cmp(&b.1.started))
                    .map(|(i, _)| i)
            })
    }

    fn cut_post(&mut self, w: usize) {
        if !self.sim.workers[w].funded {
            return;
        }
        self.note("post_cut", None, Some(w as u32), None);
        if self.sim.workers[w].in_post {
            self.worker_leaves(w, false);
        }
        let worker = &mut self.sim.workers[w];
        worker.funded = false;
        worker.epoch += 1;
        self.levels.vacant -= 1;
    }
}

/// Takes the person at `slot` out of a list of people (a caseload, a
/// service's attendees) by moving the last into the gap. Returns who holds
/// `slot` now, whose slot must be set to it: the person removed, if they were
/// last, and setting theirs does no harm. Always writing a slot spares a
/// branch on whether the last was moved, which is as random as who leaves.
fn swap_out(list: &mut Vec<u32>, slot: u32, removed: u32) -> u32 {
    list.swap_remove(slot as usize);
    list.get(slot as usize).copied().unwrap_or(removed)
}

fn pick_group(plan: &Plan, u: f64) -> usize {
    pick(&plan.group_cdf, u)
}

/// The chance of disengaging at a contact at time `t`, with the delivery mode in force.
fn disengage_probability(plan: &Plan, p: &Person, t: f64) -> f64 {
    let base = plan.groups[p.group as usize].disengage_per_contact;
    match delivery_at(plan, t) {
        None => base,
        Some(d) => {
            let extra = if p.excluded { d.excluded_extra_disengage } else { 0.0 };
            (base * d.disengage_multiplier + extra).min(1.0)
        }
    }
}

fn delivery_at<'p>(plan: &'p Plan, t: f64) -> Option<&'p crate::scenario::DeliveryPeriod> {
    plan.scenario.delivery_periods.iter().find(|d| d.from <= t && t < d.to)
}

/// Walks a person's contacts from the start of their current stretch until a
/// disengagement, the onward decision or the last contact, or until `stop_at`
/// when replaying. Returns the step, its time, and the contacts done by then.
fn walk_contacts(plan: &Plan, p: &Person, stop_at: f64, support_key: u64) -> (Step, f64, u16) {
    if p.done >= p.contacts {
        return (Step::Complete, p.stretch_start, p.done);
    }
    let rng = person_stream(support_key, p.stream, p.part);
    if plan.scenario.delivery_periods.is_empty() {
        walk::<Steady>(plan, p, stop_at, rng)
    } else {
        walk::<InPeriods>(plan, p, stop_at, rng)
    }
}

/// How delivery periods bear on contacts. Most scenarios have none, and the
/// walk is compiled for them without the look-ups; the draws are the same.
trait Delivery {
    /// When a contact due at `t` happens: digitally excluded people wait out a pause.
    fn resume(plan: &Plan, p: &Person, t: f64) -> f64;
    fn disengage_chance(plan: &Plan, p: &Person, t: f64) -> f64;
    fn interval_factor(plan: &Plan, t: f64) -> f64;
}

/// No delivery periods: every contact as the client group describes.
struct Steady;

impl Delivery for Steady {
    #[inline(always)]
    fn resume(_: &Plan, _: &Person, t: f64) -> f64 {
        t
    }
    #[inline(always)]
    fn disengage_chance(plan: &Plan, p: &Person, _: f64) -> f64 {
        plan.groups[p.group as usize].disengage_per_contact
    }
    #[inline(always)]
    fn interval_factor(_: &Plan, _: f64) -> f64 {
        1.0
    }
}

/// The scenario's delivery periods, looked up at each contact.
struct InPeriods;

impl Delivery for InPeriods {
    fn resume(plan: &Plan, p: &Person, mut t: f64) -> f64 {
        if p.excluded {
            while let Some(d) = delivery_at(plan, t).filter(|d| d.excluded_pause) {
                t = d.to;
            }
        }
        t
    }
    fn disengage_chance(plan: &Plan, p: &Person, t: f64) -> f64 {
        disengage_probability(plan, p, t)
    }
    fn interval_factor(plan: &Plan, t: f64) -> f64 {
        delivery_at(plan, t).map_or(1.0, |d| d.contact_interval_multiplier)
    }
}

#[inline(always)]
fn walk<D: Delivery>(plan: &Plan, p: &Person, stop_at: f64, mut rng: PersonRng) -> (Step, f64, u16) {
    let group = &plan.groups[p.group as usize];
    // The contact at which the onward decision falls due, if it is still to come.
    let decision = if p.needs_onward && !p.decided {
        group.planning_contact.min(p.contacts)
    } else {
        0
    };
    let mut k = p.done + 1;
    let mut t = p.stretch_start;
    if !p.stretch_contact_at_start {
        t += group.interval.sample(&mut rng) * D::interval_factor(plan, t);
    }
    loop {
        t = D::resume(plan, p, t);
        if t > stop_at {
            return (Step::Interrupted, t, k - 1);
        }
        if k >= 2 && rng.random::<f64>() < D::disengage_chance(plan, p, t) {
            return (Step::Disengage, t, k - 1);
        }
        if k == decision {
            return (Step::Decision, t, k);
        }
        if k >= p.contacts {
            return (Step::Complete, t, k);
        }
        t += group.interval.sample(&mut rng) * D::interval_factor(plan, t);
        k += 1;
    }
}
