//! Plain-language verdicts on paired differences: "Option B shortens the mean
//! wait for a link worker by 9 days (95% interval 7 to 11) against the baseline".
//!
//! A verdict claims a direction only when the 95% interval of the paired
//! difference lies wholly on one side of zero; otherwise it says there is no
//! clear difference and gives the interval. Numbers are rounded to the
//! precision the interval supports.

use crate::stats::metric::{Better, Metric};
use crate::stats::paired::PairedDifference;

/// Which way a difference points, as `comparison.csv` writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The whole interval is above zero.
    Higher,
    /// The whole interval is below zero.
    Lower,
    /// The interval includes zero (or is undefined).
    Unclear,
    /// The two scenarios gave the same value in every replicate.
    Same,
}

impl Direction {
    pub fn of(d: &PairedDifference) -> Direction {
        if d.mean == 0.0 && d.ci_low == 0.0 && d.ci_high == 0.0 {
            Direction::Same
        } else if d.ci_low > 0.0 {
            Direction::Higher
        } else if d.ci_high < 0.0 {
            Direction::Lower
        } else {
            Direction::Unclear
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Unclear => "unclear",
            Direction::Same => "same",
        }
    }

    /// Whether the difference is better or worse for the service, by the
    /// metric's [`Better`]: "better", "worse", or "" when there is no clear
    /// difference or neither way is better.
    pub fn judgement(self, metric: &Metric) -> &'static str {
        match (self, metric.better) {
            (Direction::Lower, Better::Lower) | (Direction::Higher, Better::Higher) => "better",
            (Direction::Lower, Better::Higher) | (Direction::Higher, Better::Lower) => "worse",
            _ => "",
        }
    }
}

/// Decimals that the interval supports: none for a half-width of 1 or more,
/// one down to 0.1, two below.
pub fn decimals(half_width: f64) -> usize {
    if !(half_width.is_finite() && half_width > 0.0) {
        return 1;
    }
    (-half_width.log10().floor()).clamp(0.0, 2.0) as usize
}

/// Decimals for a difference and its interval: as many as the interval
/// supports ([`decimals`]), and more (up to 3) while an end that is not zero
/// would read as "0", so that "0 to 3" is never printed for an interval that excludes zero.
pub fn interval_decimals(d: &PairedDifference, scale: f64) -> usize {
    let mut places = decimals((d.ci_high - d.ci_low) * scale / 2.0);
    let reads_zero = |x: f64, places: usize| x != 0.0 && fixed(x * scale, places) == fixed(0.0, places);
    while places < 3 && (reads_zero(d.ci_low, places) || reads_zero(d.ci_high, places)) {
        places += 1;
    }
    places
}

/// A number with `decimals` places, never "-0".
pub fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        text.trim_start_matches('-').to_string()
    } else {
        text.replace('-', "−")
    }
}

/// A number with its sign ("+2.5", "−1", "0").
pub fn signed(x: f64, decimals: usize) -> String {
    let text = fixed(x, decimals);
    if text.starts_with('−') || text.trim_matches(|c| c == '0' || c == '.').is_empty() {
        text
    } else {
        format!("+{text}")
    }
}

/// "days" or "day", "people" or "person", after a formatted amount.
fn unit_after(amount: &str, unit: &str) -> String {
    match (amount, unit) {
        (_, "") => String::new(),
        ("1", "days") => " day".into(),
        ("1", "people") => " person".into(),
        ("1", "percentage points") => " percentage point".into(),
        _ => format!(" {unit}"),
    }
}

/// The difference and its interval in the metric's unit, for a chart or table:
/// "−8.1 days (−9.1 to −7.1)".
pub fn difference_text(w: &Metric, d: &PairedDifference) -> String {
    let s = w.unit.scale();
    let places = interval_decimals(d, s);
    let mean = signed(d.mean * s, places);
    format!(
        "{mean}{} ({} to {})",
        unit_after(&mean, w.unit.short()),
        signed(d.ci_low * s, places),
        signed(d.ci_high * s, places)
    )
}

