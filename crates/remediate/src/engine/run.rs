//! A pipeline run: its steps in order, each recorded as it ends, the run's end, the
//! notices, and the service's state after it. Also the runs people ask for (`run`,
//! `on`/`off`) and the detached child of an event handler.

use std::os::fd::RawFd;
use std::sync::Mutex;
use std::time::Duration;

use triage_core::State;

use super::pass::lock_store;
use super::{Engine, RunReport, SharedStore};
use crate::act::identity::{self, Identity};
use crate::act::kill::KillTarget;
use crate::act::{Acting, StepReport, Target};
use crate::config::{Action, Check, NotificationKind, OnFailure, Service, Step};
use crate::model::{
    Decision, RunId, RunOutcome, RunReason, ServiceState, ServiceStatus, Source, StepRecord,
    StoppedBefore, now,
};
use crate::notify::Notice;
use crate::probe::Stall;
use crate::store::{Store, StoreError};

/// A run to execute, already begun in the store.
pub(super) struct RunRequest<'a> {
    pub(super) service: &'a Service,
    pub(super) target: Target,
    /// Who its steps run as, or why nothing may be run for it.
    pub(super) identity: Result<Identity, String>,
    /// The service lock, shared with its command steps.
    pub(super) lock_fd: Option<RawFd>,
    pub(super) run: RunId,
    pub(super) attempt: Option<u32>,
    pub(super) state: Option<State>,
    pub(super) summary: &'a str,
    pub(super) source: Source,
    pub(super) dry_run: bool,
}

/// `remediate run SERVICE`: the pipeline now, whatever the counters say (a dry run only
/// says what it would do, and changes nothing but its own record). The caller holds the
/// service's lock (`lock_fd`).
pub fn run_now(
    engine: &Engine,
    store: &mut Store,
    service: &Service,
    dry_run: bool,
    lock_fd: Option<RawFd>,
) -> Result<RunReport, StoreError> {
    let state = store.service(&service.name)?;
    let (target, identity) = target_for(engine, service, &state);
    if !dry_run {
        let mut next = state.clone();
        next.consecutive_failures = 0;
        next.last_run = Some(now());
        next.recent_runs.push(now());
        next.status = ServiceStatus::Remediating;
        let mut pass = store.pass()?;
        pass.save_service(&service.name, &next)?;
        pass.commit()?;
    }
    let reason = RunReason::ByHand.to_string();
    let id = store.begin_run(&service.name, &reason, Source::Cli, dry_run, now())?;
    execute_run(
        engine,
        &RunRequest {
            service,
            target,
            identity,
            lock_fd,
            run: id,
            attempt: None,
            state: None,
            summary: &reason,
            source: Source::Cli,
            dry_run,
        },
        &Mutex::new(store),
    )
}

/// `on`/`off` (and `start-all`/`stop-all`): switch the service on and start it if its
/// check fails, or switch it off and stop its process. Returns the run, if one was needed.
/// The caller holds the service's lock (`lock_fd`).
pub fn switch(
    engine: &Engine,
    store: &mut Store,
    service: &Service,
    on: bool,
    lock_fd: Option<RawFd>,
) -> Result<Option<RunReport>, StoreError> {
    store.set_enabled(&service.name, on, now())?;
    let state = store.service(&service.name)?;
    let seen = engine.prober.probe(&service.check, Stall::LookOnly);
    let action = if on {
        if !service.failure_states.contains(&seen.state) || !service.commands.contains_key("start")
        {
            return Ok(None);
        }
        Action::Start
    } else {
        Action::Kill
    };
    let step = Step {
        on_failure: action.default_on_failure(),
        action,
        timeout: service.kill_timeout + Duration::from_secs(5),
    };
    let reason = RunReason::Switched { on }.to_string();
    let single = Service {
        recovery: vec![step],
        ..service.clone()
    };
    let id = store.begin_run(&service.name, &reason, Source::Cli, false, now())?;
    execute_run(
        engine,
        &RunRequest {
            service: &single,
            target: target_of(&seen.target, &state),
            identity: identity::resolve(service, seen.owner),
            lock_fd,
            run: id,
            attempt: None,
            state: Some(seen.state),
            summary: &reason,
            source: Source::Cli,
            dry_run: false,
        },
        &Mutex::new(store),
    )
    .map(Some)
}

/// An event handler's detached child: takes over `run` (begun by the handler) and runs
/// its steps. The caller holds the service's lock (`lock_fd`, inherited from the handler).
pub fn continue_run(
    engine: &Engine,
    store: &mut Store,
    run: RunId,
    lock_fd: Option<RawFd>,
) -> Result<RunReport, ContinueError> {
    store.adopt_run(run)?;
    let (name, source) = store.run_origin(run)?;
    let service = engine
        .config
        .services
        .iter()
        .find(|s| s.name == name)
        .ok_or(ContinueError::NoService(name))?;
    let state = store.service(&service.name)?;
    let attempt = u32::try_from(state.recent_runs.len()).ok();
    let (target, identity) = target_for(engine, service, &state);
    Ok(execute_run(
        engine,
        &RunRequest {
            service,
            target,
            identity,
            lock_fd,
            run,
            attempt,
            state: state.last_state,
            summary: "",
            source,
            dry_run: false,
        },
        &Mutex::new(store),
    )?)
}

/// Why a detached child could not go on with its run.
#[derive(Debug, thiserror::Error)]
pub enum ContinueError {
    /// The store refused.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The run's service is no longer configured.
    #[error("the run's service {0} is no longer in the configuration")]
    NoService(String),
}

