//! The values a swept key takes, as written after `--set KEY=`: a list
//! (`2,3,4,5`, `180d,365d`) or, for numbers, a range with a step
//! (`2..6:1`, `0.1..0.4:0.05`) that includes its end when the step lands on it.

use crate::scenario::edit::{kind, parse_value, EditError};
use toml::Value;

/// The most values one key may take: each is a full run.
pub const MAX_VALUES: usize = 1000;

/// `x` rounded to 12 significant digits, so that `0.1 + 3 * 0.05` is written
/// `0.25` and not `0.25000000000000006`. No value a user would type differs
/// from its neighbours in the 13th digit.
pub fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Parses `START..END:STEP` into its values, `None` if the text is not a range.
/// The end is included when the step lands on it, allowing for floating-point
/// error: `0.1..0.4:0.05` gives 7 values.
pub fn parse_range(text: &str) -> Option<Result<Vec<f64>, String>> {
    let (start, rest) = text.split_once("..")?;
    Some(range(start, rest))
}

fn range(start: &str, rest: &str) -> Result<Vec<f64>, String> {
    let (end, step) = rest
        .split_once(':')
        .ok_or("a range needs a step: START..END:STEP, such as 2..6:1 or 0.1..0.4:0.05")?;
    let number = |what: &str, t: &str| match t.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("the range's {what} \"{}\" is not a number", t.trim())),
    };
    let (start, end, step) = (number("start", start)?, number("end", end)?, number("step", step)?);
    if step <= 0.0 {
        return Err("the step must be above 0".into());
    }
    if end < start {
        return Err("the end must not be below the start".into());
    }
    // A relative tolerance: (0.4 - 0.1) / 0.05 is 5.999999999999999.
    let steps = ((end - start) / step * (1.0 + 1e-9) + 1e-9).floor();
    if steps + 1.0 > MAX_VALUES as f64 {
        return Err(format!(
            "{} values; at most {MAX_VALUES} are allowed, each is a full run",
            steps + 1.0
        ));
    }
    Ok((0..=steps as usize).map(|i| tidy(start + i as f64 * step)).collect())
}

/// The values of `text` for a key whose current value is `old`: a list, or
/// a range for a key that holds a number. Each keeps the type of `old`.
pub fn parse_values(old: &Value, key: &str, text: &str) -> Result<Vec<Value>, EditError> {
    let bad = |problem: String| EditError::BadValue {
        key: key.to_string(),
        text: format!("\"{text}\""),
        problem,
    };
    if let Some(range) = parse_range(text) {
        let numbers = range.map_err(bad)?;
        return match old {
            Value::Float(_) => Ok(numbers.into_iter().map(Value::Float).collect()),
            Value::Integer(_) => numbers
                .into_iter()
                .map(|x| {
                    if x.fract() == 0.0 {
                        Ok(Value::Integer(x as i64))
                    } else {
                        Err(bad(format!("this key holds whole numbers, and the range reaches {x}")))
                    }
                })
                .collect(),
            other => Err(bad(format!(
                "this key holds {}: ranges are only for numbers, so list the values, such as 180d,365d",
                kind(other)
            ))),
        };
    }
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(bad(
            "an empty value in the list; write values separated by commas, such as 3,4,5".into(),
        ));
    }
    if items.len() > MAX_VALUES {
        return Err(bad(format!(
            "at most {MAX_VALUES} values are allowed, each is a full run"
        )));
    }
    items.into_iter().map(|item| parse_value(old, key, item)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range_of(text: &str) -> Vec<f64> {
        parse_range(text).expect("a range").expect("valid")
    }

    #[test]
    fn integer_range_includes_its_end() {
        assert_eq!(range_of("2..6:1"), vec![2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(range_of("2..7:2"), vec![2.0, 4.0, 6.0]);
        assert_eq!(range_of("5..5:1"), vec![5.0]);
    }

    #[test]
    fn float_range_survives_rounding_error() {
        let v = range_of("0.1..0.4:0.05");
        assert_eq!(v, vec![0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]);
        assert_eq!(range_of("0..1:0.1").len(), 11);
        assert_eq!(range_of("-1..1:0.5"), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    }

    #[test]
    fn bad_ranges_say_why() {
        for (text, words) in [
            ("2..6", "needs a step"),
            ("2..6:0", "above 0"),
            ("6..2:1", "below the start"),
            ("a..2:1", "start \"a\""),
            ("0..1e9:1", "at most"),
        ] {
            let e = parse_range(text).expect("a range").expect_err(text);
            assert!(e.contains(words), "{text}: {e}");
        }
        assert!(parse_range("3,4,5").is_none());
    }

    #[test]
    fn lists_and_ranges_keep_the_key_type() {
        let int = Value::Integer(4);
        assert_eq!(
            parse_values(&int, "k", "3, 4,5").ok(),
            Some(vec![Value::Integer(3), Value::Integer(4), Value::Integer(5)])
        );
        assert_eq!(parse_values(&int, "k", "2..4:1").map(|v| v.len()).ok(), Some(3));
        assert!(parse_values(&int, "k", "2..3:0.5").is_err());
        let text = Value::String("1y".into());
        assert_eq!(
            parse_values(&text, "k", "180d,365d").ok(),
            Some(vec![Value::String("180d".into()), Value::String("365d".into())])
        );
        assert!(parse_values(&text, "k", "1..3:1").is_err());
        assert!(parse_values(&int, "k", "3,,4").is_err());
    }
}
