//! The calibration page: `calibration.html` and `calibration.docx`, one
//! [`Page`] of blocks in the style of the run report. It gives the command,
//! the method and its figures (generations, simulations, final tolerance,
//! effective sample size), a table per key (prior, posterior median, 90%
//! interval and its width as a share of the prior's), a plain-words reading
//! of what the data constrain and what they do not, how many observed
//! points fall inside the posterior predictive band, and the charts of
//! [`crate::plot::calibration`] with their readings.
//!
//! A key is *unconstrained* when its 90% interval is at least
//! [`UNCONSTRAINED`] of the width its prior alone would give (90% of a
//! uniform prior's width; less, in the key's units, for a log-uniform one),
//! and *constrained* when it is at most [`CONSTRAINED`] of it.

use super::blocks::{code, name_values, para, text, Block, Cell, Inline, Item, Page, Row, Table};
use crate::calibrate::files::{posterior_lines, round, PosteriorLine, INTERVAL, METHOD};
use crate::calibrate::prior::Prior;
use crate::model::MONTHLY_METRICS;
use crate::output::number;
use crate::plot::calibration::{figures, metric_words, Input};
use crate::plot::{Figure, PlotError};
use std::path::{Path, PathBuf};

/// At least this share of the prior's own 90% width: the data do not constrain the key.
pub const UNCONSTRAINED: f64 = 0.75;
/// At most this share of it: the data constrain the key.
pub const CONSTRAINED: f64 = 0.5;

/// How much the data pin a key down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    Constrained,
    Partly,
    Unconstrained,
}

impl Constraint {
    pub fn as_str(self) -> &'static str {
        match self {
            Constraint::Constrained => "constrained",
            Constraint::Partly => "partly constrained",
            Constraint::Unconstrained => "unconstrained",
        }
    }
}

/// The width, as a share of the prior's, of the prior's own 90% interval:
/// 0.9 for a uniform prior, less for a log-uniform one (measured in the key's units).
pub fn prior_width(p: &Prior) -> f64 {
    let (lo, hi) = p.bounds();
    let at = |q: f64| {
        let z = lo + q * (hi - lo);
        if p.log {
            z.exp()
        } else {
            z
        }
    };
    (at(INTERVAL.1) - at(INTERVAL.0)) / (p.high - p.low)
}

/// The posterior's 90% width against the prior's own, and what that says.
pub fn constraint(p: &Prior, line: &PosteriorLine) -> (f64, Constraint) {
    let share = line.width_of_prior / prior_width(p);
    let c = if share >= UNCONSTRAINED {
        Constraint::Unconstrained
    } else if share <= CONSTRAINED {
        Constraint::Constrained
    } else {
        Constraint::Partly
    };
    (share, c)
}

/// Draws the charts and writes them with `calibration.docx`, then
/// `calibration.html` last. Nothing is written unless every chart was drawn.
pub fn write(dir: &Path, input: &Input, command: &str) -> Result<Vec<PathBuf>, PlotError> {
    let figures = figures(input).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let page = page(input, command, &figures);
    let mut written = Vec::new();
    let reports = super::Reports {
        page: &page,
        name: "calibration",
        stress: None,
        template: None,
    };
    super::write_figures_and_reports(dir, &figures, &reports, &mut written)?;
    Ok(written)
}

