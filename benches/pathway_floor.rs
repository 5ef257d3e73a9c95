//! Benchmark: the floor under a baseline replicate's cost.
//!
//! The project's speed target is 1,000 baseline replicates per second on a
//! 2-core machine: 2 ms per replicate per core, outputs included. This
//! benchmark asks whether the target is reachable at all with the model's
//! parts. It runs the baseline's bare pathway (Poisson referrals, triage,
//! one waiting list, four posts of 60 caseload places, contact walks with
//! disengagement, the onward decision, four VCSE services with a queue of
//! held people, patience on the waiting list, and the time-averaged levels)
//! on one core, with spcap's own event queue and person streams, and with
//! none of the rest: no re-referral, turnover, induction, closures, check-ins
//! while held, seasonality, weekly snapshots, statistics or outputs.
//!
//! Whatever the full model costs above this floor is the price of those
//! mechanisms. Two ways of drawing are timed: the model's (a SplitMix64
//! stream per piece of a person, triangular draws by inversion), and the
//! cheapest this author knows (one multiply per number, triangular draws
//! from the larger and smaller of two uniforms, Stein & Keblis 2009), to show
//! how much a change of generator could buy. Criterion reports replicates
//! per second on one core. Run with `cargo bench --bench pathway_floor`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::Rng as _;
use rand_distr::Exp1;
use rand_xoshiro::SplitMix64;
use spcap::model::queue::{EventKind, EventQueue};
use spcap::model::random::{mix, person_stream, Streams};
use spcap::model::sampling::Sampler;
use spcap::scenario::Distribution;
use std::collections::VecDeque;

const YEAR: f64 = 365.25;
const WARM_UP: f64 = YEAR;
const END: f64 = 6.0 * YEAR;
const REFERRALS_PER_DAY: f64 = 100.0 * 12.0 / YEAR;
const INAPPROPRIATE: f64 = 0.15;
const MEAN_PATIENCE: f64 = YEAR / 2.0;
const POSTS: usize = 4;
const CASELOAD: usize = 60;
/// Places and mean days of attendance of the baseline's four VCSE services, one per category.
const SERVICES: [(usize, f64); 4] = [(65, 84.0), (30, 70.0), (20, 28.0), (50, 84.0)];
const PLANNING_CONTACT: u16 = 2;

/// How a person's own random numbers are drawn.
trait Draws {
    type Stream;
    fn open(key: u64, referral: u32, part: u32) -> Self::Stream;
    fn uniform(s: &mut Self::Stream) -> f64;
    fn exponential(s: &mut Self::Stream) -> f64;
    fn triangular(s: &mut Self::Stream, t: &Triangular) -> f64;
}

struct Triangular {
    sampler: Sampler,
    min: f64,
    range: f64,
    /// Where the mode lies, as a share of the range.
    mode_share: f64,
}

impl Triangular {
    fn new(min: f64, mode: f64, max: f64) -> Self {
        let sampler = Sampler::new(&Distribution::Triangular { min, mode, max });
        Triangular {
            sampler,
            min,
            range: max - min,
            mode_share: (mode - min) / (max - min),
        }
    }
}

/// The model's own: SplitMix64 streams and its triangular sampler.
struct ModelDraws;

impl Draws for ModelDraws {
    type Stream = SplitMix64;
    fn open(key: u64, referral: u32, part: u32) -> SplitMix64 {
        person_stream(key, referral, part)
    }
    fn uniform(s: &mut SplitMix64) -> f64 {
        s.random()
    }
    fn exponential(s: &mut SplitMix64) -> f64 {
        s.sample(Exp1)
    }
    fn triangular(s: &mut SplitMix64, t: &Triangular) -> f64 {
        t.sampler.sample(s)
    }
}

/// The cheapest: a Weyl sequence finished by one 128-bit multiply (wyrand),
/// seeded by one mix, and triangular draws without a square root.
struct CheapDraws;

