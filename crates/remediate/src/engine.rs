//! One pass over the services (`remediate check`) and one pipeline run (`remediate run`):
//! check, decide, act, and record everything in the store.

use std::collections::HashMap;
use std::time::Duration;

use triage_core::State;

use crate::checks::{CheckOutcome, run_check};
use crate::config::{Config, OnFailure, Service};
use crate::decide::{Verdict, decide};
use crate::pipeline::{StepReport, StepStatus, run_step};
use crate::process::RecordedProcess;
use crate::store::{
    RunOutcome, ServiceState, ServiceStatus, StepOutcome, StepRecord, Store, StoreError,
};

/// How long one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Why it was not checked, if it was not.
    pub skipped: Option<String>,
}

/// A pipeline run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Its id in the store.
    pub id: i64,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Its steps.
    pub steps: Vec<StepReport>,
}

/// One pass: every enabled service checked in dependency order, pipelines run where due.
pub fn check_pass(config: &Config, store: &mut Store) -> Result<Vec<ServiceReport>, StoreError> {
    let mut reports = Vec::new();
    let mut statuses: HashMap<String, ServiceStatus> = HashMap::new();
    let mut due = Vec::new();
    let priors: HashMap<String, ServiceState> = store.services()?.into_iter().collect();
    {
        let mut pass = store.pass()?;
        for service in dependency_order(&config.services) {
            let prior = priors.get(&service.name).cloned().unwrap_or_default();
            if !service.enabled || !prior.enabled {
                statuses.insert(service.name.clone(), ServiceStatus::Disabled);
                reports.push(ServiceReport {
                    service: service.name.clone(),
                    check: None,
                    verdict: None,
                    run: None,
                    skipped: Some("disabled".into()),
                });
                continue;
            }
            let outcome = run_check(&service.check, CHECK_TIMEOUT, &stall_dir(config));
            let now = now();
            let lookup = |name: &str| statuses.get(name).copied();
            let (verdict, next) = decide(service, &prior, outcome.state, &lookup, now);
            pass.record_check(&service.name, outcome.state, &outcome.summary, now)?;
            pass.save_service(&service.name, &next)?;
            statuses.insert(service.name.clone(), next.status);
            if matches!(verdict, Verdict::Remediate { .. }) {
                due.push((service, outcome.clone(), next));
            }
            reports.push(ServiceReport {
                service: service.name.clone(),
                check: Some((outcome.state, outcome.summary)),
                verdict: Some(verdict),
                run: None,
                skipped: None,
            });
        }
        pass.commit()?;
    }
    for (service, outcome, state) in due {
        let checks = match service.consecutive_failures {
            1 => "1 check".to_owned(),
            n => format!("{n} checks in a row"),
        };
        let reason = format!(
            "{} for {checks}: {}",
            outcome.state.label(),
            outcome.summary
        );
        let run = run_pipeline(
            config,
            store,
            service,
            process_of(&outcome, &state),
            &reason,
            false,
        )?;
        if let Some(report) = reports.iter_mut().find(|r| r.service == service.name) {
            report.run = Some(run);
        }
    }
    Ok(reports)
}

/// `remediate run SERVICE`: the pipeline now, whatever the counters say (a dry run only
/// says what it would do).
pub fn run_now(
    config: &Config,
    store: &mut Store,
    service: &Service,
    dry_run: bool,
) -> Result<RunReport, StoreError> {
    let state = store.service(&service.name)?;
    let outcome = match &service.check {
        crate::config::Check::Heartbeat { .. } => {
            run_check(&service.check, CHECK_TIMEOUT, &stall_dir(config))
        }
        _ => CheckOutcome {
            state: State::Unknown,
            summary: String::new(),
            process: None,
        },
    };
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
    run_pipeline(
        config,
        store,
        service,
        process_of(&outcome, &state),
        "run by hand",
        dry_run,
    )
}

