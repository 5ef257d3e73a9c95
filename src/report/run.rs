//! The run report: `report.html` (self-contained, SVG inline, prints to A4
//! from a browser) and `report.docx`, one [`Page`] written from an output
//! folder's statistics, its figures and its STRESS-DES appendix. Its key
//! figures are the metric table's ([`crate::stats::metric::key_metrics`]),
//! with the same numbers and words as the terminal's headlines
//! ([`super::terminal`]).

use super::blocks::{code, name_values, para, text, Block, Cell, Inline, Page, Row, Table};
use super::kit::key_cells;
use crate::output::Results;
use crate::plot::Figure;
use crate::scenario::resolve::lookup;
use crate::stats::metric;

/// The report's HTML.
pub fn html(r: &Results, figures: &[Figure]) -> String {
    super::html::render(&page(r), figures)
}

/// What the report says, the STRESS-DES appendix last.
pub fn page(r: &Results) -> Page {
    let m = &r.meta;
    let mut blocks = Vec::new();
    if !m.scenario.description.is_empty() {
        blocks.push(Block::Lead(vec![text(&m.scenario.description)]));
    }
    let end = crate::scenario::units::date_after(m.start, m.warm_up_days + m.horizon_days);
    let from = crate::scenario::units::date_after(m.start, m.warm_up_days);
    blocks.push(para(vec![text(format!(
        "Results of {} simulated replicates of the period {from} to {end}. Intervals are 95% confidence intervals on the mean over replicates.",
        m.replicates
    ))]));
    blocks.push(Block::Heading(
        2,
        if r.sites.is_empty() {
            "Key figures".into()
        } else {
            match r.meta.scenario.sites.iter().map(|s| s.count).sum::<i64>() {
                // Copies are services too: 8 kinds of scheme may be 37 schemes.
                services if services > r.sites.len() as i64 => {
                    format!(
                        "Key figures: all {} sites ({services} services) together",
                        r.sites.len()
                    )
                }
                _ => format!("Key figures: all {} sites together", r.sites.len()),
            }
        },
    ));
    blocks.push(para(vec![
        text("Each figure is measured in every replicate and averaged over the replicates, with a 95% confidence interval on that mean. "),
        code("docs/outputs.md"),
        text(" defines each one."),
    ]));
    if let Some(posterior) = &r.run.posterior {
        blocks.push(para(vec![text(posterior.sentence())]));
    }
    blocks.push(Block::Table(key_figures(r)));
    blocks.extend(sites(r));
    blocks.push(Block::Figures);
    blocks.extend(assumptions(r));
    blocks.push(Block::Heading(2, "Run".into()));
    blocks.push(Block::Table(name_values(
        "meta",
        vec![
            ("spcap version", m.version.clone()),
            ("Build", r.run.build.clone()),
            ("Scenario file", r.run.scenario_file.clone()),
            ("Scenario hash", m.hash.clone()),
            ("Seed", m.seed.to_string()),
            ("Replicates", m.replicates.to_string()),
            ("Wall time", wall_time(r)),
            ("Report drawn", jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()),
            ("Output folder", r.dir.display().to_string()),
        ],
    )));
    blocks.extend(super::stress_des::appendix(&super::stress_des::run_items(r)));
    Page {
        title: m.name.clone(),
        what: "spcap report",
        extra_css: "",
        blocks,
    }
}

/// "12.3 s on linux x86_64, ..., 2 threads", or why it is not known.
fn wall_time(r: &Results) -> String {
    if r.run.machine.is_empty() && r.run.threads == 0 {
        "not recorded here (merged from shards; see each shard's run.json)".into()
    } else if r.run.machine.is_empty() {
        format!(
            "{:.1} s, {} threads (machine not recorded)",
            r.run.wall_seconds, r.run.threads
        )
    } else {
        format!(
            "{:.1} s on {}, {} threads",
            r.run.wall_seconds, r.run.machine, r.run.threads
        )
    }
}

/// The key figures: each one's mean and interval, with the exact values as attributes.
fn key_figures(r: &Results) -> Table {
    let rows = metric::key_metrics()
        .map(|k| {
            let s = r.metric(k.column);
            let (mean, interval) = key_cells(k, &s);
            let with_value = r.with_value.get(k.column).copied().unwrap_or(0);
            let mut label = vec![text(k.label_with_unit())];
            // A replicate with nothing to measure (nobody's wait measured) has no value and is left out: say so.
            if with_value < r.replicates {
                label.push(text(" "));
                label.push(Inline::Small(format!(
                    "({with_value} of {} replicates had a value)",
                    r.replicates
                )));
            }
            Row::new(vec![
                Cell::new(label),
                Cell::number(vec![text(mean)]).attr("data-value", crate::output::number(s.mean)),
                Cell::number(vec![text(interval)])
                    .attr("data-low", crate::output::number(s.ci_low))
                    .attr("data-high", crate::output::number(s.ci_high)),
            ])
            .id(format!("key-{}", k.column))
        })
        .collect();
    Table {
        class: "key",
        head: vec!["Measure".into(), "Mean over replicates".into(), "95% interval".into()],
        rows,
        widths: vec![6, 2, 3],
    }
}

