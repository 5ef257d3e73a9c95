//! Properties every run must have: people are conserved, results depend only
//! on the seed (not on threads), scenarios share their referral stream, and
//! each mechanism moves results the way the research says.

mod common;

use common::{baseline_with, col, paired_difference, run, scenario};
use spcap::experiment;
use spcap::output::trace::CsvTrace;
use std::collections::HashMap;

/// A scenario that switches on nearly everything at once: a lockdown with
/// closures and remote delivery, funding changes, a fixed-term contract, an
/// opening service, a capped priority waiting list and a start from a full service.
const STRESS: &str = r#"
extends = "scenarios/baseline.toml"

[calendar]
start = "2020-01-01"
warm_up = "0d"
horizon = "3y"

[referrals]
waiting_list_cap = 60
order = "priority"
changes = [
  { from = "2020-03-23", to = "2020-05-12", multiplier = 0.4, label = "lockdown" },
  { from = "2020-09-01", to = "2021-03-31", multiplier = 1.5, label = "surge" },
]

[client_groups.complex]
priority = -1

[initial_state]
waiting = 40
waited_so_far = { dist = "uniform", min = "0d", max = "90d" }
on_caseload = 150
held = 20

[holding]
policy = "hold"
max_holding = "12w"

[link_workers]
funding_changes = [
  { date = "2021-04-01", add_posts = 2, fte = 0.6, label = "uplift" },
  { date = "2022-03-31", remove_posts = 3, label = "grant ends" },
]
turnover = { annual_rate = 0.5, before_contract_end = { window = "6m", multiplier = 3 } }

[[link_workers.posts]]
count = 3

[[link_workers.posts]]
count = 1
fte = 0.5
contract_end = "2021-09-30"

[vcse]
disruptions = [
  { from = "2020-03-23", to = "2020-07-01", services = ["all"], capacity_factor = 0.0 },
  { from = "2020-07-01", to = "2021-06-30", services = ["befriending", "Citizens Advice outreach"], capacity_factor = 0.5 },
]

[[vcse.services]]
name = "Befriending scheme"
category = "befriending"
places = 65

[[vcse.services]]
name = "Walking and exercise groups"
category = "physical_activity"
places = 30

[[vcse.services]]
name = "Citizens Advice outreach"
category = "advice"
places = 20

[[vcse.services]]
name = "Mental health peer support"
category = "mental_health_peer_support"
places = 50

[[vcse.services]]
name = "New community hub"
category = "befriending"
places = 25
opens = "2021-10-01"

[[delivery_periods]]
from = "2020-03-16"
to = "2020-09-01"
mode = "remote"
contact_interval_multiplier = 1.3
disengage_multiplier = 1.5
excluded_extra_disengage = 0.2
excluded_pause = true
"#;

/// The `--trace` CSV of replicate 0 for a seed, as text.
fn trace_text(loaded: &spcap::scenario::LoadedScenario, seed: u64) -> String {
    let mut trace = CsvTrace::new(Vec::new(), loaded.scenario.start);
    experiment::trace_replicate(&loaded.scenario, seed, 0, &mut trace).expect("fits");
    String::from_utf8(trace.finish().expect("trace written")).expect("utf-8")
}

/// The seven exits, as `replicates.csv` and the trace name them.
fn exit_names() -> [&'static str; 7] {
    spcap::model::Exit::ALL.map(spcap::model::Exit::name)
}

fn assert_conserved(agg: &spcap::stats::Aggregate, what: &str) {
    let referrals = col(agg, "referrals");
    let in_system = col(agg, "in_system_end");
    let exits: Vec<Vec<f64>> = exit_names().iter().map(|e| col(agg, e)).collect();
    for r in 0..referrals.len() {
        let ended: f64 = exits.iter().map(|e| e[r]).sum();
        assert_eq!(
            referrals[r],
            ended + in_system[r],
            "{what}, replicate {r}: referrals ≠ exits + in system"
        );
    }
    assert!(referrals.iter().all(|r| *r > 0.0), "{what}: no referrals at all");
}

