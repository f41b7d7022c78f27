//! The clock remediate reads, and times in the words people read.

use std::fmt;

/// Now, in seconds since the epoch: the one clock every decision and record uses.
pub fn now() -> f64 {
    triage_heartbeat::now_unix()
}

/// A time in seconds since the epoch, shown as `2026-11-23 17:45:59 UTC`: to the second,
/// which is what a person reads.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Time(pub f64);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::DateTime::from_timestamp(self.0.floor() as i64, 0) {
            Some(at) => write!(f, "{}", at.format("%Y-%m-%d %H:%M:%S UTC")),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_to_the_second_in_utc() {
        assert_eq!(Time(1_795_000_000.9).to_string(), "2026-11-18 11:06:40 UTC");
        assert_eq!(Time(f64::MAX).to_string(), format!("{}", f64::MAX));
    }
}
