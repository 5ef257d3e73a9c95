//! What one replicate reports: counts of every exit, the waiting and holding
//! times of the people it measured, time-integrals of the levels the outputs
//! average, and a weekly snapshot of the levels. The statistics module turns
//! these into the per-replicate row and the aggregates; the model never
//! computes a percentile.

/// How a referral left the pathway. Every referral ends in exactly one of these,
/// or is still in the system when the run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Out of remit at triage.
    Redirected = 0,
    /// The waiting list was at its cap ("closed to referrals").
    Declined = 1,
    /// Left while waiting for a link worker.
    Reneged = 2,
    /// Stopped attending while on a caseload (including while held, and at a handover).
    Disengaged = 3,
    /// Finished support and was connected to a VCSE service.
    CompletedConnected = 4,
    /// Finished support and needed no onward service.
    CompletedNoNeed = 5,
    /// Discharged with an unmet need: no VCSE place in time.
    Unmet = 6,
}

impl Exit {
    pub const ALL: [Exit; 7] = [
        Exit::Redirected,
        Exit::Declined,
        Exit::Reneged,
        Exit::Disengaged,
        Exit::CompletedConnected,
        Exit::CompletedNoNeed,
        Exit::Unmet,
    ];

    /// The column name in `replicates.csv` and the event name in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Exit::Redirected => "redirected",
            Exit::Declined => "declined",
            Exit::Reneged => "reneged",
            Exit::Disengaged => "disengaged",
            Exit::CompletedConnected => "completed_connected",
            Exit::CompletedNoNeed => "completed_no_need",
            Exit::Unmet => "unmet",
        }
    }
}

/// The levels snapshotted every week after the warm-up, in this order.
pub const WEEKLY_METRICS: [&str; 5] = [
    "waiting_list",
    "held",
    "caseload",
    "link_workers_in_post",
    "vcse_places_open",
];

/// One calendar month of the measured period, counted as a service's own
/// monthly figures count it: every referral received, allocation and exit in
/// the month, whenever the person was referred (people referred in the
/// warm-up included), and the levels at the month's end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Month {
    /// Referrals received, re-referrals included.
    pub referrals: u32,
    /// People allocated to a link worker for the first time.
    pub allocated: u32,
    /// Exits, indexed by [`Exit`].
    pub exits: [u32; 7],
    /// The median wait of those first allocated in the month; NaN if nobody was.
    pub waiting_median: f64,
    /// At the month's end: people waiting, on caseloads (the held among them), held.
    pub waiting_list: u32,
    pub caseload: u32,
    pub held: u32,
}

/// The monthly figures by name, as `monthly.csv` and an observed-data file
/// for `spcap calibrate` write them: flows in the month, levels at its end,
/// and one `discharged_<reason>` per [`Exit`].
pub const MONTHLY_METRICS: [&str; 13] = [
    "referrals",
    "allocated",
    "waiting_median",
    "waiting_list",
    "caseload",
    "held",
    "discharged_redirected",
    "discharged_declined",
    "discharged_reneged",
    "discharged_disengaged",
    "discharged_completed_connected",
    "discharged_completed_no_need",
    "discharged_unmet",
];

impl Month {
    /// The figure named `MONTHLY_METRICS[metric]`; NaN for a median of nobody.
    pub fn value(&self, metric: usize) -> f64 {
        match metric {
            0 => f64::from(self.referrals),
            1 => f64::from(self.allocated),
            2 => self.waiting_median,
            3 => f64::from(self.waiting_list),
            4 => f64::from(self.caseload),
            5 => f64::from(self.held),
            exit => f64::from(self.exits[exit - 6]),
        }
    }
}

impl Default for Month {
    fn default() -> Self {
        Month {
            referrals: 0,
            allocated: 0,
            exits: [0; 7],
            waiting_median: f64::NAN,
            waiting_list: 0,
            caseload: 0,
            held: 0,
        }
    }
}

