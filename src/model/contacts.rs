//! Support as stretches of contacts, each walked in one go.
//!
//! Between two changes that someone else can see (an onward decision, a
//! disengagement, the last contact), a person's contacts concern nobody but
//! them: nothing another person does changes a contact's time or whether the
//! person stays engaged. So a stretch is drawn whole from the referral's own
//! random stream when it starts, and only its end becomes an event. If the
//! stretch is interrupted (a handover back to the waiting list), it is
//! replayed from the same stream up to the interruption to find how many
//! contacts had happened. Delivery periods (remote working, a pause for
//! digitally excluded people) bear on each contact's time and chance of
//! disengaging.

use super::plan::Plan;
use super::random::{person_stream, PersonRng};
use super::referral::Referral;
use crate::scenario::DeliveryPeriod;
use rand::Rng as _;

/// Where a stretch of contacts ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Disengage,
    Decision,
    Complete,
    /// Only when replaying: the stretch was cut short before its end.
    Interrupted,
}

/// A stretch of contacts being walked: where it began, and where it ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stretch {
    pub start: f64,
    /// Whether a contact happens at `start` (at allocation) or one interval
    /// after it (resuming after a connection).
    pub contact_at_start: bool,
    pub end: Step,
    /// Contacts done by its end.
    pub done_at_end: u16,
}

impl Stretch {
    /// Walks the referral's next stretch from `start` (its stream's next piece
    /// must already be taken) and returns it with the time of its end.
    pub fn walk(plan: &Plan, r: &Referral, start: f64, contact_at_start: bool, support_key: u64) -> (Stretch, f64) {
        let mut stretch = Stretch {
            start,
            contact_at_start,
            end: Step::Complete,
            done_at_end: 0,
        };
        let (end, time, done) = walk_contacts(plan, r, &stretch, f64::INFINITY, support_key);
        stretch.end = end;
        stretch.done_at_end = done;
        (stretch, time)
    }

    /// Contacts done by `now`, replaying the stretch to an interruption. A
    /// decision due at this very moment has not been made: that contact is
    /// done again on resuming.
    pub fn done_by(&self, plan: &Plan, r: &Referral, now: f64, support_key: u64) -> u16 {
        let (step, _, done) = walk_contacts(plan, r, self, now, support_key);
        if step == Step::Decision {
            done - 1
        } else {
            done
        }
    }
}

/// The chance of disengaging at a contact or check-in at time `t`, with the
/// delivery mode in force.
pub fn disengage_probability(plan: &Plan, r: &Referral, t: f64) -> f64 {
    let base = plan.groups[r.group as usize].disengage_per_contact;
    match delivery_at(plan, t) {
        None => base,
        Some(d) => {
            let extra = if r.excluded { d.excluded_extra_disengage } else { 0.0 };
            (base * d.disengage_multiplier + extra).min(1.0)
        }
    }
}

fn delivery_at<'p>(plan: &'p Plan, t: f64) -> Option<&'p DeliveryPeriod> {
    plan.scenario.delivery_periods.iter().find(|d| d.from <= t && t < d.to)
}

/// Walks a referral's contacts from the start of `stretch` until a
/// disengagement, the onward decision or the last contact, or until `stop_at`
/// when replaying. Returns the step, its time, and the contacts done by then.
fn walk_contacts(plan: &Plan, r: &Referral, stretch: &Stretch, stop_at: f64, support_key: u64) -> (Step, f64, u16) {
    if r.done >= r.contacts {
        return (Step::Complete, stretch.start, r.done);
    }
    let rng = person_stream(support_key, r.stream, r.part);
    if plan.scenario.delivery_periods.is_empty() {
        walk::<Steady>(plan, r, stretch, stop_at, rng)
    } else {
        walk::<InPeriods>(plan, r, stretch, stop_at, rng)
    }
}

/// How delivery periods bear on contacts. Most scenarios have none, and the
/// walk is compiled for them without the look-ups; the draws are the same.
trait Delivery {
    /// When a contact due at `t` happens: digitally excluded people wait out a pause.
    fn resume(plan: &Plan, r: &Referral, t: f64) -> f64;
    fn disengage_chance(plan: &Plan, r: &Referral, t: f64) -> f64;
    fn interval_factor(plan: &Plan, t: f64) -> f64;
}

/// No delivery periods: every contact as the client group describes.
struct Steady;

impl Delivery for Steady {
    #[inline(always)]
    fn resume(_: &Plan, _: &Referral, t: f64) -> f64 {
        t
    }
    #[inline(always)]
    fn disengage_chance(plan: &Plan, r: &Referral, _: f64) -> f64 {
        plan.groups[r.group as usize].disengage_per_contact
    }
    #[inline(always)]
    fn interval_factor(_: &Plan, _: f64) -> f64 {
        1.0
    }
}

/// The scenario's delivery periods, looked up at each contact.
struct InPeriods;

impl Delivery for InPeriods {
    fn resume(plan: &Plan, r: &Referral, mut t: f64) -> f64 {
        if r.excluded {
            while let Some(d) = delivery_at(plan, t).filter(|d| d.excluded_pause) {
                t = d.to;
            }
        }
        t
    }
    fn disengage_chance(plan: &Plan, r: &Referral, t: f64) -> f64 {
        disengage_probability(plan, r, t)
    }
    fn interval_factor(plan: &Plan, t: f64) -> f64 {
        delivery_at(plan, t).map_or(1.0, |d| d.contact_interval_multiplier)
    }
}

