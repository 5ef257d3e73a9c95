//! The comparison page: `comparison.html`, one self-contained page in the
//! style of the run report, opening with a plain-language verdict per key
//! metric of the metric table. Every number it shows comes from the
//! [`Comparison`] that `comparison.csv` is written from; each verdict carries
//! the exact values as data attributes. [`write`] writes a comparison
//! folder's own files, this page last.

use super::kit::{escape, figures_html, page_start};
use crate::compare::verdict::{self, Direction};
use crate::compare::{files, CompareError, Comparison};
use crate::output::Results;
use crate::plot::{Figure, PlotError};
use crate::scenario::units;
use crate::stats::metric;
use std::path::{Path, PathBuf};

/// Writes the comparison's files, `comparison.html` last. `results` are the
/// scenarios' own folders, read back, base first. Nothing is written unless
/// every figure was drawn.
pub fn write(dir: &Path, c: &Comparison, results: &[Results]) -> Result<Vec<PathBuf>, CompareError> {
    write_figures(dir, c, results).map(|(written, _)| written)
}

/// Like [`write`], giving back the figures it wrote (for `spcap serve`, which shows them with their readings).
pub fn write_with_figures(dir: &Path, c: &Comparison, results: &[Results]) -> Result<Vec<Figure>, CompareError> {
    write_figures(dir, c, results).map(|(_, figures)| figures)
}

fn write_figures(dir: &Path, c: &Comparison, results: &[Results]) -> Result<(Vec<PathBuf>, Vec<Figure>), CompareError> {
    let figures = crate::compare::figures::figures(c, results).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let page = html(c, &figures, results, dir);
    let mut written = files::write_tables(dir, c)?;
    super::write_figures_and_page(dir, &figures, "comparison.html", &page, &mut written)?;
    Ok((written, figures))
}

