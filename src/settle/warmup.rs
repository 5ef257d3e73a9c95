//! How long a warm-up a scenario needs: the MSER-5 rule (White 1997; White,
//! Cobb and Spratt 2000), as automated by Hoad, Robinson and Davies
//! (AutoSimOA, 2010), on the weekly waiting list and caseload averaged over
//! replicates.
//!
//! The scenario is run from its start date with no warm-up, so that the
//! weekly series begins on day 0; nothing else about it changes (every time
//! in a scenario counts from the start date, so dated events fall on the same
//! days and the same random streams are drawn). The series is cut into
//! batches of five weeks, and the truncation `d` (in batches) minimising
//! `MSER(d) = sum_{j >= d} (Z_j - mean_d)^2 / (k - d)^2` is chosen.
//!
//! A waiting list whose last year (or last quarter, in a short run) is
//! clearly above the one before has no steady state: the scenario is
//! overloaded and no warm-up length applies. A minimum in the second half
//! of a series is MSER's own signal that the series did not settle; such a
//! series is not used for the cut. It is not taken as overload on its own,
//! because seasonal referrals make a settled waiting list swing by as much
//! as its level, and MSER then often prefers a quiet last stretch (the
//! shipped baseline without permanent closures does this with 20 replicates).

use crate::experiment::{self, ExperimentError, Settings};
use crate::model::WEEKLY_METRICS;
use crate::scenario::Scenario;
use crate::stats::aggregate::Counts;
use std::sync::atomic::AtomicBool;

/// Weeks per MSER batch (the "5" of MSER-5).
pub const BATCH: usize = 5;
/// Fewest batches MSER is computed on; shorter series give no verdict.
pub const MIN_BATCHES: usize = 10;
/// A truncation always leaves at least this many batches, and at least a
/// quarter of them: over a handful of points the statistic is small by
/// chance, and a seasonal series would be cut at a quiet last stretch.
const KEEP_BATCHES: usize = 5;

/// MSER-5 on one series.
#[derive(Clone, Debug, PartialEq)]
pub struct Mser {
    /// Truncation in batches, and so `BATCH * cut_batches` weeks.
    pub cut_batches: usize,
    pub batches: usize,
    /// The MSER statistic for each truncation considered, from 0 batches.
    pub statistic: Vec<f64>,
}

impl Mser {
    pub fn cut_weeks(&self) -> usize {
        BATCH * self.cut_batches
    }

    /// Whether the truncation falls in the first half of the batches, as
    /// MSER needs for its answer to be trusted.
    pub fn in_first_half(&self) -> bool {
        2 * self.cut_batches <= self.batches
    }

    /// Whether the minimum is the last truncation considered: the series may
    /// still be moving where the search had to stop (in a short series the
    /// search ends before the half-way point, so this is not caught above).
    pub fn at_limit(&self) -> bool {
        self.cut_batches + 1 == self.statistic.len()
    }
}

/// MSER-5 on a weekly series; `None` if it has fewer than [`MIN_BATCHES`]
/// batches. Weeks after the last whole batch are left out.
pub fn mser5(series: &[f64]) -> Option<Mser> {
    let batches: Vec<f64> = series
        .chunks_exact(BATCH)
        .map(|c| c.iter().sum::<f64>() / BATCH as f64)
        .collect();
    let k = batches.len();
    if k < MIN_BATCHES {
        return None;
    }
    let keep = KEEP_BATCHES.max(k.div_ceil(4));
    let statistic: Vec<f64> = (0..=k - keep)
        .map(|d| {
            let rest = &batches[d..];
            let m = rest.len() as f64;
            let mean = rest.iter().sum::<f64>() / m;
            rest.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (m * m)
        })
        .collect();
    // The first minimum: with ties (a flat series) no truncation is needed.
    let cut_batches = statistic
        .iter()
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |best, (d, &s)| if s < best.1 { (d, s) } else { best },
        )
        .0;
    Some(Mser {
        cut_batches,
        batches: k,
        statistic,
    })
}

