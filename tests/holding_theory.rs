//! Holding (people kept on a caseload until a VCSE place frees) against theory.
//!
//! Three reductions where the answer is known without the simulator:
//! - the onward side alone is an M/M/c queue, so the holding time and the
//!   probability of being held must follow Erlang C, and the number held
//!   Erlang C's mean queue length;
//! - Little's law ties the time-average number held to the holding times
//!   recorded, on that queue and on the baseline;
//! - with no VCSE place ever free, holding is a string of check-ins, each a
//!   coin toss to disengage, cut off at the maximum holding time: the share
//!   discharged unmet and the mean holding time have closed forms.
//!
//! And one rule checked through the trace: each allocation goes to the link
//! worker with the most free places, and held people keep their caseload place.

mod common;

use common::{baseline_with, erlang_c, mean_interval, scenario, Events};
use spcap::model::{Exit, NoTrace, Plan, Simulation};
use spcap::scenario::LoadedScenario;
use spcap::stats::quantile::t_quantile;

/// Nobody is ever re-referred: each referral is one independent passage.
const NO_RE_REFERRAL: &str = "re_referral = { probability = { reneged = 0, disengaged = 0, completed_connected = 0, completed_no_need = 0, unmet = 0, lost_vcse_place = 0 } }";

/// One link worker with room for everyone (10,000 places): nobody waits, and
/// allocation is at referral.
const ROOM_FOR_EVERYONE: &str = "caseload_per_fte = 10000\n[[link_workers.posts]]\ncount = 1\n";

/// The onward side as an M/M/c queue: λ = 1 onward decision a day, c places,
/// attendance exponential with mean 4 days (μ = 0.25), so ρ = 4 / c.
///
/// Why the onward decisions are a Poisson process of rate λ: referrals are
/// Poisson (rate 1 a day, none out of remit), a link worker has 10,000 places
/// so nobody waits and allocation is at referral, nobody disengages, and
/// everyone needs a place. The decision is at the second contact, an
/// independent exponential delay (mean 3 days) after allocation. Poisson
/// points each displaced by an independent, identically distributed delay
/// are again a Poisson process of the same rate (the output of an M/G/∞
/// queue), so from the warm-up on the decisions are Poisson.
/// Then: one category, one service of c places, exponential attendance, a
/// FIFO queue of held people with no maximum and no disengagement at
/// check-ins (the check-ins still happen, every week, and must change nothing):
/// the held people are exactly the queue of an M/M/c system, and the holding
/// time its waiting time. Attendance is independent of the link worker, so
/// a person's support ending does not free their place.
fn onward_mmc(places: u32) -> LoadedScenario {
    everyone_needs_a_place(
        "warm_up = \"100d\"\nhorizon = \"3y\"\n",
        "rate_per_month = 30.4375\n",
        "contacts = 2\nplanning_contact = 2\ncontact_interval = { dist = \"exponential\", mean = \"3d\" }\ndisengage_per_contact = 0\n",
        "max_holding = \"none\"\ncheck_in_interval = \"1w\"\n",
        ROOM_FOR_EVERYONE,
        &format!("places = {places}\nattendance = {{ dist = \"exponential\", mean = \"4d\" }}\n"),
    )
}

/// The scenario every test here shares: one client group in which everyone
/// needs a place of the one category, nobody is out of remit or re-referred,
/// no turnover, one VCSE service that never closes, and `policy = "hold"`.
/// The arguments fill in the rest: the keys of `[calendar]`, `[referrals]`,
/// the group, `[holding]`, `[link_workers]` (with the posts) and the service.
fn everyone_needs_a_place(
    calendar: &str,
    referrals: &str,
    group: &str,
    holding: &str,
    link_workers: &str,
    service: &str,
) -> LoadedScenario {
    scenario(&format!(
        r#"
[calendar]
start = "2020-01-01"
{calendar}
[referrals]
inappropriate_share = 0
{referrals}
[client_groups.only]
share = 1
onward_need = 1
categories = {{ any = 1 }}
digitally_excluded_share = 0
{NO_RE_REFERRAL}
{group}
[holding]
policy = "hold"
{holding}
[link_workers]
turnover = {{ annual_rate = 0 }}
handover_disengage = 0
{link_workers}
[vcse]
closures = {{ annual_rate = 0 }}

[[vcse.services]]
name = "Any"
category = "any"
{service}"#
    ))
}

/// Per replicate of the onward M/M/c: mean holding time, share held at all and
/// longer than given times, time-average number held, and the two sides of
/// Little's law (∫ held dt and the sum of holding times).
struct Holding {
    mean: f64,
    held_share: f64,
    /// Shares held longer than each of [`TAIL_DAYS`].
    held_longer: [f64; 3],
    held_timeavg: f64,
    held_area: f64,
    holding_sum: f64,
}

/// Holding times at which the tail of the distribution is checked, in days.
const TAIL_DAYS: [f64; 3] = [2.0, 5.0, 10.0];

fn replicate_holding(loaded: &LoadedScenario, replicates: u64) -> Vec<Holding> {
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    (0..replicates)
        .map(|r| {
            sim.run(&plan, 7, r, &mut NoTrace)
                .expect("the test scenario fits in a replicate");
            let rec = sim.record_mut();
            let n = rec.holding_times.len() as f64;
            let holding_sum = rec.holding_times.iter().sum::<f64>();
            Holding {
                mean: holding_sum / n,
                held_share: rec.holding_times.iter().filter(|h| **h > 0.0).count() as f64 / n,
                held_longer: TAIL_DAYS.map(|t| rec.holding_times.iter().filter(|h| **h > t).count() as f64 / n),
                held_timeavg: rec.held_area / rec.measured_days,
                held_area: rec.held_area,
                holding_sum,
            }
        })
        .collect()
}

