//! The parts of the Engine API's answers the checks read. Every field defaults, because
//! Docker versions and Podman each leave out or null different ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// `null` reads as the type's default (Podman sends `"Log": null`, `"Labels": null`).
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Labels, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// A container as `GET /containers/json` lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerSummary {
    /// The full 64-hex-digit id.
    pub id: String,
    /// Names, each with Docker's leading `/`; see [`ContainerSummary::name`].
    #[serde(deserialize_with = "null_default")]
    pub names: Vec<String>,
    /// The image as given when it was created.
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub state: String,
    /// Human text such as `Up 32 seconds (healthy)`.
    pub status: String,
    /// Its labels.
    #[serde(deserialize_with = "null_default")]
    pub labels: Labels,
}

impl ContainerSummary {
    /// Its first name without the leading `/`, else the short id.
    pub fn name(&self) -> &str {
        self.names
            .first()
            .map(|n| n.trim_start_matches('/'))
            .unwrap_or_else(|| short_id(&self.id))
    }

    /// All its names without the leading `/`.
    pub fn plain_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| n.trim_start_matches('/'))
    }
}

/// The first 12 characters of an id, as `docker ps` shows it.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// `GET /containers/{id}/json`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerInspect {
    /// The full id.
    pub id: String,
    /// `/name` (Docker) or `name` (some Podman answers).
    pub name: String,
    /// Restarts made by the restart policy since the container was last started by hand
    /// or the daemon restarted (both reset it).
    pub restart_count: u64,
    /// Run state.
    pub state: ContainerState,
    /// Creation-time configuration.
    pub config: ContainerConfig,
    /// Resource limits and the restart policy.
    pub host_config: HostConfig,
}

impl ContainerInspect {
    /// The name without the leading `/`.
    pub fn plain_name(&self) -> &str {
        self.name.trim_start_matches('/')
    }
}

/// `State` of an inspect answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerState {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub status: String,
    /// True while running, paused or restarting.
    pub running: bool,
    /// Frozen.
    pub paused: bool,
    /// Between restarts.
    pub restarting: bool,
    /// The OOM killer hit it since it last started (Podman never sets it).
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Dead (removal failed half-way).
    pub dead: bool,
    /// Main process id on the host, 0 when not running.
    pub pid: i64,
    /// The last exit code.
    pub exit_code: i64,
    /// An error the engine recorded (e.g. a failed start).
    pub error: String,
    /// RFC 3339; `0001-01-01T00:00:00Z` when never started.
    pub started_at: String,
    /// RFC 3339; `0001-01-01T00:00:00Z` when never finished.
    pub finished_at: String,
    /// The healthcheck's state; absent (Docker) or with an empty status (Podman) when
    /// the container has none.
    pub health: Option<Health>,
}

/// `State.Health`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Health {
    /// `starting`, `healthy`, `unhealthy`, or `none`/empty for no healthcheck.
    pub status: String,
    /// Consecutive failed probes.
    pub failing_streak: u64,
    /// The last few probes, oldest first (kept across restarts).
    #[serde(deserialize_with = "null_default")]
    pub log: Vec<HealthProbe>,
}

/// One healthcheck probe.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HealthProbe {
    /// When it started (RFC 3339).
    pub start: String,
    /// When it ended (RFC 3339).
    pub end: String,
    /// 0 passed, 1 failed, other values are engine errors.
    pub exit_code: i64,
    /// What the probe printed (truncated by the engine to 4 KiB).
    pub output: String,
}

/// `Config` of an inspect answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerConfig {
    /// The image as given.
    pub image: String,
    /// Labels.
    #[serde(deserialize_with = "null_default")]
    pub labels: Labels,
    /// The healthcheck, if one was configured.
    pub healthcheck: Option<Healthcheck>,
}