/// Whether the waiting list is still growing at the end of the run.
/// Compares the mean of the last year with the year before (whole years, so
/// that seasonal referrals cancel out), or the last quarter with the third
/// when the run is under four years. Growth counts when it exceeds a tenth
/// of everyone in the service before (waiting plus on caseloads) and one
/// person: a short list that drifts up by a few people is not a backlog out
/// of control, while an overloaded service grows by whole caseloads. It
/// must also exceed twice a bound on its standard error, so that one
/// replicate's long vacancy, averaged over a few replicates, is not taken
/// for growth: the standard error of a window's mean is at most the mean of
/// its weekly standard deviations across replicates over the square root of
/// the replicate count (weeks perfectly correlated), and the two windows'
/// errors are added (again the worst case).
pub fn still_growing(weekly: &Weekly) -> bool {
    let len = weekly.waiting_list.len().min(weekly.caseload.len());
    let window = if len >= 4 * 52 { 52 } else { len / 4 };
    if window == 0 {
        return false;
    }
    let mean = |s: &[f64], from: usize| {
        s.get(from..from + window)
            .map_or(0.0, |w| w.iter().sum::<f64>() / window as f64)
    };
    let (last, before) = (len - window, len - 2 * window);
    let growth = mean(&weekly.waiting_list, last) - mean(&weekly.waiting_list, before);
    let in_service = mean(&weekly.waiting_list, before) + mean(&weekly.caseload, before);
    let root_n = (weekly.replicates.max(1) as f64).sqrt();
    let error = (mean(&weekly.waiting_list_sd, last) + mean(&weekly.waiting_list_sd, before)) / root_n;
    growth > (0.1 * in_service).max(1.0).max(2.0 * error)
}

/// The weekly levels of a run from day 0, averaged over replicates.
#[derive(Clone, Debug)]
pub struct Weekly {
    pub waiting_list: Vec<f64>,
    pub caseload: Vec<f64>,
    /// The standard deviation of the waiting list across replicates, week by week.
    pub waiting_list_sd: Vec<f64>,
    pub replicates: u64,
}

impl Weekly {
    /// Series known exactly (one replicate, or a test's): no spread.
    pub fn exact(waiting_list: Vec<f64>, caseload: Vec<f64>) -> Weekly {
        Weekly {
            waiting_list_sd: vec![0.0; waiting_list.len()],
            waiting_list,
            caseload,
            replicates: 1,
        }
    }
}

/// The verdict on a scenario.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Cut this many weeks: the larger of the cuts of the series that settled.
    Settles { weeks: usize },
    /// The waiting list keeps growing: overloaded.
    Overloaded,
    /// No cut can be trusted, though the waiting list is not growing: a
    /// series was still moving where the search stopped, or neither settled
    /// by MSER-5's test (they swing with the seasons as much as they move).
    Unclear,
    /// The run is too short for MSER-5 to say anything.
    TooShort { weeks: usize },
}

/// The whole analysis: the series, each series' MSER-5 and the verdict.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The whole series, for the chart.
    pub weekly: Weekly,
    /// The weeks judged: all, or those before the scenario's first dated change.
    pub judged_weeks: usize,
    pub waiting_list: Option<Mser>,
    pub caseload: Option<Mser>,
    pub verdict: Verdict,
}

/// Judges averaged weekly series, only their first `until` weeks if given
/// (a warm-up is about the conditions before the first dated change, so
/// the weeks after it are not judged).
pub fn analyse(weekly: Weekly, until: Option<usize>) -> Analysis {
    let judged_weeks = until.unwrap_or(usize::MAX).min(weekly.waiting_list.len());
    let cut = |s: &[f64]| s[..judged_weeks.min(s.len())].to_vec();
    let judged = Weekly {
        waiting_list: cut(&weekly.waiting_list),
        caseload: cut(&weekly.caseload),
        waiting_list_sd: cut(&weekly.waiting_list_sd),
        replicates: weekly.replicates,
    };
    let waiting_list = mser5(&judged.waiting_list);
    let caseload = mser5(&judged.caseload);
    let verdict = if still_growing(&judged) {
        Verdict::Overloaded
    } else if let (Some(w), Some(c)) = (&waiting_list, &caseload) {
        let still_moving = [w, c].iter().any(|m| m.in_first_half() && m.at_limit());
        [w, c]
            .into_iter()
            .filter(|m| m.in_first_half())
            .map(Mser::cut_weeks)
            .max()
            .filter(|_| !still_moving)
            .map_or(Verdict::Unclear, |weeks| Verdict::Settles { weeks })
    } else {
        Verdict::TooShort { weeks: judged_weeks }
    };
    Analysis {
        weekly,
        judged_weeks,
        waiting_list,
        caseload,
        verdict,
    }
}

