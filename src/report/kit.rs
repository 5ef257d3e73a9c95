//! The small HTML kit the pages share ([`super::html`] renders them): the
//! house style sheet, escaping, the opening of a page, figures inline as SVG
//! with their readings, and a key figure's cells.

use crate::output::summary::SummaryLine;
use crate::plot::Figure;
use crate::stats::Metric;

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The opening of a page up to `<body>` and its title: `<!DOCTYPE html>`,
/// the house style (and any `extra_css`), and `<h1>`.
pub fn page_start(title: &str, what: &str, extra_css: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}: {what}</title>\n<style>\n{CSS}{extra_css}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    )
}

/// A key figure's mean and its 95% interval, formatted as the metric says
/// (the same text the terminal prints): ("27.8", "26.1 to 29.5").
pub fn key_cells(metric: &Metric, s: &SummaryLine) -> (String, String) {
    (
        metric.format(s.mean),
        format!("{} to {}", metric.format(s.ci_low), metric.format(s.ci_high)),
    )
}

fn strip_xml_declaration(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

/// Each figure inline as SVG, with its plain-language reading as the caption.
pub fn figures_html(figures: &[Figure]) -> String {
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

pub const CSS: &str = "body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1e1e1e; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
p.lead { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sites { font-size: 0.9rem; }
table.sites td, table.sites th { padding: 0.3rem 0.4rem; }
table.stress td:first-child { width: 14rem; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.95rem; margin-top: 0.3rem; }
code { font-size: 0.9em; }
@page { size: A4; margin: 14mm; }
h2.appendix { margin-top: 3rem; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; } h2 { break-after: avoid; } h2.appendix { break-before: page; } }
";
