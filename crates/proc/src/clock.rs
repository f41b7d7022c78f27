//! The clocks `ps` derives elapsed time and %CPU from.

use std::path::Path;

use crate::ProcError;
use crate::stat::ProcessStat;

/// Seconds since boot and the kernel's tick rate, read once per scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// First field of `/proc/uptime`.
    pub uptime_s: f64,
    /// `sysconf(_SC_CLK_TCK)`, the unit of the stat file's times.
    pub ticks_per_s: u64,
}

impl Clock {
    /// Reads the uptime of the procfs at `proc_root`.
    pub fn read(proc_root: &Path) -> Result<Clock, ProcError> {
        let path = proc_root.join("uptime");
        let text = std::fs::read_to_string(&path).map_err(|source| ProcError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let uptime_s = text
            .split_ascii_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ProcError::Io {
                path: path.display().to_string(),
                source: std::io::ErrorKind::InvalidData.into(),
            })?;
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Ok(Clock {
            uptime_s,
            ticks_per_s: u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100),
        })
    }

    /// Whole seconds since the process started, as `ps -o etime` counts them.
    pub fn elapsed_s(&self, stat: &ProcessStat) -> u64 {
        let started = stat.start_ticks as f64 / self.ticks_per_s as f64;
        (self.uptime_s - started).max(0.0) as u64
    }

    /// `ps -o pcpu`: CPU time over lifetime, truncated to tenths of a percent exactly as
    /// procps computes it, so `-P` and `-m CPU` count the same processes as the C plugin.
    pub fn lifetime_cpu_percent(&self, stat: &ProcessStat) -> f64 {
        let elapsed = self.elapsed_s(stat);
        if elapsed == 0 {
            return 0.0;
        }
        let tenths = stat.cpu_ticks() * 1000 / self.ticks_per_s / elapsed;
        tenths as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(start_ticks: u64, utime: u64, stime: u64) -> ProcessStat {
        ProcessStat {
            start_ticks,
            utime,
            stime,
            ..ProcessStat::default()
        }
    }

    #[test]
    fn cpu_percent_is_truncated_to_tenths_like_ps() {
        let clock = Clock {
            uptime_s: 1000.9,
            ticks_per_s: 100,
        };
        // Started at 900 s: 100 s old (the .9 is dropped, as ps does).
        assert_eq!(clock.elapsed_s(&stat(90_000, 0, 0)), 100);
        // 1.234 s of CPU in 100 s = 1.234 % -> 1.2.
        assert_eq!(clock.lifetime_cpu_percent(&stat(90_000, 100, 23)), 1.2);
        // Younger than a second: 0, never a division by zero.
        assert_eq!(clock.lifetime_cpu_percent(&stat(100_050, 50, 0)), 0.0);
        // Busy on two cores for its whole life.
        assert_eq!(
            clock.lifetime_cpu_percent(&stat(90_000, 15_000, 5_000)),
            200.0
        );
    }
}