/// Runs the steps of a begun run, records each, ends the run, tells the webhooks
/// (REMEDIATION_STARTED, and REMEDIATION_FAILED unless it succeeded) and sets the
/// service's state after it (grace, or failing when aborted).
pub(super) fn execute_run(
    engine: &Engine,
    request: &RunRequest,
    store: &SharedStore,
) -> Result<RunReport, StoreError> {
    let service = request.service;
    let notice = |kind, steps: &[StepReport]| {
        if !request.dry_run {
            engine.teller.tell(&Notice {
                kind,
                service,
                state: request.state,
                summary: request.summary,
                attempt: request.attempt,
                run_id: Some(request.run),
                steps,
                source: request.source,
                at: now(),
            });
        }
    };
    notice(NotificationKind::RemediationStarted, &[]);
    let mut outcome = if request.dry_run {
        RunOutcome::DryRun
    } else {
        RunOutcome::Succeeded
    };
    let mut steps = Vec::new();
    let mut started = None;
    let identity = match &request.identity {
        Ok(identity) => Some(identity),
        Err(why) => {
            let line = format!("run {} refused: {why}", request.run);
            lock_store(store).record_decision(&run_decision(request, line))?;
            outcome = RunOutcome::Aborted;
            None
        }
    };
    let recovery = if identity.is_some() {
        service.recovery.as_slice()
    } else {
        &[]
    };
    for (index, step) in recovery.iter().enumerate() {
        if let Some(why) = engine.stop.reason() {
            let stopped = StoppedBefore {
                run: request.run,
                why: &why,
                step: index + 1,
                action: step.action.to_string(),
            };
            lock_store(store).record_decision(&run_decision(request, stopped.to_string()))?;
            outcome = RunOutcome::Aborted;
            break;
        }
        let began = now();
        let Some(identity) = identity else { break };
        let acting = Acting {
            target: &request.target,
            identity,
            lock_fd: request.lock_fd,
        };
        let report = engine.actions.step(step, service, &acting, request.dry_run);
        lock_store(store).record_step(request.run, &record(index, began, &report))?;
        started = report.started.clone().or(started);
        let failed = report.status.is_failure();
        steps.push(report);
        if failed {
            match step.on_failure {
                OnFailure::Abort => {
                    outcome = RunOutcome::Aborted;
                    break;
                }
                OnFailure::Continue => outcome = RunOutcome::Failed,
            }
        }
    }
    let finished = now();
    let mut store = lock_store(store);
    store.finish_run(request.run, outcome, finished)?;
    if !request.dry_run {
        let mut pass = store.pass()?;
        let mut state = pass.service(&service.name)?;
        if outcome == RunOutcome::Aborted {
            state.status = ServiceStatus::Failing;
        } else {
            state.status = ServiceStatus::Grace;
            state.grace_until = Some(finished + service.start_grace.as_secs_f64());
        }
        if let Some(started) = started {
            state.pid = Some(started.pid);
            state.pid_start_ticks = started.start_ticks;
            state.cgroup = started.cgroup.map(|dir| dir.display().to_string());
        }
        pass.save_service(&service.name, &state)?;
        pass.commit()?;
    }
    drop(store);
    if !outcome.is_success() {
        notice(NotificationKind::RemediationFailed, &steps);
    }
    Ok(RunReport {
        id: request.run,
        outcome,
        steps,
    })
}

/// A line in the audit log about `request`'s run, as of now.
fn run_decision(request: &RunRequest, line: String) -> Decision {
    Decision {
        service: request.service.name.clone(),
        at: now(),
        source: request.source,
        state: None,
        state_type: None,
        attempt: None,
        decision: line,
        run: Some(request.run),
    }
}

/// The process a `kill` step should stop outside a pass, and who the steps run as: a
/// heartbeat check names both (looked at without recording anything); otherwise the
/// process our own `start` recorded.
fn target_for(
    engine: &Engine,
    service: &Service,
    state: &ServiceState,
) -> (Target, Result<Identity, String>) {
    let (named, owner) = match &service.check {
        Check::Heartbeat { .. } => {
            let seen = engine.prober.probe(&service.check, Stall::LookOnly);
            (seen.target, seen.owner)
        }
        _ => (Target::NoneRecorded, None),
    };
    (target_of(&named, state), identity::resolve(service, owner))
}

/// The process to kill: the one the check named, else the one our own `start` recorded
/// (which also stands in for a heartbeat that could not be read).
pub(super) fn target_of(named: &Target, state: &ServiceState) -> Target {
    let cgroup = state.cgroup.as_ref().map(std::path::PathBuf::from);
    let started = state.pid.map(|pid| KillTarget {
        pid,
        start_ticks: state.pid_start_ticks,
        boot_id: None,
        vouched_at: None,
        cgroup: cgroup.clone(),
    });
    match (named, started) {
        // Our cgroup goes with it: used only if the process turns out to be in it.
        (Target::Process(process), _) => Target::Process(KillTarget {
            cgroup,
            ..process.clone()
        }),
        (_, Some(started)) => Target::Process(started),
        (other, None) => other.clone(),
    }
}

fn record(index: usize, started: f64, report: &StepReport) -> StepRecord {
    StepRecord {
        index: index as u32,
        action: report.action.clone(),
        started,
        duration: report.duration.as_secs_f64(),
        exit_code: report.exit_code,
        outcome: report.status,
        output_tail: report.output_tail.clone(),
        note: report.note.clone(),
    }
}