impl Draws for CheapDraws {
    type Stream = u64;
    fn open(key: u64, referral: u32, part: u32) -> u64 {
        mix(key ^ u64::from(referral)).wrapping_add(u64::from(part) << 40)
    }
    fn uniform(s: &mut u64) -> f64 {
        *s = s.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(*s) * u128::from(*s ^ 0xe703_7ed1_a0b4_28db);
        (((t >> 64) as u64 ^ t as u64) >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }
    fn exponential(s: &mut u64) -> f64 {
        -(1.0 - Self::uniform(s)).ln()
    }
    fn triangular(s: &mut u64, t: &Triangular) -> f64 {
        let (u, v) = (Self::uniform(s), Self::uniform(s));
        t.min + t.range * ((1.0 - t.mode_share) * u.min(v) + t.mode_share * u.max(v))
    }
}

/// The baseline's two client groups.
struct Group {
    share: f64,
    contacts: Triangular,
    interval: Triangular,
    disengage_per_contact: f64,
    onward_need: f64,
    /// Cumulative shares of the four categories.
    categories: [f64; 4],
}

fn groups() -> [Group; 2] {
    [
        Group {
            share: 0.6,
            contacts: Triangular::new(3.0, 6.0, 9.0),
            interval: Triangular::new(7.0, 10.0, 15.0),
            disengage_per_contact: 0.03,
            onward_need: 0.7,
            categories: [0.35, 0.6, 0.85, 1.0],
        },
        Group {
            share: 0.4,
            contacts: Triangular::new(4.0, 8.0, 12.0),
            interval: Triangular::new(7.0, 14.0, 21.0),
            disengage_per_contact: 0.05,
            onward_need: 0.85,
            categories: [0.3, 0.3, 0.6, 1.0],
        },
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Waiting,
    Supported,
    Held,
    Gone,
}

#[derive(Clone, Copy)]
struct Person {
    referral_time: f64,
    decision_time: f64,
    epoch: u32,
    place_epoch: u32,
    worker: u32,
    slot: u32,
    service: u32,
    service_slot: u32,
    part: u32,
    contacts: u16,
    done: u16,
    /// Where the current stretch of contacts ends: its contacts, and whether at the onward decision.
    stretch_done: u16,
    at_decision: bool,
    group: u8,
    category: u8,
    state: State,
    needs_onward: bool,
}

/// One thread's workspace, reused across replicates.
#[derive(Default)]
struct Floor {
    persons: Vec<Person>,
    queue: EventQueue,
    waiting: VecDeque<(u32, u32)>,
    held: [VecDeque<(u32, u32)>; 4],
    caseloads: [Vec<u32>; POSTS],
    attendees: [Vec<u32>; 4],
    waiting_times: Vec<f64>,
    holding_times: Vec<f64>,
}

/// One replicate's run; returns its events and a checksum of its results.
struct Run<'a, D: Draws> {
    f: &'a mut Floor,
    groups: &'a [Group; 2],
    streams: Streams,
    now: f64,
    last: f64,
    /// Waiting, held and on caseloads, and their integrals over the measured time.
    levels: [u32; 3],
    areas: [f64; 3],
    draws: std::marker::PhantomData<D>,
}

impl<D: Draws> Run<'_, D> {
    fn run(mut self) -> (u64, f64) {
        let mut next_referral = self.next_referral(0.0);
        let mut referrals = 0;
        let mut events = 0;
        loop {
            let event = self.f.queue.pop_before(next_referral);
            let t = event.map_or(next_referral, |e| e.time);
            if t > END {
                break;
            }
            self.advance(t);
            let handled = match event {
                None => {
                    self.refer(referrals);
                    referrals += 1;
                    next_referral = self.next_referral(t);
                    true
                }
                Some(e) => self.due(e.kind, e.id, e.epoch),
            };
            events += u64::from(handled);
        }
        let f = &self.f;
        (
            events,
            self.areas.iter().sum::<f64>() + (f.waiting_times.len() + f.holding_times.len()) as f64,
        )
    }

    fn next_referral(&mut self, from: f64) -> f64 {
        let e: f64 = self.streams.referrals.sample(Exp1);
        from + e / REFERRALS_PER_DAY
    }

    fn advance(&mut self, t: f64) {
        let from = self.last.max(WARM_UP);
        if t > from {
            for (area, level) in self.areas.iter_mut().zip(self.levels) {
                *area += f64::from(level) * (t - from);
            }
        }
        self.now = t;
        self.last = t;
    }