#[test]
fn people_are_conserved_in_every_replicate() {
    assert_conserved(&run(&baseline_with(""), 40, 1, 0), "baseline");
    let stress = run(&scenario(STRESS), 40, 1, 0);
    assert_conserved(&stress, "stress scenario");
    // The stress scenario really exercises the cap, carried-over people and both kinds of loss.
    for c in ["declined", "carried_over", "unmet", "reneged", "re_referrals"] {
        assert!(
            col(&stress, c).iter().sum::<f64>() > 0.0,
            "stress scenario never produced {c}"
        );
    }
}

/// Each referral in the trace of replicate 0 has exactly one referral event
/// and at most one exit; those without an exit are the people in the system at the end.
#[test]
fn the_trace_conserves_people() {
    let loaded = scenario(STRESS);
    let text = trace_text(&loaded, 1);
    let mut referred: HashMap<String, u32> = HashMap::new();
    let mut exits: HashMap<String, u32> = HashMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (event, referral) = (cells[2], cells[3].to_string());
        if event == "referral" {
            *referred.entry(referral).or_default() += 1;
        } else if exit_names().contains(&event) {
            *exits.entry(referral).or_default() += 1;
        }
    }
    assert!(referred.values().all(|n| *n == 1), "a referral was referred twice");
    assert!(exits.values().all(|n| *n == 1), "a referral left twice");
    assert!(
        exits.keys().all(|r| referred.contains_key(r)),
        "an exit with no referral"
    );
    let still_in = referred.len() - exits.len();
    // No warm-up here, so everyone is measured and the trace must agree with replicate 0's row.
    let row = run(&loaded, 1, 1, 1);
    assert_eq!(col(&row, "in_system_end")[0] as usize, still_in);
    assert_eq!(col(&row, "referrals")[0] as usize, referred.len());
}

#[test]
fn results_depend_on_the_seed_not_the_thread_count() {
    for text in [None, Some(STRESS)] {
        let loaded = text.map_or_else(|| baseline_with(""), scenario);
        let one = run(&loaded, 24, 5, 1);
        let two = run(&loaded, 24, 5, 2);
        assert_eq!(
            one.rows_sorted(),
            two.rows_sorted(),
            "rows differ between 1 and 2 threads"
        );
        assert_eq!(
            one.week_summaries(),
            two.week_summaries(),
            "weekly levels differ between 1 and 2 threads"
        );
        assert_eq!(one.waiting.histogram.counts, two.waiting.histogram.counts);
        let other_seed = run(&loaded, 24, 6, 2);
        assert_ne!(
            one.rows_sorted(),
            other_seed.rows_sorted(),
            "a different seed gave the same rows"
        );
    }
}

/// The times and triage of fresh referrals in replicate 0's trace.
fn referral_stream(loaded: &spcap::scenario::LoadedScenario) -> Vec<(String, String)> {
    let text = trace_text(loaded, 9);
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[2] == "referral" || c[2] == "redirected").then(|| (c[0].to_string(), c[2].to_string()))
        })
        .collect()
}

#[test]
fn changing_link_workers_leaves_the_referral_stream_unchanged() {
    let no_returns = "[client_groups.standard.re_referral]\nprobability = { unmet = 0, disengaged = 0, reneged = 0, completed_connected = 0, completed_no_need = 0, lost_vcse_place = 0 }\n[client_groups.complex.re_referral]\nprobability = { unmet = 0, disengaged = 0, reneged = 0, completed_connected = 0, completed_no_need = 0, lost_vcse_place = 0 }\n";
    let four = baseline_with(no_returns);
    let three = baseline_with(&format!("{no_returns}[[link_workers.posts]]\ncount = 3\n"));
    let a = referral_stream(&four);
    let b = referral_stream(&three);
    assert!(a.len() > 5000);
    assert_eq!(a, b, "the referral stream changed with the number of link workers");
    assert_ne!(run(&four, 4, 9, 1).rows_sorted(), run(&three, 4, 9, 1).rows_sorted());
}

/// `b - a` must have the given sign by more than four standard errors of the paired difference.
fn assert_direction(a: &spcap::stats::Aggregate, b: &spcap::stats::Aggregate, metric: &str, sign: f64, what: &str) {
    let (d, se) = paired_difference(&col(a, metric), &col(b, metric));
    assert!(
        sign * d > 4.0 * se,
        "{what}: {metric} changed by {d:.3} (se {se:.3}); expected the sign {sign}"
    );
}

