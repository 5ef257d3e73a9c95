//! What a scenario fixes before any replicate runs: the referral rate as a
//! piecewise-constant function of time, the dated events in time order, and
//! a sampler for every distribution. Built once per experiment and shared,
//! read-only, by every replicate and thread.

use super::sampling::Sampler;
use crate::scenario::{units, Closures, Scenario, TenureModel};

/// The referral rate (per day) is `rate` from `start` until the next segment.
#[derive(Clone, Copy, Debug)]
pub struct RateSegment {
    pub start: f64,
    pub end: f64,
    pub rate: f64,
}

/// Something that happens on a date fixed by the scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dated {
    /// A VCSE disruption begins or ends (the index of the disruption); capacity is recomputed.
    Disruption(usize),
    /// A funding change (its index).
    Funding(usize),
    /// A fixed-term post's contract ends (the post index).
    ContractEnds(usize),
    /// A new VCSE service opens (the service index).
    ServiceOpens(usize),
}

/// The samplers of one client group.
pub struct GroupPlan {
    pub contacts: Sampler,
    interval: Sampler,
    /// From this contact number on, the gap before a contact is drawn from
    /// the second sampler.
    later: Option<(u16, Sampler)>,
    pub re_referral_delay: Sampler,
    /// The group's VCSE categories and their cumulative weights, for one
    /// uniform draw. Validation allows at most 255 categories, so each fits a byte.
    pub categories: Vec<u8>,
    pub category_cdf: Vec<f64>,
    /// The group's place in the waiting list order (0 first).
    pub priority_level: usize,
    pub disengage_per_contact: f64,
    /// The contact at which the onward plan is made.
    pub planning_contact: u16,
}

impl GroupPlan {
    /// The distribution of the gap that leads to contact number `k`.
    #[inline]
    pub fn interval_before(&self, k: u16) -> &Sampler {
        match &self.later {
            Some((from, later)) if k >= *from => later,
            _ => &self.interval,
        }
    }
}

/// What a scenario's `[vcse.births]` fixes: the gap between births, and the
/// draws of a new service's category and places.
pub struct BirthPlan {
    /// Mean days between births.
    pub mean_gap: f64,
    pub places: Sampler,
    pub categories: Vec<usize>,
    pub category_cdf: Vec<f64>,
}

/// One intake: its rate as segments, and the client group of all its referrals.
pub struct IntakePlan {
    pub rate_segments: Vec<RateSegment>,
    pub group: usize,
}

pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    pub rate_segments: Vec<RateSegment>,
    pub intakes: Vec<IntakePlan>,
    pub dated: Vec<(f64, Dated)>,
    pub groups: Vec<GroupPlan>,
    /// Cumulative group shares, for one uniform draw.
    pub group_cdf: Vec<f64>,
    pub priority_levels: usize,
    pub patience: Option<Sampler>,
    pub waited_so_far: Option<Sampler>,
    pub tenure: Option<Sampler>,
    pub recruitment_delay: Sampler,
    /// Per kind of service: each scenario service's, then (at
    /// [`Plan::born_kind`]) that of services born during the run.
    pub attendance: Vec<Sampler>,
    pub closure_duration: Vec<Sampler>,
    /// How new services are born, if they are.
    pub births: Option<BirthPlan>,
    /// The services of each VCSE category, in scenario order.
    pub services_of: Vec<Vec<usize>>,
    /// Number of weekly snapshots after the warm-up.
    pub weeks: usize,
    /// When each calendar month of the measured period ends.
    pub month_ends: Vec<f64>,
}

