//! Heartbeat documents as `read_heartbeat` decodes them (serde_json into `Heartbeat`, no
//! file system), and `Timestamp::parse` on arbitrary text: never panic, and what parses
//! writes back (as `heartbeat` writes it) to an equal document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_heartbeat::{Heartbeat, ReportedStatus, Timestamp};

/// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z: the years RFC 3339 text can carry.
const RFC3339_SECONDS: std::ops::RangeInclusive<f64> = -62_135_596_800.0..=253_402_300_799.0;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(heartbeat) = serde_json::from_slice::<Heartbeat>(bytes) {
        assert!(heartbeat.timestamp.0.is_finite());
        if let Some(status) = &heartbeat.status {
            let _ = ReportedStatus::classify(status);
        }
        let written = serde_json::to_vec(&heartbeat).expect("a heartbeat serializes");
        let again: Heartbeat = serde_json::from_slice(&written).expect("a written heartbeat reads");
        let mut expected = heartbeat.clone();
        expected.timestamp = again.timestamp;
        // serde_json without `float_roundtrip` may read a long decimal one ulp off the
        // correctly rounded value; writing that back and reading it again can land on the
        // neighbour. A library quirk, not a lost value.
        if let (Some(read), Some(back)) = (heartbeat.interval_s, again.interval_s) {
            assert!(read == back || (read - back).abs() <= read.abs() * 1e-15);
            expected.interval_s = again.interval_s;
        }
        assert_eq!(
            again, expected,
            "fields other than the timestamp round-trip"
        );
        // Any timestamp that reads is written so that it reads back (to the microsecond).
        let t = heartbeat.timestamp.0;
        let back = again.timestamp.0;
        assert!(close(back, t), "{t} was written back as {back}");
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(at) = Timestamp::parse(text)
    {
        assert!(at.0.is_finite(), "{text:?} parsed to {}", at.0);
        let written = at.to_rfc3339();
        if RFC3339_SECONDS.contains(&at.0) {
            let again = Timestamp::parse(&written)
                .unwrap_or_else(|| panic!("{text:?} was written as {written:?}, unreadable"));
            assert!(close(again.0, at.0), "{text:?}: {} then {}", at.0, again.0);
        }
    }
});

/// Written timestamps keep microseconds.
fn close(read: f64, value: f64) -> bool {
    (read - value).abs() <= 1e-6 + value.abs() * 1e-15
}