#[test]
fn mechanisms_move_results_the_way_the_research_says() {
    let n = 60;
    let base = run(&baseline_with(""), n, 11, 0);

    let closed = run(
        &baseline_with(
            "[vcse]\ndisruptions = [{ from = \"2019-04-01\", services = [\"all\"], capacity_factor = 0.0 }]\n",
        ),
        n,
        11,
        0,
    );
    assert_direction(&base, &closed, "holding_mean", 1.0, "closing every VCSE service");
    assert_direction(
        &base,
        &closed,
        "waiting_list_timeavg",
        1.0,
        "closing every VCSE service",
    );
    assert_direction(&base, &closed, "unmet", 1.0, "closing every VCSE service");

    let more_posts = run(&baseline_with("[[link_workers.posts]]\ncount = 6\n"), n, 11, 0);
    assert_direction(&base, &more_posts, "waiting_mean", -1.0, "more link worker posts");
    assert_direction(&base, &more_posts, "reneged", -1.0, "more link worker posts");

    let churn = run(
        &baseline_with("[link_workers]\nturnover = { annual_rate = 1.0 }\n"),
        n,
        11,
        0,
    );
    assert_direction(&base, &churn, "vacancy_days", 1.0, "higher turnover");
    assert_direction(&base, &churn, "waiting_mean", 1.0, "higher turnover");

    // Arrays replace whole under `extends`, so every service is restated with its attendance.
    let doubled: String = [
        ("Befriending scheme", "befriending", 130, "12w"),
        ("Walking and exercise groups", "physical_activity", 60, "10w"),
        ("Citizens Advice outreach", "advice", 40, "4w"),
        ("Mental health peer support", "mental_health_peer_support", 100, "12w"),
    ]
    .iter()
    .map(|(name, category, places, mean)| {
        format!("[[vcse.services]]\nname = \"{name}\"\ncategory = \"{category}\"\nplaces = {places}\nattendance = {{ dist = \"exponential\", mean = \"{mean}\" }}\n")
    })
    .collect();
    let more_vcse = run(&baseline_with(&doubled), n, 11, 0);
    assert_direction(&base, &more_vcse, "holding_mean", -1.0, "more VCSE places");

    let discharge = run(&baseline_with("[holding]\npolicy = \"discharge\"\n"), n, 11, 0);
    assert_direction(&base, &discharge, "unmet", 1.0, "discharging instead of holding");
    assert_direction(
        &base,
        &discharge,
        "waiting_mean",
        -1.0,
        "discharging instead of holding",
    );

    let screening = run(&baseline_with("[referrals]\ninappropriate_share = 0.3\n"), n, 11, 0);
    assert_direction(&base, &screening, "redirected", 1.0, "more referrals out of remit");
    assert_direction(&base, &screening, "waiting_mean", -1.0, "more referrals out of remit");
}

// ----- monthly figures ---------------------------------------------------------

#[test]
fn measured_months_run_from_the_warm_up_to_the_end_by_calendar_month() {
    // 2020 is a leap year: January 31 days, February 29, March 31.
    let whole = baseline_with("[calendar]\nstart = \"2020-01-01\"\nwarm_up = \"0d\"\nhorizon = \"3m\"\n");
    assert_eq!(whole.scenario.month_ends(), vec![31.0, 60.0, 91.0]);
    // A warm-up of 10 days: the first and last months are part-months.
    let part = baseline_with("[calendar]\nstart = \"2020-01-01\"\nwarm_up = \"10d\"\nhorizon = \"3m\"\n");
    assert_eq!(part.scenario.end(), 101.0);
    assert_eq!(part.scenario.month_ends(), vec![31.0, 60.0, 91.0, 101.0]);
    // Each month is named by the calendar month it begins in.
    assert_eq!(
        part.scenario.month_labels(),
        ["2020-01", "2020-02", "2020-03", "2020-04"]
    );
    let december = baseline_with("[calendar]\nstart = \"2020-12-15\"\nwarm_up = \"0d\"\nhorizon = \"1m\"\n");
    assert_eq!(december.scenario.month_labels(), ["2020-12", "2021-01"]);
}