/// The middle of some values (the mean of the two middle ones for an even
/// count), NaN if there are none. Reorders them.
pub fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    values.sort_unstable_by(f64::total_cmp);
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One replicate's observations. Buffers are reused from replicate to replicate.
#[derive(Clone, Debug, Default)]
pub struct ReplicateRecord {
    /// People referred in the measured period (after the warm-up), re-referrals included.
    pub referrals: u64,
    pub re_referrals: u64,
    /// People already in the service on the start date, counted when there is no warm-up.
    pub carried_over: u64,
    /// Measured exits, indexed by [`Exit`].
    pub exits: [u64; 7],
    /// Measured people still waiting, on a caseload or held when the run ends.
    pub in_system_end: u64,
    /// Measured people allocated to a link worker.
    pub supported: u64,
    /// Measured people who took a VCSE place.
    pub connected: u64,
    /// Days from referral to first allocation, for measured people; those still
    /// waiting at the end contribute the time waited so far.
    pub waiting_times: Vec<f64>,
    /// Days from onward decision to a place or discharge (0 if connected or
    /// discharged at once); those still held at the end contribute the time so far.
    pub holding_times: Vec<f64>,
    pub waiting_list_end: u32,
    pub waiting_list_peak: u32,
    /// Integrals over the measured period of: people waiting, people held,
    /// people on caseloads, caseload places in post, vacant funded posts and
    /// FTE in post (person-days, place-days, post-days, FTE-days).
    pub waiting_list_area: f64,
    pub held_area: f64,
    pub caseload_area: f64,
    pub capacity_area: f64,
    pub vacancy_days: f64,
    pub fte_days: f64,
    /// Length of the measured period in days.
    pub measured_days: f64,
    /// Weekly snapshots of [`WEEKLY_METRICS`].
    pub weekly: Vec<[u32; 5]>,
    /// Events the loop processed (arrivals, dated events and due events; stale ones not counted).
    pub events: u64,
    /// The measured period's calendar months, each added as it begins.
    pub monthly: Vec<Month>,
    /// The waits of those first allocated in the month under way.
    pub month_waits: Vec<f64>,
}

impl ReplicateRecord {
    /// The measured month under way, if the warm-up is over.
    #[inline]
    pub fn this_month(&mut self) -> Option<&mut Month> {
        self.monthly.last_mut()
    }

    pub fn clear(&mut self) {
        let mut waiting = std::mem::take(&mut self.waiting_times);
        let mut holding = std::mem::take(&mut self.holding_times);
        let mut weekly = std::mem::take(&mut self.weekly);
        let mut monthly = std::mem::take(&mut self.monthly);
        let mut month_waits = std::mem::take(&mut self.month_waits);
        waiting.clear();
        holding.clear();
        weekly.clear();
        monthly.clear();
        month_waits.clear();
        *self = ReplicateRecord {
            waiting_times: waiting,
            holding_times: holding,
            weekly,
            monthly,
            month_waits,
            ..ReplicateRecord::default()
        };
    }
}

impl ReplicateRecord {
    /// Adds another service's record of the same replicate and calendar, as
    /// the total of independent sites: counts, exits, areas, weekly and
    /// monthly levels and events summed, waiting and holding times pooled.
    /// Absorbed into a cleared record, a record is copied exactly.
    ///
    /// Two figures cannot be summed honestly. The peak of a sum is not the
    /// sum of peaks, and the sites' lists are not followed together between
    /// snapshots, so the total's peak is the highest of each site's own peak
    /// and the summed weekly snapshots: a lower bound of the true peak. A
    /// month's median wait cannot be had from medians, so a total's month
    /// of two or more sites has none (NaN).
    pub fn absorb(&mut self, other: &ReplicateRecord) {
        let first = self.weekly.is_empty() && self.monthly.is_empty() && self.measured_days == 0.0;
        self.referrals += other.referrals;
        self.re_referrals += other.re_referrals;
        self.carried_over += other.carried_over;
        for (a, b) in self.exits.iter_mut().zip(other.exits) {
            *a += b;
        }
        self.in_system_end += other.in_system_end;
        self.supported += other.supported;
        self.connected += other.connected;
        self.waiting_times.extend_from_slice(&other.waiting_times);
        self.holding_times.extend_from_slice(&other.holding_times);
        self.waiting_list_end += other.waiting_list_end;
        self.waiting_list_area += other.waiting_list_area;
        self.held_area += other.held_area;
        self.caseload_area += other.caseload_area;
        self.capacity_area += other.capacity_area;
        self.vacancy_days += other.vacancy_days;
        self.fte_days += other.fte_days;
        self.measured_days = self.measured_days.max(other.measured_days);
        if self.weekly.len() < other.weekly.len() {
            self.weekly.resize(other.weekly.len(), [0; 5]);
        }
        for (a, b) in self.weekly.iter_mut().zip(&other.weekly) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        let weekly_peak = self.weekly.iter().map(|w| w[0]).max().unwrap_or(0);
        self.waiting_list_peak = if first {
            other.waiting_list_peak
        } else {
            self.waiting_list_peak.max(other.waiting_list_peak).max(weekly_peak)
        };
        self.events += other.events;
        if self.monthly.len() < other.monthly.len() {
            self.monthly.resize(other.monthly.len(), Month::default());
        }
        for (a, b) in self.monthly.iter_mut().zip(&other.monthly) {
            a.referrals += b.referrals;
            a.allocated += b.allocated;
            for (x, y) in a.exits.iter_mut().zip(b.exits) {
                *x += y;
            }
            a.waiting_median = if first { b.waiting_median } else { f64::NAN };
            a.waiting_list += b.waiting_list;
            a.caseload += b.caseload;
            a.held += b.held;
        }
    }
}

