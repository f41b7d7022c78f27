//! The audit log's entries: decisions with their source, maintenance windows, the
//! passes' bookkeeping, and the history read back from them.

use std::fmt;

use serde::Serialize;
use triage_core::State;

use super::RunId;
use super::labels::{option_state_label, state_label, stored_names};
use super::run::{RunProgress, StepRecord};

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

stored_names!(Source {
    Cron => "cron",
    Watch => "watch",
    Nagios => "nagios",
    Icinga => "icinga",
    Cli => "cli",
});

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A monitoring core's state type: SOFT while it is still retrying, HARD once confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StateType {
    /// Still being retried (`$SERVICESTATETYPE$` SOFT, Icinga's 0).
    Soft,
    /// Confirmed (`$SERVICESTATETYPE$` HARD, Icinga's 1).
    Hard,
}

stored_names!(StateType {
    Soft => "SOFT",
    Hard => "HARD",
});

impl fmt::Display for StateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that is not SOFT, HARD, 0 or 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not SOFT or HARD")]
pub struct StateTypeParseError(pub String);

impl std::str::FromStr for StateType {
    type Err = StateTypeParseError;

    /// SOFT or HARD in any case, or Icinga's 0 and 1.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "HARD" | "1" => Ok(StateType::Hard),
            "SOFT" | "0" => Ok(StateType::Soft),
            _ => Err(StateTypeParseError(text.to_owned())),
        }
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
    pub state_type: Option<StateType>,
    /// The monitoring core's attempt number, for events.
    pub attempt: Option<u32>,
    /// What was decided, in words.
    pub decision: String,
    /// The run it started or refers to.
    pub run: Option<RunId>,
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

/// The bookkeeping of passes: how many, the last one's start, end and result.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PassRecord {
    /// Passes ever finished.
    pub passes: u64,
    /// When the last pass started.
    pub last_started: Option<f64>,
    /// When it ended.
    pub last_finished: Option<f64>,
    /// Whether every service was fine after it.
    pub last_ok: Option<bool>,
}

/// What the store knows of the configured services at one moment: each one's state (in
/// the configuration's order), the open maintenance windows and the passes' record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Each configured service and its state (the defaults for one never seen).
    pub services: Vec<(String, super::ServiceState)>,
    /// The maintenance windows open then.
    pub windows: Vec<Maintenance>,
    /// The passes' bookkeeping.
    pub record: PassRecord,
    /// State lost lately (said for [`LOSS_SHOWN_FOR`] seconds).
    pub losses: Vec<Loss>,
    /// Why the record is kept in memory instead of the database, while it is.
    pub degraded: Option<String>,
}

/// How long the self-check says a loss of state: a day, so every shift sees it.
pub const LOSS_SHOWN_FOR: f64 = 86_400.0;

/// State that was lost: when, and how it came to be.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Loss {
    /// When it was found.
    pub at: f64,
    /// What happened, in words.
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
        id: RunId,
        /// Service recovered.
        service: String,
        /// When it started.
        started: f64,
        /// When it ended (for an interrupted run: its last sign of life).
        finished: Option<f64>,
        /// Running, or how it ended.
        outcome: RunProgress,
        /// Why it was started.
        reason: String,
        /// Steps only listed, not executed.
        dry_run: bool,
        /// Who started it.
        source: Source,
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
