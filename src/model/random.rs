//! Random streams: one per source of randomness, derived from (seed, replicate, source).
//!
//! Deriving streams from a key rather than from one shared generator is what
//! makes results independent of the thread count and lets two scenarios share
//! their referral stream (common random numbers). A person's own support
//! draws come from a stream keyed by their referral number, so that a person
//! gets the same number of contacts, intervals and onward need in every
//! scenario run with the same seed, whatever happened to anyone else.

use rand::SeedableRng;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// The generator of the four sequential streams: Xoshiro256++, a documented, stable algorithm.
pub type Rng = Xoshiro256PlusPlus;

/// The generator of a person's own short streams: SplitMix64, whose seeding
/// costs nothing (the key is the state), which matters because every person
/// opens several. It passes BigCrush, and each stream draws only a few dozen numbers.
pub type PersonRng = SplitMix64;

/// The sources of randomness in a replicate.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// Referral arrival times and client groups.
    Referrals = 1,
    /// Handover disengagement, re-referral decisions and delays; and the key of
    /// each person's own stream (triage, patience, digital exclusion, contacts,
    /// onward need and category, disengagement).
    Support = 2,
    /// Link worker tenure and recruitment delays.
    Turnover = 3,
    /// VCSE attendance times; each service's random closures come from its own
    /// stream keyed by this one, so that they do not move when attendance changes.
    Vcse = 4,
    /// When new VCSE services start, their categories and their places: a
    /// stream of their own, so that a scenario with births draws everything
    /// else as the same scenario without them does.
    Births = 5,
    /// Intake referrals: each intake's generator is keyed by this source's
    /// key and its place in the list (see `arrivals::Intakes`).
    Intakes = 6,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits, so distinct keys give distinct seeds.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The key of one copy of one site in one replicate. Copies are numbered
/// over all sites of a scenario in the order they are listed; copy 0 has the
/// key a scenario without sites has always had, so that a scenario of one
/// site of one copy draws the same numbers as the scenario without sites.
pub fn copy_key(seed: u64, replicate: u64, copy: u64) -> u64 {
    let key = mix(mix(seed) ^ replicate);
    if copy == 0 {
        key
    } else {
        mix(key ^ mix(copy ^ 0x5173_c0b1))
    }
}

/// The seed of one source's stream in one copy of one replicate.
pub fn copy_stream_key(seed: u64, replicate: u64, copy: u64, source: Source) -> u64 {
    mix(copy_key(seed, replicate, copy) ^ source as u64)
}

/// A person's own generator for one piece of their support (`part`), keyed by
/// the replicate's support key and their referral number.
pub fn person_stream(support_key: u64, referral: u32, part: u32) -> PersonRng {
    PersonRng::seed_from_u64(mix(support_key ^ mix((u64::from(referral) << 32) | u64::from(part))))
}

/// The sequential streams of a replicate.
pub struct Streams {
    pub referrals: Rng,
    pub support: Rng,
    pub turnover: Rng,
    pub vcse: Rng,
    pub births: Rng,
    pub support_key: u64,
    pub vcse_key: u64,
    pub intakes_key: u64,
}

impl Streams {
    pub fn new(seed: u64, replicate: u64) -> Self {
        Self::of_copy(seed, replicate, 0)
    }

    /// The streams of one copy of a site (see [`copy_key`]).
    pub fn of_copy(seed: u64, replicate: u64, copy: u64) -> Self {
        let key = |source| copy_stream_key(seed, replicate, copy, source);
        let rng = |source| Rng::seed_from_u64(key(source));
        Streams {
            referrals: rng(Source::Referrals),
            support: rng(Source::Support),
            turnover: rng(Source::Turnover),
            vcse: rng(Source::Vcse),
            births: rng(Source::Births),
            support_key: key(Source::Support) ^ 0x5eed,
            vcse_key: key(Source::Vcse) ^ 0xc105e,
            intakes_key: key(Source::Intakes),
        }
    }
}
