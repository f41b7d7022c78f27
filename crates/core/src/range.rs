//! Nagios threshold ranges, `[@]start:end`, parsed and evaluated exactly as the
//! Monitoring Plugins guideline table says.

use std::fmt;
use std::str::FromStr;

use crate::duration::parse_signed_seconds;
use crate::number::{format_number, parse_decimal};

/// An inclusive interval and whether to alert outside it (the default) or inside (`@`).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    start: f64,
    end: f64,
    alert_inside: bool,
    text: String,
}

/// Why a threshold text is not a range; the message quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{text}' is not a valid range: {reason} (expected [@][start:]end such as 10, 10:, ~:10, 10:20 or @10:20)"
)]
pub struct RangeError {
    text: String,
    reason: &'static str,
}

impl RangeError {
    fn new(text: &str, reason: &'static str) -> Self {
        RangeError {
            text: text.to_owned(),
            reason,
        }
    }
}

impl Range {
    /// Parses a range of plain decimal numbers.
    pub fn parse(text: &str) -> Result<Range, RangeError> {
        let mut range = parse_with(text, parse_decimal)?;
        range.text = text.to_owned();
        Ok(range)
    }

    /// Parses a range whose endpoints may carry a duration suffix (`5m`, `~:2h`, `90s:10m`).
    /// The range then reads, and is written to perfdata, in seconds.
    pub fn parse_duration(text: &str) -> Result<Range, RangeError> {
        let mut range = parse_with(text, parse_signed_seconds)?;
        range.text = range.canonical_text();
        Ok(range)
    }

    /// Parses a range whose endpoints may carry a byte unit (`512MB`, `1GiB:2GiB`, `~:80m`).
    /// The range then reads, and is written to perfdata, in bytes.
    pub fn parse_bytes(text: &str) -> Result<Range, RangeError> {
        let mut range = parse_with(text, crate::number::parse_bytes)?;
        range.text = range.canonical_text();
        Ok(range)
    }

    /// The range `0:end`: alert when the value is negative or above `end`.
    pub fn upper(end: f64) -> Range {
        let mut range = Range {
            start: 0.0,
            end,
            alert_inside: false,
            text: String::new(),
        };
        range.text = range.canonical_text();
        range
    }

    /// True when `value` should raise an alert.
    pub fn alerts(&self, value: f64) -> bool {
        let inside = self.start <= value && value <= self.end;
        inside == self.alert_inside
    }

    /// The lowest value inside the range (may be negative infinity).
    pub fn start(&self) -> f64 {
        self.start
    }

    /// The highest value inside the range (may be infinity).
    pub fn end(&self) -> f64 {
        self.end
    }

    /// True for `@` ranges, which alert inside.
    pub fn alerts_inside(&self) -> bool {
        self.alert_inside
    }

    fn canonical_text(&self) -> String {
        let number = |v: f64| format_number(v).unwrap_or_default();
        let prefix = if self.alert_inside { "@" } else { "" };
        let start = if self.start == f64::NEG_INFINITY {
            "~:".to_owned()
        } else if self.start == 0.0 && self.end.is_finite() {
            String::new()
        } else {
            format!("{}:", number(self.start))
        };
        let end = if self.end.is_finite() {
            number(self.end)
        } else {
            String::new()
        };
        format!("{prefix}{start}{end}")
    }
}

fn parse_with(text: &str, number: fn(&str) -> Option<f64>) -> Result<Range, RangeError> {
    if text.is_empty() {
        return Err(RangeError::new(text, "it is empty"));
    }
    if text.starts_with('/') {
        return Err(RangeError::new(
            text,
            "it starts with '/', likely a shell-expanded ~; quote the range",
        ));
    }
    let (alert_inside, body) = match text.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if body.is_empty() {
        return Err(RangeError::new(text, "nothing follows '@'"));
    }
    let (start, end) = match body.split_once(':') {
        None => {
            if body == "~" {
                return Err(RangeError::new(
                    text,
                    "'~' needs ':' and an end, as in ~:10",
                ));
            }
            let end = number(body).ok_or_else(|| RangeError::new(text, "not a number"))?;
            (0.0, end)
        }
        Some((start_text, end_text)) => {
            let start = match start_text {
                "~" => f64::NEG_INFINITY,
                "" => 0.0,
                _ => number(start_text)
                    .ok_or_else(|| RangeError::new(text, "the start is not a number"))?,
            };
            let end = match end_text {
                "" => f64::INFINITY,
                _ => number(end_text)
                    .ok_or_else(|| RangeError::new(text, "the end is not a number"))?,
            };
            (start, end)
        }
    };
    if start > end {
        return Err(RangeError::new(text, "the start is greater than the end"));
    }
    Ok(Range {
        start,
        end,
        alert_inside,
        text: String::new(),
    })
}

impl FromStr for Range {
    type Err = RangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Range::parse(text)
    }
}

