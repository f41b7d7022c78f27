//! Pipeline runs and their steps: how each ended.

use std::fmt;

use serde::{Serialize, Serializer};

use triage_core::State;

use super::labels::stored_names;
use super::{RunId, Source, StateType};

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

stored_names!(StepOutcome {
    Ok => "ok",
    Failed => "failed",
    TimedOut => "timed_out",
    Skipped => "skipped",
});

impl StepOutcome {
    /// Whether the step did not do its job (and so its `on_failure` applies).
    pub fn is_failure(self) -> bool {
        matches!(self, StepOutcome::Failed | StepOutcome::TimedOut)
    }
}

/// `ok`, `failed`, `timed out` or `skipped`: the words in a pass's line and a webhook.
impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "failed",
            StepOutcome::TimedOut => "timed out",
            StepOutcome::Skipped => "skipped",
        })
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
    /// Its process died mid-way; set by the store when it opens, only.
    Interrupted,
}

stored_names!(RunOutcome {
    Succeeded => "succeeded",
    Failed => "failed",
    Aborted => "aborted",
    DryRun => "dry_run",
    Interrupted => "interrupted",
});

impl RunOutcome {
    /// Whether the run did its job (a dry run counts: it did what was asked).
    pub fn is_success(self) -> bool {
        matches!(self, RunOutcome::Succeeded | RunOutcome::DryRun)
    }
}

/// `succeeded`, `finished with failed steps`, `aborted`, `dry run` or `interrupted`.
impl fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "finished with failed steps",
            RunOutcome::Aborted => "aborted",
            RunOutcome::DryRun => "dry run",
            RunOutcome::Interrupted => "interrupted",
        })
    }
}

/// Where a run is: still running, or ended with an outcome. Stored and shown by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunProgress {
    /// Begun, not ended (or its process died and nobody has looked yet).
    Running,
    /// Ended.
    Ended(RunOutcome),
}

impl RunProgress {
    /// `running`, or the outcome's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunProgress::Running => "running",
            RunProgress::Ended(outcome) => outcome.as_str(),
        }
    }

    /// The progress stored as `name`.
    pub fn from_name(name: &str) -> Option<RunProgress> {
        match name {
            "running" => Some(RunProgress::Running),
            other => RunOutcome::from_name(other).map(RunProgress::Ended),
        }
    }
}

/// The stored name, as `history` shows it.
impl fmt::Display for RunProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RunProgress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A run found by [`Store::open`](super::Store::open) whose process had died.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: RunId,
    /// Service it was recovering.
    pub service: String,
    /// When it started.
    pub started: f64,
    /// Why it was started.
    pub reason: String,
}

/// Why a pipeline run began, as its record says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunReason<'a> {
    /// A pass found the service failing `failures` checks in a row.
    Failing {
        /// The check's state.
        state: State,
        /// Failures in a row that triggered it.
        failures: u32,
        /// The check's summary.
        summary: &'a str,
    },
    /// A monitoring core's event handler.
    Event {
        /// The state it told.
        state: State,
        /// SOFT or HARD.
        state_type: StateType,
        /// Its attempt.
        attempt: u32,
        /// Which core.
        source: Source,
        /// The plugin output it passed, if any.
        output: Option<&'a str>,
    },
    /// `remediate run` or `restart`.
    ByHand,
    /// `remediate on` or `off`.
    Switched {
        /// On, else off.
        on: bool,
    },
}

/// `CRITICAL for 2 checks in a row: heartbeat 400s old`,
/// `CRITICAL HARD attempt 3 from nagios: down`, `run by hand`, `switched off`.
impl fmt::Display for RunReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunReason::Failing {
                state,
                failures,
                summary,
            } => match failures {
                1 => write!(f, "{} for 1 check: {summary}", state.label()),
                n => write!(f, "{} for {n} checks in a row: {summary}", state.label()),
            },
            RunReason::Event {
                state,
                state_type,
                attempt,
                source,
                output,
            } => {
                write!(
                    f,
                    "{} {state_type} attempt {attempt} from {source}",
                    state.label()
                )?;
                match output {
                    Some(output) if !output.is_empty() => write!(f, ": {output}"),
                    _ => Ok(()),
                }
            }
            RunReason::ByHand => f.write_str("run by hand"),
            RunReason::Switched { on: true } => f.write_str("switched on"),
            RunReason::Switched { on: false } => f.write_str("switched off"),
        }
    }
}

/// A run that a stop request ended before one of its steps, as the audit log says.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedBefore<'a> {
    /// The run.
    pub run: RunId,
    /// What asked it to stop (`SIGTERM`).
    pub why: &'a str,
    /// The step it did not run, from 1.
    pub step: usize,
    /// That step's action.
    pub action: String,
}

/// `run 1 stopped by SIGTERM before step 3 (start)`.
impl fmt::Display for StoppedBefore<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "run {} stopped by {} before step {} ({})",
            self.run, self.why, self.step, self.action
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_reason_says_who_began_it_and_why() {
        let failing = RunReason::Failing {
            state: State::Critical,
            failures: 2,
            summary: "heartbeat 400s old",
        };
        assert_eq!(
            failing.to_string(),
            "CRITICAL for 2 checks in a row: heartbeat 400s old"
        );
        let event = RunReason::Event {
            state: State::Critical,
            state_type: StateType::Hard,
            attempt: 3,
            source: Source::Nagios,
            output: Some("down"),
        };
        assert_eq!(
            event.to_string(),
            "CRITICAL HARD attempt 3 from nagios: down"
        );
        assert_eq!(
            RunReason::Switched { on: false }.to_string(),
            "switched off"
        );
        let stopped = StoppedBefore {
            run: 1,
            why: "SIGTERM",
            step: 3,
            action: "start".into(),
        };
        assert_eq!(
            stopped.to_string(),
            "run 1 stopped by SIGTERM before step 3 (start)"
        );
    }

    #[test]
    fn outcomes_read_back_from_their_stored_names() {
        for name in [
            "running",
            "succeeded",
            "failed",
            "aborted",
            "dry_run",
            "interrupted",
        ] {
            let progress = RunProgress::from_name(name).expect(name);
            assert_eq!(progress.as_str(), name);
        }
        assert_eq!(RunProgress::from_name("done"), None);
        assert_eq!(RunOutcome::Failed.to_string(), "finished with failed steps");
        assert_eq!(StepOutcome::TimedOut.to_string(), "timed out");
        assert_eq!(StepOutcome::TimedOut.as_str(), "timed_out");
    }
}
