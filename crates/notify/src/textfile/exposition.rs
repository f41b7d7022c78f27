//! The Prometheus text exposition format (0.0.4), built so that the text is valid: names
//! checked, values escaped, each family's `# HELP` and `# TYPE` once with its samples
//! together after them.

use std::fmt;

/// What a metric family measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A value that goes up and down.
    Gauge,
    /// A count that only goes up; its name ends in `_total`.
    Counter,
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
        })
    }
}

/// A metric that cannot be written: a mistake in the calling code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpositionError {
    /// Not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name {0:?}: it must match [a-zA-Z_:][a-zA-Z0-9_:]*")]
    MetricName(String),
    /// Not `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("invalid label name {0:?}: it must match [a-zA-Z_][a-zA-Z0-9_]*")]
    LabelName(String),
    /// The same label twice in one sample.
    #[error("label {label:?} given twice in a sample of {metric}")]
    DuplicateLabel {
        /// The family.
        metric: String,
        /// The label.
        label: String,
    },
    /// A counter not named `…_total`.
    #[error("counter {0} must be named with the suffix _total")]
    CounterName(String),
    /// A family declared again with another kind.
    #[error("{name} was declared a {first}, then a {second}")]
    KindChanged {
        /// The family.
        name: String,
        /// Its kind.
        first: MetricKind,
        /// The other kind.
        second: MetricKind,
    },
}

/// A textfile being built, family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    families: Vec<FamilyText>,
}

#[derive(Debug)]
struct FamilyText {
    name: String,
    help: String,
    kind: MetricKind,
    samples: String,
}

/// One family of an [`Exposition`], to add samples to.
#[derive(Debug)]
pub struct Family<'a> {
    text: &'a mut FamilyText,
}

impl Exposition {
    /// No metrics yet.
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// The family `name`, declared on first use (a later `help` is ignored); its samples
    /// are written together wherever they are added from.
    pub fn family(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricKind,
    ) -> Result<Family<'_>, ExpositionError> {
        if !is_metric_name(name) {
            return Err(ExpositionError::MetricName(name.to_owned()));
        }
        if kind == MetricKind::Counter && !name.ends_with("_total") {
            return Err(ExpositionError::CounterName(name.to_owned()));
        }
        let index = match self.families.iter().position(|f| f.name == name) {
            Some(index) => index,
            None => {
                self.families.push(FamilyText {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    samples: String::new(),
                });
                self.families.len() - 1
            }
        };
        let text = &mut self.families[index];
        if text.kind != kind {
            return Err(ExpositionError::KindChanged {
                name: name.to_owned(),
                first: text.kind,
                second: kind,
            });
        }
        Ok(Family { text })
    }

    /// The exposition text.
    pub fn finish(self) -> String {
        let mut out = String::new();
        for family in self.families {
            out += &format!(
                "# HELP {} {}\n# TYPE {} {}\n",
                family.name,
                escape_help(&family.help),
                family.name,
                family.kind
            );
            out += &family.samples;
        }
        out
    }
}

impl Family<'_> {
    /// Adds `name{labels} value`.
    pub fn sample(
        &mut self,
        labels: &[(&str, &str)],
        value: f64,
    ) -> Result<&mut Self, ExpositionError> {
        for (index, (label, _)) in labels.iter().enumerate() {
            if !is_label_name(label) {
                return Err(ExpositionError::LabelName((*label).to_owned()));
            }
            if labels[..index].iter().any(|(earlier, _)| earlier == label) {
                return Err(ExpositionError::DuplicateLabel {
                    metric: self.text.name.clone(),
                    label: (*label).to_owned(),
                });
            }
        }
        let samples = &mut self.text.samples;
        samples.push_str(&self.text.name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(label, value)| format!("{label}=\"{}\"", escape_label_value(value)))
                .collect();
            samples.push('{');
            samples.push_str(&pairs.join(","));
            samples.push('}');
        }
        samples.push(' ');
        samples.push_str(&format_value(value));
        samples.push('\n');
        Ok(self)
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Go's ParseFloat spellings for the special values; finite values in Rust's shortest
/// form that reads back exactly (`3`, `0.25`, `1e-7`).
fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value == f64::INFINITY {
        "+Inf".to_owned()
    } else if value == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_use_prometheus_spellings() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(-2.5), "-2.5");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(1e-7).parse::<f64>(), Ok(1e-7));
    }

    #[test]
    fn names_follow_the_data_model() {
        assert!(is_metric_name("triage_service_up"));
        assert!(is_metric_name("job:rate5m"));
        assert!(is_metric_name("_x1"));
        assert!(!is_metric_name(""));
        assert!(!is_metric_name("1up"));
        assert!(!is_metric_name("service-up"));
        assert!(!is_metric_name("sérvice"));
        assert!(is_label_name("service"));
        assert!(!is_label_name("a:b"));
        assert!(!is_label_name("9"));
    }
}