/// Asserts that `expected` lies in the 99% interval of the mean of `observed` over replicates.
fn assert_in_interval(observed: &[f64], expected: f64, what: &str) {
    let (m, h) = mean_interval(observed, 0.99);
    assert!(
        (m - expected).abs() <= h,
        "{what}: expected {expected:.4}, observed {m:.4} ± {h:.4} (99% over {} replicates)",
        observed.len()
    );
}

#[test]
fn holding_time_and_probability_of_being_held_match_erlang_c() {
    for c in [5, 6] {
        let (lambda, mu) = (1.0, 0.25);
        let p_held = erlang_c(c, lambda / mu);
        let mean_holding = p_held / (f64::from(c) * mu - lambda);
        let reps = replicate_holding(&onward_mmc(c), 200);
        let means: Vec<f64> = reps.iter().map(|r| r.mean).collect();
        let shares: Vec<f64> = reps.iter().map(|r| r.held_share).collect();
        assert_in_interval(&means, mean_holding, &format!("c = {c}: mean holding time (days)"));
        assert_in_interval(&shares, p_held, &format!("c = {c}: probability of being held"));
    }
}

#[test]
fn holding_time_beyond_zero_is_exponential_as_first_held_first_served() {
    // First come, first served on c busy places: someone held waits for the
    // people ahead and then one departure, each at rate cμ, against arrivals
    // at λ, so P(H > t) = C e^{-(cμ - λ) t}. The mean alone would not tell
    // the order: last held, first served has the same mean and a longer tail.
    let (c, lambda, mu) = (5, 1.0, 0.25);
    let p_held = erlang_c(c, lambda / mu);
    let reps = replicate_holding(&onward_mmc(c), 200);
    for (i, t) in TAIL_DAYS.iter().enumerate() {
        let expected = p_held * (-(f64::from(c) * mu - lambda) * t).exp();
        let shares: Vec<f64> = reps.iter().map(|r| r.held_longer[i]).collect();
        assert_in_interval(&shares, expected, &format!("c = {c}: share held longer than {t} days"));
    }
}

#[test]
fn number_held_matches_erlang_c_queue_length() {
    // Erlang C's mean queue length Lq = λ Wq: a check of the held level on
    // its own, independent of the holding times the model records.
    for c in [5, 6] {
        let (lambda, mu) = (1.0, 0.25);
        let lq = lambda * erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda);
        let reps = replicate_holding(&onward_mmc(c), 200);
        let held: Vec<f64> = reps.iter().map(|r| r.held_timeavg).collect();
        assert_in_interval(&held, lq, &format!("c = {c}: time-average number held"));
    }
}

/// Checks ∫ held dt against Σ holding times, summed over replicates, to a relative tolerance.
fn assert_littles_law(area: f64, holding: f64, tolerance: f64, what: &str) {
    let gap = (area - holding).abs() / holding;
    assert!(
        gap <= tolerance,
        "{what}: ∫ held dt = {area:.1} person-days (time-average held × period), \
         expected Σ holding times = {holding:.1} (decision rate × mean holding × period): \
         relative gap {gap:.2e}, tolerance {tolerance:.0e}"
    );
}

#[test]
fn littles_law_for_people_held_on_the_onward_mmc() {
    // The rate of onward decisions times the mean holding time (0 for those
    // connected at once) is Σ holding times / period; the time-average
    // number held is ∫ held dt / period; the period cancels.
    //
    // Held time that no recorded holding time covers, per replicate: people
    // held when the warm-up ends (Lq ≈ 2.2 for c = 5, each with a few days
    // still to wait), and people referred in the warm-up but decided after it
    // (λ × 3 days ≈ 3, each held W ≈ 2.2 days on average): some 20
    // person-days against λ W × 1,096 days ≈ 2,400, about 0.8%. People still
    // held at the end are counted to the end on both sides. A 2% tolerance
    // covers it; a holding time off by a quarter or more is far outside.
    let reps = replicate_holding(&onward_mmc(5), 100);
    let area: f64 = reps.iter().map(|r| r.held_area).sum();
    let holding: f64 = reps.iter().map(|r| r.holding_sum).sum();
    assert_littles_law(area, holding, 0.02, "onward M/M/5");
    // The edge only ever adds held time that nobody's holding time records.
    assert!(
        area >= holding,
        "∫ held dt = {area:.1} < Σ holding times = {holding:.1}"
    );
}