/// Receives every event of a replicate, for the `--trace` audit log.
/// The model calls it; what it writes is the caller's business.
pub trait Trace {
    /// Whether events are wanted at all; when false the model skips building them.
    const ENABLED: bool;
    fn event(
        &mut self,
        time: f64,
        what: &'static str,
        referral: Option<u32>,
        person: Option<u32>,
        link_worker: Option<u32>,
        service: Option<u32>,
    );
}

/// No trace: the fast path for every replicate but the audited one.
pub struct NoTrace;

impl Trace for NoTrace {
    const ENABLED: bool = false;
    #[inline(always)]
    fn event(&mut self, _: f64, _: &'static str, _: Option<u32>, _: Option<u32>, _: Option<u32>, _: Option<u32>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_empties_the_record_and_keeps_its_buffers() {
        let mut r = ReplicateRecord {
            referrals: 3,
            waiting_times: vec![1.0; 100],
            holding_times: vec![2.0; 100],
            weekly: vec![[1; 5]; 100],
            monthly: vec![Month::default(); 100],
            month_waits: vec![3.0; 100],
            ..ReplicateRecord::default()
        };
        r.clear();
        assert_eq!(r.referrals, 0);
        assert!(r.waiting_times.is_empty() && r.waiting_times.capacity() >= 100);
        assert!(r.holding_times.is_empty() && r.holding_times.capacity() >= 100);
        assert!(r.weekly.is_empty() && r.weekly.capacity() >= 100);
        assert!(r.monthly.is_empty() && r.monthly.capacity() >= 100);
        assert!(r.month_waits.is_empty() && r.month_waits.capacity() >= 100);
    }

    #[test]
    fn absorbing_sums_the_counts_and_keeps_the_highest_peak_of_short_runs() {
        // A run shorter than a week has no weekly or monthly rows, yet it was
        // measured: the total's peak is the highest site's, not the last one
        // absorbed, and only a cleared record copies the other's peak.
        let site = |peak, carried_over| ReplicateRecord {
            referrals: 2,
            carried_over,
            measured_days: 3.0,
            waiting_list_peak: peak,
            ..ReplicateRecord::default()
        };
        let mut total = ReplicateRecord::default();
        total.absorb(&site(5, 1));
        total.absorb(&site(3, 2));
        assert_eq!(total.waiting_list_peak, 5);
        assert_eq!((total.referrals, total.carried_over), (4, 3));
    }

    #[test]
    fn monthly_metrics_name_each_figure_and_each_exit() {
        let month = Month {
            referrals: 1,
            allocated: 2,
            exits: [10, 11, 12, 13, 14, 15, 16],
            waiting_median: 3.5,
            waiting_list: 4,
            caseload: 5,
            held: 6,
        };
        let values: Vec<f64> = (0..MONTHLY_METRICS.len()).map(|m| month.value(m)).collect();
        assert_eq!(
            values,
            [1.0, 2.0, 3.5, 4.0, 5.0, 6.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]
        );
        for exit in Exit::ALL {
            let name = format!("discharged_{}", exit.name());
            let metric = MONTHLY_METRICS.iter().position(|m| *m == name).unwrap();
            assert_eq!(month.value(metric), f64::from(month.exits[exit as usize]));
        }
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two() {
        assert!(median(&mut []).is_nan());
        assert_eq!(median(&mut [5.0]), 5.0);
        assert_eq!(median(&mut [9.0, 1.0, 4.0]), 4.0);
        assert_eq!(median(&mut [9.0, 1.0, 4.0, 2.0]), 3.0);
    }
}