    fn refer(&mut self, referral: u32) {
        let key = self.streams.support_key;
        let group = usize::from(self.streams.referrals.random::<f64>() >= self.groups[0].share);
        let g = &self.groups[group];
        let mut attributes = D::open(key, referral, 0);
        let contacts = (D::triangular(&mut attributes, &g.contacts) + 0.5) as u16;
        let needs_onward = D::uniform(&mut attributes) < g.onward_need;
        let u = D::uniform(&mut attributes);
        let category = g.categories.iter().filter(|&&c| u >= c).count().min(3);
        let _digitally_excluded = D::uniform(&mut attributes) < 0.1;
        let idx = self.f.persons.len() as u32;
        self.f.persons.push(Person {
            referral_time: self.now,
            decision_time: 0.0,
            epoch: 0,
            place_epoch: 0,
            worker: 0,
            slot: 0,
            service: u32::MAX,
            service_slot: 0,
            part: 3,
            contacts,
            done: 0,
            stretch_done: 0,
            at_decision: false,
            group: group as u8,
            category: category as u8,
            state: State::Gone,
            needs_onward,
        });
        let mut triage = D::open(key, referral, 1);
        if D::uniform(&mut triage) < INAPPROPRIATE {
            return;
        }
        let p = &mut self.f.persons[idx as usize];
        p.state = State::Waiting;
        p.epoch += 1;
        self.f.waiting.push_back((idx, p.epoch));
        self.levels[0] += 1;
        let patience = D::exponential(&mut triage) * MEAN_PATIENCE;
        self.f.queue.push(self.now + patience, EventKind::Renege, idx, p.epoch);
        self.fill_places();
    }

    fn fill_places(&mut self) {
        while self.levels[0] > 0 {
            let free = |c: &Vec<u32>| CASELOAD.saturating_sub(c.len());
            let Some(w) = (0..POSTS)
                .filter(|&w| free(&self.f.caseloads[w]) > 0)
                .max_by_key(|&w| free(&self.f.caseloads[w]))
            else {
                return;
            };
            let Some((idx, epoch)) = self.f.waiting.pop_front() else {
                return;
            };
            let p = &mut self.f.persons[idx as usize];
            if p.state != State::Waiting || p.epoch != epoch {
                continue;
            }
            self.levels[0] -= 1;
            self.levels[2] += 1;
            p.state = State::Supported;
            p.epoch += 1;
            p.worker = w as u32;
            p.slot = self.f.caseloads[w].len() as u32;
            self.f.caseloads[w].push(idx);
            if p.referral_time >= WARM_UP {
                self.f.waiting_times.push(self.now - p.referral_time);
            }
            self.start_stretch(idx);
        }
    }

    /// Walks the person's next contacts and schedules where the stretch ends.
    fn start_stretch(&mut self, idx: u32) {
        let p = &mut self.f.persons[idx as usize];
        let g = &self.groups[p.group as usize];
        p.part += 1;
        let mut rng = D::open(self.streams.support_key, idx, p.part);
        let decision = if p.needs_onward && p.done == 0 {
            PLANNING_CONTACT.min(p.contacts)
        } else {
            0
        };
        let mut k = p.done + 1;
        let mut t = self.now;
        if p.done > 0 {
            t += D::triangular(&mut rng, &g.interval);
        }
        loop {
            if k >= 2 && D::uniform(&mut rng) < g.disengage_per_contact {
                k -= 1;
                break;
            }
            if k == decision || k >= p.contacts {
                break;
            }
            t += D::triangular(&mut rng, &g.interval);
            k += 1;
        }
        p.stretch_done = k;
        p.at_decision = k == decision;
        self.f.queue.push(t, EventKind::SupportStep, idx, p.epoch);
    }

    fn due(&mut self, kind: EventKind, idx: u32, epoch: u32) -> bool {
        let p = self.f.persons[idx as usize];
        match kind {
            EventKind::Renege if p.state == State::Waiting && p.epoch == epoch => self.exit(idx),
            EventKind::SupportStep if p.state == State::Supported && p.epoch == epoch => {
                self.f.persons[idx as usize].done = p.stretch_done;
                if p.at_decision {
                    self.onward(idx);
                } else {
                    self.exit(idx);
                }
            }
            EventKind::LeavesVcsePlace if p.service != u32::MAX && p.place_epoch == epoch => self.leave_place(idx),
            _ => return false,
        }
        true
    }