#[test]
fn monthly_figures_add_up_to_the_replicate_and_meet_its_snapshots() {
    // February 2021 has 28 days, so its end is the fourth weekly snapshot.
    // No warm-up: every flow of the run falls in a month, and the people
    // present at the start are counted as carried over, not as received.
    let loaded = baseline_with(
        "[calendar]\nstart = \"2021-02-01\"\nwarm_up = \"0d\"\nhorizon = \"1y\"\n\
         [initial_state]\nheld = 5\non_caseload = 20\nwaiting = 40\n",
    );
    let plan = spcap::model::Plan::new(&loaded.scenario);
    let mut sim = spcap::model::Simulation::new();
    for r in 0..3 {
        let rec = sim.run(&plan, 11, r, &mut spcap::model::NoTrace).expect("fits");
        let months = &rec.monthly;
        assert_eq!(months.len(), 12);
        let sum = |f: &dyn Fn(&spcap::model::Month) -> u32| months.iter().map(|m| u64::from(f(m))).sum::<u64>();
        assert_eq!(
            sum(&|m| m.referrals),
            rec.referrals - rec.carried_over,
            "replicate {r}: referrals"
        );
        assert_eq!(sum(&|m| m.allocated), rec.supported, "replicate {r}: first allocations");
        for (k, &n) in rec.exits.iter().enumerate() {
            assert_eq!(sum(&|m| m.exits[k]), n, "replicate {r}: exits of kind {k}");
        }
        let week4 = rec.weekly[4];
        assert_eq!(
            [months[0].waiting_list, months[0].held, months[0].caseload],
            [week4[0], week4[1], week4[2]],
            "replicate {r}: the end of February is the fourth week's snapshot"
        );
        assert_eq!(months[11].waiting_list, rec.waiting_list_end);
        // Allocations are recorded in order, so February's waits are the first ones.
        let mut february: Vec<f64> = rec.waiting_times[..months[0].allocated as usize].to_vec();
        february.sort_by(f64::total_cmp);
        let n = february.len();
        assert!(
            n > 40,
            "replicate {r}: the 40 waiting at the start are allocated in February"
        );
        let median = if n % 2 == 1 {
            february[n / 2]
        } else {
            (february[n / 2 - 1] + february[n / 2]) / 2.0
        };
        assert_eq!(months[0].waiting_median, median);
        for m in months {
            assert_eq!(m.waiting_median.is_nan(), m.allocated == 0);
        }
    }
}

#[test]
fn with_a_warm_up_months_count_everyone_who_leaves_in_them() {
    // Referrals are counted from the warm-up's end, as the measured ones
    // are; exits in a month include people referred during the warm-up,
    // as a service's own discharge figures would.
    let loaded = baseline_with("[calendar]\nwarm_up = \"6m\"\nhorizon = \"1y\"\n");
    let plan = spcap::model::Plan::new(&loaded.scenario);
    let mut sim = spcap::model::Simulation::new();
    let rec = sim.run(&plan, 11, 0, &mut spcap::model::NoTrace).expect("fits");
    let months = rec.monthly.clone();
    assert_eq!(months.len(), loaded.scenario.month_ends().len());
    assert_eq!(
        months.iter().map(|m| u64::from(m.referrals)).sum::<u64>(),
        rec.referrals
    );
    let left: u64 = months
        .iter()
        .map(|m| m.exits.iter().map(|&n| u64::from(n)).sum::<u64>())
        .sum();
    let measured_left: u64 = rec.exits.iter().sum();
    assert!(
        left > measured_left,
        "{left} exits in the months, {measured_left} of measured people"
    );
}

