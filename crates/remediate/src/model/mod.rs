//! What remediate knows and says, as plain values: a service's state between passes,
//! runs and their steps, the audit log's entries, times, and the words for each
//! (`Display`). Depends on nothing in remediate: every other module may use it.

mod audit;
mod labels;
mod run;
mod service;
mod status_file;
mod time;

pub use audit::{
    Decision, HistoryEntry, LOSS_SHOWN_FOR, Loss, Maintenance, PassRecord, Snapshot, Source,
    StateType, StateTypeParseError,
};
pub use labels::state_from_code;
pub use run::{
    RunOutcome, RunProgress, RunReason, RunSummary, StepOutcome, StepRecord, StoppedBefore,
};
pub use service::{ServiceState, ServiceStatus, ServiceStatusParseError};
pub use status_file::{StatusEntry, StatusFile, status_file_path};
pub use time::{
    Anchor, CLOCK_STEP_TOLERANCE, Time, adopt_anchor, anchor, clock_step, now, to_wall, wall_now,
    wall_offset,
};

/// A pipeline run's id in the store.
pub type RunId = i64;
