//! Heartbeat timestamps: RFC 3339 text (naive means UTC) or Unix seconds.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A point in time as Unix seconds with a fraction.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Timestamp(pub f64);

pub use triage_os::now_unix;

impl Timestamp {
    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp(now_unix())
    }

    /// Parses RFC 3339 (`2026-02-05T06:17:29.601049+00:00`, `...Z`, a space instead of `T`)
    /// or a naive date-time, which is read as UTC.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(Timestamp(to_seconds(
                at.timestamp(),
                at.timestamp_subsec_nanos(),
            )));
        }
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|at| {
                let at = at.and_utc();
                Timestamp(to_seconds(at.timestamp(), at.timestamp_subsec_nanos()))
            })
    }

    /// RFC 3339 in UTC with microseconds, as Python's `isoformat()` writes it.
    pub fn to_rfc3339(self) -> String {
        // Round to whole microseconds first: f64 cannot hold the sixth decimal exactly.
        let micros = (self.0 * 1e6).round() as i64;
        let nanos = (micros.rem_euclid(1_000_000) * 1000) as u32;
        DateTime::<Utc>::from_timestamp(micros.div_euclid(1_000_000), nanos)
            .map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, false))
            .unwrap_or_else(|| "1970-01-01T00:00:00.000000+00:00".to_owned())
    }
}

fn to_seconds(seconds: i64, nanos: u32) -> f64 {
    seconds as f64 + f64::from(nanos) / 1e9
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: RFC 3339 has four-digit years only.
const RFC3339_SECONDS: std::ops::RangeInclusive<f64> = -62_135_596_800.0..=253_402_300_799.0;

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A time outside those years (only ever read from a number) is written back as the
        // number: RFC 3339 text for it would not read back.
        if RFC3339_SECONDS.contains(&self.0) {
            serializer.serialize_str(&self.to_rfc3339())
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time or a number of Unix seconds")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).ok_or_else(|| {
                    E::custom(format!("timestamp '{text}' is not an RFC 3339 date-time"))
                })
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Timestamp, E> {
                match value.is_finite() {
                    true => Ok(Timestamp(value)),
                    false => Err(E::custom("timestamp is not a finite number")),
                }
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(value as f64))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Timestamp, E> {
                Ok(Timestamp(value as f64))
            }
        }

        deserializer.deserialize_any(TimestampVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_with_offset_and_fraction() {
        let t = Timestamp::parse("2026-02-05T06:17:29.601049+00:00").expect("parses");
        assert!((t.0 - 1_770_272_249.601049).abs() < 1e-6);
        let shifted = Timestamp::parse("2026-02-05T07:17:29.601049+01:00").expect("parses");
        assert!((shifted.0 - t.0).abs() < 1e-6);
        let zulu = Timestamp::parse("2026-02-05T06:17:29Z").expect("parses");
        assert_eq!(zulu.0, 1_770_272_249.0);
    }

    #[test]
    fn naive_timestamps_are_utc() {
        assert_eq!(
            Timestamp::parse("2026-02-05T06:17:29").map(|t| t.0),
            Some(1_770_272_249.0)
        );
        assert_eq!(
            Timestamp::parse("2026-02-05 06:17:29.5").map(|t| t.0),
            Some(1_770_272_249.5)
        );
    }

    #[test]
    fn garbage_is_not_a_timestamp() {
        for bad in ["", "yesterday", "2026-13-01T00:00:00Z", "2026-02-05"] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_beyond_year_9999_are_written_as_numbers_that_read_back() {
        // Found by the `heartbeat` fuzz target: `{"timestamp":888888967296}` read fine but
        // was written as "+30137-10-08T18:01:36.000000+00:00", which does not read.
        for seconds in [888_888_967_296.0, -1e15, 1e300] {
            let written = serde_json::to_string(&Timestamp(seconds)).expect("serializes");
            let back: Timestamp = serde_json::from_str(&written).expect("reads back");
            assert_eq!(back.0, seconds, "{written}");
        }
        let last = serde_json::to_string(&Timestamp(253_402_300_799.0)).expect("serializes");
        assert_eq!(last, r#""9999-12-31T23:59:59.000000+00:00""#);
    }

    #[test]
    fn written_form_round_trips() {
        let t = Timestamp(1_770_272_249.601049);
        assert_eq!(t.to_rfc3339(), "2026-02-05T06:17:29.601049+00:00");
        let back = Timestamp::parse(&t.to_rfc3339()).expect("parses");
        assert!((back.0 - t.0).abs() < 1e-6);
    }
}