/// `on`/`off` (and `start-all`/`stop-all`): switch the service on and start it if its
/// check fails, or switch it off and stop its process. Returns the run, if one was needed.
pub fn switch(
    config: &Config,
    store: &mut Store,
    service: &Service,
    on: bool,
) -> Result<Option<RunReport>, StoreError> {
    store.set_enabled(&service.name, on, now())?;
    let state = store.service(&service.name)?;
    let outcome = run_check(&service.check, CHECK_TIMEOUT, &stall_dir(config));
    let action = if on {
        if !service.failure_states.contains(&outcome.state)
            || !service.commands.contains_key("start")
        {
            return Ok(None);
        }
        crate::config::Action::Start
    } else {
        crate::config::Action::Kill
    };
    let step = crate::config::Step {
        on_failure: action.default_on_failure(),
        action,
        timeout: service.kill_timeout + Duration::from_secs(5),
    };
    let reason = if on { "switched on" } else { "switched off" };
    let single = Service {
        recovery: vec![step],
        ..service.clone()
    };
    let process = process_of(&outcome, &state);
    run_pipeline(config, store, &single, process, reason, false).map(Some)
}

fn run_pipeline(
    config: &Config,
    store: &mut Store,
    service: &Service,
    process: Option<RecordedProcess>,
    reason: &str,
    dry_run: bool,
) -> Result<RunReport, StoreError> {
    let id = store.begin_run(&service.name, reason, dry_run, now())?;
    let mut outcome = if dry_run {
        RunOutcome::DryRun
    } else {
        RunOutcome::Succeeded
    };
    let mut steps = Vec::new();
    let mut started = None;
    for (index, step) in service.recovery.iter().enumerate() {
        let began = now();
        let report = run_step(step, service, process.as_ref(), &config.log_dir, dry_run);
        store.record_step(id, &record(index, began, &report))?;
        started = report.started.or(started);
        let failed = matches!(report.status, StepStatus::Failed | StepStatus::TimedOut);
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
    store.finish_run(id, outcome, finished)?;
    if !dry_run {
        let mut state = store.service(&service.name)?;
        if outcome == RunOutcome::Aborted {
            state.status = ServiceStatus::Failing;
        } else {
            state.status = ServiceStatus::Grace;
            state.grace_until = Some(finished + service.start_grace.as_secs_f64());
        }
        if let Some(started) = started {
            state.pid = Some(started.pid);
            state.pid_start_ticks = started.start_ticks;
        }
        let mut pass = store.pass()?;
        pass.save_service(&service.name, &state)?;
        pass.commit()?;
    }
    Ok(RunReport { id, outcome, steps })
}

/// The process to kill: the heartbeat's, else the one our own `start` recorded.
fn process_of(outcome: &CheckOutcome, state: &ServiceState) -> Option<RecordedProcess> {
    outcome.process.clone().or_else(|| {
        state.pid.map(|pid| RecordedProcess {
            pid: i64::from(pid),
            start_ticks: state.pid_start_ticks,
            boot_id: None,
        })
    })
}

fn record(index: usize, started: f64, report: &StepReport) -> StepRecord {
    StepRecord {
        index: index as u32,
        action: report.action.clone(),
        started,
        duration: report.duration.as_secs_f64(),
        exit_code: report.exit_code,
        outcome: match report.status {
            StepStatus::Ok => StepOutcome::Ok,
            StepStatus::Failed => StepOutcome::Failed,
            StepStatus::TimedOut => StepOutcome::TimedOut,
            StepStatus::Skipped => StepOutcome::Skipped,
        },
        output_tail: report.output_tail.clone(),
        note: report.note.clone(),
    }
}

/// Services with their dependencies first (the config refuses cycles; any left would be
/// visited once, in file order).
fn dependency_order(services: &[Service]) -> Vec<&Service> {
    use std::collections::HashSet;
    fn visit<'a>(
        service: &'a Service,
        by_name: &HashMap<&str, &'a Service>,
        seen: &mut HashSet<&'a str>,
        ordered: &mut Vec<&'a Service>,
    ) {
        if !seen.insert(service.name.as_str()) {
            return;
        }
        for dependency in &service.depends_on {
            if let Some(found) = by_name.get(dependency.as_str()) {
                visit(found, by_name, seen, ordered);
            }
        }
        ordered.push(service);
    }
    let by_name: HashMap<&str, &Service> = services.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut seen = HashSet::with_capacity(services.len());
    let mut ordered = Vec::with_capacity(services.len());
    for service in services {
        visit(service, &by_name, &mut seen, &mut ordered);
    }
    ordered
}

/// Where heartbeat checks keep what stall detection saw: next to the database.
fn stall_dir(config: &Config) -> std::path::PathBuf {
    config
        .db_path
        .parent()
        .map_or_else(|| std::path::PathBuf::from("."), |dir| dir.join("stall"))
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    triage_heartbeat::now_unix()
}