/// An intake draws from streams of its own: the baseline's fresh referrals
/// arrive at the same times, triaged the same way, with an intake as without
/// it (re-referrals off, so that every `referral` event is a fresh one); an
/// intake of rate 0 changes nothing at all.
#[test]
fn an_intake_leaves_the_usual_referrals_unchanged() {
    let no_returns = "[client_groups.standard.re_referral]\nprobability = { unmet = 0, disengaged = 0, reneged = 0, completed_connected = 0, completed_no_need = 0, lost_vcse_place = 0 }\n[client_groups.complex.re_referral]\nprobability = { unmet = 0, disengaged = 0, reneged = 0, completed_connected = 0, completed_no_need = 0, lost_vcse_place = 0 }\n";
    let intake = |rate: f64| {
        format!("{no_returns}[[referrals.intakes]]\nfrom = \"2020-06-01\"\nto = \"2021-06-01\"\nrate_per_month = {rate}\ngroup = \"complex\"\n")
    };
    let fresh = |loaded: &spcap::scenario::LoadedScenario| {
        let text = trace_text(loaded, 9);
        let mut times = Vec::new();
        let mut intake_referrals = 0;
        for line in text.lines() {
            let c: Vec<&str> = line.split(',').collect();
            match c[2] {
                "referral" => times.push(c[0].to_string()),
                "intake_referral" => intake_referrals += 1,
                _ => {}
            }
        }
        (times, intake_referrals)
    };
    let (without, with) = (baseline_with(no_returns), baseline_with(&intake(40.0)));
    let (a, none) = fresh(&without);
    let (b, some) = fresh(&with);
    assert!(a.len() > 5000);
    assert_eq!(none, 0);
    // 40 a month for a year: about 480, Poisson.
    assert!(
        (400..560).contains(&some),
        "{some} intake referrals, expected about 480"
    );
    assert_eq!(a, b, "an intake moved the usual referrals");
    assert_ne!(run(&without, 4, 9, 1).rows_sorted(), run(&with, 4, 9, 1).rows_sorted());
    let idle = baseline_with(&intake(0.0));
    assert_eq!(run(&without, 4, 9, 1).rows_sorted(), run(&idle, 4, 9, 1).rows_sorted());
}

#[test]
fn an_induction_of_no_days_is_no_induction() {
    // An induction of zero days is no induction: no `induction_ends` event
    // at the start instant, so the trace and the event count hold only what
    // happened.
    let count = |loaded: &spcap::scenario::LoadedScenario| {
        let text = trace_text(loaded, 9);
        let what = |name: &str| text.lines().filter(|l| l.split(',').nth(2) == Some(name)).count();
        (what("link_worker_starts"), what("induction_ends"))
    };
    let churn = "[link_workers]\nturnover = { annual_rate = 1.0 }\n";
    let (starts, ends) = count(&baseline_with(&format!("{churn}induction = {{ duration = \"0d\" }}\n")));
    assert!(starts > 5, "{starts} link workers started");
    assert_eq!(ends, 0, "{ends} inductions ended without an induction");
    let (starts, ends) = count(&baseline_with(&format!(
        "{churn}induction = {{ duration = \"30d\" }}\n"
    )));
    assert!(
        ends > 5 && ends <= starts,
        "{ends} inductions ended for {starts} starts"
    );
}

#[test]
fn an_induction_ends_for_its_own_link_worker_not_the_next() {
    // Link workers who often leave during a 20-week induction, and posts
    // filled again within days: the next holder of a post starts before the
    // induction of the one who left would have ended. That end is out of
    // date, and must not cut short the new holder's induction.
    let loaded = baseline_with(
        "[link_workers]\n\
         recruitment_delay = { dist = \"uniform\", min = \"1d\", max = \"5d\" }\n\
         induction = { duration = \"20w\", capacity_factor = 0.5 }\n\
         turnover = { annual_rate = 3.0 }\n",
    );
    let induction = 20.0 * 7.0;
    let text = trace_text(&loaded, 0);
    // Per post: when its holder started, and whether that holder's induction has ended.
    let mut holder: HashMap<&str, (f64, bool)> = HashMap::new();
    let (mut ends, mut outlived) = (0, 0);
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (time, post) = (cells[0].parse::<f64>().expect("a time"), cells[5]);
        match cells[2] {
            "link_worker_starts" => {
                // The last holder left mid-induction, and this one starts before it would have ended.
                if holder
                    .get(post)
                    .is_some_and(|&(started, ended)| !ended && time < started + induction)
                {
                    outlived += 1;
                }
                // Those in post at the start have no induction.
                holder.insert(post, (time, time == 0.0));
            }
            "induction_ends" => {
                let (started, ended) = holder.get_mut(post).expect("an induction ends on a filled post");
                assert!(
                    (time - (*started + induction)).abs() < 1e-3,
                    "post {post}: an induction ended at day {time}, for a holder who started on day {started}"
                );
                *ended = true;
                ends += 1;
            }
            _ => {}
        }
    }
    assert!(ends > 5, "{ends} inductions ended");
    assert!(
        outlived > 0,
        "no induction outlived its link worker: the case is not tested"
    );
}
