//! The simulator against queueing theory, where theory applies.
//!
//! Reduced to an M/M/c queue (Poisson referrals, c caseload places, an
//! exponential time on the caseload and nothing else), the waiting list must
//! reproduce the Erlang C formulas; and Little's law must hold for the waiting
//! list of a full scenario. And VCSE services born as a Poisson process and
//! closing at a constant rate are an infinite-server queue: the number open
//! must settle at births / closure rate, whatever happens to anyone else.

mod common;

use common::{erlang_c, mean_interval, scenario};
use spcap::model::{NoTrace, Plan, Simulation};

/// λ = 1 referral a day, mean time on the caseload 4 days, c places: ρ = 4 / c.
fn mmc(places: u32) -> spcap::scenario::LoadedScenario {
    scenario(&format!(
        r#"
[calendar]
start = "2020-01-01"
warm_up = "100d"
horizon = "3y"

[referrals]
rate_per_month = 30.4375
inappropriate_share = 0

[client_groups.only]
share = 1
contacts = 2
contact_interval = {{ dist = "exponential", mean = "4d" }}
disengage_per_contact = 0
onward_need = 0
categories = {{ any = 1 }}
digitally_excluded_share = 0
re_referral = {{ probability = {{ reneged = 0, disengaged = 0, completed_connected = 0, completed_no_need = 0, unmet = 0, lost_vcse_place = 0 }} }}

[link_workers]
caseload_per_fte = {places}
turnover = {{ annual_rate = 0 }}
handover_disengage = 0

[[link_workers.posts]]
count = 1

[vcse]
closures = {{ annual_rate = 0 }}

[[vcse.services]]
name = "Any"
category = "any"
places = 1
"#
    ))
}

/// Per replicate: mean wait, share who waited, time-average list length and admissions per day.
fn replicate_waits(loaded: &spcap::scenario::LoadedScenario, replicates: u64) -> Vec<(f64, f64, f64, f64)> {
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    (0..replicates)
        .map(|r| {
            sim.run(&plan, 7, r, &mut NoTrace)
                .expect("the test scenario fits in a replicate");
            let rec = sim.record_mut();
            let n = rec.waiting_times.len() as f64;
            let mean = rec.waiting_times.iter().sum::<f64>() / n;
            let waited = rec.waiting_times.iter().filter(|w| **w > 0.0).count() as f64 / n;
            (
                mean,
                waited,
                rec.waiting_list_area / rec.measured_days,
                n / rec.measured_days,
            )
        })
        .collect()
}

#[test]
fn erlang_c_formula_is_right() {
    // Textbook value: c = 2, a = 1 gives C = 1/3.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn mmc_mean_wait_and_probability_of_waiting_match_erlang_c() {
    for c in [5, 6] {
        let (lambda, mu) = (1.0, 0.25);
        let a = lambda / mu;
        let p_wait = erlang_c(c, a);
        let mean_wait = p_wait / (f64::from(c) * mu - lambda);
        let reps = replicate_waits(&mmc(c), 200);
        let waits: Vec<f64> = reps.iter().map(|r| r.0).collect();
        let shares: Vec<f64> = reps.iter().map(|r| r.1).collect();
        let (m, h) = mean_interval(&waits, 0.99);
        assert!(
            (m - mean_wait).abs() <= h,
            "c = {c}: mean wait {m:.4} ± {h:.4} (99%) does not contain Erlang C {mean_wait:.4}"
        );
        let (m, h) = mean_interval(&shares, 0.99);
        assert!(
            (m - p_wait).abs() <= h,
            "c = {c}: P(wait) {m:.4} ± {h:.4} (99%) does not contain Erlang C {p_wait:.4}"
        );
    }
}

#[test]
fn mmc_littles_law_on_the_waiting_list() {
    let reps = replicate_waits(&mmc(5), 100);
    let list: f64 = reps.iter().map(|r| r.2).sum();
    let lambda_w: f64 = reps.iter().map(|r| r.3 * r.0).sum();
    let gap = (list - lambda_w).abs() / lambda_w;
    // Only people already waiting when the warm-up ends break the identity;
    // with a mean wait of ~2 days over 3 years that is far below 1%.
    assert!(
        gap < 0.01,
        "time-average list {list:.3} vs λW {lambda_w:.3}: {:.2}% apart",
        gap * 100.0
    );
}

