//! C-locale decimal numbers: strict parsing and exponent-free rendering.

/// Parses a plain decimal number: optional sign, digits, optional fraction.
///
/// Rejects what `strtod` would accept but a threshold must not mean: exponents, hex,
/// `inf`, `nan`, leading zeros read as octal by some parsers are read as decimal here.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let has_digit = !whole.is_empty() || fraction.is_some_and(|f| !f.is_empty());
    if !has_digit || !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a byte count with an optional binary unit: `512`, `512B`, `64KB`/`64KiB`/`64k`,
/// `512MB`/`512MiB`/`512m`, `2GB`, `1TB` (all powers of 1024, as Nagios' memory plugins and
/// `docker run --memory` read them). Negative counts are allowed for range endpoints.
pub fn parse_bytes(text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let power = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 1,
        "m" | "mb" | "mib" => 2,
        "g" | "gb" | "gib" => 3,
        "t" | "tb" | "tib" => 4,
        _ => return None,
    };
    parse_decimal(number)
        .map(|n| n * 1024_f64.powi(power))
        .filter(|b| b.is_finite())
}

/// Renders a finite number the way Nagios and graphers read it: `.` as the decimal point,
/// no exponent, integers without a fraction, at most six decimals. `None` when the value is
/// not finite (callers write `U` or leave the metric out).
pub fn format_number(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    if value == 0.0 {
        return Some("0".to_owned());
    }
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        return Some(format!("{value:.0}"));
    }
    let fixed = format!("{value:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    Some(match trimmed {
        "" | "-" | "-0" => "0".to_owned(),
        other => other.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_take_binary_units() {
        assert_eq!(parse_bytes("512"), Some(512.0));
        assert_eq!(parse_bytes("64KB"), Some(65536.0));
        assert_eq!(parse_bytes("1.5GiB"), Some(1.5 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_bytes("512m"), Some(512.0 * 1024.0 * 1024.0));
        for bad in ["", "MB", "5 MB", "5XB", "5%", "1e3"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn byte_counts_that_overflow_to_infinity_are_rejected() {
        assert_eq!(parse_bytes(&format!("{}TB", "9".repeat(300))), None);
    }

    #[test]
    fn plain_decimals_parse() {
        assert_eq!(parse_decimal("10"), Some(10.0));
        assert_eq!(parse_decimal("-7"), Some(-7.0));
        assert_eq!(parse_decimal("5.75"), Some(5.75));
        assert_eq!(parse_decimal("-95.99"), Some(-95.99));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("010"), Some(10.0));
        assert_eq!(parse_decimal("+3"), Some(3.0));
    }

    #[test]
    fn strtod_extras_are_rejected() {
        for bad in [
            "", "-", ".", "abc", "1e3", "0x10", "inf", "nan", "NaN", "10%", "1.5.5", " 1", "1 ",
            "--1",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn numbers_render_without_exponent() {
        assert_eq!(format_number(42.0).as_deref(), Some("42"));
        assert_eq!(format_number(-3.0).as_deref(), Some("-3"));
        assert_eq!(format_number(0.5).as_deref(), Some("0.5"));
        assert_eq!(format_number(0.001234).as_deref(), Some("0.001234"));
        assert_eq!(
            format_number(1e21).as_deref(),
            Some("1000000000000000000000")
        );
        assert_eq!(format_number(1e-9).as_deref(), Some("0"));
        assert_eq!(format_number(-0.0).as_deref(), Some("0"));
        assert_eq!(format_number(2.0 / 3.0).as_deref(), Some("0.666667"));
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::INFINITY), None);
    }
}
