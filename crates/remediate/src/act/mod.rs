//! Acting on the host: the one child-process helper (`child`), the verified kill
//! (`kill`), the detached start (`start`) and a pipeline's steps (`steps`). The engine
//! acts only through [`Actions`], so its tests can act without processes.

pub mod child;
pub mod kill;
pub mod start;
pub mod steps;

use std::path::PathBuf;

pub use kill::{KillOutcome, KillTarget, Target};
pub use start::Started;
pub use steps::StepReport;

use crate::config::{Service, Step};

/// What the engine may do to the host.
pub trait Actions: Sync {
    /// Runs one step of `service`'s pipeline (only describes it when `dry_run`); `target`
    /// is the process its check named.
    fn step(&self, step: &Step, service: &Service, target: &Target, dry_run: bool) -> StepReport;
}

/// The real thing: processes, signals and the Engine API.
#[derive(Debug, Clone)]
pub struct HostActions {
    /// Where `start` appends each service's output.
    pub log_dir: PathBuf,
}

impl Actions for HostActions {
    fn step(&self, step: &Step, service: &Service, target: &Target, dry_run: bool) -> StepReport {
        steps::run_step(step, service, target, &self.log_dir, dry_run)
    }
}