#[test]
fn littles_law_for_people_held_on_the_baseline() {
    // Turnover off: with no handover a holding time is exactly the time spent
    // held (a held person sent back to the waiting list would keep counting
    // holding time while not held).
    let no_turnover = "[link_workers]\nturnover = { annual_rate = 0 }\n";

    // From empty with no warm-up everybody is measured and counted from their
    // decision to the end of their holding or of the run, so the identity is
    // exact: only rounding separates the two sides.
    let loaded = baseline_with(&format!("[calendar]\nwarm_up = \"0d\"\n{no_turnover}"));
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    for r in 0..10 {
        sim.run(&plan, 5, r, &mut NoTrace)
            .expect("the test scenario fits in a replicate");
        let rec = sim.record_mut();
        let holding = rec.holding_times.iter().sum::<f64>();
        assert!(
            holding > 300.0,
            "replicate {r}: too little holding ({holding:.1} days) to test"
        );
        assert_littles_law(
            rec.held_area,
            holding,
            1e-9,
            &format!("baseline from empty, replicate {r}"),
        );
    }

    // With the baseline's two-year warm-up the two sides differ by the edge:
    // time held after the warm-up by people referred before it, which is in
    // the level but in nobody's recorded holding time (measured people are
    // those referred after the warm-up). The trace gives each held spell, so
    // the edge is computed exactly and the identity is again exact; the edge
    // itself must stay small (it is about 5% here: a few people held at the
    // warm-up's end, against about ten held on average), or the steady-state
    // reading L = λW of the outputs would not hold.
    let loaded = baseline_with(no_turnover);
    let plan = Plan::new(&loaded.scenario);
    let (mut area, mut holding, mut edge) = (0.0, 0.0, 0.0);
    for r in 0..20 {
        let mut spells = HeldSpells::new(loaded.scenario.warm_up);
        sim.run(
            &plan,
            5,
            r,
            &mut Events(|time, what, referral, worker| spells.on(time, what, referral, worker)),
        )
        .expect("the test scenario fits in a replicate");
        let end = loaded.scenario.warm_up + loaded.scenario.horizon;
        edge += spells.edge(end);
        let rec = sim.record_mut();
        area += rec.held_area;
        holding += rec.holding_times.iter().sum::<f64>();
    }
    assert_littles_law(
        area - edge,
        holding,
        1e-9,
        "baseline with warm-up, 20 replicates, less the held time of people referred in the warm-up",
    );
    assert!(
        edge >= 0.0 && edge / holding < 0.1,
        "baseline with warm-up: the edge is {:.2}% of Σ holding times, expected under 10%",
        100.0 * edge / holding
    );
}

/// From the trace: the time people referred before the warm-up's end spend
/// held after it (held from a `held` event to their connection or exit, or the end).
struct HeldSpells {
    warm_up: f64,
    referred: std::collections::HashMap<u32, f64>,
    held_since: std::collections::HashMap<u32, f64>,
    edge: f64,
}

impl HeldSpells {
    fn new(warm_up: f64) -> Self {
        HeldSpells {
            warm_up,
            referred: Default::default(),
            held_since: Default::default(),
            edge: 0.0,
        }
    }

    fn close(&mut self, referral: u32, time: f64) {
        if let Some(start) = self.held_since.remove(&referral) {
            if self.referred[&referral] < self.warm_up {
                self.edge += (time - start.max(self.warm_up)).max(0.0);
            }
        }
    }

    /// The edge once the run has ended at `end`, closing the spells still open.
    fn edge(mut self, end: f64) -> f64 {
        let open: Vec<u32> = self.held_since.keys().copied().collect();
        for r in open {
            self.close(r, end);
        }
        self.edge
    }
}

impl HeldSpells {
    fn on(&mut self, time: f64, what: &'static str, referral: Option<u32>, _: Option<u32>) {
        let Some(r) = referral else { return };
        match what {
            "referral" => {
                self.referred.insert(r, time);
            }
            "held" => {
                self.held_since.insert(r, time);
            }
            "returned_to_waiting_list" => panic!("a handover, with turnover off"),
            _ if what == "connected" || Exit::ALL.iter().any(|e| e.name() == what) => self.close(r, time),
            _ => {}
        }
    }
}

// ----- check-ins with no place ever free ---------------------------------

/// Nobody can ever be connected (the only service has no places): everyone
/// is held from their decision, at their first contact (so nobody disengages
/// before it, the model testing disengagement from the second contact on).
/// Check-ins every `interval` days; at each the person disengages with
/// probability `d`; after `max_holding` days they leave unmet. Referrals stop
/// on 1 September, 122 days before the end, longer than any holding here, so
/// every holding spell ends inside the run and none is cut short.
fn no_places(d: f64, interval: f64, max_holding: f64) -> LoadedScenario {
    everyone_needs_a_place(
        "warm_up = \"0d\"\nhorizon = \"1y\"\n",
        "rate_per_month = 60\nchanges = [{ from = \"2020-09-01\", multiplier = 0 }]\n",
        &format!("contacts = 3\nplanning_contact = 1\ncontact_interval = \"7d\"\ndisengage_per_contact = {d}\n"),
        &format!("max_holding = \"{max_holding}d\"\ncheck_in_interval = \"{interval}d\"\n"),
        ROOM_FOR_EVERYONE,
        "places = 0\n",
    )
}

/// The model's rule (docs/model.md 2.4, `hold` in src/model/simulation.rs):
/// check-ins fall at I, 2I, ... after the decision, and only those strictly
/// before the deadline D = max_holding count; at D itself the person leaves
/// unmet. So there are k = ⌈D / I⌉ − 1 check-ins.
fn check_ins_before(interval: f64, max_holding: f64) -> u32 {
    ((max_holding / interval).ceil() - 1.0) as u32
}

