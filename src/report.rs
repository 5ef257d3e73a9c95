//! The one-file report: `report.html`, self-contained (SVG inline, no scripts
//! or external files), written from an output folder's statistics and figures.
//! It prints to A4 from a browser.

use crate::plot::{Figure, Results};
use crate::scenario::resolve::lookup;

/// The key figures: label, `summary.csv` metric, unit, scale (100 for percentages).
pub const KEY_FIGURES: [(&str, &str, &str, f64); 8] = [
    ("Mean wait for a link worker", "waiting_mean", "days", 1.0),
    ("90th percentile wait", "waiting_p90", "days", 1.0),
    ("Mean holding time awaiting a VCSE place", "holding_mean", "days", 1.0),
    ("Waiting list at the end", "waiting_list_end", "people", 1.0),
    ("Peak waiting list", "waiting_list_peak", "people", 1.0),
    (
        "People supported per FTE per year",
        "supported_per_fte_year",
        "people",
        1.0,
    ),
    ("Referrals connected to a VCSE service", "share_connected", "%", 100.0),
    ("Referrals discharged with unmet need", "share_unmet", "%", 100.0),
];

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report's HTML.
pub fn html(r: &Results, figures: &[Figure]) -> String {
    let m = &r.meta;
    let mut out = String::new();
    let title = escape(&m.name);
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}: spcap report</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    ));
    if !m.scenario.description.is_empty() {
        out.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(&m.scenario.description)));
    }
    let end = crate::scenario::units::date_after(m.start, m.warm_up_days + m.horizon_days);
    let from = crate::scenario::units::date_after(m.start, m.warm_up_days);
    out.push_str(&format!(
        "<p>Results of {} simulated replicates of the period {from} to {end}. Intervals are 95% confidence intervals on the mean over replicates.</p>\n",
        m.replicates
    ));
    out.push_str("<h2>Key figures</h2>\n<table class=\"key\">\n<thead><tr><th>Measure</th><th>Mean</th><th>95% interval</th></tr></thead>\n<tbody>\n");
    for (label, metric, unit, scale) in KEY_FIGURES {
        let s = r.metric(metric);
        out.push_str(&format!(
            "<tr id=\"key-{metric}\"><td>{label} ({unit})</td><td data-value=\"{}\">{:.1}</td><td data-low=\"{}\" data-high=\"{}\">{:.1} to {:.1}</td></tr>\n",
            s.mean,
            s.mean * scale,
            s.ci_low,
            s.ci_high,
            s.ci_low * scale,
            s.ci_high * scale
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

fn strip_xml_declaration(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

/// Each figure inline as SVG, with its plain-language reading as the caption.
pub(crate) fn figures_html(figures: &[Figure]) -> String {
    figures
        .iter()
        .map(|f| {
            format!(
                "<figure id=\"fig-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                f.name,
                strip_xml_declaration(&f.svg),
                escape(&f.reading)
            )
        })
        .collect()
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

pub(crate) const CSS: &str = "body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1e1e1e; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
p.lead { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; vertical-align: top; }
table.key td:nth-child(2), table.key td:nth-child(3) { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.95rem; margin-top: 0.3rem; }
code { font-size: 0.9em; }
@page { size: A4; margin: 14mm; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; } h2 { break-after: avoid; } }
";
