//! Performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`.

use std::fmt;

use crate::number::format_number;
use crate::range::Range;
use crate::threshold::Thresholds;

/// Units of measurement the Nagios plugin guidelines define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Uom {
    /// A plain number of things.
    #[default]
    None,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// Percent.
    Percent,
    /// Bytes.
    Bytes,
    /// Kilobytes.
    Kilobytes,
    /// Megabytes.
    Megabytes,
    /// Terabytes.
    Terabytes,
    /// A continuous counter.
    Counter,
}

impl Uom {
    /// The suffix written after the value.
    pub fn suffix(self) -> &'static str {
        match self {
            Uom::None => "",
            Uom::Seconds => "s",
            Uom::Milliseconds => "ms",
            Uom::Microseconds => "us",
            Uom::Percent => "%",
            Uom::Bytes => "B",
            Uom::Kilobytes => "KB",
            Uom::Megabytes => "MB",
            Uom::Terabytes => "TB",
            Uom::Counter => "c",
        }
    }
}

/// One metric with its thresholds and bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Perfdata {
    /// The metric's name.
    pub label: String,
    /// The measured value; `None` is written as `U` (could not be determined).
    pub value: Option<f64>,
    /// Unit shared by value, min and max.
    pub uom: Uom,
    /// Warning range, written as given.
    pub warn: Option<Range>,
    /// Critical range, written as given.
    pub crit: Option<Range>,
    /// Lowest possible value.
    pub min: Option<f64>,
    /// Highest possible value.
    pub max: Option<f64>,
}

impl Perfdata {
    /// A metric with a value and nothing else. Non-finite values become `U`.
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Perfdata {
            label: label.into(),
            value: value.is_finite().then_some(value),
            uom: Uom::None,
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// Sets the unit.
    pub fn uom(mut self, uom: Uom) -> Self {
        self.uom = uom;
        self
    }

    /// Copies the warning and critical ranges.
    pub fn thresholds(mut self, thresholds: &Thresholds) -> Self {
        self.warn = thresholds.warning.clone();
        self.crit = thresholds.critical.clone();
        self
    }

    /// Sets the minimum.
    pub fn min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// Sets the maximum.
    pub fn max(mut self, max: f64) -> Self {
        self.max = Some(max);
        self
    }

    /// The label quoted per the guideline: single quotes when it holds a space, `'` or `=`,
    /// a `'` doubled. A `|` would end the perfdata section, so it becomes `_`.
    pub fn quoted_label(&self) -> String {
        let clean: String = self
            .label
            .chars()
            .map(|c| if c == '|' || c.is_control() { '_' } else { c })
            .collect();
        if clean.contains([' ', '\'', '=']) || clean.is_empty() {
            format!("'{}'", clean.replace('\'', "''"))
        } else {
            clean
        }
    }

    /// The value as written: a number with its unit, or `U`.
    pub fn value_text(&self) -> String {
        match self.value.and_then(format_number) {
            Some(number) => format!("{number}{}", self.uom.suffix()),
            None => "U".to_owned(),
        }
    }
}

impl fmt::Display for Perfdata {
    /// Writes all four optional fields when any is set (`age=4s;60;90;0;`, the C suite's
    /// shape), none when all are empty (`iteration=42c`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.quoted_label(), self.value_text())?;
        let bound = |v: Option<f64>| v.and_then(format_number).unwrap_or_default();
        let range = |r: &Option<Range>| r.as_ref().map(Range::to_string).unwrap_or_default();
        let fields = [
            range(&self.warn),
            range(&self.crit),
            bound(self.min),
            bound(self.max),
        ];
        if fields.iter().any(|field| !field.is_empty()) {
            write!(f, ";{}", fields.join(";"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_metric_matches_the_c_suite_shape() {
        let t = Thresholds::new(Range::parse("60").ok(), Range::parse("90").ok());
        let p = Perfdata::new("age", 4.0)
            .uom(Uom::Seconds)
            .thresholds(&t)
            .min(0.0);
        assert_eq!(p.to_string(), "age=4s;60;90;0;");
    }

    #[test]
    fn bare_metric_has_no_fields() {
        assert_eq!(
            Perfdata::new("iteration", 42.0)
                .uom(Uom::Counter)
                .to_string(),
            "iteration=42c"
        );
    }

    #[test]
    fn labels_are_quoted_and_escaped() {
        assert_eq!(Perfdata::new("load one", 1.5).to_string(), "'load one'=1.5");
        assert_eq!(Perfdata::new("it's", 1.0).to_string(), "'it''s'=1");
        assert_eq!(Perfdata::new("a=b", 1.0).to_string(), "'a=b'=1");
        assert_eq!(Perfdata::new("a|b", 1.0).to_string(), "a_b=1");
        assert_eq!(Perfdata::new("", 1.0).to_string(), "''=1");
    }

    #[test]
    fn unknown_values_are_u_without_unit() {
        let p = Perfdata::new("age", f64::NAN).uom(Uom::Seconds).min(0.0);
        assert_eq!(p.to_string(), "age=U;;;0;");
        let mut p = Perfdata::new("x", 1.0);
        p.value = None;
        assert_eq!(p.to_string(), "x=U");
    }

    #[test]
    fn ranges_and_bounds_render_in_range_syntax() {
        let t = Thresholds::new(Range::parse("~:10").ok(), Range::parse("@5:20").ok());
        let p = Perfdata::new("used", 55.5)
            .uom(Uom::Percent)
            .thresholds(&t)
            .min(0.0)
            .max(100.0);
        assert_eq!(p.to_string(), "used=55.5%;~:10;@5:20;0;100");
        let p = Perfdata::new("big", 1e20).uom(Uom::Bytes);
        assert_eq!(p.to_string(), "big=100000000000000000000B");
        let p = Perfdata::new("neg", -0.25).max(3.0);
        assert_eq!(p.to_string(), "neg=-0.25;;;;3");
    }
}