/// Holding with k check-ins at I, 2I, ..., kI, each a disengagement with
/// probability d (q = 1 − d), and discharge unmet at D ≥ kI otherwise.
///
/// The number of the check-in at which the person would first disengage, N,
/// is geometric on 1, 2, ...: P(N = n) = d qⁿ⁻¹, P(N > n) = qⁿ. They leave
/// unmet when N > k, so P(unmet) = qᵏ. The holding time is N·I when N ≤ k,
/// else D: a truncated geometric number of intervals, so
///   E[H] = Σₙ₌₁ᵏ n I d qⁿ⁻¹ + D qᵏ.
/// With Σₙ₌₁ᵏ n d qⁿ⁻¹ = Σₙ₌₀ᵏ⁻¹ P(N > n) − k qᵏ = (1 − qᵏ)/d − k qᵏ:
///   E[H] = I (1 − qᵏ)/d + (D − kI) qᵏ,
/// which for D = kI is I (1 − qᵏ)/d, i.e. I·E[min(N, k)].
/// Returns P(unmet), E[H] and the standard deviation of H (from E[H²] by the direct sum).
fn truncated_geometric(d: f64, interval: f64, max_holding: f64) -> (f64, f64, f64) {
    let k = check_ins_before(interval, max_holding);
    let q = 1.0 - d;
    let unmet = q.powi(k as i32);
    let mean = interval * (1.0 - unmet) / d + (max_holding - f64::from(k) * interval) * unmet;
    let second: f64 = (1..=k)
        .map(|n| (f64::from(n) * interval).powi(2) * d * q.powi(n as i32 - 1))
        .sum::<f64>()
        + max_holding.powi(2) * unmet;
    (unmet, mean, (second - mean * mean).sqrt())
}

#[test]
fn the_truncated_geometric_closed_form_is_right() {
    // Against the direct sum, and a case by hand: d = 1/2, I = 1, D = 2 gives
    // one check-in: disengage at day 1 (1/2) or unmet at day 2 (1/2), mean 1.5, sd 0.5.
    let (u, m, s) = truncated_geometric(0.5, 1.0, 2.0);
    assert!((u - 0.5).abs() < 1e-12 && (m - 1.5).abs() < 1e-12 && (s - 0.5).abs() < 1e-12);
    for (d, i, max) in [(0.2, 10.0, 50.0), (0.1, 14.0, 91.0), (0.3, 7.0, 30.5)] {
        let k = check_ins_before(i, max);
        let q = 1.0f64 - d;
        let direct = (1..=k)
            .map(|n| f64::from(n) * i * d * q.powi(n as i32 - 1))
            .sum::<f64>()
            + max * q.powi(k as i32);
        let (_, m, _) = truncated_geometric(d, i, max);
        assert!((m - direct).abs() < 1e-9, "closed form {m} vs direct sum {direct}");
    }
    assert_eq!(
        check_ins_before(10.0, 50.0),
        4,
        "a check-in at the deadline does not count"
    );
    assert_eq!(check_ins_before(10.0, 55.0), 5);
}

#[test]
fn check_ins_give_the_truncated_geometric_holding() {
    // (d, I, D): D = m·I puts the m-th check-in on the deadline, where the
    // model discharges unmet without a check-in, so (1 − d)^(m − 1) leave
    // unmet; D = (m + ½)·I gives m check-ins and the (1 − d)^m of issue 18.
    for (d, interval, max_holding) in [
        (0.2, 10.0, 50.0),
        (0.2, 10.0, 55.0),
        (0.1, 14.0, 84.0),
        (0.35, 28.0, 98.0),
    ] {
        let (p_unmet, mean, sd) = truncated_geometric(d, interval, max_holding);
        let loaded = no_places(d, interval, max_holding);
        let plan = Plan::new(&loaded.scenario);
        let mut sim = Simulation::new();
        let (mut unmet, mut disengaged, mut sum, mut n) = (0u64, 0u64, 0.0, 0usize);
        for r in 0..30 {
            sim.run(&plan, 11, r, &mut NoTrace)
                .expect("the test scenario fits in a replicate");
            let rec = sim.record_mut();
            assert_eq!(
                rec.in_system_end, 0,
                "a holding spell was cut short by the end of the run"
            );
            assert_eq!(rec.connected, 0, "someone was connected with no places");
            unmet += rec.exits[Exit::Unmet as usize];
            disengaged += rec.exits[Exit::Disengaged as usize];
            sum += rec.holding_times.iter().sum::<f64>();
            n += rec.holding_times.len();
        }
        let what = format!("d = {d}, check-ins every {interval} days, max holding {max_holding} days");
        // Each person is an independent trial (their own random stream, nobody
        // competes for anything), so the pooled share is binomial and the pooled
        // mean has the standard error σ/√n of the closed form's σ.
        assert_eq!(
            unmet + disengaged,
            n as u64,
            "{what}: someone left other than unmet or disengaged"
        );
        let z = t_quantile(n, 0.995);
        let share = unmet as f64 / n as f64;
        let h = z * (p_unmet * (1.0 - p_unmet) / n as f64).sqrt();
        assert!(
            (share - p_unmet).abs() <= h,
            "{what}: share unmet expected {p_unmet:.4}, observed {share:.4}, 99% interval ± {h:.4} (n = {n})"
        );
        let observed = sum / n as f64;
        let h = z * sd / (n as f64).sqrt();
        assert!(
            (observed - mean).abs() <= h,
            "{what}: mean holding expected {mean:.3} days, observed {observed:.3}, 99% interval ± {h:.3} (n = {n})"
        );
    }
}

/// Holding time from the trace: each person's onward decision, and how long after it they left.
#[derive(Default)]
struct HoldEnds {
    decisions: std::collections::HashMap<u32, f64>,
    disengaged_after: Vec<f64>,
}

impl HoldEnds {
    fn on(&mut self, time: f64, what: &'static str, referral: Option<u32>, _: Option<u32>) {
        let Some(r) = referral else { return };
        match what {
            "onward_decision" => {
                self.decisions.insert(r, time);
            }
            "disengaged" => self.disengaged_after.push(time - self.decisions[&r]),
            _ => {}
        }
    }
}

