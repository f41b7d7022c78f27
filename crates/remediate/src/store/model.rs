//! What the store keeps: a service's state between passes, pipeline runs and their steps,
//! and the history entries read back from them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use triage_core::State;

/// Where a service stands between passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
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

impl ServiceStatus {
    /// Every status, in declaration order.
    pub const ALL: [ServiceStatus; 8] = [
        ServiceStatus::Unknown,
        ServiceStatus::Healthy,
        ServiceStatus::Failing,
        ServiceStatus::Remediating,
        ServiceStatus::Grace,
        ServiceStatus::Exhausted,
        ServiceStatus::Disabled,
        ServiceStatus::Maintenance,
    ];

    /// The lower-case name stored in the database and shown by `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Unknown => "unknown",
            ServiceStatus::Healthy => "healthy",
            ServiceStatus::Failing => "failing",
            ServiceStatus::Remediating => "remediating",
            ServiceStatus::Grace => "grace",
            ServiceStatus::Exhausted => "exhausted",
            ServiceStatus::Disabled => "disabled",
            ServiceStatus::Maintenance => "maintenance",
        }
    }
}

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
        ServiceStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| ServiceStatusParseError(text.to_owned()))
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
    pub pid: Option<i32>,
    /// That PID's start time in clock ticks since boot.
    pub pid_start_ticks: Option<u64>,
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
            problem_since: None,
            problem_run: None,
            runs_total: 0,
            failed_runs_total: 0,
        }
    }
}

/// Who or what made a decision: the audit log's `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `remediate check`, from cron or a timer.
    Cron,
    /// `remediate watch`.
    Watch,
    /// `remediate event` in Nagios's positional form.
    Nagios,
    /// `remediate event` in Icinga 2's `-s -t -a` form.
    Icinga,
    /// A person: `run`, `on`, `off`, `maint`...
    Cli,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 5] = [
        Source::Cron,
        Source::Watch,
        Source::Nagios,
        Source::Icinga,
        Source::Cli,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cron => "cron",
            Source::Watch => "watch",
            Source::Nagios => "nagios",
            Source::Icinga => "icinga",
            Source::Cli => "cli",
        }
    }

    /// The source named `word`.
    pub fn parse(word: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decision for the audit log: what was seen, from where, and what was done.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// The service.
    pub service: String,
    /// When.
    pub at: f64,
    /// Who asked.
    pub source: Source,
    /// The state it was about, if any.
    #[serde(serialize_with = "option_state_label")]
    pub state: Option<State>,
    /// SOFT or HARD, for events.
    pub state_type: Option<String>,
    /// The monitoring core's attempt number, for events.
    pub attempt: Option<u32>,
    /// What was decided, in words.
    pub decision: String,
    /// The run it started or refers to.
    pub run: Option<i64>,
}

/// A maintenance window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Maintenance {
    /// The service.
    pub service: String,
    /// When it began.
    pub started: f64,
    /// When it ends by itself.
    pub until: f64,
    /// When it was ended by hand, if it was.
    pub ended: Option<f64>,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub by: String,
}

/// How one step of a pipeline ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Done, exit code 0.
    Ok,
    /// Ran and failed.
    Failed,
    /// Killed at its timeout.
    TimedOut,
    /// Not run (dry run, or an earlier step aborted the pipeline).
    Skipped,
}

impl StepOutcome {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "failed",
            StepOutcome::TimedOut => "timed_out",
            StepOutcome::Skipped => "skipped",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<StepOutcome> {
        [
            StepOutcome::Ok,
            StepOutcome::Failed,
            StepOutcome::TimedOut,
            StepOutcome::Skipped,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == name)
    }
}

/// One step of a pipeline, as it ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepRecord {
    /// Position in the pipeline, from 0.
    pub index: u32,
    /// The step: `kill`, `start`, `container_restart` or a command name.
    pub action: String,
    /// When it started.
    pub started: f64,
    /// How long it ran, in seconds.
    pub duration: f64,
    /// Exit code, when it ran as a process and exited.
    pub exit_code: Option<i32>,
    /// How it ended.
    pub outcome: StepOutcome,
    /// The end of its output (at most 4 KiB are kept).
    pub output_tail: String,
    /// Why it ended that way, in words (e.g. why a kill was refused).
    pub note: String,
}

