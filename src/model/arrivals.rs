//! Fresh referrals: a non-homogeneous Poisson process drawn by inversion, and
//! the numbering of every referral's own random stream. Intakes (referrals of
//! one group from an extra list for a while) are processes of the same kind,
//! each with its own generator.
//!
//! The referral rate is piecewise constant (the [`Plan`]'s rate segments).
//! The next arrival after `t` consumes one unit-exponential draw across the
//! segments, each absorbing `rate × length` of it, until it falls inside one:
//! exact for a non-homogeneous Poisson process, one draw per arrival.
//!
//! Stream numbers are kept apart by kind, so that fresh referral k has the
//! same personal stream in every scenario run with the same seed (common
//! random numbers), whoever else was referred or came back. For the same
//! reason an intake draws from a generator of its own: a scenario with an
//! intake draws everyone else's arrivals as the scenario without it does.

use super::plan::{Plan, RateSegment};
use super::random::{mix, Rng};
use super::referral::TooMany;
use super::sampling::pick;
use rand::Rng as _;
use rand_distr::Exp1;

/// Stream numbers of people already in the service on the start date.
pub const INITIAL_STREAM: u32 = 0x4000_0000;
/// Stream numbers of re-referrals.
pub const RE_REFERRAL_STREAM: u32 = 0x8000_0000;
/// Stream numbers of intake referrals: intake i numbers its own from
/// `INTAKE_STREAM + i × INTAKE_BLOCK`, so that adding an intake leaves the
/// others' streams as they were.
pub const INTAKE_STREAM: u32 = 0xC000_0000;
/// The stream numbers each intake has: validation allows at most 16 intakes,
/// which fill `INTAKE_STREAM..0xD000_0000`.
pub const INTAKE_BLOCK: u32 = 1 << 24;

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
    /// The process of rate `segments` at the start of a replicate, with its first arrival drawn.
    pub fn start(segments: &[RateSegment], rng: &mut Rng) -> Self {
        let mut arrivals = Arrivals::default();
        arrivals.next = arrivals.draw_after(segments, rng, 0.0);
        arrivals
    }

    /// Draws the arrival after the one just taken, at `now`.
    pub fn advance(&mut self, segments: &[RateSegment], rng: &mut Rng, now: f64) {
        self.next = self.draw_after(segments, rng, now);
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

/// One intake's arrivals and its generator.
struct IntakeArrivals {
    arrivals: Arrivals,
    rng: Rng,
}

/// The arrival processes of a scenario's intakes, with the time of the
/// earliest next arrival among them.
#[derive(Default)]
pub struct Intakes {
    each: Vec<IntakeArrivals>,
    /// When the next intake referral arrives (infinity if none will).
    pub next: f64,
}

impl Intakes {
    /// The intakes at the start of a replicate, each with its first arrival
    /// drawn from its own generator, keyed by `key` and its place in the list.
    pub fn start(plan: &Plan, key: u64) -> Self {
        let each = plan
            .intakes
            .iter()
            .zip(0u64..)
            .map(|(intake, i)| {
                let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(mix(key ^ mix(i)));
                let arrivals = Arrivals::start(&intake.rate_segments, &mut rng);
                IntakeArrivals { arrivals, rng }
            })
            .collect();
        let mut intakes = Intakes {
            each,
            next: f64::INFINITY,
        };
        intakes.find_next();
        intakes
    }

    /// Takes the referral due at `now` (at [`Intakes::next`]) and draws its
    /// intake's next: returns the referral's client group and stream number.
    /// On a tie the intake listed first goes first. An intake past its block
    /// of stream numbers is too large a replicate, as too many referrals are.
    pub fn take(&mut self, plan: &Plan, now: f64) -> Result<(usize, u32), TooMany> {
        let i = self
            .each
            .iter()
            .position(|e| e.arrivals.next == self.next)
            .expect("an intake referral is due");
        let e = &mut self.each[i];
        let number = e.arrivals.fresh_stream();
        if number >= INTAKE_BLOCK {
            return Err(TooMany);
        }
        let block = u32::try_from(i).expect("validation allows at most 16 intakes") * INTAKE_BLOCK;
        e.arrivals.advance(&plan.intakes[i].rate_segments, &mut e.rng, now);
        self.find_next();
        Ok((plan.intakes[i].group, INTAKE_STREAM + block + number))
    }

    fn find_next(&mut self) {
        self.next = self.each.iter().map(|e| e.arrivals.next).fold(f64::INFINITY, f64::min);
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

    /// Two intakes over the same weeks, one twice as busy: each numbers its
    /// referrals in its own block and in order, their arrivals come in time
    /// order, each within its dates, with the group it names, and the second
    /// brings about twice as many.
    #[test]
    fn intakes_are_numbered_in_blocks_of_their_own() {
        let intake = |rate: u32, group: &str| {
            format!("[[referrals.intakes]]\nfrom = \"2024-05-01\"\nto = \"2024-09-01\"\nrate_per_month = {rate}\ngroup = \"{group}\"\n")
        };
        let scenario = crate::model::test_scenario(&format!(
            "[client_groups.a]\nshare = 1\ncategories = {{ social = 1 }}\n[client_groups.b]\nshare = 0\ncategories = {{ social = 1 }}\n\
             [[link_workers.posts]]\ncount = 1\n[[vcse.services]]\nname = \"Group\"\ncategory = \"social\"\nplaces = 5\n{}{}",
            intake(100, "b"),
            intake(200, "a")
        ));
        let plan = Plan::new(&scenario);
        let (from, to) = (scenario.referrals.intakes[0].from, scenario.referrals.intakes[0].to);
        let mut intakes = Intakes::start(&plan, 7);
        let (mut last, mut seen) = (0.0, [0u32; 2]);
        while intakes.next.is_finite() {
            let now = intakes.next;
            assert!(
                now >= last && (from..to).contains(&now),
                "arrival at {now}, last {last}"
            );
            last = now;
            let (group, stream) = intakes.take(&plan, now).expect("room in the block");
            let i = usize::from(group == 0);
            assert_eq!(group, [1, 0][i], "intake {i} brought group {group}");
            assert_eq!(stream, INTAKE_STREAM + i as u32 * INTAKE_BLOCK + seen[i]);
            seen[i] += 1;
        }
        // About 410 and 820 over the 123 days; five standard errors apart.
        let ratio = f64::from(seen[1]) / f64::from(seen[0]);
        assert!((1.6..2.5).contains(&ratio), "counts {seen:?}");
    }
}
