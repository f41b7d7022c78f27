//! A service between passes: where it stands and what remediate remembers of it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use triage_core::State;

use super::labels::{option_state_label, stored_names};

/// Where a service stands between passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Never checked.
    #[default]
    Unknown,
    /// The last check passed.
    Healthy,
    /// Failing, not yet acted on.
    Failing,
    /// A recovery pipeline is running.
    Remediating,
    /// After a pipeline, until `start_grace` passes: no verdict yet.
    Grace,
    /// The budget is spent: no more action until the cooldown ends.
    Exhausted,
    /// Switched off: not checked.
    Disabled,
    /// In a maintenance window: checked, never acted on.
    Maintenance,
}

stored_names!(ServiceStatus {
    Unknown => "unknown",
    Healthy => "healthy",
    Failing => "failing",
    Remediating => "remediating",
    Grace => "grace",
    Exhausted => "exhausted",
    Disabled => "disabled",
    Maintenance => "maintenance",
});

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the service statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a service status: {0:?}")]
pub struct ServiceStatusParseError(pub String);

impl FromStr for ServiceStatus {
    type Err = ServiceStatusParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ServiceStatus::from_name(text).ok_or_else(|| ServiceStatusParseError(text.to_owned()))
    }
}

/// What the engine remembers about one service between passes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceState {
    /// Off means not checked (default on).
    pub enabled: bool,
    /// Where the service stands.
    pub status: ServiceStatus,
    /// Failures in a row since the last success or pipeline start.
    pub consecutive_failures: u32,
    /// State of the last check.
    #[serde(serialize_with = "option_state_label")]
    pub last_state: Option<State>,
    /// Summary line of the last check.
    pub last_summary: Option<String>,
    /// When the last check ran.
    pub last_check: Option<f64>,
    /// Start of the last pipeline.
    pub last_run: Option<f64>,
    /// No verdict before this time (after a pipeline).
    pub grace_until: Option<f64>,
    /// End of the cooldown after the budget was spent.
    pub exhausted_until: Option<f64>,
    /// Start times of pipelines within the budget window (the engine prunes it).
    pub recent_runs: Vec<f64>,
    /// PID recorded by the `start` step.
    pub pid: Option<i64>,
    /// That PID's start time in clock ticks since boot.
    pub pid_start_ticks: Option<u64>,
    /// The cgroup the `start` step put it in, where one could be made.
    pub cgroup: Option<String>,
    /// Since when the service is confirmed down (DOWN was sent); None while healthy.
    pub problem_since: Option<f64>,
    /// The run an event handler started for the current problem (once per problem).
    pub problem_run: Option<i64>,
    /// Pipelines ever started (not dry runs); only grows, whatever is pruned.
    pub runs_total: u64,
    /// Pipelines that failed, were aborted or interrupted; only grows.
    pub failed_runs_total: u64,
}

impl Default for ServiceState {
    fn default() -> Self {
        ServiceState {
            enabled: true,
            status: ServiceStatus::Unknown,
            consecutive_failures: 0,
            last_state: None,
            last_summary: None,
            last_check: None,
            last_run: None,
            grace_until: None,
            exhausted_until: None,
            recent_runs: Vec::new(),
            pid: None,
            pid_start_ticks: None,
            cgroup: None,
            problem_since: None,
            problem_run: None,
            runs_total: 0,
            failed_runs_total: 0,
        }
    }
}