/// What the calibration found, in blocks.
pub fn page(input: &Input, command: &str, figures: &[Figure]) -> Page {
    let posterior = input.posterior;
    let population = &posterior.population;
    let observed = input.observed;
    let metrics = observed.metrics();
    let names: Vec<&str> = metrics.iter().map(|&m| MONTHLY_METRICS[m]).collect();
    let mut blocks = vec![Block::Lead(vec![
        text(format!(
            "{} fitted to {} observed monthly figures ({}) from ",
            posterior
                .priors
                .iter()
                .map(|p| p.key.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            observed.points.len(),
            names.join(", "),
        )),
        code(observed.file.display().to_string()),
        text(format!(
            " by approximate Bayesian computation. The posterior is {} weighted particles; the intervals are 90% posterior intervals (5% to 95%).",
            posterior.values.len()
        )),
    ])];

    blocks.push(Block::Heading(2, "What the data say".into()));
    let lines = posterior_lines(posterior);
    let mut items: Vec<Item> = posterior
        .priors
        .iter()
        .zip(&lines)
        .map(|(p, line)| key_item(p, line))
        .collect();
    items.extend(metrics.iter().map(|&m| {
        let (inside, all) = input.predictive.coverage(observed, input.months, m);
        let share = inside as f64 / all.max(1) as f64;
        let verdict = if share >= 0.8 {
            "the fitted scenario reproduces this series"
        } else if share >= 0.5 {
            "more fall outside than a good fit would put there (about one in ten)"
        } else {
            "most fall outside: the fitted scenario does not reproduce this series"
        };
        Item {
            id: Some(format!("coverage-{}", MONTHLY_METRICS[m])),
            class: None,
            attrs: vec![("data-inside", inside.to_string()), ("data-points", all.to_string())],
            content: vec![
                code(MONTHLY_METRICS[m]),
                text(format!(
                    " ({}): {inside} of {all} observed months ({:.0}%) fall inside the posterior predictive 5–95% band; {verdict}.",
                    metric_words(MONTHLY_METRICS[m]).0,
                    100.0 * share
                )),
            ],
        }
    }));
    blocks.push(Block::List(Some("verdict"), items));
    blocks.push(para(vec![text(format!(
        "A key is called unconstrained when its 90% posterior interval is at least {:.0}% as wide as the prior's own 90% interval (which is 90% of the prior's width for a uniform prior, less in the key's units for a log-uniform one), and constrained when it is at most {:.0}% as wide.",
        100.0 * UNCONSTRAINED,
        100.0 * CONSTRAINED
    ))]));

    blocks.push(Block::Heading(2, "Posterior of each key".into()));
    blocks.push(Block::Table(Table {
        class: "key",
        head: vec![
            "key".into(),
            "prior".into(),
            "posterior median".into(),
            "90% interval".into(),
            "width, share of the prior's".into(),
        ],
        rows: posterior
            .priors
            .iter()
            .zip(&lines)
            .map(|(p, line)| {
                let unit = p.unit().map(|u| format!(" {u}")).unwrap_or_default();
                Row::new(vec![
                    Cell::new(vec![code(&p.key)]),
                    Cell::text(p.describe()),
                    Cell::number(vec![text(format!("{}{unit}", round(line.median)))])
                        .attr("data-value", number(line.median)),
                    Cell::number(vec![text(format!("{} to {}{unit}", round(line.p5), round(line.p95)))])
                        .attr("data-low", number(line.p5))
                        .attr("data-high", number(line.p95)),
                    Cell::number(vec![text(format!("{:.0}%", 100.0 * line.width_of_prior))])
                        .attr("data-value", number(line.width_of_prior)),
                ])
                .id(format!("key-{}", p.key))
            })
            .collect(),
        widths: vec![3, 3, 2, 2, 1],
    }));

    blocks.push(Block::Heading(2, "Method".into()));
    let last = population.generations.last();
    let tolerance = last
        .filter(|g| g.tolerance.is_finite())
        .map_or("none (the prior sample)".to_string(), |g| round(g.tolerance));
    blocks.push(Block::Table(name_values(
        "meta",
        vec![
            ("method", METHOD.to_string()),
            ("generations", population.generations.len().to_string()),
            (
                "simulations",
                format!("{} (budget {})", population.simulations, posterior.config.budget),
            ),
            ("stopped because", population.stop.words().to_string()),
            ("final tolerance", tolerance),
            (
                "effective sample size",
                last.map_or(String::new(), |g| {
                    format!("{:.0} of {} particles", g.ess, posterior.values.len())
                }),
            ),
            ("seed", posterior.config.seed.to_string()),
            ("threads", posterior.threads.to_string()),
            ("wall time", format!("{:.1} s", posterior.wall_seconds)),
        ],
    )));
    blocks.push(para(vec![
        text("Made by "),
        code(command),
        text(". The posterior is in "),
        code("posterior.csv"),
        text(", the predictive bands in "),
        code("predictive.csv"),
        text(", everything else in "),
        code("calibration.json"),
        text("; "),
        code("calibrated.toml"),
        text(" runs the scenario at the posterior medians."),
    ]));

    blocks.push(Block::Heading(2, "Charts".into()));
    if !figures.is_empty() {
        blocks.push(Block::Figures);
    }
    Page {
        title: format!("Calibration of {}", input.name),
        what: "spcap calibration",
        extra_css: "li.unconstrained { color: #8a3b00; }\n",
        blocks,
    }
}

/// A key's sentence: what the data say about it.
fn key_item(p: &Prior, line: &PosteriorLine) -> Item {
    let (share, c) = constraint(p, line);
    let unit = p.unit().map(|u| format!(" {u}")).unwrap_or_default();
    let interval = format!("{} to {}{unit}", round(line.p5), round(line.p95));
    let words = match c {
        Constraint::Unconstrained => format!(
            "the data do not constrain it: its posterior is about as wide as its prior (90% interval {interval}, {:.0}% of the width the prior alone gives). What it is set to matters little for these figures, or they cannot tell it apart from the other keys; its value must come from elsewhere.",
            100.0 * share
        ),
        Constraint::Partly => format!(
            "the data constrain it only partly: median {}{unit}, 90% interval {interval}, {:.0}% of the width the prior alone gives.",
            round(line.median),
            100.0 * share
        ),
        Constraint::Constrained => format!(
            "the data constrain it: median {}{unit}, 90% interval {interval}, {:.0}% of the width the prior alone gives.",
            round(line.median),
            100.0 * share
        ),
    };
    let content: Vec<Inline> = vec![code(&p.key), text(format!(": {words}"))];
    Item {
        id: Some(format!("constraint-{}", p.key)),
        class: Some(match c {
            Constraint::Unconstrained => "unconstrained",
            Constraint::Partly => "partly",
            Constraint::Constrained => "constrained",
        }),
        attrs: vec![
            ("data-constraint", c.as_str().to_string()),
            ("data-share", number(share)),
        ],
        content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::prior::Kind;

    fn prior(log: bool) -> Prior {
        Prior {
            key: "k".into(),
            low: 1.0,
            high: 100.0,
            log,
            kind: Kind::Number,
        }
    }

    fn line(width_of_prior: f64) -> PosteriorLine {
        PosteriorLine {
            key: "k".into(),
            median: 10.0,
            p5: 5.0,
            p95: 20.0,
            width_of_prior,
        }
    }

    #[test]
    fn a_uniform_prior_alone_gives_nine_tenths_and_a_log_uniform_less() {
        assert!((prior_width(&prior(false)) - 0.9).abs() < 1e-12);
        // 100^0.95 - 100^0.05 over 99.
        let expected = (100f64.powf(0.95) - 100f64.powf(0.05)) / 99.0;
        assert!((prior_width(&prior(true)) - expected).abs() < 1e-12);
    }

    #[test]
    fn widths_are_judged_against_the_prior_alone() {
        assert_eq!(constraint(&prior(false), &line(0.85)).1, Constraint::Unconstrained);
        assert_eq!(constraint(&prior(false), &line(0.6)).1, Constraint::Partly);
        assert_eq!(constraint(&prior(false), &line(0.2)).1, Constraint::Constrained);
        // A log-uniform prior alone gives about 0.72 of its width: 0.6 is most of that.
        assert_eq!(constraint(&prior(true), &line(0.6)).1, Constraint::Unconstrained);
    }
}
