//! Building blocks both file formats share: the problem list, durations written as text
//! or seconds, maps that keep file order, and turning serde errors into problems.

use std::fmt;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use triage_core::duration::format_duration;

use super::{Format, Problem};

/// The problems found so far, in the order they were found.
#[derive(Debug, Default)]
pub(super) struct Problems(Vec<Problem>);

impl Problems {
    pub(super) fn add(&mut self, location: impl fmt::Display, message: impl Into<String>) {
        self.0.push(Problem {
            location: location.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn into_vec(self) -> Vec<Problem> {
        self.0
    }

    /// The duration at `at`, or `default`; must be more than zero unless `zero_ok`.
    pub(super) fn duration(
        &mut self,
        at: impl fmt::Display,
        value: Option<&DurationValue>,
        default: Duration,
        zero_ok: bool,
    ) -> Duration {
        let Some(value) = value else {
            return default;
        };
        match value.to_duration() {
            Ok(duration) if zero_ok || !duration.is_zero() => duration,
            Ok(_) => {
                self.add(at, "must be more than 0s");
                default
            }
            Err(message) => {
                self.add(at, message);
                default
            }
        }
    }

    /// An absolute path at `at`, or None (with a problem) for an empty or relative one.
    pub(super) fn absolute_path(&mut self, at: impl fmt::Display, text: &str) -> Option<PathBuf> {
        let path = PathBuf::from(text);
        if text.is_empty() {
            self.add(at, "is empty");
            None
        } else if !path.is_absolute() {
            self.add(at, format!("must be an absolute path, not {text}"));
            None
        } else {
            Some(path)
        }
    }

    /// `value` when it is at least 1.
    pub(super) fn at_least_one(&mut self, at: impl fmt::Display, value: u32) -> u32 {
        if value == 0 {
            self.add(at, "must be at least 1");
        }
        value
    }
}

/// The states that can count as a problem, as the files write them.
pub(super) const PROBLEM_STATES: &str = "critical, warning or unknown";

/// `critical`, `warning` or `unknown` in any case.
pub(super) fn problem_state(word: &str) -> Option<triage_core::State> {
    use triage_core::State;
    match word.to_ascii_lowercase().as_str() {
        "critical" => Some(State::Critical),
        "warning" => Some(State::Warning),
        "unknown" => Some(State::Unknown),
        _ => None,
    }
}

/// `name` as a part of a location: bare when TOML would take it bare, else quoted
/// (`services."../etc"`).
pub(super) fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if bare {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

/// A duration as written: `"5m"`, or a number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum DurationValue {
    Text(String),
    Seconds(f64),
}

impl DurationValue {
    fn to_duration(&self) -> Result<Duration, String> {
        // Numbers go through the same parser as text, so -5, NaN and inf (TOML has
        // them) are refused with the same message.
        let text = match self {
            DurationValue::Text(text) => text.clone(),
            DurationValue::Seconds(seconds) => seconds.to_string(),
        };
        let seconds = triage_core::cli::parse_duration(&text)?;
        Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("'{text}' is too long ({})", format_duration(seconds)))
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"90s\" or \"5m\", or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DurationValue, E> {
                Ok(DurationValue::Text(text.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DurationValue, E> {
                Ok(DurationValue::Seconds(n as f64))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DurationValue, E> {
                Ok(DurationValue::Seconds(n as f64))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<DurationValue, E> {
                Ok(DurationValue::Seconds(n))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// A map's entries in file order, duplicates kept so they can be reported (JSON allows
/// the same key twice; serde would silently keep the last).
#[derive(Debug)]
pub(super) struct Entries<T>(pub(super) Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value::<T>()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

impl<T> Entries<T> {
    /// The entries, reporting each key given more than once at `at.KEY`.
    pub(super) fn unique(self, at: &str, problems: &mut Problems) -> Vec<(String, T)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut unique = Vec::new();
        for (key, value) in self.0 {
            if seen.insert(key.clone()) {
                unique.push((key, value));
            } else {
                problems.add(format_args!("{at}.{}", self::key(&key)), "is given twice");
            }
        }
        unique
    }
}

/// Whether `text` is a Watchdog config (a top-level `processes` key); a syntax error is
/// the one problem there is to report.
pub(super) fn is_watchdog(text: &str, format: Format) -> Result<bool, Problem> {
    match format {
        Format::Toml => text
            .parse::<toml::Table>()
            .map(|table| table.contains_key("processes"))
            .map_err(|e| toml_problem(text, &e)),
        Format::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(|value| value.get("processes").is_some())
            .map_err(|e| json_problem(&e)),
    }
}

/// Deserializes `text`; a syntax or shape error becomes the one problem.
pub(super) fn from_text<T: de::DeserializeOwned>(
    text: &str,
    format: Format,
    problems: &mut Problems,
) -> Option<T> {
    let parsed = match format {
        Format::Toml => toml::from_str(text).map_err(|e| toml_problem(text, &e)),
        Format::Json => serde_json::from_str(text).map_err(|e| json_problem(&e)),
    };
    parsed.map_err(|problem| problems.push(problem)).ok()
}

fn toml_problem(text: &str, error: &toml::de::Error) -> Problem {
    let location = match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}")
        }
        None => "the file".to_owned(),
    };
    Problem {
        location,
        message: one_line(error.message()),
    }
}

fn json_problem(error: &serde_json::Error) -> Problem {
    // serde_json puts the position at the end of its message; it goes in front here.
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    Problem {
        location: format!("line {}, column {}", error.line(), error.column()),
        message: one_line(text.strip_suffix(&position).unwrap_or(&text)),
    }
}

/// Parser messages sometimes span lines ("invalid string\nexpected ..."); a problem is
/// one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