/// The first day on which the scenario's conditions change by date (a
/// referral-rate change, a funding change, a VCSE disruption or opening, a
/// delivery period, a contract's end), if any falls after day 0.
pub fn first_dated_change(s: &Scenario) -> Option<f64> {
    let days = s
        .referrals
        .changes
        .iter()
        .map(|c| c.from)
        .chain(s.link_workers.funding_changes.iter().map(|c| c.time))
        .chain(s.link_workers.posts.iter().filter_map(|p| p.contract_end))
        .chain(s.vcse.disruptions.iter().map(|d| d.from))
        .chain(s.vcse.services.iter().filter_map(|v| v.opens))
        .chain(s.delivery_periods.iter().map(|d| d.from));
    days.filter(|d| *d > 0.0 && *d < s.end()).reduce(f64::min)
}

/// The scenario as run for the warm-up analysis: the same days simulated,
/// all of them measured.
pub fn from_start(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    s.horizon = s.end();
    s.warm_up = 0.0;
    for site in &mut s.sites {
        site.scenario = from_start(&site.scenario);
    }
    s
}

/// Runs `replicates` replicates of `scenario` from its start date and
/// averages their weekly waiting list and caseload.
pub fn weekly_from_start(
    scenario: &Scenario,
    replicates: u64,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Weekly, ExperimentError> {
    let mut settings = Settings::new(replicates, seed);
    settings.threads = threads;
    let outcome = experiment::run(&from_start(scenario), &settings, progress, cancel)?;
    let index = |name: &str| WEEKLY_METRICS.iter().position(|m| *m == name);
    let (waiting, caseload) = (index("waiting_list"), index("caseload"));
    let mut weekly = Weekly {
        waiting_list: Vec::new(),
        caseload: Vec::new(),
        waiting_list_sd: Vec::new(),
        replicates,
    };
    for w in outcome.aggregate.week_summaries() {
        if Some(w.metric) == waiting {
            weekly.waiting_list.push(w.mean);
        } else if Some(w.metric) == caseload {
            weekly.caseload.push(w.mean);
        }
    }
    // The exact counts of each level per week give its spread across replicates.
    if let Some(levels) = waiting.and_then(|m| outcome.aggregate.levels.get(m)) {
        weekly.waiting_list_sd = levels.periods().iter().map(sd_of_counts).collect();
    }
    Ok(weekly)
}

/// The sample standard deviation of a multiset given as counts of each value.
fn sd_of_counts(counts: &Counts) -> f64 {
    let n = counts.total() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let weighted = |f: &dyn Fn(f64) -> f64| counts.iter().map(|(v, c)| f64::from(c) * f(f64::from(v))).sum::<f64>();
    let mean = weighted(&|v| v) / n;
    (weighted(&|v| (v - mean).powi(2)) / (n - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::{Rng, SeedableRng};

    /// Noise uniform on (-0.5, 0.5) from a fixed seed, the same for every run of the tests.
    fn noise(n: usize) -> Vec<f64> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n).map(|_| rng.random::<f64>() - 0.5).collect()
    }

    #[test]
    fn exponential_transient_is_cut_near_its_end() {
        // Rises from 0 to 100 with a time constant of 10 weeks: within 1% of
        // the level by week 46, within 5% by week 30.
        let e = noise(300);
        let series: Vec<f64> = (0..300)
            .map(|t| 100.0 * (1.0 - (-(t as f64) / 10.0).exp()) + 6.0 * e[t])
            .collect();
        let m = mser5(&series).expect("long enough");
        assert!(m.in_first_half());
        assert!(
            (25..=70).contains(&m.cut_weeks()),
            "cut {} weeks, expected near the end of the transient",
            m.cut_weeks()
        );
    }

    #[test]
    fn a_flat_series_needs_little_cut() {
        let e = noise(200);
        let series: Vec<f64> = (0..200).map(|t| 50.0 + 4.0 * e[t]).collect();
        let m = mser5(&series).expect("long enough");
        // MSER may trim a little of a stationary series by chance, never much.
        assert!(m.cut_weeks() <= 50, "cut {} weeks of a flat series", m.cut_weeks());
        assert!(!still_growing(&Weekly::exact(series.clone(), series)));
    }

    #[test]
    fn an_upward_trend_is_overloaded() {
        let e = noise(260);
        let waiting_list: Vec<f64> = (0..260).map(|t| 5.0 + 2.0 * t as f64 + 3.0 * e[t]).collect();
        let caseload: Vec<f64> = (0..260).map(|t| 240.0 + e[t]).collect();
        assert!(still_growing(&Weekly::exact(waiting_list.clone(), caseload.clone())));
        // The same growth is not evidence when the replicates spread far more widely than it.
        let mut noisy = Weekly::exact(waiting_list.clone(), caseload.clone());
        noisy.waiting_list_sd = vec![1000.0; 260];
        noisy.replicates = 4;
        assert!(!still_growing(&noisy));
        let a = analyse(Weekly::exact(waiting_list, caseload), None);
        assert!(matches!(a.verdict, Verdict::Overloaded));
    }

    #[test]
    fn seasonal_swings_are_not_overload() {
        // A settled waiting list swinging with the seasons by as much as its level.
        let season = |t: usize| (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin();
        let e = noise(313);
        let a = analyse(
            Weekly::exact(
                (0..313).map(|t| 20.0 + 18.0 * season(t) + e[t]).collect(),
                (0..313)
                    .map(|t| 200.0 * (1.0 - (-(t as f64) / 8.0).exp()) + 10.0 * season(t))
                    .collect(),
            ),
            None,
        );
        assert!(!matches!(a.verdict, Verdict::Overloaded), "{:?}", a.verdict);
        assert!(
            matches!(a.verdict, Verdict::Settles { .. } | Verdict::Unclear),
            "{:?}",
            a.verdict
        );
    }

    #[test]
    fn settled_series_give_the_larger_cut() {
        let e = noise(300);
        let rise = |tau: f64, t: usize| 100.0 * (1.0 - (-(t as f64) / tau).exp()) + e[t];
        let a = analyse(
            Weekly::exact(
                (0..300).map(|t| rise(4.0, t)).collect(),
                (0..300).map(|t| rise(15.0, t)).collect(),
            ),
            None,
        );
        let (w, c) = (a.waiting_list.unwrap().cut_weeks(), a.caseload.unwrap().cut_weeks());
        assert!(c > w, "the slower series needs the longer cut ({c} vs {w})");
        assert!(matches!(a.verdict, Verdict::Settles { weeks } if weeks == c));
    }

    #[test]
    fn only_the_weeks_before_a_dated_change_are_judged() {
        // Settled after a transient, then a change at week 150 sends the list up for good.
        let e = noise(300);
        let rise = |t: usize| 100.0 * (1.0 - (-(t as f64) / 6.0).exp()) + e[t];
        let waiting_list: Vec<f64> = (0..300)
            .map(|t| rise(t) + if t >= 150 { 5.0 * (t - 150) as f64 } else { 0.0 })
            .collect();
        let caseload: Vec<f64> = (0..300).map(rise).collect();
        let whole = analyse(Weekly::exact(waiting_list.clone(), caseload.clone()), None);
        assert!(matches!(whole.verdict, Verdict::Overloaded));
        let before = analyse(Weekly::exact(waiting_list, caseload), Some(150));
        assert_eq!(before.judged_weeks, 150);
        assert!(
            matches!(before.verdict, Verdict::Settles { weeks } if (10..=40).contains(&weeks)),
            "{:?}",
            before.verdict
        );
        assert_eq!(
            before.weekly.waiting_list.len(),
            300,
            "the chart keeps the whole series"
        );
    }

    #[test]
    fn a_series_still_rising_at_the_end_of_a_short_stretch_gives_no_cut() {
        // 50 weeks judged, the caseload still filling at their end (as in covid_shock).
        let e = noise(50);
        let caseload: Vec<f64> = (0..50)
            .map(|t| 200.0 * (1.0 - (-(t as f64) / 20.0).exp()) + e[t])
            .collect();
        let a = analyse(Weekly::exact(vec![0.0; 50], caseload), None);
        assert!(a.caseload.as_ref().unwrap().at_limit());
        assert!(matches!(a.verdict, Verdict::Unclear), "{:?}", a.verdict);
    }

    #[test]
    fn short_series_give_no_verdict() {
        assert_eq!(mser5(&[1.0; 49]), None);
        let a = analyse(Weekly::exact(vec![3.0; 30], vec![3.0; 30]), None);
        assert!(matches!(a.verdict, Verdict::TooShort { weeks: 30 }));
    }
}