#[test]
fn no_check_in_falls_at_the_deadline() {
    // With D = 5 × 10 days the fifth check-in coincides with the deadline and,
    // by the model's rule, does not happen. Were the check-in times built by
    // adding the interval again and again, for some decision times the sum
    // would round below decision + D and the person would be tested for
    // disengagement (and could disengage) at the deadline.
    let loaded = no_places(0.2, 10.0, 50.0);
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let mut at_deadline = 0;
    for r in 0..40 {
        let mut trace = HoldEnds::default();
        sim.run(
            &plan,
            7,
            r,
            &mut Events(|time, what, referral, worker| trace.on(time, what, referral, worker)),
        )
        .expect("the test scenario fits in a replicate");
        at_deadline += trace.disengaged_after.iter().filter(|h| **h > 45.0).count();
    }
    assert_eq!(
        at_deadline, 0,
        "people disengaged at the deadline (50 days after their decision)"
    );
}

// ----- allocation, through the trace -------------------------------------

/// Follows each link worker's caseload from the trace and checks every
/// allocation against the rule: the post with the most free places, the first
/// such post on a tie, and never a full post.
struct Allocations {
    capacity: Vec<u32>,
    caseload: Vec<u32>,
    allocations: usize,
    /// Allocations made while more than one post had a free place: the ones that test the rule.
    with_a_choice: usize,
    not_most_free: Vec<String>,
}

impl Allocations {
    fn on(&mut self, time: f64, what: &'static str, _: Option<u32>, worker: Option<u32>) {
        let free: Vec<u32> = self
            .capacity
            .iter()
            .zip(&self.caseload)
            .map(|(c, n)| c.saturating_sub(*n))
            .collect();
        if what == "allocated" {
            let w = worker.expect("an allocation names its link worker") as usize;
            let most = *free.iter().max().unwrap();
            let first_most = free.iter().position(|f| *f == most).unwrap();
            if free[w] == 0 || w != first_most {
                self.not_most_free
                    .push(format!("day {time:.2}: to post {w} with free places {free:?}"));
            }
            self.caseload[w] += 1;
            self.allocations += 1;
            self.with_a_choice += usize::from(free.iter().filter(|f| **f > 0).count() > 1);
        } else if Exit::ALL.iter().any(|e| e.name() == what) {
            // Exits from a caseload name the worker; those from the waiting list do not.
            if let Some(w) = worker {
                self.caseload[w as usize] -= 1;
            }
        }
    }
}

