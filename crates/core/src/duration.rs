//! Durations on the command line (`90`, `90s`, `5m`, `2h`, `1d`) and in human output.

use crate::number::parse_decimal;

/// Parses a non-negative duration in seconds with an optional `ms`, `s`, `m`, `h` or `d`
/// suffix.
pub fn parse_seconds(text: &str) -> Option<f64> {
    parse_signed_seconds(text).filter(|s| *s >= 0.0)
}

/// Like [`parse_seconds`] but allows a sign, for range endpoints such as `-5m`.
pub fn parse_signed_seconds(text: &str) -> Option<f64> {
    if let Some(millis) = text.strip_suffix("ms") {
        return parse_decimal(millis).map(|n| n / 1000.0);
    }
    let (number, unit) = match text.char_indices().last() {
        Some((at, 's')) => (&text[..at], 1.0),
        Some((at, 'm')) => (&text[..at], 60.0),
        Some((at, 'h')) => (&text[..at], 3600.0),
        Some((at, 'd')) => (&text[..at], 86400.0),
        _ => (text, 1.0),
    };
    // A finite number of days can still overflow to infinity, which would read as "no bound".
    parse_decimal(number)
        .map(|n| n * unit)
        .filter(|s| s.is_finite())
}

/// Renders an age or duration for people: `42s`, `16m40s`, `3h05m`, `2d04h`.
///
/// Whole seconds below 1000 stay in seconds so they can be compared with thresholds given
/// in seconds at a glance.
pub fn format_duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    match total {
        0..1000 => format!("{total}s"),
        1000..3600 => format!("{}m{:02}s", total / 60, total % 60),
        3600..86400 => format!("{}h{:02}m", total / 3600, total % 3600 / 60),
        _ => format!("{}d{:02}h", total / 86400, total % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_scale_to_seconds() {
        assert_eq!(parse_seconds("90"), Some(90.0));
        assert_eq!(parse_seconds("90s"), Some(90.0));
        assert_eq!(parse_seconds("5m"), Some(300.0));
        assert_eq!(parse_seconds("2h"), Some(7200.0));
        assert_eq!(parse_seconds("1d"), Some(86400.0));
        assert_eq!(parse_seconds("1.5m"), Some(90.0));
        assert_eq!(parse_seconds("250ms"), Some(0.25));
        assert_eq!(parse_signed_seconds("-1m"), Some(-60.0));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in [
            "", "s", "ms", "5x", "m5", "-5m", "-5ms", "1e3s", "5 m", "5mm",
        ] {
            assert_eq!(parse_seconds(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn durations_that_overflow_to_infinity_are_rejected() {
        let huge = format!("{}d", "9".repeat(305));
        assert_eq!(parse_signed_seconds(&huge), None);
        assert_eq!(parse_signed_seconds(&format!("-{huge}")), None);
    }

    #[test]
    fn durations_render_for_people() {
        assert_eq!(format_duration(4.2), "4s");
        assert_eq!(format_duration(412.0), "412s");
        assert_eq!(format_duration(1000.0), "16m40s");
        assert_eq!(format_duration(3900.0), "1h05m");
        assert_eq!(format_duration(187_200.0), "2d04h");
        assert_eq!(format_duration(-3.0), "0s");
    }
}
