//! Times as people write them in scenario files: calendar dates (`2020-03-23`)
//! and lengths of time with a unit (`90d`, `12w`, `6m`, `5y`).
//!
//! Inside the simulator every time is a number of days since the scenario's
//! start date. Lengths of time are of two kinds:
//!
//! - **fixed lengths** ([`parse_duration`]): every length in a scenario except
//!   the calendar's two. A month is a twelfth of a year and a year is 365.25
//!   days, so that `12m` and `1y` are the same length and leap years average
//!   out: a `max_holding` of `"6m"` is 182.625 days whenever it starts;
//! - **calendar spans** ([`calendar_span`]): `calendar.warm_up` and
//!   `calendar.horizon` only. A whole number of months or years is counted on
//!   the calendar from the day the span starts, so that the measured period
//!   begins and ends on the dates a reader expects: `"1y"` from 2019-04-01 ends
//!   on 2020-04-01, 366 days; `"12m"` is the same span. Days, weeks and
//!   fractions of a month are fixed lengths even there.

use jiff::civil::Date;

/// Days in a year (365.25, the mean calendar year).
pub const DAYS_PER_YEAR: f64 = 365.25;
/// Days in a month (a twelfth of a year).
pub const DAYS_PER_MONTH: f64 = DAYS_PER_YEAR / 12.0;

/// What a length of time may look like, for error messages.
pub const DURATION_HELP: &str =
    "a length of time with a unit, such as \"14d\", \"12w\", \"6m\" or \"5y\" (days, weeks, months, years)";

/// What a date may look like, for error messages.
pub const DATE_HELP: &str = "a date written as \"YYYY-MM-DD\", such as \"2020-03-23\"";

/// Parses a length of time such as `"90d"` or `"1.5y"` into a fixed number of
/// days: `"1y"` is always 365.25 days and `"1m"` 30.4375. Returns `None` when the
/// text is not a non-negative number followed by one of d, w, m, y.
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let per_unit = match unit {
        'd' => 1.0,
        'w' => 7.0,
        'm' => DAYS_PER_MONTH,
        'y' => DAYS_PER_YEAR,
        _ => return None,
    };
    let number: f64 = text[..text.len() - 1].trim().parse().ok()?;
    (number.is_finite() && number >= 0.0).then_some(number * per_unit)
}

/// Days from `start` to `start + text`, counting a whole number of months
/// (`"3m"`, `"1.5y"` = 18 months) on the calendar, so a warm-up of `"1y"` from
/// 2019-04-01 ends on 2020-04-01, 366 days, and one from 2020-04-01 on
/// 2021-04-01, 365 days. Days, weeks and fractional months are fixed lengths,
/// as [`parse_duration`]. Only `calendar.warm_up` and `calendar.horizon` are
/// calendar spans. `None` when the span runs past the calendar's last date.
pub fn calendar_span(start: Date, text: &str) -> Option<f64> {
    let days = parse_duration(text)?;
    let trimmed = text.trim();
    let number: f64 = trimmed[..trimmed.len() - 1].trim().parse().ok()?;
    let months = match trimmed.chars().last()? {
        'm' => number,
        'y' => number * 12.0,
        _ => return Some(days),
    };
    if months.fract() != 0.0 || months > f64::from(MAX_YEARS) * 12.0 {
        return Some(days);
    }
    let end = start
        .checked_add(jiff::Span::new().try_months(months as i64).ok()?)
        .ok()?;
    Some(days_between(start, end))
}

/// The longest run spcap accepts, in years (warm-up plus horizon).
pub const MAX_YEARS: u32 = 200;

/// Parses a calendar date written as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    text.trim().parse::<Date>().ok()
}

/// Days from `start` to `date` (negative when `date` is earlier).
pub fn days_between(start: Date, date: Date) -> f64 {
    // Civil dates have no time zone, so every day is exactly 86,400 seconds.
    (date.duration_since(start).as_secs() / 86_400) as f64
}

/// The calendar date `days` after `start` (rounded down to a whole day).
/// Dates beyond the calendar's range (past 9999-12-31) saturate at its ends.
pub fn date_after(start: Date, days: f64) -> Date {
    let whole = days.floor().clamp(-7_000_000.0, 7_000_000.0) as i64;
    jiff::Span::new()
        .try_days(whole)
        .ok()
        .and_then(|span| start.checked_add(span).ok())
        .unwrap_or(if whole < 0 { Date::MIN } else { Date::MAX })
}

/// The calendar month (0 = January) of the day `days` after `start`,
/// and the number of days until the next month begins. In December 9999, the
/// calendar's last month, there is no next month and the answer is 0 days
/// or fewer; validation ends every run by 9999-12-31.
pub fn month_at(start: Date, days: f64) -> (usize, f64) {
    let date = date_after(start, days);
    // A month is 1 to 12, so the index is 0 to 11.
    let month = usize::from(date.month().unsigned_abs()) - 1;
    let first_of_next = date
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(date);
    (month, days_between(start, first_of_next) - days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90d"), Some(90.0));
        assert_eq!(parse_duration("12w"), Some(84.0));
        assert_eq!(parse_duration("1y"), Some(365.25));
        assert_eq!(parse_duration("12m"), Some(365.25));
        assert_eq!(parse_duration("1.5y"), Some(547.875));
        assert_eq!(parse_duration("90"), None);
        assert_eq!(parse_duration("-3d"), None);
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("nand"), None);
    }

    #[test]
    fn dates_count_days() {
        let start = parse_date("2020-01-01").unwrap();
        let lockdown = parse_date("2020-03-23").unwrap();
        assert_eq!(days_between(start, lockdown), 82.0);
        assert_eq!(date_after(start, 82.7), lockdown);
        assert_eq!(parse_date("2020-02-30"), None);
        assert_eq!(calendar_span(parse_date("2019-04-01").unwrap(), "1y"), Some(366.0));
        assert_eq!(calendar_span(parse_date("2019-04-01").unwrap(), "12m"), Some(366.0));
        assert_eq!(calendar_span(parse_date("2020-04-01").unwrap(), "1y"), Some(365.0));
        assert_eq!(calendar_span(parse_date("2019-01-31").unwrap(), "1m"), Some(28.0));
        // A fraction of a month is a fixed length, like days and weeks.
        assert_eq!(calendar_span(start, "0.5m"), parse_duration("0.5m"));
        assert_eq!(days_between(lockdown, start), -82.0);
        // The same count as jiff's own calendar arithmetic, across the whole calendar.
        for (a, b) in [(Date::MIN, Date::MAX), (Date::MAX, Date::MIN), (start, lockdown)] {
            let days = a.until((jiff::Unit::Day, b)).unwrap().get_days();
            assert_eq!(days_between(a, b), f64::from(days));
        }
        assert_eq!(calendar_span(start, "2w"), Some(14.0));
        assert_eq!(date_after(start, 1e12), Date::MAX);
        assert!(calendar_span(start, "30000y").is_some());
        assert_eq!(calendar_span(parse_date("9990-01-01").unwrap(), "20y"), None);
        let (month, left) = month_at(start, 40.0);
        assert_eq!(month, 1);
        assert_eq!(left, 20.0);
    }
}
