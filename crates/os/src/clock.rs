//! The clocks: the wall clock as the heartbeat files and the checks count it, and the
//! boot clock (CLOCK_BOOTTIME), which counts seconds since boot, suspend included, and is
//! never stepped, so deadlines measured on it survive an NTP step or an operator's `date`.

/// Now, as seconds since the epoch (0 if the clock is before 1970).
pub fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Seconds since this boot began, suspend included; never stepped.
pub fn boot_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through the pointer it is given, which
    // points at a live local.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &raw mut now) };
    if status != 0 {
        // Linux has had CLOCK_BOOTTIME since 2.6.39; the monotonic clock is the next best.
        // SAFETY: as above.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    }
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_counts_seconds_since_1970() {
        // 2020-01-01T00:00:00Z: any clock behind that is broken, not slow.
        assert!(now_unix() > 1_577_836_800.0);
    }

    #[test]
    fn the_boot_clock_counts_forward_from_boot() {
        let first = boot_seconds();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = boot_seconds();
        assert!(first > 0.0);
        assert!(second - first >= 0.019, "{first} then {second}");
    }
}
