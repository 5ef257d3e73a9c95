//! The comparison page: `comparison.html`, one self-contained page in the
//! style of the run report, opening with a plain-language verdict per key
//! metric of the metric table. Every number it shows comes from the
//! [`Comparison`] that `comparison.csv` is written from; each verdict carries
//! the exact values as data attributes. [`write`] writes a comparison
//! folder's own files, this page last.

use super::blocks::{code, name_values, para, text, Block, Cell, Inline, Item, Page, Row, Table};
use crate::compare::verdict::{self, Direction};
use crate::compare::{files, CompareError, Comparison};
use crate::output::Results;
use crate::plot::{Figure, PlotError};
use crate::scenario::units;
use crate::stats::metric;
use std::path::{Path, PathBuf};

/// Writes the comparison's files: its tables, figures, `stress_des.md`,
/// `comparison.docx` (styled by `template`, if given) and `comparison.html`
/// last. `results` are the scenarios' own folders, read back, base first.
/// Nothing is written unless every figure was drawn.
pub fn write(
    dir: &Path,
    c: &Comparison,
    results: &[Results],
    template: Option<&super::Template>,
) -> Result<Vec<PathBuf>, CompareError> {
    write_figures(dir, c, results, template).map(|(written, _)| written)
}

/// Like [`write`], giving back the figures it wrote (for `spcap serve`, which shows them with their readings).
pub fn write_with_figures(
    dir: &Path,
    c: &Comparison,
    results: &[Results],
    template: Option<&super::Template>,
) -> Result<Vec<Figure>, CompareError> {
    write_figures(dir, c, results, template).map(|(_, figures)| figures)
}

fn write_figures(
    dir: &Path,
    c: &Comparison,
    results: &[Results],
    template: Option<&super::Template>,
) -> Result<(Vec<PathBuf>, Vec<Figure>), CompareError> {
    let figures = crate::compare::figures::figures(c, results).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let page = page(c, results, dir);
    let stress = super::stress_des::markdown(&super::stress_des::comparison_items(c, results));
    let mut written = files::write_tables(dir, c)?;
    let reports = super::Reports {
        page: &page,
        name: "comparison",
        stress: Some(&stress),
        template,
    };
    super::write_figures_and_reports(dir, &figures, &reports, &mut written)?;
    Ok((written, figures))
}

/// The page's HTML. `results` are the scenarios' own folders, base first.
pub fn html(c: &Comparison, figures: &[Figure], results: &[Results], dir: &Path) -> String {
    super::html::render(&page(c, results, dir), figures)
}

