//! CPU and memory use from stats samples, computed the way `docker stats` shows them.

use crate::model::{Stats, unix_time};

/// Memory in use and the limit it counts against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryUse {
    /// Bytes in use, reclaimable page cache excluded.
    pub used: u64,
    /// The limit (the host's memory when the container has none).
    pub limit: u64,
}

impl MemoryUse {
    /// `used` as a percentage of `limit` (0 when there is no limit to speak of).
    pub fn percent(&self) -> f64 {
        match self.limit {
            0 => 0.0,
            limit => self.used as f64 / limit as f64 * 100.0,
        }
    }
}

/// Memory in use as the docker CLI computes it: usage minus inactive file cache
/// (`total_inactive_file` on cgroup v1, `inactive_file` on v2), which the kernel can
/// reclaim at once. `None` when the sample has no memory figures (a stopped container).
pub fn memory_use(stats: &Stats) -> Option<MemoryUse> {
    let memory = &stats.memory_stats;
    if memory.usage == 0 && memory.limit == 0 {
        return None;
    }
    let inactive = ["total_inactive_file", "inactive_file"]
        .iter()
        .find_map(|key| memory.stats.get(*key).copied())
        .filter(|&inactive| inactive < memory.usage)
        .unwrap_or(0);
    Some(MemoryUse {
        used: memory.usage - inactive,
        limit: memory.limit,
    })
}

/// CPU use in percent of one CPU (so up to 100 x CPUs), from a sample the daemon paired
/// with its previous one (`stream=false` without `one-shot` on Docker). `None` when the
/// sample has no usable previous reading (one-shot, Podman, a first sample).
pub fn cpu_percent_from_sample(stats: &Stats) -> Option<f64> {
    let now = &stats.cpu_stats;
    let before = &stats.precpu_stats;
    if unix_time(&stats.preread).is_none() || before.system_cpu_usage == 0 {
        return None;
    }
    let system_delta = now.system_cpu_usage.checked_sub(before.system_cpu_usage)?;
    let cpu_delta = now
        .cpu_usage
        .total_usage
        .saturating_sub(before.cpu_usage.total_usage);
    if system_delta == 0 {
        return None;
    }
    let cpus = match now.online_cpus {
        0 => now.cpu_usage.percpu_usage.len().max(1) as f64,
        n => f64::from(n),
    };
    Some(cpu_delta as f64 / system_delta as f64 * cpus * 100.0)
}

/// CPU use in percent of one CPU between two samples we took ourselves: CPU time used
/// over wall time passed. This is what works on Podman, whose `system_cpu_usage` does
/// not fit Docker's formula. `None` when the samples have no usable read times.
pub fn cpu_percent_between(first: &Stats, second: &Stats) -> Option<f64> {
    let elapsed = unix_time(&second.read)? - unix_time(&first.read)?;
    if elapsed <= 0.0 {
        return None;
    }
    let used = second
        .cpu_stats
        .cpu_usage
        .total_usage
        .saturating_sub(first.cpu_stats.cpu_usage.total_usage);
    Some(used as f64 / (elapsed * 1e9) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Stats {
        let raw = std::fs::read_to_string(format!(
            "{}/../../../shared/fixtures/docker-api/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
        .replace("\r\n", "\n");
        let body = raw.split_once("\n\n").expect("head and body").1;
        serde_json::from_str(body).expect("stats json")
    }

    #[test]
    fn docker_cpu_matches_the_cli_formula_on_the_recorded_busy_loop() {
        // --cpus 0.5 busy loop on 2 CPUs: 512,505,804 / 2,040,000,000 x 2 x 100.
        let stats = fixture("docker-20.10.24/stats_c_cpu.http");
        let percent = cpu_percent_from_sample(&stats).expect("paired sample");
        assert!((percent - 50.245).abs() < 0.01, "{percent}");
    }

    #[test]
    fn one_shot_and_podman_samples_have_no_daemon_delta() {
        assert_eq!(
            cpu_percent_from_sample(&fixture("docker-20.10.24/stats_c_cpu_oneshot.http")),
            None
        );
        assert_eq!(
            cpu_percent_from_sample(&fixture("podman-4.3.1-compat/stats_p_cpu.http")),
            None
        );
    }

    #[test]
    fn cgroup_v2_samples_use_inactive_file_and_online_cpus() {
        // The v2 shape (swagger): no total_* keys, no percpu_usage.
        let stats: Stats = serde_json::from_str(
            r#"{"read":"2026-11-22T12:00:01Z","preread":"2026-11-22T12:00:00Z",
                "cpu_stats":{"cpu_usage":{"total_usage":3000000000},"system_cpu_usage":14000000000,"online_cpus":4},
                "precpu_stats":{"cpu_usage":{"total_usage":2000000000},"system_cpu_usage":10000000000,"online_cpus":4},
                "memory_stats":{"usage":300,"limit":1000,"stats":{"anon":100,"file":200,"inactive_file":120}}}"#,
        )
        .expect("v2 stats");
        assert_eq!(cpu_percent_from_sample(&stats), Some(100.0));
        let memory = memory_use(&stats).expect("memory");
        assert_eq!((memory.used, memory.limit), (180, 1000));
        assert_eq!(memory.percent(), 18.0);
    }

    #[test]
    fn two_samples_give_cpu_time_over_wall_time() {
        let mut first = Stats {
            read: "2026-11-22T12:00:00Z".into(),
            ..Stats::default()
        };
        first.cpu_stats.cpu_usage.total_usage = 1_000_000_000;
        let mut second = first.clone();
        second.read = "2026-11-22T12:00:02Z".into();
        second.cpu_stats.cpu_usage.total_usage = 2_000_000_000;
        assert_eq!(cpu_percent_between(&first, &second), Some(50.0));
        assert_eq!(cpu_percent_between(&second, &first), None);
    }

    #[test]
    fn memory_excludes_inactive_file_cache_like_docker_stats() {
        let stats = fixture("docker-20.10.24/stats_c_healthy.http");
        let memory = memory_use(&stats).expect("memory");
        let inactive = stats.memory_stats.stats["total_inactive_file"];
        assert_eq!(memory.used, stats.memory_stats.usage - inactive);
        assert_eq!(memory.limit, stats.memory_stats.limit);
        // Podman has no breakdown: usage as it is.
        let podman = fixture("podman-4.3.1-compat/stats_p_cpu.http");
        assert_eq!(
            memory_use(&podman).expect("memory").used,
            podman.memory_stats.usage
        );
        // A stopped container has no memory figures.
        assert_eq!(
            memory_use(&fixture("docker-20.10.24/stats_c_exited.http")),
            None
        );
    }
}