/// The verdict sentence for `other` against `base` on one metric.
pub fn sentence(other: &str, base: &str, w: &Metric, d: &PairedDifference) -> String {
    let s = w.unit.scale();
    let unit = w.unit.in_words();
    let places = interval_decimals(d, s);
    match Direction::of(d) {
        Direction::Same => format!("{other} gives the same {} as {base} in every replicate.", strip_the(w.what)),
        Direction::Unclear if !(d.ci_low.is_finite() && d.ci_high.is_finite()) => format!(
            "{other} differs from {base} on {} by {} on average; with a single replicate there is no interval, so no clear difference can be claimed.",
            w.what,
            with_unit(&signed(d.mean * s, places), unit)
        ),
        Direction::Unclear => format!(
            "{other} makes no clear difference to {} against {base}: {} on average, with a 95% interval of {} to {} that includes zero.",
            w.what,
            with_unit(&signed(d.mean * s, places), unit),
            signed(d.ci_low * s, places),
            signed(d.ci_high * s, places)
        ),
        direction => {
            let (up, down) = w.unit.verbs();
            let (verb, sign) = if direction == Direction::Higher {
                (up, 1.0)
            } else {
                (down, -1.0)
            };
            let (near, far) = if sign > 0.0 {
                (d.ci_low, d.ci_high)
            } else {
                (d.ci_high, d.ci_low)
            };
            format!(
                "{other} {verb} {} by {} (95% interval {} to {}) against {base}.",
                w.what,
                with_unit(&fixed(sign * d.mean * s, places), unit),
                fixed(sign * near * s, places),
                fixed(sign * far * s, places)
            )
        }
    }
}

fn with_unit(amount: &str, unit: &str) -> String {
    format!("{amount}{}", unit_after(amount.trim_start_matches(['+', '−']), unit))
}

/// "mean wait" from "the mean wait", for "the same mean wait".
fn strip_the(what: &str) -> &str {
    what.strip_prefix("the ").unwrap_or(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(mean: f64, ci_low: f64, ci_high: f64) -> PairedDifference {
        PairedDifference {
            mean,
            ci_low,
            ci_high,
            unpaired_low: f64::NAN,
            unpaired_high: f64::NAN,
        }
    }

    fn key(column: &str) -> &'static Metric {
        crate::stats::metric::by_column(column).unwrap()
    }

    #[test]
    fn a_judgement_follows_which_way_is_better() {
        assert_eq!(Direction::Lower.judgement(key("waiting_mean")), "better");
        assert_eq!(Direction::Lower.judgement(key("share_connected")), "worse");
        assert_eq!(Direction::Higher.judgement(key("share_unmet")), "worse");
        assert_eq!(Direction::Unclear.judgement(key("waiting_mean")), "");
        assert_eq!(Direction::Higher.judgement(key("referrals")), "");
    }

    #[test]
    fn verdicts_claim_a_direction_only_when_the_interval_excludes_zero() {
        let wait = key("waiting_mean");
        assert_eq!(
            sentence("Option B", "the baseline", wait, &diff(-9.2, -11.1, -7.3)),
            "Option B shortens the mean wait for a link worker by 9 days (95% interval 7 to 11) against the baseline."
        );
        assert_eq!(
            sentence("B", "A", wait, &diff(0.8, -0.4, 2.0)),
            "B makes no clear difference to the mean wait for a link worker against A: +0.8 days on average, with a 95% interval of −0.4 to +2.0 that includes zero."
        );
        // An end near zero gets the decimals it needs not to read as 0.
        assert_eq!(
            sentence("B", "A", wait, &diff(1.6, 0.2, 3.0)),
            "B lengthens the mean wait for a link worker by 1.6 days (95% interval 0.2 to 3.0) against A."
        );
        assert_eq!(
            sentence("B", "A", wait, &diff(0.0, 0.0, 0.0)),
            "B gives the same mean wait for a link worker as A in every replicate."
        );
        let connected = key("share_connected");
        assert_eq!(
            sentence("B", "A", connected, &diff(0.018, 0.0102, 0.0258)),
            "B raises the share of referrals connected to a VCSE service by 1.8 percentage points (95% interval 1.0 to 2.6) against A."
        );
        assert_eq!(
            difference_text(connected, &diff(0.018, 0.0102, 0.0258)),
            "+1.8 pts (+1.0 to +2.6)"
        );
        let list = key("waiting_list_end");
        assert_eq!(
            sentence("B", "A", list, &diff(-47.3, -53.6, -41.0)),
            "B lowers the waiting list at the end by 47 people (95% interval 41 to 54) against A."
        );
    }

    #[test]
    fn numbers_never_read_minus_zero() {
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(0.3, 0), "0");
        assert_eq!(signed(2.5, 1), "+2.5");
        assert_eq!(signed(-2.5, 1), "−2.5");
        assert_eq!(decimals(2.0), 0);
        assert_eq!(decimals(0.8), 1);
        assert_eq!(decimals(0.02), 2);
        assert_eq!(decimals(0.0), 1);
    }
}