#[test]
fn littles_law_holds_for_the_baseline_waiting_list() {
    // No reneging and no turnover, so every minute anyone spends on the list is
    // part of a recorded waiting time (a handover re-wait or a renege would not be).
    let loaded = common::baseline_with(
        "[referrals]\nrate_per_month = 100\npatience = { dist = \"fixed\", value = \"100y\" }\n[link_workers]\nturnover = { annual_rate = 0 }\n",
    );
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    let (mut area, mut waits) = (0.0, 0.0);
    for r in 0..40 {
        sim.run(&plan, 3, r, &mut NoTrace)
            .expect("the test scenario fits in a replicate");
        let rec = sim.record_mut();
        area += rec.waiting_list_area;
        waits += rec.waiting_times.iter().sum::<f64>();
    }
    // The tolerance covers people referred during the warm-up who are still
    // waiting when it ends: their wait counts in the list but not in the
    // measured waits. With mean waits of ~2 weeks over 5 years that is under 1%.
    let gap = (area - waits).abs() / waits;
    assert!(
        gap < 0.02,
        "∫ list dt = {area:.0} vs Σ waits = {waits:.0}: {:.2}% apart",
        gap * 100.0
    );
}

/// A scenario whose only VCSE places are those of born services, one place
/// each: λ births a year, each closing at `rate` a year, for good with
/// `permanent`, otherwise for about two months. One referral a month, who
/// needs nothing, so that the run is the services alone.
fn births_only(lambda: f64, rate: f64, permanent: f64) -> spcap::scenario::LoadedScenario {
    scenario(&format!(
        r#"
[calendar]
start = "2020-01-01"
warm_up = "10y"
horizon = "30y"

[referrals]
rate_per_month = 1

[client_groups.only]
share = 1
onward_need = 0
categories = {{ any = 1 }}

[[link_workers.posts]]
count = 1

[[vcse.services]]
name = "None open"
category = "any"
places = 0
closures = {{ annual_rate = 0 }}

[vcse.births]
annual_rate = {lambda}
places = 1
closures = {{ annual_rate = {rate}, permanent_probability = {permanent}, duration = {{ dist = "exponential", mean = "2m" }} }}
"#
    ))
}

/// Per replicate, the weekly counts of services open (each has one place).
fn services_open(loaded: &spcap::scenario::LoadedScenario, replicates: u64) -> Vec<Vec<f64>> {
    let column = spcap::model::WEEKLY_METRICS
        .iter()
        .position(|m| *m == "vcse_places_open")
        .expect("the weekly levels include the places open");
    let plan = Plan::new(&loaded.scenario);
    let mut sim = Simulation::new();
    (0..replicates)
        .map(|r| {
            let rec = sim.run(&plan, 11, r, &mut NoTrace).expect("fits");
            rec.weekly.iter().map(|w| f64::from(w[column])).collect()
        })
        .collect()
}

/// Every closure for good: an M/M/∞ queue, so the number open is Poisson
/// with mean λ / r (its variance equal to its mean), and after ten years of
/// warm-up (ten mean lifetimes) the weekly counts are stationary: the first
/// and second halves of the measured period agree.
#[test]
fn services_born_and_closing_for_good_settle_at_births_over_closure_rate() {
    let (lambda, rate) = (4.0, 1.0);
    let runs = services_open(&births_only(lambda, rate, 1.0), 40);
    let expected = lambda / rate;
    let means: Vec<f64> = runs.iter().map(|w| common::mean(w)).collect();
    let (m, h) = mean_interval(&means, 0.99);
    assert!(
        (m - expected).abs() <= h,
        "mean services open {m:.3} ± {h:.3} (99%) does not contain λ/r = {expected}"
    );
    let all: Vec<f64> = runs.iter().flatten().copied().collect();
    let pooled = common::mean(&all);
    let variance = all.iter().map(|x| (x - pooled).powi(2)).sum::<f64>() / (all.len() - 1) as f64;
    assert!(
        (variance / pooled - 1.0).abs() < 0.1,
        "variance {variance:.3} against mean {pooled:.3}: not Poisson"
    );
    let halves: Vec<f64> = runs
        .iter()
        .map(|w| {
            let (first, second) = w.split_at(w.len() / 2);
            common::mean(second) - common::mean(first)
        })
        .collect();
    let (d, h) = mean_interval(&halves, 0.99);
    assert!(
        d.abs() <= h,
        "the second half has {d:.3} ± {h:.3} more services open than the first"
    );
}

/// Closures that are for good only half the time: a service reopens after
/// each temporary closure, so it is open for 1 / (r p) years over its life in
/// all, and the mean number open is λ / (r p) (an M/G/∞ queue, whose mean
/// depends only on the mean time each customer spends).
#[test]
fn services_that_reopen_settle_at_births_over_the_rate_of_closing_for_good() {
    let (lambda, rate, permanent) = (2.0, 1.0, 0.5);
    let runs = services_open(&births_only(lambda, rate, permanent), 40);
    let expected = lambda / (rate * permanent);
    let means: Vec<f64> = runs.iter().map(|w| common::mean(w)).collect();
    let (m, h) = mean_interval(&means, 0.99);
    assert!(
        (m - expected).abs() <= h,
        "mean services open {m:.3} ± {h:.3} (99%) does not contain λ/(rp) = {expected}"
    );
}