/// The figures of the sites' table, by metric column.
const SITE_FIGURES: [&str; 5] = [
    "referrals",
    "waiting_mean",
    "holding_mean",
    "waiting_list_end",
    "share_connected",
];

/// Whether a site's waiting list grows without bound, by the rule the
/// report states: at the end it is more than [`GROWING_RATIO`] times its
/// average over the period and at least [`GROWING_PEOPLE`] people longer
/// (a list that grows steadily from any start ends at about twice its
/// average; one that has settled ends near it).
pub fn growing(site: &std::collections::BTreeMap<String, crate::output::summary::SummaryLine>) -> bool {
    let mean = |c: &str| site.get(c).map_or(f64::NAN, |l| l.mean);
    let (end, average) = (mean("waiting_list_end"), mean("waiting_list_timeavg"));
    end > GROWING_RATIO * average && end - average >= GROWING_PEOPLE
}

pub const GROWING_RATIO: f64 = 1.5;
pub const GROWING_PEOPLE: f64 = 10.0;

/// With sites: a table of each site's key figures, flagging those whose
/// waiting list grows without bound.
fn sites(r: &Results) -> Vec<Block> {
    if r.sites.is_empty() {
        return Vec::new();
    }
    let copies = |name: &str| {
        r.meta
            .scenario
            .sites
            .iter()
            .find(|s| s.name == name)
            .map_or(1, |s| s.count)
    };
    let metrics: Vec<&metric::Metric> = SITE_FIGURES.iter().filter_map(|c| metric::by_column(c)).collect();
    let rows: Vec<Row> = r
        .sites
        .iter()
        .map(|(name, lines)| {
            let mut cells = vec![
                Cell::new(vec![code(name)]),
                Cell::number(vec![text(copies(name).to_string())]),
            ];
            for m in &metrics {
                let mean = lines.get(m.column).map_or(f64::NAN, |l| l.mean);
                cells.push(Cell::number(vec![text(m.format(mean))]).attr("data-value", crate::output::number(mean)));
            }
            cells.push(Cell::text(if growing(lines) { "grows without bound" } else { "" }));
            Row::new(cells).id(format!("site-{name}"))
        })
        .collect();
    let flagged = r.sites.iter().filter(|(_, lines)| growing(lines)).count();
    let mut head = vec!["Site".into(), "Copies".into()];
    head.extend(metrics.iter().map(|m| m.label_with_unit()));
    head.push("Waiting list".into());
    vec![
        Block::Heading(2, "Sites".into()),
        para(vec![text(format!(
            "Each site is an independent service (its copies together); the figures are means over replicates, the total above is all sites together. A site's waiting list is marked as growing without bound when at the end it is more than {GROWING_RATIO} times its average over the period and at least {GROWING_PEOPLE} people longer: {flagged} of {} sites. Each site's own files are in sites/NAME/ of the output folder.",
            r.sites.len()
        ))]),
        Block::Table(Table {
            class: "sites",
            head,
            rows,
            widths: vec![3, 1, 2, 2, 2, 2, 2, 3],
        }),
    ]
}

/// The scenario's figures whose source says "assumption", with their values.
fn assumptions(r: &Results) -> Vec<Block> {
    let scenario = toml::Value::try_from(&r.meta.scenario).ok();
    let table = scenario.as_ref().and_then(toml::Value::as_table);
    let rows: Vec<Row> = r
        .meta
        .scenario
        .sources
        .iter()
        .filter(|(_, source)| is_assumption(source))
        .map(|(key, source)| {
            let value = table.and_then(|t| lookup(t, key)).map(short_value).unwrap_or_default();
            Row::new(vec![Cell::new(vec![code(key)]), Cell::text(value), Cell::text(source)])
        })
        .collect();
    if rows.is_empty() {
        return vec![
            Block::Heading(2, "Assumptions".into()),
            para(vec![
                text("The scenario file marks none of its figures as an assumption in its "),
                code("[sources]"),
                text(" table."),
            ]),
        ];
    }
    vec![
        Block::Heading(2, "Assumptions that drive the result".into()),
        para(vec![
            text("These figures have no evidence behind them (the scenario's "),
            code("[sources]"),
            text(" table marks them as assumptions); read the results with them in mind."),
        ]),
        Block::Table(Table {
            class: "assumptions",
            head: vec!["Parameter".into(), "Value".into(), "Source".into()],
            rows,
            widths: vec![5, 4, 4],
        }),
    ]
}

/// Whether a `[sources]` entry says the figure is an assumption.
pub fn is_assumption(source: &str) -> bool {
    source.to_lowercase().contains("assumption")
}

/// A parameter's value, short enough for a table cell.
pub fn short_value(v: &toml::Value) -> String {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) if a.len() > 4 => format!("{} values", a.len()),
        other => other.to_string(),
    };
    if text.len() > 80 {
        format!(
            "{}…",
            &text[..text.char_indices().nth(77).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text
    }
}