impl fmt::Display for Range {
    /// The range as the user gave it (plain ranges) or in seconds (duration ranges): what
    /// Nagios, PNP and Icinga 2 expect in perfdata.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(range: &str, value: f64) -> bool {
        Range::parse(range).expect("valid range").alerts(value)
    }

    #[test]
    fn guideline_table_bare_number_is_zero_to_n() {
        assert!(alerts("10", -1.0));
        assert!(!alerts("10", 0.0));
        assert!(!alerts("10", 10.0));
        assert!(alerts("10", 10.5));
    }

    #[test]
    fn guideline_table_open_end() {
        assert!(alerts("10:", 9.99));
        assert!(!alerts("10:", 10.0));
        assert!(!alerts("10:", 1e12));
    }

    #[test]
    fn guideline_table_negative_infinity_start() {
        assert!(!alerts("~:10", -1e12));
        assert!(!alerts("~:10", 10.0));
        assert!(alerts("~:10", 10.01));
    }

    #[test]
    fn guideline_table_closed_range() {
        assert!(alerts("10:20", 9.0));
        assert!(!alerts("10:20", 10.0));
        assert!(!alerts("10:20", 20.0));
        assert!(alerts("10:20", 21.0));
    }

    #[test]
    fn guideline_table_inside_range() {
        assert!(!alerts("@10:20", 9.0));
        assert!(alerts("@10:20", 10.0));
        assert!(alerts("@10:20", 20.0));
        assert!(!alerts("@10:20", 20.5));
    }

    #[test]
    fn negative_and_decimal_numbers() {
        assert!(alerts("-7:23", -8.0));
        assert!(!alerts("-7:23", -7.0));
        assert!(!alerts(":5.75", 5.75));
        assert!(alerts(":5.75", 5.76));
        assert!(!alerts("~:-95.99", -96.0));
        assert!(!alerts("~:-95.99", -95.99));
        assert!(alerts("~:-95.99", -95.98));
        assert!(alerts("@~:0", 0.0));
        assert!(!alerts("010", 10.0));
    }

    #[test]
    fn unit_ranges_too_large_for_a_number_are_rejected() {
        // Found by the `range` fuzz target's property: an end given as a number must not
        // become infinity (no upper bound at all).
        let days = format!("{}d", "9".repeat(305));
        assert!(Range::parse_duration(&days).is_err());
        assert!(Range::parse_duration(&format!("1:{days}")).is_err());
        assert!(Range::parse_bytes(&format!("{}TB", "9".repeat(300))).is_err());
    }

    #[test]
    fn malformed_ranges_quote_the_text() {
        let cases = [
            ("abc", "'abc' is not a valid range: not a number"),
            (
                "~",
                "'~' is not a valid range: '~' needs ':' and an end, as in ~:10",
            ),
            (
                "10:5",
                "'10:5' is not a valid range: the start is greater than the end",
            ),
            ("", "'' is not a valid range: it is empty"),
            (
                "/root:10",
                "'/root:10' is not a valid range: it starts with '/', likely a shell-expanded ~; quote the range",
            ),
            ("nan", "'nan' is not a valid range: not a number"),
            ("inf", "'inf' is not a valid range: not a number"),
            ("@", "'@' is not a valid range: nothing follows '@'"),
            ("1:x", "'1:x' is not a valid range: the end is not a number"),
            (
                "x:1",
                "'x:1' is not a valid range: the start is not a number",
            ),
            ("10%", "'10%' is not a valid range: not a number"),
            ("1e3", "'1e3' is not a valid range: not a number"),
        ];
        for (text, message) in cases {
            let error = Range::parse(text).expect_err(text).to_string();
            assert!(
                error.starts_with(message),
                "{text:?}: got {error:?}, expected it to start with {message:?}"
            );
            assert!(
                error.ends_with("(expected [@][start:]end such as 10, 10:, ~:10, 10:20 or @10:20)")
            );
        }
    }

    #[test]
    fn ranges_display_as_given() {
        for text in [
            "10", "10:", "~:10", "10:20", "@10:20", "-7:23", ":5.75", "010",
        ] {
            assert_eq!(Range::parse(text).expect(text).to_string(), text);
        }
    }

    #[test]
    fn duration_ranges_read_and_display_in_seconds() {
        let range = Range::parse_duration("5m").expect("5m");
        assert_eq!(range.to_string(), "300");
        assert!(range.alerts(301.0));
        assert!(!range.alerts(300.0));
        assert_eq!(
            Range::parse_duration("90s:2h").expect("").to_string(),
            "90:7200"
        );
        assert_eq!(
            Range::parse_duration("~:1d").expect("").to_string(),
            "~:86400"
        );
        assert_eq!(Range::parse_duration("@1m:").expect("").to_string(), "@60:");
        assert_eq!(Range::parse_duration("120").expect("").to_string(), "120");
        assert!(Range::parse_duration("5x").is_err());
        assert!(Range::parse_duration("10m:5m").is_err());
    }

    #[test]
    fn byte_ranges_read_and_display_in_bytes() {
        let range = Range::parse_bytes("512MB").expect("512MB");
        assert!(range.alerts(512.0 * 1048576.0 + 1.0));
        assert_eq!(range.to_string(), "536870912");
        assert_eq!(
            Range::parse_bytes("1k:2k").expect("").to_string(),
            "1024:2048"
        );
        assert!(Range::parse_bytes("5%").is_err());
    }

    #[test]
    fn upper_bound_constructor() {
        let range = Range::upper(90.0);
        assert_eq!(range.to_string(), "90");
        assert!(range.alerts(91.0));
        assert!(!range.alerts(90.0));
    }
}
