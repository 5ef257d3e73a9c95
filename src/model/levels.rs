//! The levels the outputs follow, measured: their time integrals over the
//! measured period (for time averages), a snapshot every week after the
//! warm-up (for the fan charts and the threshold questions), and the
//! calendar months a service's own figures are counted in.
//!
//! The parts of the model keep their own levels (the waiting list its
//! length, the posts their places and caseloads, the services their places
//! and people held); the loop hands them over as a [`Levels`] each time the
//! clock moves, and [`Measure`] does the bookkeeping.

use super::record::{median, Month, ReplicateRecord};

/// The levels at one moment, in the model's own units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Levels {
    pub waiting: u32,
    pub held: u32,
    pub caseload: u32,
    pub capacity: u32,
    pub in_post: u32,
    pub vacant: u32,
    pub fte_in_post: f64,
    pub places_open: u32,
}

impl Levels {
    /// The weekly snapshot, in the order of [`super::WEEKLY_METRICS`].
    fn snapshot(&self) -> [u32; 5] {
        [self.waiting, self.held, self.caseload, self.in_post, self.places_open]
    }
}

/// The measuring clock of one replicate.
pub struct Measure {
    warm_up: f64,
    /// How far the integrals have been taken.
    last_time: f64,
    weeks: usize,
    next_week: usize,
    next_week_time: f64,
    /// When each measured month ends (see `Scenario::month_ends`).
    month_ends: Vec<f64>,
    /// When the month under way ends, if it is not the last; the last is
    /// closed by [`Self::close_last_month`], after the events at the end.
    next_month_time: f64,
}

impl Measure {
    /// Measuring from `warm_up`, with `weeks` weekly snapshots from then on.
    pub fn new(warm_up: f64, weeks: usize, month_ends: Vec<f64>) -> Self {
        let mut measure = Measure {
            warm_up,
            last_time: 0.0,
            weeks,
            next_week: 0,
            next_week_time: 0.0,
            month_ends,
            next_month_time: f64::INFINITY,
        };
        measure.next_week_time = measure.week_time(0);
        measure
    }

    /// Moves the measuring clock to `t`, the levels having been `levels`
    /// since it last moved: integrates them over the measured part of the
    /// elapsed time and takes the weekly snapshots that fall due. Returns
    /// whether the warm-up ended in this step (so that peaks start counting).
    #[inline]
    pub fn advance(&mut self, t: f64, levels: &Levels, record: &mut ReplicateRecord) -> bool {
        if t <= self.last_time {
            return false;
        }
        if t >= self.next_week_time {
            self.take_snapshots(t, levels, record);
        }
        let mut warm_up_ended = false;
        let from = if self.last_time >= self.warm_up {
            self.last_time
        } else {
            warm_up_ended = t >= self.warm_up;
            self.warm_up
        };
        if warm_up_ended {
            self.open_first_month(record);
        }
        if t >= self.next_month_time {
            self.close_months(t, levels, record);
        }
        if t > from {
            let dt = t - from;
            let r = record;
            r.waiting_list_area += f64::from(levels.waiting) * dt;
            r.held_area += f64::from(levels.held) * dt;
            r.caseload_area += f64::from(levels.caseload) * dt;
            r.capacity_area += f64::from(levels.capacity) * dt;
            r.vacancy_days += f64::from(levels.vacant) * dt;
            r.fte_days += levels.fte_in_post * dt;
        }
        self.last_time = t;
        warm_up_ended
    }

    /// The weekly snapshots due by `t`, of the levels as they stand.
    #[cold]
    fn take_snapshots(&mut self, t: f64, levels: &Levels, record: &mut ReplicateRecord) {
        while self.next_week_time <= t {
            record.weekly.push(levels.snapshot());
            self.next_week += 1;
            self.next_week_time = self.week_time(self.next_week);
        }
    }

    /// Begins the first measured month: when the warm-up ends, or before
    /// anything happens if there is none.
    pub fn open_first_month(&mut self, record: &mut ReplicateRecord) {
        if record.monthly.is_empty() && !self.month_ends.is_empty() {
            record.monthly.push(Month::default());
            self.next_month_time = self.month_end_unless_last(0);
        }
    }

    /// Closes the months that ended by `t`, with the levels as they stood,
    /// and begins the next of each.
    #[cold]
    fn close_months(&mut self, t: f64, levels: &Levels, record: &mut ReplicateRecord) {
        while self.next_month_time <= t {
            Self::close_month(levels, record);
            record.monthly.push(Month::default());
            self.next_month_time = self.month_end_unless_last(record.monthly.len() - 1);
        }
    }

    /// Closes the last month with the levels at the end of the run.
    pub fn close_last_month(&mut self, levels: &Levels, record: &mut ReplicateRecord) {
        if record.monthly.len() == self.month_ends.len() {
            Self::close_month(levels, record);
        }
    }

    fn close_month(levels: &Levels, record: &mut ReplicateRecord) {
        let waiting_median = median(&mut record.month_waits);
        record.month_waits.clear();
        if let Some(month) = record.monthly.last_mut() {
            month.waiting_list = levels.waiting;
            month.caseload = levels.caseload;
            month.held = levels.held;
            month.waiting_median = waiting_median;
        }
    }

    fn month_end_unless_last(&self, month: usize) -> f64 {
        if month + 1 < self.month_ends.len() {
            self.month_ends[month]
        } else {
            f64::INFINITY
        }
    }

    /// When weekly snapshot `week` is taken (infinity past the last).
    fn week_time(&self, week: usize) -> f64 {
        if week < self.weeks {
            self.warm_up + 7.0 * week as f64
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrals_count_only_after_the_warm_up() {
        let mut measure = Measure::new(10.0, 0, Vec::new());
        let mut record = ReplicateRecord::default();
        let two = Levels {
            waiting: 2,
            fte_in_post: 0.5,
            ..Levels::default()
        };
        assert!(!measure.advance(4.0, &two, &mut record));
        assert_eq!(record.waiting_list_area, 0.0, "all in the warm-up");
        assert!(
            measure.advance(16.0, &two, &mut record),
            "the warm-up ends in this step"
        );
        assert_eq!(record.waiting_list_area, 12.0, "2 people for the 6 measured days");
        assert_eq!(record.fte_days, 3.0);
        assert!(!measure.advance(16.0, &two, &mut record), "the clock did not move");
        let five = Levels { waiting: 5, ..two };
        measure.advance(18.0, &five, &mut record);
        assert_eq!(record.waiting_list_area, 22.0);
    }

    #[test]
    fn a_snapshot_each_week_from_the_warm_up_of_the_levels_standing_then() {
        let mut measure = Measure::new(7.0, 3, Vec::new());
        let mut record = ReplicateRecord::default();
        let at = |held| Levels {
            held,
            ..Levels::default()
        };
        measure.advance(6.0, &at(1), &mut record);
        assert!(record.weekly.is_empty());
        // Days 7 and 14 fall due together, both with the levels held since day 6.
        measure.advance(15.0, &at(2), &mut record);
        measure.advance(100.0, &at(3), &mut record);
        let held: Vec<u32> = record.weekly.iter().map(|w| w[1]).collect();
        assert_eq!(held, [2, 2, 3], "three weeks only: no snapshot past the last");
    }
}