/// `Config.Healthcheck`; durations in nanoseconds, 0 meaning the engine's default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Healthcheck {
    /// `["CMD-SHELL", "..."]`, `["CMD", ...]` or `["NONE"]`.
    #[serde(deserialize_with = "null_default")]
    pub test: Vec<String>,
    /// Between probes.
    pub interval: i64,
    /// Per probe.
    pub timeout: i64,
    /// Failures during this time after start do not count.
    pub start_period: i64,
    /// Failures in a row before unhealthy.
    pub retries: i64,
}

/// `HostConfig` of an inspect answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    /// The restart policy.
    pub restart_policy: RestartPolicy,
    /// Memory limit in bytes, 0 for none.
    pub memory: i64,
    /// CPU limit in billionths of a CPU, 0 for none.
    pub nano_cpus: i64,
    /// CFS quota in microseconds per period, 0 for none.
    pub cpu_quota: i64,
    /// CFS period in microseconds (default 100000).
    pub cpu_period: i64,
}

/// `HostConfig.RestartPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    /// `no`, `always`, `unless-stopped` or `on-failure` (empty means `no`).
    pub name: String,
    /// The `on-failure` limit.
    pub maximum_retry_count: i64,
}

/// `GET /containers/{id}/stats?stream=false`: one sample.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// When the sample was read (RFC 3339; the Go zero time for a stopped container).
    pub read: String,
    /// When the previous sample was read (the Go zero time with `one-shot` and on Podman).
    pub preread: String,
    /// CPU counters now.
    pub cpu_stats: CpuStats,
    /// CPU counters at `preread`.
    pub precpu_stats: CpuStats,
    /// Memory counters (empty for a stopped container).
    pub memory_stats: MemoryStats,
}

/// CPU counters of a sample.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuStats {
    /// The container's CPU time.
    pub cpu_usage: CpuUsage,
    /// The host's CPU time over all CPUs, in ns (Podman: not usable).
    pub system_cpu_usage: u64,
    /// CPUs online (0 on old engines: count `percpu_usage` instead).
    pub online_cpus: u32,
    /// Podman's own CPU percentage.
    pub cpu: Option<f64>,
}

/// `cpu_stats.cpu_usage`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuUsage {
    /// Total CPU time in ns.
    pub total_usage: u64,
    /// Per-CPU time in ns (cgroup v1 only).
    #[serde(deserialize_with = "null_default")]
    pub percpu_usage: Vec<u64>,
}

/// `memory_stats` of a sample.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MemoryStats {
    /// Bytes charged to the container, page cache included.
    pub usage: u64,
    /// The limit in bytes (the host's memory when unlimited).
    pub limit: u64,
    /// cgroup counters: `total_inactive_file` (v1), `inactive_file` (v2), ...
    #[serde(deserialize_with = "null_default")]
    pub stats: BTreeMap<String, u64>,
}

/// Seconds since the epoch of an engine timestamp; `None` for the Go zero time
/// (`0001-01-01T00:00:00Z`, "never") and for text that is not RFC 3339.
pub fn unix_time(text: &str) -> Option<f64> {
    let time = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let seconds = time.timestamp();
    // Anything before 1971 is the zero time or garbage, never a real container event.
    (seconds > 365 * 86_400)
        .then(|| seconds as f64 + f64::from(time.timestamp_subsec_nanos()) / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_read_to_the_nanosecond_and_zero_time_is_none() {
        assert_eq!(unix_time("2026-11-22T12:28:59.5Z"), Some(1_795_350_539.5));
        assert_eq!(unix_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(unix_time(""), None);
        assert_eq!(unix_time("yesterday"), None);
    }

    #[test]
    fn podman_nulls_read_as_empty() {
        let state: ContainerState = serde_json::from_str(
            r#"{"Status":"running","Health":{"Status":"","FailingStreak":0,"Log":null}}"#,
        )
        .expect("json");
        assert_eq!(state.health.expect("health").log.len(), 0);
        let summary: ContainerSummary =
            serde_json::from_str(r#"{"Id":"abc","Names":null,"Labels":null}"#).expect("json");
        assert_eq!(summary.name(), "abc");
    }
}
