//! The headlines `spcap run` prints when it finishes: how fast it ran, then
//! the key figures of the metric table with the same labels, numbers and
//! intervals as the key figures of `report.html`.

use crate::experiment::Outcome;
use std::fmt::Write;
use std::path::Path;

/// The headline text of a finished run of the scenario `name` whose outputs are in `dir`.
pub fn terminal(name: &str, outcome: &Outcome, dir: &Path) -> String {
    let agg = &outcome.aggregate;
    let n = agg.replicates();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{name}: {n} replicates in {:.1} s ({:.0} replicates/s, {:.1} million events/s)",
        outcome.wall_seconds,
        n as f64 / outcome.wall_seconds.max(1e-9),
        outcome.events_per_second() / 1e6
    );
    let summaries = agg.summaries();
    let keys: Vec<_> = summaries.iter().filter(|(m, _)| m.key).collect();
    let width = keys.iter().map(|(m, _)| m.label.chars().count()).max().unwrap_or(0);
    let _ = writeln!(out, "  Mean over replicates, with its 95% confidence interval:");
    for (m, s) in keys {
        let replicates = if s.n < n {
            format!(", {} of {n} replicates had a value", s.n)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<width$} {:>8} {:<7} (95% CI {} to {}{replicates})",
            m.label,
            m.format(s.mean),
            m.unit.shown(),
            m.format(s.ci_low),
            m.format(s.ci_high),
        );
    }
    let _ = writeln!(
        out,
        "Outputs (CSVs, plots, report.html, report.docx and stress_des.md) written to {}/",
        dir.display()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReplicateRecord;
    use crate::stats::{metric, Aggregate};

    #[test]
    fn every_key_figure_is_printed_with_its_label_and_unit() {
        let mut agg = Aggregate::default();
        for r in 0..3 {
            let mut record = ReplicateRecord {
                referrals: 10,
                waiting_times: vec![1.0 + r as f64, 3.0],
                ..ReplicateRecord::default()
            };
            record.exits[crate::model::Exit::CompletedConnected as usize] = 4;
            agg.add(r, &mut record, 1.0);
        }
        agg.finish();
        let outcome = Outcome {
            aggregate: agg,
            sites: Vec::new(),
            wall_seconds: 1.0,
            events: 0,
            threads: 1,
        };
        let text = terminal("Test", &outcome, Path::new("out"));
        for m in metric::key_metrics() {
            assert!(text.contains(m.label), "no {}: {text}", m.label);
        }
        // A share of 0.4 in every replicate is 40.0 %; the mean wait is 2.5 days.
        assert!(
            text.contains("Referrals connected to a VCSE service") && text.contains("40.0 %"),
            "{text}"
        );
        assert!(text.contains("2.5 days"), "{text}");
        // Nobody was held: the mean time held has no value in any replicate.
        assert!(text.contains("0 of 3 replicates had a value"), "{text}");
    }
}