/// What the comparison says, the STRESS-DES appendix last. `results` are
/// the scenarios' own folders, base first.
pub fn page(c: &Comparison, results: &[Results], dir: &Path) -> Page {
    let names = &c.names;
    let mut blocks = Vec::new();
    let title = format!("{} against {}", names[1..].join(", "), names[0]);
    if let Some(m) = results.first().map(|r| &r.meta) {
        let from = units::date_after(m.start, m.warm_up_days);
        let end = units::date_after(m.start, m.warm_up_days + m.horizon_days);
        blocks.push(Block::Lead(vec![text(format!(
            "{} scenarios, each simulated for the same {} replicates of the period {from} to {end} with seed {}. Replicate r of every scenario draws the same random numbers (common random numbers), so each difference from {} is measured replicate by replicate. Intervals are 95% confidence intervals.",
            c.names.len(),
            c.replicates,
            m.seed,
            names[0]
        ))]));
    }
    if let Some(posterior) = results.first().and_then(|r| r.run.posterior.as_ref()) {
        blocks.push(para(vec![text(format!(
            "{} Replicate r of every scenario drew the same particle.",
            posterior.sentence()
        ))]));
    }

    blocks.push(Block::Heading(2, "Verdict".into()));
    let verdicts = c.verdicts();
    for (i, name) in names.iter().enumerate().skip(1) {
        blocks.push(Block::Heading(3, name.clone()));
        let items = verdicts
            .iter()
            .filter(|v| v.0 == i)
            .map(|(_, w, d, sentence)| {
                let direction = Direction::of(d);
                let judgement = direction.judgement(w);
                // Better or worse for the service, by the metric table's rule: a class for the colour, words for the reader.
                let (class, said) = match judgement {
                    "" => (None, None),
                    "better" => (Some("better"), Some("Better:")),
                    _ => (Some("worse"), Some("Worse:")),
                };
                let mut content: Vec<Inline> = said
                    .map(|s| vec![Inline::Strong(s.into()), text(" ")])
                    .unwrap_or_default();
                content.push(text(sentence));
                Item {
                    id: Some(format!("verdict-{}-{}", c.labels[i], w.column)),
                    class,
                    attrs: vec![
                        ("data-direction", direction.as_str().to_string()),
                        ("data-difference", crate::output::number(d.mean)),
                        ("data-low", crate::output::number(d.ci_low)),
                        ("data-high", crate::output::number(d.ci_high)),
                        ("data-judgement", judgement.to_string()),
                    ],
                    content,
                }
            })
            .collect();
        blocks.push(Block::List(Some("verdict"), items));
    }

    if !c.thresholds.is_empty() {
        blocks.push(Block::Heading(2, "Threshold questions".into()));
        blocks.push(para(vec![text("The share of replicates in which the level on the date was above the threshold, read from the weekly snapshot of the week containing the date, with a Wilson score 95% interval.")]));
        let rows = c
            .exceedances
            .iter()
            .map(|(t, i, e)| {
                let placed = &c.thresholds[*t];
                let th = &placed.threshold;
                Row::new(vec![
                    Cell::text(format!(
                        "{} above {} on {} (weekly level of {})",
                        th.metric_name().replace('_', " "),
                        th.value,
                        th.date,
                        placed.snapshot
                    )),
                    Cell::text(&names[*i]),
                    Cell::number(vec![text(format!("{:.0}%", 100.0 * e.probability))])
                        .attr("data-value", crate::output::number(e.probability)),
                    Cell::number(vec![text(format!(
                        "{:.0}% to {:.0}%",
                        100.0 * e.ci_low,
                        100.0 * e.ci_high
                    ))]),
                ])
                .id(format!("threshold-{t}-{}", c.labels[*i]))
            })
            .collect();
        blocks.push(Block::Table(Table {
            class: "key",
            head: vec![
                "Question".into(),
                "Scenario".into(),
                "Probability".into(),
                "95% interval".into(),
            ],
            rows,
            widths: vec![5, 3, 2, 2],
        }));
    }

    blocks.push(Block::Heading(2, "Key figures".into()));
    let rows = metric::key_metrics()
        .map(|k| {
            let mut cells = vec![Cell::text(k.label_with_unit())];
            for i in 0..c.names.len() {
                let s = c.get(k.column, i).map(|m| m.summary);
                cells.push(Cell::number(s.map_or(Vec::new(), |s| {
                    vec![
                        text(k.format(s.mean)),
                        Inline::Break,
                        Inline::Small(format!("{} to {}", k.format(s.ci_low), k.format(s.ci_high))),
                    ]
                })));
            }
            Row::new(cells)
        })
        .collect();
    let mut head = vec!["Measure".to_string()];
    head.extend(names.iter().cloned());
    let mut widths = vec![4];
    widths.extend(names.iter().map(|_| 2));
    blocks.push(Block::Table(Table {
        class: "key",
        head,
        rows,
        widths,
    }));

    blocks.push(Block::Heading(
        2,
        format!("Differences from {} and the gain from pairing", names[0]),
    ));
    blocks.push(para(vec![
        text("The paired interval comes from the per-replicate differences; the unpaired one (Welch) is what the same replicates would give had the scenarios been run with independent random numbers. Their ratio says how many times narrower pairing made the interval; its square is how many times more replicates an unpaired comparison would need to be as precise. Every metric is in "),
        code("comparison.csv"),
        text("."),
    ]));
    for (i, name) in names.iter().enumerate().skip(1) {
        blocks.push(Block::Heading(3, name.clone()));
        let rows = metric::key_metrics()
            .filter_map(|w| {
                let d = c.get(w.column, i).and_then(|m| m.difference)?;
                let scale = w.unit.scale();
                let places = verdict::decimals((d.unpaired_high - d.unpaired_low) * scale / 2.0);
                let ratio = d.width_ratio();
                let ratio = if ratio.is_finite() {
                    format!("{ratio:.1}×")
                } else if ratio.is_infinite() {
                    "(identical in every replicate)".into()
                } else {
                    "—".into()
                };
                Some(Row::new(vec![
                    Cell::text(w.short),
                    Cell::number(vec![text(verdict::difference_text(w, &d))]),
                    Cell::number(vec![text(format!(
                        "{} to {}",
                        verdict::signed(d.unpaired_low * scale, places),
                        verdict::signed(d.unpaired_high * scale, places)
                    ))]),
                    Cell::number(vec![text(ratio)]),
                ]))
            })
            .collect();
        blocks.push(Block::Table(Table {
            class: "key",
            head: vec![
                "Measure".into(),
                "Paired difference (95% interval)".into(),
                "Unpaired interval".into(),
                "Narrower by".into(),
            ],
            rows,
            widths: vec![3, 4, 3, 2],
        }));
    }

    blocks.push(Block::Figures);

    blocks.push(Block::Heading(2, "Scenarios".into()));
    blocks.push(para(vec![text(
        "Each scenario's full run output (CSVs, plots and its own report) is in a subfolder of this one.",
    )]));
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let label = &c.labels[i];
            Row::new(vec![
                Cell::new(vec![Inline::Link {
                    text: format!("{label}/"),
                    href: format!("{label}/report.html"),
                }]),
                Cell::text(name),
                Cell::new(vec![code(c.files[i].display().to_string())]),
                Cell::new(vec![code(&c.hashes[i])]),
            ])
        })
        .collect();
    blocks.push(Block::Table(Table {
        class: "meta",
        head: vec![
            "Folder".into(),
            "Scenario".into(),
            "File".into(),
            "Scenario hash".into(),
        ],
        rows,
        widths: vec![2, 3, 4, 3],
    }));
    let (version, seed) = results
        .first()
        .map_or((String::new(), 0), |r| (r.meta.version.clone(), r.meta.seed));
    blocks.push(Block::Heading(2, "Run".into()));
    blocks.push(Block::Table(name_values(
        "meta",
        vec![
            ("spcap version", version),
            ("Seed", seed.to_string()),
            ("Replicates per scenario", c.replicates.to_string()),
            ("Report drawn", jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()),
            ("Output folder", dir.display().to_string()),
        ],
    )));
    blocks.extend(super::stress_des::appendix(&super::stress_des::comparison_items(
        c, results,
    )));
    Page {
        title,
        what: "spcap comparison",
        extra_css: "ul.verdict li { margin-bottom: 0.4rem; }\nli.better::marker { color: #1b7837; }\nli.worse::marker { color: #b2182b; }\n",
        blocks,
    }
}
