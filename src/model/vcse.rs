//! VCSE services and the people held for them.
//!
//! A service has `round(places × product of the disruptions' capacity
//! factors in force)` places while open, none while closed or not yet open.
//! Random closures come from each service's own stream, so that they do not
//! move when attendance changes. A person who needs a category is connected
//! to the open service of that category with most free places (the first
//! such on a tie, through [`MostFree`]); if none has a place, they may be held
//! on their caseload in the category's first-come-first-served queue.
//!
//! A scenario with `[vcse.births]` also gains services during the run: each
//! born one is added at the end, with the next number, its own closure
//! stream keyed by that number, and the attendance and closures of the
//! births' kind ([`Plan::born_kind`]).
//!
//! Who is connected, held or discharged is the replicate loop's business:
//! this part keeps the services' places and attendees and the holding
//! queues, with the levels the outputs follow (places open, people held).

use super::most_free::MostFree;
use super::plan::Plan;
use super::random::{person_stream, PersonRng};
use super::referral::{ServiceId, Slot};
use super::waiting_list::{Entry, Fifo};
use crate::scenario::units;
use rand::Rng as _;
use rand_distr::Exp1;

/// A service's state in a replicate.
#[derive(Clone, Debug)]
pub struct Service {
    /// This service's own stream of closure times and durations.
    closure_rng: PersonRng,
    pub open: bool,
    pub capacity: u32,
    /// Who attends; each knows their index here.
    pub attendees: Vec<Slot>,
    /// Bumped whenever the service's scheduled events become stale.
    pub epoch: u32,
    pub category: usize,
    /// Its kind: its index among the scenario's services, or
    /// [`Plan::born_kind`] for one born during the run.
    pub kind: usize,
    /// Its places when open and undisrupted.
    places: u32,
    /// Its index among its category's services (its leaf in the category's [`MostFree`]).
    rank: usize,
}

impl Service {
    fn free_places(&self) -> u32 {
        self.capacity.saturating_sub(self.attendees.len() as u32)
    }
}

/// Every service of a replicate, the holding queues, and their levels.
#[derive(Default)]
pub struct Services {
    services: Vec<Service>,
    /// Per category: the services of the category, and which has most free places.
    members: Vec<Vec<usize>>,
    most_free: Vec<MostFree>,
    /// Per category: the people held for it.
    holding: Vec<Fifo<Slot>>,
    /// Places open over all services, and people held over all categories.
    pub places_open: u32,
    pub held: u32,
}

impl Services {
    /// The scenario's services at the start of a replicate, with no places
    /// yet ([`Self::set_capacity`] gives them), each with its closure stream.
    pub fn reset(&mut self, plan: &Plan, vcse_key: u64) {
        let s = plan.scenario;
        self.members.clone_from(&plan.services_of);
        self.most_free.resize_with(self.members.len(), MostFree::default);
        for (row, members) in self.most_free.iter_mut().zip(&self.members) {
            row.reset(members.len());
        }
        self.holding.resize_with(s.categories.len(), Fifo::default);
        self.holding.truncate(s.categories.len());
        self.holding.iter_mut().for_each(Fifo::clear);
        self.services.clear();
        for (i, v) in s.vcse.services.iter().enumerate() {
            let rank = self.members[v.category].iter().position(|&m| m == i);
            self.services.push(Service {
                closure_rng: person_stream(vcse_key, i as u32, 0),
                open: v.opens.is_none(),
                capacity: 0,
                attendees: Vec::new(),
                epoch: 0,
                category: v.category,
                kind: i,
                places: v.places,
                rank: rank.expect("Plan::services_of lists every service under its category"),
            });
        }
        self.places_open = 0;
        self.held = 0;
    }

    pub fn ids(&self) -> impl Iterator<Item = ServiceId> {
        (0..self.services.len() as u32).map(ServiceId)
    }

    /// The services born so far in this replicate.
    pub fn born(&self, plan: &Plan) -> impl Iterator<Item = ServiceId> {
        (plan.born_kind() as u32..self.services.len() as u32).map(ServiceId)
    }

    /// Adds a service born now, open, with no places yet
    /// ([`Self::set_capacity`] gives them), and its own closure stream.
    pub fn add_born(&mut self, plan: &Plan, vcse_key: u64, category: usize, places: u32) -> ServiceId {
        let id = ServiceId(self.services.len() as u32);
        let rank = self.members[category].len();
        self.members[category].push(id.index());
        self.most_free[category].push();
        self.services.push(Service {
            closure_rng: person_stream(vcse_key, id.0, 0),
            open: true,
            capacity: 0,
            attendees: Vec::new(),
            epoch: 0,
            category,
            kind: plan.born_kind(),
            places,
            rank,
        });
        id
    }

