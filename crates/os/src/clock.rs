//! The wall clock as the heartbeat files and the checks count it.

/// Now, as seconds since the epoch (0 if the clock is before 1970).
pub fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_counts_seconds_since_1970() {
        // 2020-01-01T00:00:00Z: any clock behind that is broken, not slow.
        assert!(now_unix() > 1_577_836_800.0);
    }
}
