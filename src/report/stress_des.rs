//! The STRESS-DES reporting guideline (Monks et al. 2019, "Strengthening the
//! reporting of empirical simulation studies: Introducing the STRESS
//! guidelines", Journal of Simulation 13(1):55-67), answered item by item from
//! what a run knows: its scenario, the metric table, `run.json` and the
//! replicates themselves. What only the study's author can know (why the
//! study was done, where the data came from) is marked [`TO_COMPLETE`],
//! never guessed.
//!
//! The answers are blocks: the appendix of `report.html` and `report.docx`,
//! and on their own `stress_des.md` ([`markdown`](super::markdown)).

use super::blocks::{code, text, Block, Cell, Inline, Row, Table};
use super::run::{is_assumption, short_value};
use crate::compare::Comparison;
use crate::output::Results;
use crate::scenario::raw::RawScenario;
use crate::scenario::units;
use crate::scenario::{HoldingPolicy, QueueOrder};
use crate::settle::replications::{Options, Search};
use crate::stats::metric;

/// What an item says where the run cannot know the answer.
pub const TO_COMPLETE: &str = "To be completed by the author";

/// The title of the appendix and of `stress_des.md`.
pub const TITLE: &str = "STRESS-DES reporting checklist";

/// The guideline's sections, in order.
pub const SECTIONS: [&str; 6] = [
    "1. Objectives",
    "2. Logic",
    "3. Data",
    "4. Experimentation",
    "5. Implementation",
    "6. Code access",
];

/// One item of the guideline and its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// "1.1", "2.5.3".
    pub number: &'static str,
    /// The item's name in the guideline.
    pub topic: &'static str,
    pub answer: Vec<Inline>,
}

/// Every item's answer, and the tables the answers refer to.
#[derive(Clone, Debug, PartialEq)]
pub struct Answers {
    /// What the study is: "Baseline PCN service" or "A against B".
    pub study: String,
    pub items: Vec<Item>,
    /// Every input parameter with its value and source (item 3.3).
    pub parameters: Table,
    /// The command that reruns the study exactly.
    pub rerun: String,
}

fn item(number: &'static str, topic: &'static str, answer: Vec<Inline>) -> Item {
    Item { number, topic, answer }
}

/// "To be completed by the author: what".
fn to_complete(what: &str) -> Inline {
    Inline::Strong(format!("{TO_COMPLETE}: {what}"))
}

/// The blocks of the appendix: its heading, how to read it, the rerun
/// command, one table per section, then the parameters.
pub fn appendix(a: &Answers) -> Vec<Block> {
    let mut blocks = vec![Block::Appendix(format!("Appendix: {TITLE}"))];
    blocks.extend(body(a));
    blocks
}

/// The appendix without its heading: `stress_des.md` has its own title.
pub fn body(a: &Answers) -> Vec<Block> {
    let mut blocks = vec![
        Block::Paragraph(vec![
            text(format!(
                "The items of the STRESS-DES guideline (Monks et al. 2019) for {}, answered by spcap from the run itself. Items marked \u{201c}{TO_COMPLETE}\u{201d} are what the run cannot know. ",
                a.study
            )),
            code("docs/model.md"),
            text(" of the same spcap version describes the model in the guideline's order."),
        ]),
        Block::Paragraph(vec![text("To rerun it exactly: "), code(&a.rerun)]),
    ];
    for (s, section) in SECTIONS.iter().enumerate() {
        let prefix = format!("{}.", s + 1);
        let rows: Vec<Row> = a
            .items
            .iter()
            .filter(|i| i.number.starts_with(&prefix))
            .map(|i| {
                Row::new(vec![
                    Cell::text(format!("{} {}", i.number, i.topic)),
                    Cell::new(i.answer.clone()),
                ])
                .id(format!("stress-{}", i.number))
            })
            .collect();
        blocks.push(Block::Heading(3, section.to_string()));
        blocks.push(Block::Table(Table {
            class: "stress",
            head: vec!["Item".into(), "Answer".into()],
            rows,
            widths: vec![2, 7],
        }));
    }
    blocks.push(Block::Heading(3, "Input parameters (item 3.3)".into()));
    blocks.push(Block::Table(a.parameters.clone()));
    blocks
}