    fn onward(&mut self, idx: u32) {
        let p = &mut self.f.persons[idx as usize];
        p.decision_time = self.now;
        let c = p.category as usize;
        if self.f.held[c].is_empty() && self.f.attendees[c].len() < SERVICES[c].0 {
            self.connect(idx, c);
        } else {
            p.state = State::Held;
            p.epoch += 1;
            self.levels[1] += 1;
            self.f.held[c].push_back((idx, p.epoch));
        }
    }

    fn connect(&mut self, idx: u32, service: usize) {
        let attendance: f64 = self.streams.vcse.sample(Exp1);
        let p = &mut self.f.persons[idx as usize];
        p.service = service as u32;
        p.service_slot = self.f.attendees[service].len() as u32;
        p.place_epoch += 1;
        self.f.attendees[service].push(idx);
        if p.referral_time >= WARM_UP {
            self.f.holding_times.push(self.now - p.decision_time);
        }
        let leaves = self.now + attendance * SERVICES[service].1;
        self.f
            .queue
            .push(leaves, EventKind::LeavesVcsePlace, idx, p.place_epoch);
        self.start_stretch(idx);
    }

    fn leave_place(&mut self, idx: u32) {
        let p = self.f.persons[idx as usize];
        let s = p.service as usize;
        let moved = swap_out(&mut self.f.attendees[s], p.service_slot, idx);
        self.f.persons[moved as usize].service_slot = p.service_slot;
        let p = &mut self.f.persons[idx as usize];
        p.service = u32::MAX;
        p.place_epoch += 1;
        while self.f.attendees[s].len() < SERVICES[s].0 {
            let Some((h, epoch)) = self.f.held[s].pop_front() else {
                return;
            };
            let q = &mut self.f.persons[h as usize];
            if q.state == State::Held && q.epoch == epoch {
                q.state = State::Supported;
                q.epoch += 1;
                self.levels[1] -= 1;
                self.connect(h, s);
            }
        }
    }

    fn exit(&mut self, idx: u32) {
        let p = self.f.persons[idx as usize];
        if matches!(p.state, State::Supported | State::Held) {
            let moved = swap_out(&mut self.f.caseloads[p.worker as usize], p.slot, idx);
            self.f.persons[moved as usize].slot = p.slot;
            self.levels[2] -= 1;
        }
        self.levels[0] -= u32::from(p.state == State::Waiting);
        self.levels[1] -= u32::from(p.state == State::Held);
        let p = &mut self.f.persons[idx as usize];
        p.state = State::Gone;
        p.epoch += 1;
        self.fill_places();
    }
}

fn swap_out(list: &mut Vec<u32>, slot: u32, removed: u32) -> u32 {
    list.swap_remove(slot as usize);
    list.get(slot as usize).copied().unwrap_or(removed)
}

fn replicate<D: Draws>(f: &mut Floor, groups: &[Group; 2], r: u64) -> (u64, f64) {
    f.persons.clear();
    f.queue.clear();
    f.waiting.clear();
    f.held.iter_mut().for_each(VecDeque::clear);
    f.caseloads.iter_mut().for_each(Vec::clear);
    f.attendees.iter_mut().for_each(Vec::clear);
    f.waiting_times.clear();
    f.holding_times.clear();
    let run = Run::<D> {
        f,
        groups,
        streams: Streams::new(1, r),
        now: 0.0,
        last: 0.0,
        levels: [0; 3],
        areas: [0.0; 3],
        draws: std::marker::PhantomData,
    };
    run.run()
}

fn floor(c: &mut Criterion) {
    let groups = groups();
    let mut f = Floor::default();
    let probe: u64 = (0..20).map(|r| replicate::<ModelDraws>(&mut f, &groups, r).0).sum();
    eprintln!("pathway floor: {:.0} events per replicate", probe as f64 / 20.0);
    let mut group = c.benchmark_group("pathway floor, one thread");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    let mut r = 0;
    group.bench_function("model's draws", |b| {
        b.iter(|| {
            r += 1;
            replicate::<ModelDraws>(&mut f, &groups, r)
        })
    });
    group.bench_function("cheapest draws", |b| {
        b.iter(|| {
            r += 1;
            replicate::<CheapDraws>(&mut f, &groups, r)
        })
    });
    group.finish();
}

criterion_group!(benches, floor);
criterion_main!(benches);