#[inline(always)]
fn walk<D: Delivery>(
    plan: &Plan,
    r: &Referral,
    stretch: &Stretch,
    stop_at: f64,
    mut rng: PersonRng,
) -> (Step, f64, u16) {
    let group = &plan.groups[r.group as usize];
    // The contact at which the onward decision falls due, if it is still to come.
    let decision = if r.needs_onward && r.decision_time.is_none() {
        group.planning_contact.min(r.contacts)
    } else {
        0
    };
    let mut k = r.done + 1;
    let mut t = stretch.start;
    if !stretch.contact_at_start {
        t += group.interval_before(k).sample(&mut rng) * D::interval_factor(plan, t);
    }
    loop {
        t = D::resume(plan, r, t);
        if t > stop_at {
            return (Step::Interrupted, t, k - 1);
        }
        if k >= 2 && rng.random::<f64>() < D::disengage_chance(plan, r, t) {
            return (Step::Disengage, t, k - 1);
        }
        if k == decision {
            return (Step::Decision, t, k);
        }
        if k >= r.contacts {
            return (Step::Complete, t, k);
        }
        t += group.interval_before(k + 1).sample(&mut rng) * D::interval_factor(plan, t);
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::referral::tests::referral;
    use crate::model::referral::ReferralId;

    /// One group: 6 contacts a week apart, no disengagement, the plan at the third.
    const ONE_GROUP: &str = r#"
[client_groups.only]
share = 1
contacts = 6
contact_interval = "7d"
disengage_per_contact = 0
onward_need = 1
planning_contact = 3
categories = { social = 1 }

[[link_workers.posts]]
count = 1

[[vcse.services]]
name = "Group"
category = "social"
places = 5
"#;

    #[test]
    fn a_stretch_stops_at_the_onward_decision_then_runs_to_the_last_contact() {
        let s = crate::model::test_scenario(ONE_GROUP);
        let plan = Plan::new(&s);
        let mut r = referral(ReferralId(0));
        r.contacts = 6;
        r.needs_onward = true;
        let (stretch, t) = Stretch::walk(&plan, &r, 10.0, true, 1);
        assert_eq!((stretch.end, stretch.done_at_end, t), (Step::Decision, 3, 24.0));
        // After the decision, the walk resumes one interval on and runs to the end.
        r.done = 3;
        r.decision_time = Some(t);
        let (stretch, t) = Stretch::walk(&plan, &r, t, false, 1);
        assert_eq!((stretch.end, stretch.done_at_end, t), (Step::Complete, 6, 45.0));
    }

    #[test]
    fn later_contacts_come_at_the_later_interval_from_their_number_on() {
        let later = ONE_GROUP.replace(
            "planning_contact = 3",
            "planning_contact = 3\nlater_contacts = { from_contact = 4, interval = \"28d\" }",
        );
        let s = crate::model::test_scenario(&later);
        let plan = Plan::new(&s);
        let mut r = referral(ReferralId(0));
        r.contacts = 6;
        // Contacts 1-3 a week apart from day 0; contacts 4-6 four weeks apart.
        let (stretch, t) = Stretch::walk(&plan, &r, 0.0, true, 1);
        assert_eq!(
            (stretch.end, stretch.done_at_end, t),
            (Step::Complete, 6, 14.0 + 3.0 * 28.0)
        );
        assert_eq!(stretch.done_by(&plan, &r, 14.0 + 27.0, 1), 3);
        assert_eq!(stretch.done_by(&plan, &r, 14.0 + 28.0, 1), 4);
        // Resuming after contact 3, the gap to contact 4 is already a later one.
        r.done = 3;
        let (stretch, t) = Stretch::walk(&plan, &r, 100.0, false, 1);
        assert_eq!((stretch.done_at_end, t), (6, 100.0 + 3.0 * 28.0));
        // Resuming after contact 2, one weekly gap comes first.
        r.done = 2;
        let (_, t) = Stretch::walk(&plan, &r, 100.0, false, 1);
        assert_eq!(t, 100.0 + 7.0 + 3.0 * 28.0);
    }

    #[test]
    fn a_replay_counts_the_contacts_done_before_an_interruption() {
        let s = crate::model::test_scenario(ONE_GROUP);
        let plan = Plan::new(&s);
        let mut r = referral(ReferralId(0));
        r.contacts = 6;
        let (stretch, _) = Stretch::walk(&plan, &r, 0.0, true, 1);
        // Contacts at 0, 7, 14, ...: by day 15 three have happened.
        assert_eq!(stretch.done_by(&plan, &r, 15.0, 1), 3);
        assert_eq!(stretch.done_by(&plan, &r, 0.5, 1), 1);
        // A decision falling due exactly now has not been made.
        r.needs_onward = true;
        let (stretch, t) = Stretch::walk(&plan, &r, 0.0, true, 1);
        assert_eq!(t, 14.0);
        assert_eq!(stretch.done_by(&plan, &r, 14.0, 1), 2);
    }
}