/// The page's HTML. `results` are the scenarios' own folders, base first.
pub fn html(c: &Comparison, figures: &[Figure], results: &[Results], dir: &Path) -> String {
    let names: Vec<String> = c.names.iter().map(|n| escape(n)).collect();
    let mut out = String::new();
    let others = names[1..].join(", ");
    let title = format!("{others} against {}", names[0]);
    out.push_str(&page_start(
        &title,
        "spcap comparison",
        "ul.verdict li { margin-bottom: 0.4rem; }\ntd.num { text-align: right; font-variant-numeric: tabular-nums; }\nli.better::marker { color: #1b7837; }\nli.worse::marker { color: #b2182b; }\n",
    ));
    if let Some(m) = results.first().map(|r| &r.meta) {
        let from = units::date_after(m.start, m.warm_up_days);
        let end = units::date_after(m.start, m.warm_up_days + m.horizon_days);
        out.push_str(&format!(
            "<p class=\"lead\">{} scenarios, each simulated for the same {} replicates of the period {from} to {end} with seed {}. Replicate r of every scenario draws the same random numbers (common random numbers), so each difference from {} is measured replicate by replicate. Intervals are 95% confidence intervals.</p>\n",
            c.names.len(),
            c.replicates,
            m.seed,
            names[0]
        ));
    }

    out.push_str("<h2>Verdict</h2>\n");
    let verdicts = c.verdicts();
    for (i, name) in names.iter().enumerate().skip(1) {
        out.push_str(&format!("<h3>{name}</h3>\n<ul class=\"verdict\">\n"));
        for (_, w, d, sentence) in verdicts.iter().filter(|v| v.0 == i) {
            let direction = Direction::of(d);
            let judgement = direction.judgement(w);
            // Better or worse for the service, by the metric table's rule: a class for the colour, words for the reader.
            let (class, said) = match judgement {
                "" => (String::new(), String::new()),
                "better" => (" class=\"better\"".to_string(), "<strong>Better:</strong> ".to_string()),
                _ => (" class=\"worse\"".to_string(), "<strong>Worse:</strong> ".to_string()),
            };
            out.push_str(&format!(
                "<li id=\"verdict-{}-{}\"{class} data-direction=\"{}\" data-difference=\"{}\" data-low=\"{}\" data-high=\"{}\" data-judgement=\"{judgement}\">{said}{}</li>\n",
                escape(&c.labels[i]),
                w.column,
                direction.as_str(),
                crate::output::number(d.mean),
                crate::output::number(d.ci_low),
                crate::output::number(d.ci_high),
                escape(sentence)
            ));
        }
        out.push_str("</ul>\n");
    }

    if !c.thresholds.is_empty() {
        out.push_str("<h2>Threshold questions</h2>\n<p>The share of replicates in which the level on the date was above the threshold, read from the weekly snapshot of the week containing the date, with a Wilson score 95% interval.</p>\n<table class=\"key\">\n<thead><tr><th>Question</th><th>Scenario</th><th>Probability</th><th>95% interval</th></tr></thead>\n<tbody>\n");
        for (t, i, e) in &c.exceedances {
            let placed = &c.thresholds[*t];
            let th = &placed.threshold;
            out.push_str(&format!(
                "<tr id=\"threshold-{t}-{}\"><td>{} above {} on {} (weekly level of {})</td><td>{}</td><td class=\"num\" data-value=\"{}\">{:.0}%</td><td class=\"num\">{:.0}% to {:.0}%</td></tr>\n",
                escape(&c.labels[*i]),
                th.metric_name().replace('_', " "),
                th.value,
                th.date,
                placed.snapshot,
                names[*i],
                crate::output::number(e.probability),
                100.0 * e.probability,
                100.0 * e.ci_low,
                100.0 * e.ci_high
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }

    out.push_str("<h2>Key figures</h2>\n<table class=\"key\">\n<thead><tr><th>Measure</th>");
    for n in &names {
        out.push_str(&format!("<th>{n}</th>"));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for k in metric::key_metrics() {
        out.push_str(&format!("<tr><td>{}</td>", escape(&k.label_with_unit())));
        for i in 0..c.names.len() {
            let s = c.get(k.column, i).map(|m| m.summary);
            let cell = s.map_or(String::new(), |s| {
                format!(
                    "{}<br><small>{} to {}</small>",
                    k.format(s.mean),
                    k.format(s.ci_low),
                    k.format(s.ci_high)
                )
            });
            out.push_str(&format!("<td class=\"num\">{cell}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");

    out.push_str(&format!(
        "<h2>Differences from {} and the gain from pairing</h2>\n<p>The paired interval comes from the per-replicate differences; the unpaired one (Welch) is what the same replicates would give had the scenarios been run with independent random numbers. Their ratio says how many times narrower pairing made the interval; its square is how many times more replicates an unpaired comparison would need to be as precise. Every metric is in <code>comparison.csv</code>.</p>\n",
        names[0]
    ));
    for (i, name) in names.iter().enumerate().skip(1) {
        out.push_str(&format!(
            "<h3>{name}</h3>\n<table class=\"key\">\n<thead><tr><th>Measure</th><th>Paired difference (95% interval)</th><th>Unpaired interval</th><th>Narrower by</th></tr></thead>\n<tbody>\n"
        ));
        for w in metric::key_metrics() {
            let Some(d) = c.get(w.column, i).and_then(|m| m.difference) else {
                continue;
            };
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
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} to {}</td><td class=\"num\">{ratio}</td></tr>\n",
                w.short,
                escape(&verdict::difference_text(w, &d)),
                verdict::signed(d.unpaired_low * scale, places),
                verdict::signed(d.unpaired_high * scale, places),
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }

    out.push_str(&figures_html(figures));

    out.push_str("<h2>Scenarios</h2>\n<p>Each scenario's full run output (CSVs, plots and its own report) is in a subfolder of this one.</p>\n<table class=\"meta\">\n<thead><tr><th>Folder</th><th>Scenario</th><th>File</th><th>Scenario hash</th></tr></thead>\n<tbody>\n");
    for (i, name) in names.iter().enumerate() {
        let label = escape(&c.labels[i]);
        out.push_str(&format!(
            "<tr><td><a href=\"{label}/report.html\">{label}/</a></td><td>{name}</td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
            escape(&c.files[i].display().to_string()),
            escape(&c.hashes[i])
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    let (version, seed) = results
        .first()
        .map_or((String::new(), 0), |r| (r.meta.version.clone(), r.meta.seed));
    out.push_str(&format!(
        "<h2>Run</h2>\n<table class=\"meta\">\n<tr><td>spcap version</td><td>{}</td></tr>\n<tr><td>Seed</td><td>{seed}</td></tr>\n<tr><td>Replicates per scenario</td><td>{}</td></tr>\n<tr><td>Report drawn</td><td>{}</td></tr>\n<tr><td>Output folder</td><td>{}</td></tr>\n</table>\n</body>\n</html>\n",
        escape(&version),
        c.replicates,
        jiff::Timestamp::now().strftime("%Y-%m-%d"),
        escape(&dir.display().to_string())
    ));
    out
}
