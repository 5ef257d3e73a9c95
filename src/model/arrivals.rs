//! Fresh referrals: a non-homogeneous Poisson process drawn by inversion, and
//! the numbering of every referral's own random stream.
//!
//! The referral rate is piecewise constant (the [`Plan`]'s rate segments).
//! The next arrival after `t` consumes one unit-exponential draw across the
//! segments, each absorbing `rate × length` of it, until it falls inside one:
//! exact for a non-homogeneous Poisson process, one draw per arrival.
//!
//! Stream numbers are kept apart by kind, so that fresh referral k has the
//! same personal stream in every scenario run with the same seed (common
//! random numbers), whoever else was referred or came back.

use super::plan::{Plan, RateSegment};
use super::random::Rng;
use super::sampling::pick;
use rand::Rng as _;
use rand_distr::Exp1;

/// Stream numbers of people already in the service on the start date.
pub const INITIAL_STREAM: u32 = 0x4000_0000;
/// Stream numbers of re-referrals.
pub const RE_REFERRAL_STREAM: u32 = 0x8000_0000;

/// The arrival process of one replicate.
#[derive(Default)]
pub struct Arrivals {
    /// The first rate segment that may hold the next arrival.
    segment: usize,
    /// When the next fresh referral arrives (infinity after the last segment).
    pub next: f64,
    fresh: u32,
    re_referrals: u32,
}

impl Arrivals {
    /// The process at the start of a replicate, with its first arrival drawn.
    pub fn start(plan: &Plan, rng: &mut Rng) -> Self {
        let mut arrivals = Arrivals::default();
        arrivals.next = arrivals.draw_after(&plan.rate_segments, rng, 0.0);
        arrivals
    }

    /// Draws the arrival after the one just taken, at `now`.
    pub fn advance(&mut self, plan: &Plan, rng: &mut Rng, now: f64) {
        self.next = self.draw_after(&plan.rate_segments, rng, now);
    }

    /// The next arrival time after `from`, by inversion of the integrated rate.
    fn draw_after(&mut self, segments: &[RateSegment], rng: &mut Rng, from: f64) -> f64 {
        let mut e: f64 = rng.sample(Exp1);
        let mut t = from;
        while let Some(s) = segments.get(self.segment) {
            if s.end <= t {
                self.segment += 1;
                continue;
            }
            let start = t.max(s.start);
            let capacity = (s.end - start) * s.rate;
            if s.rate > 0.0 && e < capacity {
                return start + e / s.rate;
            }
            // On to the next segment: the loop's first test steps past this one.
            e -= capacity;
            t = s.end;
        }
        f64::INFINITY
    }

    /// The stream number of the next fresh referral.
    pub fn fresh_stream(&mut self) -> u32 {
        self.fresh += 1;
        self.fresh - 1
    }

    /// The stream number of the next re-referral.
    pub fn re_referral_stream(&mut self) -> u32 {
        self.re_referrals += 1;
        RE_REFERRAL_STREAM + self.re_referrals - 1
    }
}

/// The client group of a referral, from one uniform draw.
pub fn pick_group(plan: &Plan, u: f64) -> usize {
    pick(&plan.group_cdf, u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn segments(pieces: &[(f64, f64, f64)]) -> Vec<RateSegment> {
        pieces
            .iter()
            .map(|&(start, end, rate)| RateSegment { start, end, rate })
            .collect()
    }

    /// Counts in each segment are Poisson with mean rate × length: the mean
    /// over many replicates is within five standard errors of it.
    #[test]
    fn counts_follow_the_piecewise_rate() {
        let pieces = segments(&[(0.0, 10.0, 2.0), (10.0, 20.0, 0.0), (20.0, 25.0, 8.0)]);
        let mut rng = Rng::seed_from_u64(11);
        let (mut first, mut gap, mut last) = (0.0, 0.0, 0.0);
        let runs = 2000;
        for _ in 0..runs {
            let mut a = Arrivals::default();
            let mut t = a.draw_after(&pieces, &mut rng, 0.0);
            while t.is_finite() {
                match t {
                    t if t < 10.0 => first += 1.0,
                    t if t < 20.0 => gap += 1.0,
                    _ => last += 1.0,
                }
                t = a.draw_after(&pieces, &mut rng, t);
            }
        }
        let n = f64::from(runs);
        assert_eq!(gap, 0.0, "no referral where the rate is 0");
        for (seen, mean) in [(first / n, 20.0), (last / n, 40.0)] {
            let se = (mean / n).sqrt();
            assert!((seen - mean).abs() < 5.0 * se, "mean count {seen}, expected {mean}");
        }
    }

    #[test]
    fn after_the_last_segment_there_are_no_referrals() {
        let pieces = segments(&[(0.0, 1.0, 1e-9)]);
        let mut a = Arrivals::default();
        assert_eq!(a.draw_after(&pieces, &mut Rng::seed_from_u64(1), 0.0), f64::INFINITY);
    }

    #[test]
    fn streams_are_numbered_apart_by_kind() {
        let mut a = Arrivals::default();
        assert_eq!((a.fresh_stream(), a.fresh_stream()), (0, 1));
        assert_eq!(a.re_referral_stream(), RE_REFERRAL_STREAM);
        assert_eq!(a.fresh_stream(), 2);
    }
}