/// `stress_des.md`.
pub fn markdown(a: &Answers) -> String {
    super::markdown::render(&format!("{TITLE}: {}", a.study), &body(a))
}

/// The answers for a run's output folder.
pub fn run_items(r: &Results) -> Answers {
    let m = &r.meta;
    let s = &m.scenario;
    let file = r.run.scenario_file.as_str();
    let rerun = format!(
        "spcap run {} --replicates {} --seed {} --out {}",
        shell_word(file),
        m.replicates,
        m.seed,
        shell_word(&r.dir.display().to_string())
    );
    let mut items = common_items(r);
    items.insert(
        0,
        item("1.1", "Purpose of the model", purpose(&m.name, &s.description, file)),
    );
    items.insert(
        2,
        item(
            "1.3",
            "Experimentation aims",
            vec![
                text(format!(
                    "A single scenario, \u{201c}{}\u{201d}, run for {} replicates: no scenario comparison, design of experiments or optimisation in this run. ",
                    m.name, m.replicates
                )),
                to_complete("the questions this run was used to answer."),
            ],
        ),
    );
    items.insert(5, item("2.3", "Scenario logic", scenario_logic(s)));
    items.push(item("4.3", "Estimation approach", estimation(r)));
    items.push(item("5.4", "System specification", system(std::slice::from_ref(r))));
    items.push(item(
        "6.1",
        "Computer model sharing statement",
        sharing(&m.version, r, &rerun),
    ));
    sort(&mut items);
    Answers {
        study: m.name.clone(),
        items,
        parameters: parameters(s),
        rerun,
    }
}

