//! Orchestration: a pass over the services (`pass`: `check`, each turn of `watch`), a
//! pipeline run (`run`: `run`, `on`/`off`, a pass's due services, an event handler's
//! detached child), and an event handler's decision (`event`). Each checks through a
//! [`Prober`], judges with `decide`, acts through [`Actions`], tells the [`Teller`],
//! records in the store, and returns what happened as data; `app` renders it.

mod event;
mod pass;
mod run;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use triage_core::State;

use crate::act::{Actions, StepReport};
use crate::config::Config;
use crate::decide::Verdict;
use crate::model::{RunId, RunOutcome};
use crate::notify::Teller;
use crate::probe::Prober;
use crate::stop::Stop;
use crate::store::Store;

pub use event::{Event, EventHandled, handle_event};
pub use pass::check_pass;
pub use run::{ContinueError, continue_run, run_now, switch};

/// What the engine works with: the configuration and the host, as seen through the
/// probe and the actions (the real ones, or a test's).
pub struct Engine<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// How services are checked (shared with the check threads a stop may abandon).
    pub prober: Arc<dyn Prober>,
    /// How services are acted on.
    pub actions: Box<dyn Actions + 'a>,
    /// Where notices go.
    pub teller: &'a Teller,
    /// Asked to stop?
    pub stop: &'a Stop,
}

/// The store as a pass's pipelines share it: one connection, short writes in turn.
pub type SharedStore<'s> = Mutex<&'s mut Store>;

/// What a pass saw and did for one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    /// The service.
    pub service: String,
    /// Its check's state and summary (None when it was not checked).
    pub check: Option<(State, String)>,
    /// What was decided.
    pub verdict: Option<Verdict>,
    /// The pipeline run, when one ran.
    pub run: Option<RunReport>,
    /// Why it was not checked (or its pipeline did not run), if so.
    pub skipped: Option<Skipped>,
}

impl ServiceReport {
    /// Whether someone should look: its pipeline failed, or it is failing, out of budget,
    /// held back by a dependency or by the backoff.
    pub fn needs_attention(&self) -> bool {
        let failed_run = self
            .run
            .as_ref()
            .is_some_and(|r| r.outcome != RunOutcome::Succeeded);
        failed_run
            || matches!(
                self.verdict,
                Some(
                    Verdict::Failing { .. }
                        | Verdict::Refused { .. }
                        | Verdict::Exhausted { .. }
                        | Verdict::DependencyDown { .. }
                        | Verdict::Backoff { .. }
                )
            )
    }

    /// Whether something happened worth a line even when all is well.
    pub fn changed(&self) -> bool {
        self.run.is_some()
            || matches!(
                self.verdict,
                Some(Verdict::Healthy { recovered: true } | Verdict::Remediate { .. })
            )
    }
}

/// Why a service was not checked, or its due pipeline did not run.
#[derive(Debug, Clone, PartialEq)]
pub enum Skipped {
    /// Switched off.
    Disabled,
    /// Another remediate holds its lock: it is running the pipeline.
    LockBusy,
    /// Its lock could not be taken, and why.
    LockFailed(String),
    /// The wall clock stepped by this many seconds since the last pass (or during this
    /// one): the check is recorded, no verdict taken.
    ClockStep(f64),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::Disabled => write!(f, "disabled"),
            Skipped::LockBusy => write!(f, "pipeline not run: another remediate is running it"),
            Skipped::LockFailed(why) => write!(f, "pipeline not run: {why}"),
            Skipped::ClockStep(step) => write!(
                f,
                "no verdict: the wall clock stepped {step:+.0}s since the last pass"
            ),
        }
    }
}

/// A pipeline run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Its id in the store.
    pub id: RunId,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Its steps.
    pub steps: Vec<StepReport>,
}

/// One pass's result; `abandoned` when a stop request ended it before its decisions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassReport {
    /// One report per configured service, in dependency order.
    pub services: Vec<ServiceReport>,
    /// Stopped while checking: nothing was recorded.
    pub abandoned: bool,
    /// The wall-clock step this pass saw, if any: it judged nothing.
    pub clock_step: Option<f64>,
    /// The wall clock's lead over the steady clock after the checks, for the next pass.
    pub wall_offset: f64,
}