#[test]
fn allocation_goes_to_the_post_with_most_free_places_and_held_people_keep_theirs() {
    // Three posts of unequal size (20, 10 and 16 places), no turnover (so no
    // handovers), scarce VCSE places so that many people are held on their
    // caseload, and a load that leaves places free at several posts at once,
    // where the choice of post matters. Held people are not taken off the
    // caseload here: if the model freed a held person's place and filled it,
    // an allocation would go to a post this count says is full.
    let loaded = everyone_needs_a_place(
        "warm_up = \"0d\"\nhorizon = \"2y\"\n",
        "rate_per_month = 16\n",
        "contacts = { dist = \"uniform\", min = 2, max = 8 }\nplanning_contact = 2\n\
         contact_interval = { dist = \"exponential\", mean = \"14d\" }\ndisengage_per_contact = 0.05\n",
        "max_holding = \"8w\"\ncheck_in_interval = \"2w\"\n",
        "caseload_per_fte = 20\n[[link_workers.posts]]\nfte = 1.0\n\
         [[link_workers.posts]]\nfte = 0.5\n[[link_workers.posts]]\nfte = 0.8\n",
        "places = 6\nattendance = { dist = \"exponential\", mean = \"6w\" }\n",
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    for r in 0..5 {
        let mut trace = Allocations {
            capacity: vec![20, 10, 16],
            caseload: vec![0; 3],
            allocations: 0,
            with_a_choice: 0,
            not_most_free: Vec::new(),
        };
        sim.run(
            &plan,
            3,
            r,
            &mut Events(|time, what, referral, worker| trace.on(time, what, referral, worker)),
        )
        .expect("the test scenario fits in a replicate");
        let rec = sim.record_mut();
        assert!(
            trace.with_a_choice > 100,
            "replicate {r}: only {} of {} allocations had a choice of post",
            trace.with_a_choice,
            trace.allocations
        );
        assert!(
            rec.held_area > 100.0,
            "replicate {r}: too little holding ({:.0} person-days) to test",
            rec.held_area
        );
        assert!(
            trace.not_most_free.is_empty(),
            "replicate {r}: {} of {} allocations did not go to the first post with most free places \
             (capacities [20, 10, 16]); first: {}",
            trace.not_most_free.len(),
            trace.allocations,
            trace.not_most_free[0]
        );
    }
}

// ----- a handover, through the trace --------------------------------------

/// Follows the waiting list through the trace: who is returned to it by a
/// handover, and who is allocated next.
#[derive(Default)]
struct Handovers {
    /// People returned by the latest handover who have not been allocated yet.
    returned: Vec<u32>,
    /// Allocations made while some of them were still waiting.
    allocations_after_handover: usize,
    /// Allocations that went to someone else while a returned person waited.
    overtaken: Vec<String>,
}

impl Handovers {
    fn on(&mut self, time: f64, what: &'static str, referral: Option<u32>, _: Option<u32>) {
        match what {
            "returned_to_waiting_list" => self.returned.push(referral.expect("a referral")),
            "allocated" if !self.returned.is_empty() => {
                let who = referral.expect("a referral");
                self.allocations_after_handover += 1;
                match self.returned.iter().position(|&r| r == who) {
                    Some(i) => {
                        self.returned.remove(i);
                    }
                    None => self.overtaken.push(format!(
                        "day {time:.1}: referral {who} allocated while {:?} waited after a handover",
                        self.returned
                    )),
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_handover_puts_the_caseload_at_the_head_of_the_waiting_list() {
    // One post, so that a leaver's caseload has nowhere to go but back to the
    // waiting list; a load far above its capacity, so that a long list is
    // already waiting behind them; nobody drifts away at the handover and
    // nobody gives up waiting. When the new starter begins, every returned
    // person must be allocated before anyone who was waiting already.
    let loaded = scenario(
        r#"
[calendar]
start = "2024-04-01"
warm_up = "0d"
horizon = "3y"
[referrals]
rate_per_month = 20
[client_groups.only]
share = 1
contacts = 6
contact_interval = "14d"
disengage_per_contact = 0
onward_need = 0
planning_contact = 3
categories = { social = 1 }
[link_workers]
caseload_per_fte = 10
handover_disengage = 0
turnover = { annual_rate = 3 }
recruitment_delay = "30d"
induction = { duration = "0d" }
[[link_workers.posts]]
count = 1
[[vcse.services]]
name = "Group"
category = "social"
places = 5
"#,
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let mut handed_back = 0;
    for r in 0..5 {
        let mut trace = Handovers::default();
        sim.run(
            &plan,
            11,
            r,
            &mut Events(|time, what, referral, worker| trace.on(time, what, referral, worker)),
        )
        .expect("the test scenario fits in a replicate");
        assert!(
            trace.overtaken.is_empty(),
            "replicate {r}: {} allocations overtook people returned by a handover; first: {}",
            trace.overtaken.len(),
            trace.overtaken[0]
        );
        handed_back += trace.allocations_after_handover;
    }
    assert!(
        handed_back > 50,
        "only {handed_back} people were handed back: too few to test the rule"
    );
}

// ----- the people present at the start --------------------------------------

#[test]
fn people_on_caseloads_at_the_start_have_no_waiting_time_and_the_waiting_do() {
    // With no warm-up, people present at the start are counted. Those held or
    // on a caseload were allocated before the start, so no waiting time of
    // theirs is known and they are not newly supported; those waiting are,
    // and their waits include the time waited before the start. Turnover is
    // off, so each person is allocated once.
    let loaded = baseline_with(
        "[calendar]\nwarm_up = \"0d\"\nhorizon = \"6m\"\n\
         [link_workers]\nturnover = { annual_rate = 0 }\n\
         [initial_state]\nheld = 5\non_caseload = 20\nwaiting = 40\n\
         waited_so_far = { dist = \"uniform\", min = \"10d\", max = \"20d\" }\n",
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    for r in 0..5 {
        let mut allocations = 0u64;
        let rec = sim
            .run(
                &plan,
                5,
                r,
                &mut Events(|_, what, _, _| allocations += u64::from(what == "allocated")),
            )
            .expect("the test scenario fits in a replicate");
        assert_eq!(
            rec.supported,
            allocations - 25,
            "replicate {r}: everyone allocated but the 25 held or on caseloads at the start is newly supported"
        );
        assert_eq!(
            rec.waiting_times.len() as u64,
            rec.supported,
            "replicate {r}: one wait per person supported"
        );

        // The initial waiting are allocated first among the waiting, and each
        // has waited at least 10 days before the start.
        let known_before_start = rec.waiting_times.iter().filter(|w| **w >= 10.0).count();
        assert!(
            known_before_start >= 40,
            "replicate {r}: only {known_before_start} waits of 10 days or more"
        );
    }
}

#[test]
fn people_on_caseloads_at_the_start_keep_their_places_ahead_of_urgent_waiting() {
    // The list is by priority, and half of everyone is in an urgent group
    // that goes first. One link worker has exactly the 10 places of the 10
    // people on caseloads at the start, so none is left for the 20 waiting,
    // urgent or not: those on caseloads were allocated before the start,
    // whatever their group, and nobody waiting may take their place.
    let loaded = scenario(
        r#"
[calendar]
start = "2020-01-01"
warm_up = "0d"
horizon = "30d"
[referrals]
rate_per_month = 0
order = "priority"
[client_groups.usual]
share = 0.5
priority = 1
contacts = 2
contact_interval = "100d"
onward_need = 0
categories = { any = 1 }
[client_groups.urgent]
share = 0.5
priority = 0
contacts = 2
contact_interval = "100d"
onward_need = 0
categories = { any = 1 }
[link_workers]
caseload_per_fte = 10
turnover = { annual_rate = 0 }
[[link_workers.posts]]
count = 1
[initial_state]
on_caseload = 10
waiting = 20
[vcse]
closures = { annual_rate = 0 }
[[vcse.services]]
name = "Any"
category = "any"
places = 1
"#,
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    for r in 0..10 {
        let mut allocated = Vec::new();
        sim.run(
            &plan,
            3,
            r,
            &mut Events(|time, what, referral, _| {
                // Later, someone on a caseload may finish and free a place.
                if what == "allocated" && time == 0.0 {
                    allocated.extend(referral);
                }
            }),
        )
        .expect("the test scenario fits in a replicate");
        allocated.sort_unstable();
        // Those on caseloads are numbered first, then those waiting.
        assert_eq!(
            allocated,
            (0..10).collect::<Vec<u32>>(),
            "replicate {r}: the people allocated at the start"
        );
    }
}

// ----- the holding deadline across a handover ------------------------------

/// Each person's onward decision, whether they are on the waiting list now,
/// and the exits as unmet that came later than the deadline allows.
struct Deadlines {
    max_holding: f64,
    decided: std::collections::HashMap<u32, f64>,
    /// When each person returned to the waiting list, while they are on it.
    waiting_since: std::collections::HashMap<u32, f64>,
    /// Each person's latest spell back on the waiting list: returned, allocated.
    last_wait: std::collections::HashMap<u32, (f64, f64)>,
    re_held: usize,
    late: Vec<String>,
}

impl Deadlines {
    fn on(&mut self, time: f64, what: &'static str, referral: Option<u32>, _: Option<u32>) {
        let Some(r) = referral else { return };
        match what {
            "onward_decision" => {
                self.decided.insert(r, time);
            }
            "returned_to_waiting_list" => {
                self.waiting_since.insert(r, time);
            }
            "allocated" => {
                if let Some(since) = self.waiting_since.remove(&r) {
                    self.last_wait.insert(r, (since, time));
                    self.re_held += usize::from(self.decided.contains_key(&r));
                }
            }
            "unmet" => {
                let deadline = self.decided[&r] + self.max_holding;
                // Someone on the waiting list at the deadline leaves when next
                // allocated (that allocation is traced just before the exit).
                let waiting_at_deadline = self.waiting_since.get(&r).is_some_and(|&t| t <= deadline)
                    || self
                        .last_wait
                        .get(&r)
                        .is_some_and(|&(from, to)| from <= deadline && deadline <= to);
                if time > deadline + 1e-9 && !waiting_at_deadline {
                    self.late.push(format!(
                        "referral {r}: unmet on day {time:.2}, deadline day {deadline:.2}"
                    ));
                }
            }
            _ => {}
        }
    }
}

#[test]
fn the_holding_deadline_counts_from_the_decision_across_a_handover() {
    // No VCSE places, so everyone needing one is held until the deadline (no
    // disengagement at check-ins); one post with frequent leavers, so that
    // held people go back to the waiting list and are held again when a new
    // starter takes them on. The deadline is the decision plus max_holding,
    // however many times the person was held.
    let loaded = scenario(
        r#"
[calendar]
start = "2020-01-01"
warm_up = "0d"
horizon = "2y"
[referrals]
rate_per_month = 30
inappropriate_share = 0
[client_groups.only]
share = 1
onward_need = 1
categories = { any = 1 }
contacts = 3
planning_contact = 1
contact_interval = "7d"
disengage_per_contact = 0
[holding]
policy = "hold"
max_holding = "40d"
check_in_interval = "10d"
[link_workers]
caseload_per_fte = 10000
turnover = { annual_rate = 12 }
recruitment_delay = "5d"
handover_disengage = 0
[[link_workers.posts]]
count = 1
[vcse]
closures = { annual_rate = 0 }
[[vcse.services]]
name = "Any"
category = "any"
places = 0
"#,
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let mut re_held = 0;
    for r in 0..3 {
        let mut trace = Deadlines {
            max_holding: 40.0,
            decided: Default::default(),
            waiting_since: Default::default(),
            last_wait: Default::default(),
            re_held: 0,
            late: Vec::new(),
        };
        sim.run(
            &plan,
            13,
            r,
            &mut Events(|time, what, referral, worker| trace.on(time, what, referral, worker)),
        )
        .expect("the test scenario fits in a replicate");
        assert!(
            trace.late.is_empty(),
            "replicate {r}: {} people left unmet after their deadline; first: {}",
            trace.late.len(),
            trace.late[0]
        );
        re_held += trace.re_held;
    }
    assert!(
        re_held > 100,
        "only {re_held} people were held again after a handover: too few to test"
    );
}

/// How many are on caseloads at the start in [`people_part_way_through`].
const PART_WAY: u32 = 600;

/// Runs [`PART_WAY`] people on caseloads at the start, nobody referred after it, with
/// the group's contact keys given, each needing a VCSE place, of which there
/// are plenty. Returns how many took a place after the start and the mean
/// day of everyone's last contact, having checked that all completed.
fn people_part_way_through(group: &str) -> (u32, f64) {
    let people = PART_WAY;
    let loaded = everyone_needs_a_place(
        "warm_up = \"0d\"\nhorizon = \"1y\"\n",
        "rate_per_month = 1\nchanges = [{ from = \"2020-01-01\", multiplier = 0 }]\n",
        &format!("{group}disengage_per_contact = 0\n"),
        "",
        &format!("{ROOM_FOR_EVERYONE}[initial_state]\non_caseload = {people}\n"),
        "places = 10000\nattendance = \"30d\"\n",
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let (mut connected, mut completed, mut last_contact) = (0u32, 0u32, Vec::new());
    sim.run(
        &plan,
        17,
        0,
        &mut Events(|time, what, _, _| match what {
            "connected" => connected += 1,
            "completed_connected" => {
                completed += 1;
                last_contact.push(time);
            }
            _ => {}
        }),
    )
    .expect("the test scenario fits in a replicate");
    assert_eq!(completed, people, "everyone completes support, connected");
    (connected, last_contact.iter().sum::<f64>() / f64::from(people))
}

#[test]
fn people_on_caseloads_at_the_start_are_part_way_through_their_support() {
    // Each of the 600 has 6 contacts 14 days apart, the onward decision at
    // the third. By the model's rule (docs/scenario.md, [initial_state]) each
    // has had k contacts, k uniform on 0..=5, and the next falls U × 14 days
    // after the start, U uniform; so the last is on day 14·U + 14·(5 − k),
    // 42 days on average (sd about 24), and those with k < 3 (half of them)
    // are still to make their onward decision and take a place, while the
    // others are connected already.
    let (connected, mean) = people_part_way_through("contacts = 6\nplanning_contact = 3\ncontact_interval = \"14d\"\n");
    let n = f64::from(PART_WAY);
    let half = n / 2.0;
    let sd = (n * 0.25).sqrt();
    assert!(
        (f64::from(connected) - half).abs() < 4.0 * sd,
        "{connected} of {n} took a place after the start; expected about {half} (sd {sd:.1})"
    );
    let se = (196.0 * 35.0 / 12.0 + 196.0 / 12.0_f64).sqrt() / n.sqrt();
    assert!(
        (mean - 42.0).abs() < 4.0 * se,
        "mean day of the last contact {mean:.2}, expected 42 ± {:.2}",
        4.0 * se
    );
}

#[test]
fn the_first_contact_after_the_start_has_the_gap_of_the_contact_it_is() {
    // Two contacts: the first a day after the one before, the second 100
    // days (later_contacts from contact 2). Someone who has had k contacts
    // has contact k + 1 next, U × its gap after the start. With k = 0 (half
    // of them) that is contact 1 at day U and the last at U + 100; with k = 1
    // the last is contact 2 itself, at day 100·U. The mean of the last
    // contact is (100.5 + 50) / 2 = 75.25 days, with variance
    // (10,100⅓ + 3,333⅓) / 2 − 75.25² ≈ 1,054. Drawing the gap of contact k
    // instead would put it near 50.5.
    let (_, mean) = people_part_way_through(
        "contacts = 2\nplanning_contact = 1\ncontact_interval = \"1d\"\n\
         later_contacts = { from_contact = 2, interval = \"100d\" }\n",
    );
    let variance = (10_100.0 + 1.0 / 3.0 + 10_000.0 / 3.0) / 2.0 - 75.25_f64.powi(2);
    let se = (variance / f64::from(PART_WAY)).sqrt();
    assert!(
        (mean - 75.25).abs() < 4.0 * se,
        "mean day of the last contact {mean:.2}, expected 75.25 ± {:.2}",
        4.0 * se
    );
}

// ----- the ends of the run ---------------------------------------------------

#[test]
fn the_run_includes_its_first_and_last_instants() {
    // docs/model.md 2.3: the run simulates [0, end], and events at exactly
    // the end are processed. Five people wait at the start for one link
    // worker with two places; nobody else is referred. Two are allocated at
    // day 0, have their second and last contact exactly at the end (day 7),
    // and complete; their places go to two more at that instant. With no
    // warm-up the waiting list is measured from the start, so its peak is
    // the three left waiting at day 0. A post added on the last day (day 7)
    // is added.
    let loaded = scenario(&format!(
        r#"
[calendar]
start = "2020-01-01"
warm_up = "0d"
horizon = "7d"
[referrals]
rate_per_month = 0
[client_groups.only]
share = 1
contacts = 2
contact_interval = "7d"
disengage_per_contact = 0
onward_need = 0
categories = {{ any = 1 }}
{NO_RE_REFERRAL}
[link_workers]
caseload_per_fte = 2
turnover = {{ annual_rate = 0 }}
[[link_workers.posts]]
count = 1
[[link_workers.funding_changes]]
date = "2020-01-08"
add_posts = 1
[initial_state]
waiting = 5
[vcse]
closures = {{ annual_rate = 0 }}
[[vcse.services]]
name = "Any"
category = "any"
places = 1
"#
    ));
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let rec = sim
        .run(&plan, 7, 0, &mut NoTrace)
        .expect("the test scenario fits in a replicate");
    assert_eq!(
        rec.exits[Exit::CompletedNoNeed as usize],
        2,
        "completions at the end instant count"
    );
    assert_eq!(rec.supported, 4, "the freed places are filled at the end instant");
    assert_eq!((rec.waiting_list_peak, rec.waiting_list_end), (3, 1));
    // The allocations at the start come before the loop, and each new
    // stretch's contacts are walked in one go: the two completions are
    // events, and so is the funding change dated on the last day, whose new
    // post is still vacant when the run ends.
    assert_eq!(rec.events, 3, "the dated change on the end instant is an event");
}

/// The baseline's four categories with one service each and no closures of
/// their own (the baseline's community groups close at their own rate).
const ONE_SERVICE_PER_CATEGORY: &str = r#"
[[vcse.services]]
name = "Befriending"
category = "befriending"
places = 65
[[vcse.services]]
name = "Physical activity"
category = "physical_activity"
places = 30
[[vcse.services]]
name = "Advice"
category = "advice"
places = 20
[[vcse.services]]
name = "Peer support"
category = "mental_health_peer_support"
places = 50
"#;

#[test]
fn a_referral_out_of_remit_is_one_event() {
    // Everyone is redirected at triage, and nothing else happens: no
    // turnover, closures or dated changes. Each arrival is the loop's one
    // event for its referral.
    let loaded = baseline_with(
        &[
            "[calendar]\nwarm_up = \"0d\"\nhorizon = \"1y\"\n\
         [referrals]\ninappropriate_share = 1\n\
         [link_workers]\nturnover = { annual_rate = 0 }\nfunding_changes = []\n\
         [vcse]\nclosures = { annual_rate = 0 }\ndisruptions = []\n\
         births = { annual_rate = 0 }\n",
            ONE_SERVICE_PER_CATEGORY,
        ]
        .concat(),
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let rec = sim
        .run(&plan, 7, 0, &mut NoTrace)
        .expect("the test scenario fits in a replicate");
    assert!(rec.referrals > 100, "{} referrals", rec.referrals);
    assert_eq!(rec.exits[Exit::Redirected as usize], rec.referrals);
    assert_eq!(rec.events, rec.referrals);
}