/// The answers for a comparison: the base's folder answers the items the
/// scenarios share; the scenarios' differences answer the rest.
pub fn comparison_items(c: &Comparison, results: &[Results]) -> Answers {
    let Some(base) = results.first() else {
        return Answers {
            study: c.names.join(", "),
            items: Vec::new(),
            parameters: Table::default(),
            rerun: String::new(),
        };
    };
    let m = &base.meta;
    let mut rerun = format!("spcap compare {}", shell_words(&c.files));
    rerun.push_str(&format!(" --replicates {} --seed {}", c.replicates, m.seed));
    for placed in &c.thresholds {
        let th = &placed.threshold;
        rerun.push_str(&format!(" --threshold {}={}@{}", th.metric_name(), th.value, th.date));
    }
    if let Some(out) = base.dir.parent() {
        rerun.push_str(&format!(" --out {}", shell_word(&out.display().to_string())));
    }
    let study = format!("{} against {}", c.names[1..].join(", "), c.names[0]);
    let mut items = common_items(base);
    let mut purpose_text = Vec::new();
    for (r, name) in results.iter().zip(&c.names) {
        purpose_text.push(text(format!("\u{201c}{name}\u{201d}: ")));
        purpose_text.push(text(if r.meta.scenario.description.is_empty() {
            "(no description in the scenario file). ".to_string()
        } else {
            format!("{} ", r.meta.scenario.description)
        }));
    }
    purpose_text.push(to_complete("the background and objectives of the study."));
    items.insert(0, item("1.1", "Purpose of the model", purpose_text));
    let mut aims = vec![text(format!(
        "Scenario analysis: {} compared with the base \u{201c}{}\u{201d}, replicate by replicate with common random numbers, on the key figures; each scenario's name and file are in the table of scenarios. ",
        c.names[1..].iter().map(|n| format!("\u{201c}{n}\u{201d}")).collect::<Vec<_>>().join(", "),
        c.names[0]
    ))];
    if !c.thresholds.is_empty() {
        aims.push(text(format!(
            "Threshold questions: {}. ",
            c.thresholds
                .iter()
                .map(|p| format!(
                    "{} above {} on {}",
                    p.threshold.metric_name(),
                    p.threshold.value,
                    p.threshold.date
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    aims.push(to_complete("the rationale for the choice of scenarios."));
    items.insert(2, item("1.3", "Experimentation aims", aims));
    let mut logic = Vec::new();
    for (i, r) in results.iter().enumerate() {
        logic.push(text(format!("\u{201c}{}\u{201d}: ", c.names[i])));
        logic.extend(scenario_logic(&r.meta.scenario));
        if i > 0 {
            let changed = differences(&base.meta.scenario, &r.meta.scenario);
            logic.push(text(format!(" Keys that differ from the base ({}): ", changed.len())));
            logic.push(code(if changed.is_empty() {
                "none".to_string()
            } else {
                changed.join(", ")
            }));
            logic.push(text("."));
        }
        logic.push(Inline::Break);
    }
    items.insert(5, item("2.3", "Scenario logic", logic));
    let mut estimation_text = estimation(base);
    estimation_text.push(Inline::Break);
    estimation_text.push(text(format!(
        "Every scenario ran the same {} replicates with the same seed (common random numbers); the paired 95% intervals on the differences are in comparison.csv and the comparison's tables.",
        c.replicates
    )));
    items.push(item("4.3", "Estimation approach", estimation_text));
    items.push(item("5.4", "System specification", system(results)));
    items.push(item(
        "6.1",
        "Computer model sharing statement",
        sharing(&m.version, base, &rerun),
    ));
    sort(&mut items);
    Answers {
        study,
        items,
        parameters: parameters(&m.scenario),
        rerun,
    }
}

fn sort(items: &mut [Item]) {
    let key = |n: &str| n.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    items.sort_by_key(|i| key(i.number));
}

fn purpose(name: &str, description: &str, file: &str) -> Vec<Inline> {
    let mut out = vec![text(format!("Scenario \u{201c}{name}\u{201d} ("))];
    out.push(code(file));
    out.push(text("). "));
    if description.is_empty() {
        out.push(text("The scenario file gives no description. "));
    } else {
        out.push(text(format!("{description} ")));
    }
    out.push(text("What the model is for: "));
    out.push(code("docs/model.md"));
    out.push(text(", section 1. "));
    out.push(to_complete("the background and objectives of the study."));
    out
}

/// The items every study answers the same way from one folder.
fn common_items(r: &Results) -> Vec<Item> {
    let m = &r.meta;
    let s = &m.scenario;
    let from = units::date_after(m.start, m.warm_up_days);
    let end = units::date_after(m.start, m.warm_up_days + m.horizon_days);
    let model = |section: &str| {
        vec![
            code("docs/model.md"),
            text(format!(", {section}, of spcap {}.", m.version)),
        ]
    };
    let mut outputs = vec![text(format!(
        "Measured in each replicate over the period from {from} to {end} and summarised as the mean over replicates with a Student-t 95% confidence interval, and percentiles across replicates ("
    ))];
    outputs.push(code("summary.csv"));
    outputs.push(text("). The key figures: "));
    let keys: Vec<String> = metric::key_metrics()
        .map(|k| format!("{} ({})", k.label, k.column))
        .collect();
    outputs.push(text(keys.join("; ")));
    outputs.push(text(format!(
        ". All {} per-replicate measures are the columns of ",
        metric::METRICS.len()
    )));
    outputs.push(code("replicates.csv"));
    outputs.push(text("; "));
    outputs.push(code("docs/outputs.md"));
    outputs.push(text(" defines each one."));

    let sources = s.sources.len();
    let assumed = s.sources.values().filter(|v| is_assumption(v)).count();
    let params = parameter_rows(s);
    let unsourced = params.iter().filter(|p| p.2.is_none()).count();
    let assumption_keys: Vec<String> = s
        .sources
        .iter()
        .filter(|(_, v)| is_assumption(v))
        .map(|(k, _)| k.clone())
        .collect();

    vec![
        item("1.2", "Model outputs", outputs),
        item("2.1", "Base model overview diagram", {
            let mut v = vec![text("The pathway diagram of ")];
            v.extend(model("section 2.1"));
            v
        }),
        item("2.2", "Base model logic", {
            let mut v = vec![text("The pathway, policies and support as stretches of contacts: ")];
            v.extend(model("sections 2.1 to 2.5"));
            v
        }),
        item("2.4", "Algorithms", {
            let mut v = vec![text("Fresh referrals by inversion of the integrated piecewise-constant rate (non-homogeneous Poisson process); allocation to the link worker, and connection to the VCSE service, with the most free places (first on a tie); holding queues per VCSE category, first held first served: ")];
            v.extend(model("sections 2.3 and 2.4"));
            v
        }),
        item("2.5.1", "Components: entities", {
            let mut v = vec![text("Referrals (one per person's passage through the pathway), link worker posts, VCSE services: ")];
            v.extend(model("section 2.2"));
            v
        }),
        item("2.5.2", "Components: activities", {
            let mut v = vec![text("Support by a link worker as contacts at random intervals; check-ins while held; attendance at a VCSE service; recruitment and induction of link workers; closure and reopening of services: ")];
            v.extend(model("sections 2.2 and 2.5"));
            v
        }),
        item("2.5.3", "Components: resources", {
            let posts: i64 = s.link_workers.posts.iter().map(|p| p.count).sum();
            let places: i64 = s.vcse.services.iter().map(|v| v.places).sum();
            vec![text(format!(
                "Caseload places of {posts} link worker post(s) at {} people per FTE (used by support and holding); {places} places in {} VCSE service(s) (used by attendance). See docs/model.md, section 2.2.",
                s.link_workers.caseload_per_fte,
                s.vcse.services.len()
            ))]
        }),
        item("2.5.4", "Components: queues", queues(s)),
        item("2.5.5", "Components: entry and exit points", entries(s)),
        item("3.1", "Data sources", vec![
            text("The scenario's "),
            code("[sources]"),
            text(format!(
                " table names a source for {sources} key(s), {assumed} of them \u{201c}assumption\u{201d}; each parameter's source is in the table of input parameters. "
            )),
            to_complete("each source's sample size, date range, link or DOI, and use in the study."),
        ]),
        item("3.2", "Pre-processing", vec![
            text("None within spcap: parameters are entered directly in the scenario file. "),
            to_complete("any manipulation of the data before it was entered."),
        ]),
        item("3.3", "Input parameters", vec![text(format!(
            "Every key of the fully resolved scenario (defaults filled in), {} in all, with its value and its source from [sources], is in the table of input parameters below; {unsourced} have no entry in [sources]. Distributions are given as the scenario writes them (dist and its parameters); docs/scenario.md defines every key and unit.",
            params.len()
        ))]),
        item("3.4", "Assumptions", {
            let mut v = vec![text(format!("{} key(s) marked \u{201c}assumption\u{201d} in [sources]", assumption_keys.len()))];
            if !assumption_keys.is_empty() {
                v.push(text(": "));
                v.push(code(assumption_keys.join(", ")));
            }
            v.push(text(". What the model leaves out and simplifies: "));
            v.extend(model("section 7"));
            v
        }),
        item("4.1", "Initialisation", initialisation(r)),
        item("4.2", "Run length", vec![text(format!(
            "{} days of warm-up then {} days measured ({from} to {end}), {} days simulated in each replicate; time is continuous, in days.",
            number(m.warm_up_days),
            number(m.horizon_days),
            number(m.warm_up_days + m.horizon_days)
        ))]),
        item("5.1", "Software or programming language", vec![
            text(format!("spcap {} ({}), written in Rust; the libraries and their exact versions are in ", m.version, or_unknown(&r.run.build))),
            code("Cargo.lock"),
            text(format!(" of the source it was built from (random numbers: rand, rand_distr, rand_xoshiro; parallel replicates: rayon). Operating system: {}.", os_of(&r.run.machine))),
        ]),
        item("5.2", "Random sampling", {
            let mut v = vec![text(format!(
                "Xoshiro256++ streams, one per source of randomness (referrals, support, turnover, VCSE), and a SplitMix64 stream per referral, all keyed from seed {} and the replicate number, so that replicate r of every scenario draws the same numbers (common random numbers) whatever the thread count: ",
                m.seed
            ))];
            v.extend(model("section 2.6"));
            v
        }),
        item("5.3", "Model execution", {
            let mut v = vec![text(format!(
                "Event scheduling with next-event time advance: a calendar queue of future events, ties taken as dated events, then the next referral, then queued events by kind and entity number. Replicates ran in parallel on {} thread(s) (rayon); a replicate is never split, so no parallel time management is needed: ",
                r.run.threads
            ))];
            v.extend(model("sections 2.3 and 5.2"));
            v
        }),
    ]
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "build not recorded".into()
    } else {
        s.into()
    }
}

/// The operating system in a machine description ("linux x86_64, ...").
fn os_of(machine: &str) -> String {
    machine
        .split(',')
        .next()
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("not recorded; {TO_COMPLETE}"), str::to_string)
}

fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The mechanisms the scenario switches on, in the order a referral meets them.
pub fn mechanisms(s: &RawScenario) -> Vec<String> {
    let mut on = Vec::new();
    let r = &s.referrals;
    if r.seasonality.iter().any(|m| (m - 1.0).abs() > 1e-12) {
        on.push("seasonal referral rate".to_string());
    }
    if !r.changes.is_empty() {
        on.push(format!("{} dated change(s) in demand", r.changes.len()));
    }
    if r.inappropriate_share > 0.0 {
        on.push(format!(
            "triage redirecting {:.0}% of referrals",
            100.0 * r.inappropriate_share
        ));
    }
    if let Some(cap) = r.waiting_list_cap {
        on.push(format!("a waiting-list cap of {cap} (referrals declined above it)"));
    }
    if r.order == QueueOrder::Priority {
        on.push("a waiting list ordered by client group priority".into());
    }
    if r.patience.is_some() {
        on.push("reneging from the waiting list (patience)".into());
    }
    if s.client_groups
        .values()
        .any(|g| g.re_referral.probability.values().any(|p| *p > 0.0))
    {
        on.push("re-referral after an exit".into());
    }
    let lw = &s.link_workers;
    if lw.turnover.annual_rate.is_some_and(|a| a > 0.0) || lw.turnover.tenure.is_some() {
        on.push("link worker turnover and recruitment delays".into());
    }
    if lw.turnover.before_contract_end.is_some() || lw.posts.iter().any(|p| p.contract_end.is_some()) {
        on.push("fixed-term contracts".into());
    }
    if !lw.funding_changes.is_empty() {
        on.push(format!("{} funding change(s)", lw.funding_changes.len()));
    }
    if lw.posts.iter().any(|p| p.vacant_at_start) {
        on.push("posts vacant at the start".into());
    }
    if lw.induction.capacity_factor < 1.0 {
        on.push("reduced caseloads during induction".into());
    }
    if lw.absence > 0.0 {
        on.push("absence".into());
    }
    if lw.handover_disengage > 0.0 {
        on.push("disengagement at a handover".into());
    }
    match s.holding.policy {
        HoldingPolicy::Hold => on.push(format!("holding on the caseload (at most {})", s.holding.max_holding)),
        HoldingPolicy::Discharge => on.push("discharge at once when no VCSE place is free".into()),
    }
    let closures = s.vcse.closures.annual_rate > 0.0
        || s.vcse
            .services
            .iter()
            .any(|v| v.closures.as_ref().is_some_and(|c| c.annual_rate > 0.0));
    if closures {
        on.push("random VCSE closures".into());
    }
    if s.vcse.services.iter().any(|v| v.opens.is_some()) {
        on.push("VCSE services opening during the run".into());
    }
    if let Some(births) = s.vcse.births.as_ref().filter(|b| b.annual_rate > 0.0) {
        on.push(format!(
            "new VCSE services born at random ({} a year)",
            births.annual_rate
        ));
    }
    if !s.vcse.disruptions.is_empty() {
        on.push(format!("{} scheduled VCSE disruption(s)", s.vcse.disruptions.len()));
    }
    if !s.delivery_periods.is_empty() {
        on.push(format!(
            "{} delivery period(s) (remote or hybrid)",
            s.delivery_periods.len()
        ));
    }
    let init = &s.initial_state;
    if init.waiting + init.on_caseload + init.held > 0 {
        on.push("people in the service at the start".into());
    }
    on
}

fn scenario_logic(s: &RawScenario) -> Vec<Inline> {
    let on = mechanisms(s);
    vec![text(format!(
        "No scenario changes the model's logic (docs/model.md, section 2.7); the scenario's values switch mechanisms on or off. This one switches on: {}.",
        if on.is_empty() { "none of the optional mechanisms".to_string() } else { on.join("; ") }
    ))]
}

fn queues(s: &RawScenario) -> Vec<Inline> {
    let order = match s.referrals.order {
        QueueOrder::Fifo => "first referred, first allocated",
        QueueOrder::Priority => "by client group priority (lower number first), then first referred",
    };
    let mut v = format!("The waiting list for a link worker: {order}");
    if let Some(cap) = s.referrals.waiting_list_cap {
        v.push_str(&format!("; at {cap} people, new referrals are declined (balking)"));
    }
    if s.referrals.patience.is_some() {
        v.push_str("; people renege when their patience runs out");
    }
    v.push_str(". Holding: one queue per VCSE category, first held, first connected");
    if s.holding.policy == HoldingPolicy::Hold {
        v.push_str(&format!(", discharged as unmet after {}", s.holding.max_holding));
    }
    v.push_str(". A person handed back by a leaving link worker returns to the head of the waiting list. See docs/model.md, section 2.2.");
    vec![text(v)]
}

fn entries(s: &RawScenario) -> Vec<Inline> {
    let init = &s.initial_state;
    vec![text(format!(
        "Entry: fresh referrals at {} a month (non-homogeneous Poisson process{}), re-referrals, and {} people in the service at the start. Exit: redirected, declined, reneged, disengaged, completed (connected), completed (no onward need), unmet; people still in the service at the end are counted as such. See docs/model.md, sections 2.1 and 2.2.",
        s.referrals.rate_per_month,
        if s.referrals.changes.is_empty() { ", by calendar month" } else { ", by calendar month and dated changes" },
        init.waiting + init.on_caseload + init.held
    ))]
}

fn initialisation(r: &Results) -> Vec<Inline> {
    let m = &r.meta;
    let s = &m.scenario;
    let init = &s.initial_state;
    let mut v = Vec::new();
    if m.warm_up_days > 0.0 {
        v.push(text(format!(
            "Non-terminating: a steady state is studied after a warm-up of {} days (calendar.warm_up = \u{201c}{}\u{201d}), simulated in full and excluded from every statistic. How it was chosen: ",
            number(m.warm_up_days),
            s.calendar.warm_up
        )));
        match s.sources.get("calendar.warm_up") {
            Some(source) => v.push(text(format!("{source} (the scenario's [sources]). "))),
            None => {
                v.push(to_complete("how the warm-up length was chosen (not in [sources])"));
                v.push(text(". "));
            }
        }
        v.push(text("Whether spcap warmup agrees was not checked by this run: "));
        v.push(code(format!(
            "spcap warmup {} --seed {}",
            shell_word(&r.run.scenario_file),
            m.seed
        )));
        v.push(text(" proposes a length by MSER-5 (docs/settle.md). "));
    } else {
        v.push(text("No warm-up: the run is measured from the start date. "));
    }
    if init.waiting + init.on_caseload + init.held > 0 {
        v.push(text(format!(
            "Initial conditions: {} waiting, {} on caseloads and {} held at the start (fixed counts; each person's group, progress and time waited drawn at random, docs/model.md section 4.1).",
            init.waiting, init.on_caseload, init.held
        )));
    } else {
        v.push(text(
            "Initial conditions: empty (nobody waiting, on a caseload or held) with every post filled except those vacant at the start; deterministic.",
        ));
    }
    v
}

/// The precision reached on each key figure, and the count of the Hoad,
/// Robinson and Davies rule applied to this run's replicates in order.
fn estimation(r: &Results) -> Vec<Inline> {
    let m = &r.meta;
    let mut v = vec![text(format!(
        "Independent replications: {} replicates (numbers 0 to {}), seed {}. Precision reached (half-width of the 95% interval as a share of the mean): ",
        m.replicates,
        m.replicates.saturating_sub(1),
        m.seed
    ))];
    let precision: Vec<String> = metric::key_metrics()
        .map(|k| {
            let s = r.metric(k.column);
            let half = s.ci_high - s.mean;
            let shown = if !half.is_finite() {
                "no interval".to_string()
            } else if half == 0.0 {
                "exact (no spread)".to_string()
            } else if s.mean == 0.0 {
                "mean 0".to_string()
            } else {
                format!("{:.1}%", 100.0 * half / s.mean.abs())
            };
            format!("{} {shown}", k.short)
        })
        .collect();
    v.push(text(format!("{}. ", precision.join("; "))));
    let options = Options::new(vec!["waiting_mean".into(), "holding_mean".into()]);
    let Ok(mut search) = Search::new(&options) else {
        return v;
    };
    for row in &r.rows {
        if search.push(&row.values).is_some() {
            break;
        }
    }
    let found = search.found();
    let percent = 100.0 * options.precision;
    match found.recommended {
        Some(n) => v.push(text(format!(
            "The sequential rule of Hoad, Robinson and Davies (2010) for a 95% interval within {percent:.0}% of the mean of waiting_mean and holding_mean, applied to these replicates in order as spcap replications does, asks for {n} replicates; this run has {}.",
            m.replicates
        ))),
        None => v.push(text(format!(
            "The sequential rule of Hoad, Robinson and Davies (2010) for a 95% interval within {percent:.0}% of the mean of waiting_mean and holding_mean is not met within these {} replicates: spcap replications {} --seed {} would run more to find the count.",
            m.replicates,
            shell_word(&r.run.scenario_file),
            m.seed
        ))),
    }
    v
}

fn system(results: &[Results]) -> Vec<Inline> {
    let mut v = Vec::new();
    for r in results {
        let run = &r.run;
        if results.len() > 1 {
            v.push(text(format!("\u{201c}{}\u{201d}: ", r.meta.name)));
        }
        if run.machine.is_empty() && run.threads > 0 {
            v.push(text(format!(
                "{} replicates in {:.1} s of wall time ({} events) using {} thread(s); the machine was not recorded (a folder written before spcap recorded it). ",
                r.meta.replicates, run.wall_seconds, run.events, run.threads
            )));
            v.push(to_complete("the hardware the run was made on."));
        } else if run.machine.is_empty() {
            v.push(text(
                "merged from shards (spcap run --shard) run elsewhere; each shard's run.json records its own machine and wall time. ",
            ));
            v.push(to_complete("the machines the shards ran on."));
        } else {
            v.push(text(format!(
                "{} replicates in {:.1} s of wall time ({} events) on {}, using {} thread(s).",
                r.meta.replicates, run.wall_seconds, run.events, run.machine, run.threads
            )));
        }
        v.push(Inline::Break);
    }
    if matches!(v.last(), Some(Inline::Break)) {
        v.pop();
    }
    v
}

fn sharing(version: &str, r: &Results, rerun: &str) -> Vec<Inline> {
    vec![
        text(format!(
            "spcap {version} ({}). To rerun exactly: ",
            or_unknown(&r.run.build)
        )),
        code(rerun),
        text(" (the same seed gives the same results whatever the thread count). "),
        to_complete("where the code, the scenario files and this output can be obtained (repository, DOI, licence)."),
    ]
}

/// A path or argument as a POSIX shell reads it back: quoted if it needs to be.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn shell_words(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| shell_word(&p.display().to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// (key, value, source) for every leaf of the resolved scenario; a
/// distribution (a table with `dist`) is one leaf.
fn parameter_rows(s: &RawScenario) -> Vec<(String, String, Option<String>)> {
    let Ok(table) = s.to_table() else {
        return Vec::new();
    };
    let mut leaves = Vec::new();
    for (key, value) in &table {
        if matches!(key.as_str(), "name" | "description" | "extends" | "sources") {
            continue;
        }
        flatten(key, value, &mut leaves);
    }
    leaves
        .into_iter()
        .map(|(key, value)| {
            let source = source_of(s, &key);
            (key, short_value(&value), source)
        })
        .collect()
}

fn flatten(key: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    flatten_as(key, value, out, false);
}

/// [`flatten`], naming the items of a list of tables by their `name` when
/// `by_name` (so that a service added to a list is one change, not a shift of
/// every later index), else by index as `spcap check` prints keys.
fn flatten_as(key: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>, by_name: bool) {
    match value {
        toml::Value::Table(t) if !t.contains_key("dist") => {
            for (k, v) in t {
                flatten_as(&format!("{key}.{k}"), v, out, by_name);
            }
        }
        toml::Value::Array(a) if a.iter().any(toml::Value::is_table) => {
            for (i, v) in a.iter().enumerate() {
                let name = v.get("name").and_then(toml::Value::as_str).filter(|_| by_name);
                let item = match name {
                    Some(name) => format!("{key}[\"{name}\"]"),
                    None => format!("{key}[{i}]"),
                };
                flatten_as(&item, v, out, by_name);
            }
        }
        toml::Value::Table(t) if t.is_empty() => {}
        toml::Value::Array(a) if a.is_empty() => {}
        other => out.push((key.to_string(), other.clone())),
    }
}

/// The `[sources]` entry for a key, or for the nearest table or list that holds it.
fn source_of(s: &RawScenario, key: &str) -> Option<String> {
    let mut at = key.to_string();
    loop {
        if let Some(source) = s.sources.get(&at) {
            return Some(source.clone());
        }
        let cut = at.rfind(['.', '['])?;
        at.truncate(cut);
    }
}

/// Every input parameter as a table.
fn parameters(s: &RawScenario) -> Table {
    let rows = parameter_rows(s)
        .into_iter()
        .map(|(key, value, source)| {
            let source = match source {
                Some(s) => Cell::text(s),
                None => Cell::new(vec![Inline::Small(format!("none in [sources]; {TO_COMPLETE}"))]),
            };
            Row::new(vec![Cell::new(vec![code(key)]), Cell::text(value), source])
        })
        .collect();
    Table {
        class: "assumptions",
        head: vec!["Parameter".into(), "Value".into(), "Source".into()],
        rows,
        widths: vec![4, 3, 4],
    }
}

/// The keys whose values differ between two scenarios (or that only one
/// has); items of a list are named by their `name` where they have one.
fn differences(a: &RawScenario, b: &RawScenario) -> Vec<String> {
    let (Ok(ta), Ok(tb)) = (a.to_table(), b.to_table()) else {
        return Vec::new();
    };
    let leaves = |t: &toml::Table| {
        let mut out = Vec::new();
        for (k, v) in t {
            if !matches!(k.as_str(), "name" | "description" | "extends" | "sources") {
                flatten_as(k, v, &mut out, true);
            }
        }
        out.into_iter().collect::<std::collections::BTreeMap<_, _>>()
    };
    let (la, lb) = (leaves(&ta), leaves(&tb));
    let mut keys: Vec<String> = la
        .iter()
        .filter(|(k, v)| lb.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend(lb.keys().filter(|k| !la.contains_key(*k)).cloned());
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("scenarios/baseline.toml"), "scenarios/baseline.toml");
        assert_eq!(shell_word("my runs/a b.toml"), "'my runs/a b.toml'");
        assert_eq!(shell_word("it's.toml"), "'it'\\''s.toml'");
    }

    #[test]
    fn a_source_covers_the_keys_beneath_it() {
        let mut s = crate::scenario::load(std::path::Path::new("scenarios/baseline.toml"))
            .unwrap()
            .resolved;
        s.sources.clear();
        s.sources.insert("vcse.services".into(), "assumption".into());
        s.sources.insert("referrals.patience".into(), "survey".into());
        assert_eq!(source_of(&s, "vcse.services[2].places").as_deref(), Some("assumption"));
        assert_eq!(source_of(&s, "referrals.patience").as_deref(), Some("survey"));
        assert_eq!(source_of(&s, "referrals.rate_per_month"), None);
    }
}

#[cfg(test)]
mod difference_tests {
    use super::*;

    #[test]
    fn a_service_added_is_one_change_and_a_changed_place_count_another() {
        let base = crate::scenario::load(std::path::Path::new("scenarios/baseline.toml"))
            .unwrap()
            .resolved;
        let mut other = base.clone();
        let mut added = other.vcse.services[0].clone();
        added.name = "Telephone befriending".into();
        other.vcse.services.insert(0, added);
        other.vcse.services[1].places += 5;
        let changed = differences(&base, &other);
        assert!(
            changed.contains(&"vcse.services[\"Befriending scheme\"].places".to_string()),
            "{changed:?}"
        );
        assert!(
            changed
                .iter()
                .all(|k| k.starts_with("vcse.services[\"Telephone befriending\"]") || k.ends_with("scheme\"].places")),
            "{changed:?}"
        );
        assert!(differences(&base, &base).is_empty());
    }
}