    /// The open service of `category` with most free places, the first such on a tie.
    #[inline]
    pub fn with_free_place(&self, category: usize) -> Option<ServiceId> {
        let rank = self.most_free[category].best()?;
        Some(ServiceId(self.members[category][rank] as u32))
    }

    /// Changes a service and keeps its category's choice in step.
    #[inline]
    fn update<R>(&mut self, service: ServiceId, change: impl FnOnce(&mut Service) -> R) -> R {
        let v = &mut self.services[service.index()];
        let result = change(v);
        let (category, rank, free) = (v.category, v.rank, v.free_places());
        self.most_free[category].set(rank, free);
        result
    }

    /// Someone takes a place; returns their index among the attendees.
    pub fn attend(&mut self, service: ServiceId, who: Slot) -> u32 {
        self.update(service, |v| {
            v.attendees.push(who);
            v.attendees.len() as u32 - 1
        })
    }

    /// The attendee at `place` leaves; returns who holds `place` now.
    pub fn leave(&mut self, service: ServiceId, place: u32, who: Slot) -> Slot {
        self.update(service, |v| super::posts::swap_out(&mut v.attendees, place, who))
    }

    /// The last attendee, if any (closures remove everyone, last first).
    pub fn last_attendee(&self, service: ServiceId) -> Option<Slot> {
        self.services[service.index()].attendees.last().copied()
    }

    /// Sets a service's places, keeping the places open in step; returns the old number.
    pub fn set_capacity(&mut self, service: ServiceId, places: u32) -> u32 {
        let old = self.update(service, |v| std::mem::replace(&mut v.capacity, places));
        self.places_open = self.places_open - old + places;
        old
    }

    /// The places a service has at `now`: its places times the capacity
    /// factors of the disruptions in force, if open; none if closed.
    pub fn places_now(&self, plan: &Plan, service: ServiceId, now: f64) -> u32 {
        let v = &self.services[service.index()];
        if !v.open {
            return 0;
        }
        let born = v.kind == plan.born_kind();
        let affected = |d: &&crate::scenario::Disruption| {
            if born {
                d.categories.binary_search(&v.category).is_ok()
            } else {
                d.services.binary_search(&v.kind).is_ok()
            }
        };
        let factor: f64 = plan
            .scenario
            .vcse
            .disruptions
            .iter()
            .filter(|d| d.from <= now && now < d.to)
            .filter(affected)
            .map(|d| d.capacity_factor)
            .product();
        (f64::from(v.places) * factor).round() as u32
    }

    /// Opens a service (a new one, or one reopening after a closure).
    pub fn open(&mut self, service: ServiceId) {
        self.services[service.index()].open = true;
    }

    /// Closes a service; returns its new epoch.
    pub fn close(&mut self, service: ServiceId) -> u32 {
        let v = &mut self.services[service.index()];
        v.open = false;
        v.epoch += 1;
        v.epoch
    }

    /// When a service open at `now` next closes at random (none if its
    /// closure rate is 0), and the epoch the closure must find.
    pub fn next_closure(&mut self, plan: &Plan, service: ServiceId, now: f64) -> Option<(f64, u32)> {
        let v = &mut self.services[service.index()];
        let rate = plan.closures(v.kind).annual_rate;
        if rate <= 0.0 {
            return None;
        }
        let e: f64 = v.closure_rng.sample(Exp1);
        v.epoch += 1;
        Some((now + e * units::DAYS_PER_YEAR / rate, v.epoch))
    }

    /// Whether a closure is for good; if not, how long until it reopens.
    pub fn closure_length(&mut self, plan: &Plan, service: ServiceId) -> Option<f64> {
        let v = &mut self.services[service.index()];
        let permanent = v.closure_rng.random::<f64>() < plan.closures(v.kind).permanent_probability;
        (!permanent).then(|| plan.closure_duration[v.kind].sample(&mut v.closure_rng))
    }

    // ----- holding ------------------------------------------------------

    /// Holds someone for a place of `category`, at the back of its queue.
    pub fn hold(&mut self, category: usize, entry: Entry<Slot>) {
        self.holding[category].push_back(entry);
        self.held += 1;
    }

    /// A held person stops being held other than by taking a place.
    pub fn unhold(&mut self) {
        self.held -= 1;
    }

