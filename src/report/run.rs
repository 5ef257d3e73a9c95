//! The run page: `report.html`, self-contained (SVG inline, no scripts or
//! external files), written from an output folder's statistics and figures.
//! It prints to A4 from a browser. Its key figures are the metric table's
//! ([`crate::stats::metric::key_metrics`]), with the same numbers and words
//! as the terminal's headlines ([`super::terminal`]).

use super::kit::{escape, figures_html, key_cells, page_start};
use crate::output::Results;
use crate::plot::Figure;
use crate::scenario::resolve::lookup;
use crate::stats::metric;

/// The report's HTML.
pub fn html(r: &Results, figures: &[Figure]) -> String {
    let m = &r.meta;
    let mut out = String::new();
    out.push_str(&page_start(&escape(&m.name), "spcap report", ""));
    if !m.scenario.description.is_empty() {
        out.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(&m.scenario.description)));
    }
    let end = crate::scenario::units::date_after(m.start, m.warm_up_days + m.horizon_days);
    let from = crate::scenario::units::date_after(m.start, m.warm_up_days);
    out.push_str(&format!(
        "<p>Results of {} simulated replicates of the period {from} to {end}. Intervals are 95% confidence intervals on the mean over replicates.</p>\n",
        m.replicates
    ));
    out.push_str("<h2>Key figures</h2>\n<p>Each figure is measured in every replicate and averaged over the replicates, with a 95% confidence interval on that mean. <code>docs/outputs.md</code> defines each one.</p>\n<table class=\"key\">\n<thead><tr><th>Measure</th><th>Mean over replicates</th><th>95% interval</th></tr></thead>\n<tbody>\n");
    for k in metric::key_metrics() {
        let s = r.metric(k.column);
        let (mean, interval) = key_cells(k, &s);
        let with_value = r.with_value.get(k.column).copied().unwrap_or(0);
        // A replicate with nothing to measure (nobody's wait measured) has no value and is left out: say so.
        let note = if with_value < r.replicates {
            format!(
                " <small>({with_value} of {} replicates had a value)</small>",
                r.replicates
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<tr id=\"key-{}\"><td>{}{note}</td><td data-value=\"{}\">{mean}</td><td data-low=\"{}\" data-high=\"{}\">{interval}</td></tr>\n",
            k.column,
            escape(&k.label_with_unit()),
            crate::output::number(s.mean),
            crate::output::number(s.ci_low),
            crate::output::number(s.ci_high),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(&figures_html(figures));
    out.push_str(&assumptions(r));
    out.push_str(&format!(
        "<h2>Run</h2>\n<table class=\"meta\">\n<tr><td>spcap version</td><td>{}</td></tr>\n<tr><td>Scenario hash</td><td>{}</td></tr>\n<tr><td>Seed</td><td>{}</td></tr>\n<tr><td>Replicates</td><td>{}</td></tr>\n<tr><td>Report drawn</td><td>{}</td></tr>\n<tr><td>Output folder</td><td>{}</td></tr>\n</table>\n</body>\n</html>\n",
        escape(&m.version),
        escape(&m.hash),
        m.seed,
        m.replicates,
        jiff::Timestamp::now().strftime("%Y-%m-%d"),
        escape(&r.dir.display().to_string())
    ));
    out
}

/// The scenario's figures whose source says "assumption", with their values.
fn assumptions(r: &Results) -> String {
    let scenario = toml::Value::try_from(&r.meta.scenario).ok();
    let table = scenario.as_ref().and_then(toml::Value::as_table);
    let rows: Vec<String> = r
        .meta
        .scenario
        .sources
        .iter()
        .filter(|(_, source)| source.to_lowercase().contains("assumption"))
        .map(|(key, source)| {
            let value = table.and_then(|t| lookup(t, key)).map(short_value).unwrap_or_default();
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                escape(key),
                escape(&value),
                escape(source)
            )
        })
        .collect();
    if rows.is_empty() {
        return "<h2>Assumptions</h2>\n<p>The scenario file marks none of its figures as an assumption in its <code>[sources]</code> table.</p>\n".into();
    }
    format!(
        "<h2>Assumptions that drive the result</h2>\n<p>These figures have no evidence behind them (the scenario's <code>[sources]</code> table marks them as assumptions); read the results with them in mind.</p>\n<table class=\"assumptions\">\n<thead><tr><th>Parameter</th><th>Value</th><th>Source</th></tr></thead>\n<tbody>\n{}</tbody>\n</table>\n",
        rows.concat()
    )
}

fn short_value(v: &toml::Value) -> String {
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
