//! Acting on the host: the one child-process helper (`child`), the verified kill
//! (`kill`), the detached start (`start`) and a pipeline's steps (`steps`). The engine
//! acts only through [`Actions`], so its tests can act without processes.

pub mod cgroup;
pub mod child;
pub mod identity;
pub mod kill;
pub mod orphans;
pub mod start;
pub mod steps;

use std::os::fd::RawFd;
use std::path::PathBuf;

pub use identity::Identity;
pub use kill::{KillOutcome, KillTarget, Target};
pub use start::Started;
pub use steps::StepReport;

use crate::config::{Service, Step};

/// Who and what a step acts on.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    /// The process a `kill` stops, as the check named it.
    pub target: &'a Target,
    /// Who the commands run as, and whose processes may be signalled.
    pub identity: &'a Identity,
    /// The service lock's descriptor, shared with command steps so it stays held while
    /// they run.
    pub lock_fd: Option<RawFd>,
}

/// What the engine may do to the host.
pub trait Actions: Sync {
    /// Runs one step of `service`'s pipeline as `acting` says (only describes it when
    /// `dry_run`).
    fn step(&self, step: &Step, service: &Service, acting: &Acting, dry_run: bool) -> StepReport;
}

/// The real thing: processes, signals and the Engine API.
#[derive(Debug, Clone)]
pub struct HostActions {
    /// Where `start` appends each service's output.
    pub log_dir: PathBuf,
}

impl Actions for HostActions {
    fn step(&self, step: &Step, service: &Service, acting: &Acting, dry_run: bool) -> StepReport {
        steps::run_step(step, service, acting, &self.log_dir, dry_run)
    }
}