    /// Whether nobody is held for `category` (stale entries at the front are dropped).
    pub fn nobody_held(&mut self, category: usize, is_current: impl FnMut(Entry<Slot>) -> bool) -> bool {
        self.holding[category].is_empty(is_current)
    }

    /// The person held longest for `category`, taken off its queue.
    pub fn next_held(&mut self, category: usize, is_current: impl FnMut(Entry<Slot>) -> bool) -> Option<Slot> {
        let who = self.holding[category].pop(is_current)?;
        self.held -= 1;
        Some(who)
    }
}

impl std::ops::Index<ServiceId> for Services {
    type Output = Service;
    fn index(&self, service: ServiceId) -> &Service {
        &self.services[service.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    /// Two services of one category and one of another; a disruption halves
    /// the first from day 10 to day 20.
    fn scenario() -> scenario::Scenario {
        crate::model::test_scenario(
            r#"
[client_groups.only]
share = 1
categories = { social = 1 }
[[link_workers.posts]]
count = 1
[[vcse.services]]
name = "A"
category = "social"
places = 6
[[vcse.services]]
name = "B"
category = "social"
places = 4
[[vcse.services]]
name = "C"
category = "debt"
places = 3
[[vcse.disruptions]]
from = "2024-04-11"
to = "2024-04-21"
services = ["A"]
capacity_factor = 0.5
"#,
        )
    }

    /// One link worker and service A, two places of the one category,
    /// followed by `rest` (more services, births, A's closures).
    fn service_a(rest: &str) -> scenario::Scenario {
        crate::model::test_scenario(&format!(
            r#"
[client_groups.only]
share = 1
categories = {{ social = 1 }}
[[link_workers.posts]]
count = 1
[[vcse.services]]
name = "A"
category = "social"
places = 2
{rest}"#
        ))
    }

    fn opened(plan: &Plan) -> Services {
        let mut services = Services::default();
        services.reset(plan, 1);
        for id in services.ids().collect::<Vec<_>>() {
            let places = services.places_now(plan, id, 0.0);
            services.set_capacity(id, places);
        }
        services
    }

    #[test]
    fn places_through_a_disruption() {
        let s = scenario();
        let plan = Plan::new(&s);
        let services = opened(&plan);
        let a = ServiceId(0);
        assert_eq!(services.places_now(&plan, a, 5.0), 6);
        assert_eq!(services.places_now(&plan, a, 15.0), 3, "halved while in force");
        assert_eq!(services.places_now(&plan, a, 20.0), 6, "restored at its end");
        assert_eq!(services.places_now(&plan, ServiceId(1), 15.0), 4, "others untouched");
        assert_eq!(services.places_open, 13);
    }

    #[test]
    fn a_place_goes_to_the_service_with_most_free_places_of_the_category() {
        let s = scenario();
        let plan = Plan::new(&s);
        let mut services = opened(&plan);
        let social = s.vcse.services[0].category;
        let (a, b) = (ServiceId(0), ServiceId(1));
        assert_eq!(services.with_free_place(social), Some(a));
        services.attend(a, Slot(0));
        services.attend(a, Slot(1));
        services.attend(a, Slot(2));
        // A has 3 free, B 4: B.
        assert_eq!(services.with_free_place(social), Some(b));
        services.attend(b, Slot(3));
        assert_eq!(services.with_free_place(social), Some(a), "3 each: the first");
        services.close(a);
        services.set_capacity(a, 0);
        assert_eq!(services.with_free_place(social), Some(b));
    }

    /// A born service joins its category's choice at the end of the row,
    /// and a disruption reaches it through its category (or "all"), never
    /// through a service's name.
    #[test]
    fn a_born_service_joins_its_category_and_its_category_s_disruptions() {
        let s = service_a(
            r#"
[[vcse.services]]
name = "C"
category = "debt"
places = 3
[vcse.births]
annual_rate = 1
places = 5
[[vcse.disruptions]]
from = "2024-04-11"
to = "2024-04-21"
services = ["A"]
capacity_factor = 0.5
[[vcse.disruptions]]
from = "2024-05-01"
to = "2024-05-11"
services = ["social"]
capacity_factor = 0.4
"#,
        );
        let plan = Plan::new(&s);
        let mut services = opened(&plan);
        let social = s.vcse.services[0].category;
        assert_eq!(services.born(&plan).count(), 0);
        let born = services.add_born(&plan, 1, social, 5);
        assert_eq!(born, ServiceId(2), "numbered after the scenario's services");
        assert_eq!(services[born].kind, plan.born_kind());
        assert_eq!(services.born(&plan).collect::<Vec<_>>(), vec![born]);
        assert_eq!(
            services.with_free_place(social),
            Some(ServiceId(0)),
            "no places until given"
        );
        let places = services.places_now(&plan, born, 0.0);
        services.set_capacity(born, places);
        assert_eq!(places, 5);
        assert_eq!(services.places_open, 10);
        assert_eq!(services.with_free_place(social), Some(born), "5 free against A's 2");
        // Day 15: the disruption names A, not the category: the born service is untouched.
        assert_eq!(services.places_now(&plan, born, 15.0), 5);
        assert_eq!(services.places_now(&plan, ServiceId(0), 15.0), 1);
        // Day 35: the category's disruption reaches both.
        assert_eq!(services.places_now(&plan, born, 35.0), 2);
        assert_eq!(services.places_now(&plan, ServiceId(0), 35.0), 1);
        // A second birth in the same category grows its row past a power of two.
        let second = services.add_born(&plan, 1, social, 7);
        services.set_capacity(second, 7);
        assert_eq!(services.with_free_place(social), Some(second));
        services.close(second);
        services.set_capacity(second, 0);
        assert_eq!(services.with_free_place(social), Some(born));
        // A new replicate forgets the born services.
        services.reset(&plan, 1);
        assert_eq!(services.born(&plan).count(), 0);
        assert_eq!(services.ids().count(), 2);
    }

    #[test]
    fn every_closure_and_every_closure_drawn_has_a_new_epoch() {
        // A closure event is current only while the service's epoch is the
        // one it carries: a dated closure must outdate a random one drawn
        // before it, and each random closure drawn must outdate the last.
        let s = service_a(
            r#"
closures = { annual_rate = 1 }
"#,
        );
        let plan = Plan::new(&s);
        let mut services = opened(&plan);
        let a = ServiceId(0);
        let mut epochs = Vec::new();
        for _ in 0..3 {
            let (_, drawn) = services.next_closure(&plan, a, 0.0).expect("A closes at random");
            epochs.push(drawn);
            epochs.push(services.close(a));
            services.open(a);
        }
        let (_, drawn) = services.next_closure(&plan, a, 0.0).expect("A closes at random");
        epochs.push(drawn);
        assert!(epochs.windows(2).all(|w| w[0] < w[1]), "epochs {epochs:?}");
    }

    /// Each born service draws its closures from its own stream, keyed by its
    /// number, and with the births' closure rate, not the scenario services'.
    #[test]
    fn a_born_service_closes_at_the_births_rate_on_its_own_stream() {
        let s = service_a(
            r#"
closures = { annual_rate = 0 }
[vcse.births]
annual_rate = 1
closures = { annual_rate = 2, permanent_probability = 1 }
"#,
        );
        let plan = Plan::new(&s);
        let mut services = opened(&plan);
        assert_eq!(services.next_closure(&plan, ServiceId(0), 0.0), None, "A never closes");
        let mut gaps = Vec::new();
        for _ in 0..2000 {
            let born = services.add_born(&plan, 7, 0, 1);
            let (t, _) = services.next_closure(&plan, born, 100.0).expect("born services close");
            assert_eq!(services.closure_length(&plan, born), None, "every closure is for good");
            gaps.push(t - 100.0);
        }
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let expected = units::DAYS_PER_YEAR / 2.0;
        // Exponential: sd = mean, so the mean of 2000 is within 4 standard errors.
        assert!(
            (mean - expected).abs() < 4.0 * expected / (gaps.len() as f64).sqrt(),
            "mean time to closure {mean:.1} days, expected {expected:.1}"
        );
        // Services with different numbers draw different times.
        gaps.dedup();
        assert!(gaps.len() > 1990);
    }

    #[test]
    fn held_people_are_served_first_held_first() {
        let s = scenario();
        let plan = Plan::new(&s);
        let mut services = opened(&plan);
        for who in 0..3 {
            services.hold(
                0,
                Entry {
                    who: Slot(who),
                    epoch: 0,
                },
            );
        }
        // The first held disengaged: their entry is stale.
        services.unhold();
        let current = |e: Entry<Slot>| e.who != Slot(0);
        assert_eq!(services.held, 2);
        assert!(!services.nobody_held(0, current));
        assert_eq!(services.next_held(0, current), Some(Slot(1)));
        assert_eq!(services.next_held(0, current), Some(Slot(2)));
        assert_eq!(services.next_held(0, current), None);
        assert_eq!(services.held, 0);
    }
}