/// How a pipeline run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every step that had to succeed did.
    Succeeded,
    /// A step failed and the service is still down.
    Failed,
    /// Stopped by a step with `on_failure = abort`, or by a signal.
    Aborted,
    /// Nothing was executed: the steps were only listed.
    DryRun,
    /// Its process died mid-way; set by [`Store::open`](super::Store::open) only.
    Interrupted,
}

impl RunOutcome {
    /// The name stored in the database (`running` is the state before any outcome).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Aborted => "aborted",
            RunOutcome::DryRun => "dry_run",
            RunOutcome::Interrupted => "interrupted",
        }
    }
}

/// A run found by [`Store::open`](super::Store::open) whose process had died.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: i64,
    /// Service it was recovering.
    pub service: String,
    /// When it started.
    pub started: f64,
    /// Why it was started.
    pub reason: String,
}

/// One line of `remediate history`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryEntry {
    /// A check whose state differs from the service's previous check.
    Check {
        /// Service checked.
        service: String,
        /// When.
        at: f64,
        /// The new state.
        #[serde(serialize_with = "state_label")]
        state: State,
        /// The check's summary line.
        summary: String,
    },
    /// A pipeline run with its steps.
    Run {
        /// Run id.
        id: i64,
        /// Service recovered.
        service: String,
        /// When it started.
        started: f64,
        /// When it ended (for an interrupted run: its last sign of life).
        finished: Option<f64>,
        /// `running`, or a [`RunOutcome`] name.
        outcome: String,
        /// Why it was started.
        reason: String,
        /// Steps only listed, not executed.
        dry_run: bool,
        /// Who started it.
        source: String,
        /// Steps in order.
        steps: Vec<StepRecord>,
    },
    /// A decision (an event handler's, or a pass's that acted or refused to).
    Decision {
        /// The decision.
        #[serde(flatten)]
        decision: Decision,
    },
    /// A maintenance window began.
    MaintenanceStarted {
        /// The window.
        #[serde(flatten)]
        window: Maintenance,
    },
    /// A maintenance window ended, by hand or by itself.
    MaintenanceEnded {
        /// The service.
        service: String,
        /// When.
        at: f64,
        /// It reached its end time rather than being ended by hand.
        expired: bool,
    },
    /// A service switched on or off.
    Toggle {
        /// Service switched.
        service: String,
        /// When.
        at: f64,
        /// On or off.
        enabled: bool,
    },
}

impl HistoryEntry {
    /// The time it is listed at: a check's or toggle's time, a run's start.
    pub fn at(&self) -> f64 {
        match self {
            HistoryEntry::Check { at, .. }
            | HistoryEntry::Toggle { at, .. }
            | HistoryEntry::MaintenanceEnded { at, .. } => *at,
            HistoryEntry::Run { started, .. } => *started,
            HistoryEntry::Decision { decision } => decision.at,
            HistoryEntry::MaintenanceStarted { window } => window.started,
        }
    }

    /// The service it is about.
    pub fn service(&self) -> &str {
        match self {
            HistoryEntry::Check { service, .. }
            | HistoryEntry::Run { service, .. }
            | HistoryEntry::Toggle { service, .. }
            | HistoryEntry::MaintenanceEnded { service, .. } => service,
            HistoryEntry::Decision { decision } => &decision.service,
            HistoryEntry::MaintenanceStarted { window } => &window.service,
        }
    }
}

fn state_label<S: Serializer>(state: &State, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.label())
}

fn option_state_label<S: Serializer>(
    state: &Option<State>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match state {
        Some(state) => serializer.serialize_str(state.label()),
        None => serializer.serialize_none(),
    }
}

/// The state with exit code `code`, as stored in the database.
pub(super) fn state_from_code(code: i64) -> Option<State> {
    [State::Ok, State::Warning, State::Critical, State::Unknown]
        .into_iter()
        .find(|state| i64::from(state.code()) == code)
}