impl<'a> Plan<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let groups: Vec<GroupPlan> = scenario
            .groups
            .iter()
            .map(|g| {
                let mut acc = 0.0;
                GroupPlan {
                    contacts: Sampler::new(&g.contacts),
                    interval: Sampler::new(&g.contact_interval),
                    later: g
                        .later_contacts
                        .as_ref()
                        .map(|(from, d)| ((*from).min(u32::from(u16::MAX)) as u16, Sampler::new(d))),
                    re_referral_delay: Sampler::new(&g.re_referral_delay),
                    categories: g
                        .categories
                        .iter()
                        .map(|(c, _)| u8::try_from(*c).expect("validation allows at most 255 VCSE categories"))
                        .collect(),
                    category_cdf: g
                        .categories
                        .iter()
                        .map(|(_, w)| {
                            acc += w;
                            acc
                        })
                        .collect(),
                    priority_level: 0,
                    disengage_per_contact: g.disengage_per_contact,
                    planning_contact: g.planning_contact.min(u32::from(u16::MAX)) as u16,
                }
            })
            .collect();
        let mut plan = Plan {
            scenario,
            rate_segments: rate_segments(scenario),
            intakes: scenario
                .referrals
                .intakes
                .iter()
                .map(|i| IntakePlan {
                    rate_segments: vec![RateSegment {
                        start: i.from,
                        // An intake after the run's end is an empty segment.
                        end: i.end_within(scenario.end()),
                        rate: i.rate_per_month / units::DAYS_PER_MONTH,
                    }],
                    group: i.group,
                })
                .collect(),
            dated: dated_events(scenario),
            group_cdf: scenario
                .groups
                .iter()
                .scan(0.0, |acc, g| {
                    *acc += g.share;
                    Some(*acc)
                })
                .collect(),
            groups,
            priority_levels: 1,
            patience: scenario.referrals.patience.as_ref().map(Sampler::new),
            waited_so_far: scenario.initial.waited_so_far.as_ref().map(Sampler::new),
            tenure: match &scenario.link_workers.turnover.tenure {
                TenureModel::AnnualRate(r) if *r > 0.0 => Some(Sampler::Exponential(units::DAYS_PER_YEAR / r)),
                TenureModel::AnnualRate(_) => None,
                TenureModel::Distribution(d) => Some(Sampler::new(d)),
            },
            recruitment_delay: Sampler::new(&scenario.link_workers.recruitment_delay),
            attendance: scenario
                .vcse
                .services
                .iter()
                .map(|s| &s.attendance)
                .chain(scenario.vcse.births.iter().map(|b| &b.attendance))
                .map(Sampler::new)
                .collect(),
            closure_duration: scenario
                .vcse
                .services
                .iter()
                .map(|s| &s.closures.duration)
                .chain(scenario.vcse.births.iter().map(|b| &b.closures.duration))
                .map(Sampler::new)
                .collect(),
            births: scenario
                .vcse
                .births
                .as_ref()
                .filter(|b| b.annual_rate > 0.0)
                .map(|b| BirthPlan {
                    mean_gap: units::DAYS_PER_YEAR / b.annual_rate,
                    places: Sampler::new(&b.places),
                    categories: b.categories.iter().map(|&(c, _)| c).collect(),
                    category_cdf: b
                        .categories
                        .iter()
                        .scan(0.0, |acc, &(_, w)| {
                            *acc += w;
                            Some(*acc)
                        })
                        .collect(),
                }),
            services_of: (0..scenario.categories.len())
                .map(|c| {
                    let services = scenario.vcse.services.iter().enumerate();
                    services.filter(|(_, s)| s.category == c).map(|(i, _)| i).collect()
                })
                .collect(),
            weeks: scenario.weeks(),
            month_ends: scenario.month_ends(),
        };
        if scenario.referrals.order == crate::scenario::QueueOrder::Priority {
            let mut levels: Vec<i64> = scenario.groups.iter().map(|g| g.priority).collect();
            levels.sort_unstable();
            levels.dedup();
            for (g, gp) in scenario.groups.iter().zip(&mut plan.groups) {
                gp.priority_level = levels
                    .binary_search(&g.priority)
                    .expect("the levels are every group's priority");
            }
            plan.priority_levels = levels.len();
        }
        plan
    }
}

impl Plan<'_> {
    /// The kind of every service born during the run: the index of its
    /// attendance and closure samplers, after the scenario's own services.
    pub fn born_kind(&self) -> usize {
        self.scenario.vcse.services.len()
    }

    /// The random closures of a kind of service.
    pub fn closures(&self, kind: usize) -> &Closures {
        let v = &self.scenario.vcse;
        match v.services.get(kind) {
            Some(service) => &service.closures,
            None => {
                &v.births
                    .as_ref()
                    .expect("only births make services beyond the scenario's")
                    .closures
            }
        }
    }
}

/// Breaks the run into pieces on which the referral rate is constant: calendar
/// months (seasonality) cut further at the start and end of every rate change.
fn rate_segments(s: &Scenario) -> Vec<RateSegment> {
    let end = s.end();
    let mut cuts: Vec<f64> = vec![0.0, end];
    let mut t = 0.0;
    while t < end {
        let (_, left) = units::month_at(s.start, t);
        t += left.max(1.0);
        if t < end {
            cuts.push(t);
        }
    }
    for c in &s.referrals.changes {
        cuts.extend([c.from, c.to].into_iter().filter(|x| *x > 0.0 && *x < end));
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let base = s.referrals.rate_per_month / units::DAYS_PER_MONTH;
    cuts.windows(2)
        .map(|w| {
            let mid = (w[0] + w[1]) / 2.0;
            let (month, _) = units::month_at(s.start, w[0]);
            let multiplier: f64 = s
                .referrals
                .changes
                .iter()
                .filter(|c| c.from <= mid && mid < c.to)
                .map(|c| c.multiplier)
                .product();
            RateSegment {
                start: w[0],
                end: w[1],
                rate: base * s.referrals.seasonality[month] * multiplier,
            }
        })
        .collect()
}

fn dated_events(s: &Scenario) -> Vec<(f64, Dated)> {
    let mut dated = Vec::new();
    for (i, d) in s.vcse.disruptions.iter().enumerate() {
        dated.push((d.from, Dated::Disruption(i)));
        if d.to.is_finite() {
            dated.push((d.to, Dated::Disruption(i)));
        }
    }
    for (i, f) in s.link_workers.funding_changes.iter().enumerate() {
        dated.push((f.time, Dated::Funding(i)));
    }
    for (i, p) in s.link_workers.posts.iter().enumerate() {
        if let Some(end) = p.contract_end {
            dated.push((end, Dated::ContractEnds(i)));
        }
    }
    for (i, v) in s.vcse.services.iter().enumerate() {
        if let Some(opens) = v.opens {
            dated.push((opens, Dated::ServiceOpens(i)));
        }
    }
    // Stable: simultaneous dated events keep the order above.
    dated.sort_by(|a, b| a.0.total_cmp(&b.0));
    dated
}
