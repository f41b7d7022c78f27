//! A pass over the services (`check`, each turn of `watch`), a pipeline run (`run`, a
//! pass's due services, an event handler's detached child), and an event handler's
//! decision: check, decide, act, tell, and record everything in the store.
//!
//! A pass checks its services concurrently (a bounded pool), then judges them all in one
//! short transaction, in dependency order, then runs the pipelines that are due, each
//! under its service's lock, again concurrently. A stop request (SIGTERM to `watch`)
//! abandons the checks before anything is recorded, and ends a pipeline after its
//! current step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use triage_core::State;

use crate::checks::{CheckOutcome, run_check};
use crate::config::{Check, Config, NotificationKind, OnFailure, Service};
use crate::decide::{EventSeen, EventVerdict, Seen, Verdict, decide, decide_event, notifications};
use crate::lock::{LockError, ServiceLock};
use crate::pipeline::{StepReport, StepStatus, run_step};
use crate::process::RecordedProcess;
use crate::stop::Stop;
use crate::store::{
    Decision, RunOutcome, ServiceState, ServiceStatus, Source, StepOutcome, StepRecord, Store,
    StoreError,
};
use crate::tell::{Notice, Teller};

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

/// What a pass needs besides the configuration and the store.
pub struct PassContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// Who runs the pass: cron or watch.
    pub source: Source,
    /// Asked to stop?
    pub stop: &'a Stop,
    /// Where notices go.
    pub teller: &'a Teller,
}

/// One pass's result; `abandoned` when a stop request ended it before its decisions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassReport {
    /// One report per configured service, in dependency order.
    pub services: Vec<ServiceReport>,
    /// Stopped while checking: nothing was recorded.
    pub abandoned: bool,
}

/// A pipeline that a pass found due.
struct Due<'a> {
    service: &'a Service,
    outcome: CheckOutcome,
    state: ServiceState,
    attempt: u32,
}

/// One pass: every enabled service checked, judged in dependency order, pipelines run
/// where due.
pub fn check_pass(ctx: &PassContext, store: &mut Store) -> Result<PassReport, StoreError> {
    let config = ctx.config;
    let started = now();
    let maintenance: HashMap<String, f64> = store
        .active_maintenance(started)?
        .into_iter()
        .map(|window| (window.service, window.until))
        .collect();
    let stored: HashMap<String, ServiceState> = store.services()?.into_iter().collect();
    let ordered = dependency_order(&config.services);
    let enabled = |service: &Service| {
        service.enabled && stored.get(&service.name).is_none_or(|state| state.enabled)
    };
    let to_check: Vec<&Service> = ordered.iter().copied().filter(|s| enabled(s)).collect();
    let Some(outcomes) = check_all(config, &to_check, ctx.stop) else {
        return Ok(PassReport {
            services: Vec::new(),
            abandoned: true,
        });
    };
    let busy: HashMap<&str, bool> = to_check
        .iter()
        .map(|s| {
            let held = ServiceLock::is_held(&config.lock_path, &s.name);
            (s.name.as_str(), held)
        })
        .collect();

    let mut reports = Vec::new();
    let mut statuses: HashMap<String, ServiceStatus> = HashMap::new();
    let mut due = Vec::new();
    let mut notices = Vec::new();
    let mut pass = store.pass()?;
    for service in &ordered {
        let Some(outcome) = outcomes.get(&service.name) else {
            statuses.insert(service.name.clone(), ServiceStatus::Disabled);
            reports.push(ServiceReport {
                service: service.name.clone(),
                check: None,
                verdict: None,
                run: None,
                skipped: Some("disabled".into()),
            });
            continue;
        };
        let at = now();
        let prior = pass.service(&service.name)?;
        let seen = Seen {
            state: outcome.state,
            maintenance_until: maintenance.get(&service.name).copied(),
            busy: busy.get(service.name.as_str()).copied().unwrap_or(false),
        };
        let lookup = |name: &str| statuses.get(name).copied();
        let (verdict, mut next) = decide(service, &prior, seen, &lookup, at);
        next.last_summary = Some(outcome.summary.clone());
        pass.record_check(&service.name, outcome.state, &outcome.summary, at)?;
        pass.save_service(&service.name, &next)?;
        if let Some(words) = audited(&verdict) {
            pass.record_decision(&Decision {
                service: service.name.clone(),
                at,
                source: ctx.source,
                state: Some(outcome.state),
                state_type: None,
                attempt: None,
                decision: words,
                run: None,
            })?;
        }
        statuses.insert(service.name.clone(), next.status);
        for kind in notifications(&prior, &next, &verdict) {
            notices.push((*service, kind, outcome.state, outcome.summary.clone(), at));
        }
        if let Verdict::Remediate { attempt } = verdict {
            due.push(Due {
                service,
                outcome: outcome.clone(),
                state: next,
                attempt,
            });
        }
        reports.push(ServiceReport {
            service: service.name.clone(),
            check: Some((outcome.state, outcome.summary.clone())),
            verdict: Some(verdict),
            run: None,
            skipped: None,
        });
    }
    pass.commit()?;
    for (service, kind, state, summary, at) in &notices {
        ctx.teller.tell(&Notice {
            kind: *kind,
            service,
            state: Some(*state),
            summary,
            attempt: None,
            run_id: None,
            steps: &[],
            source: ctx.source,
            at: *at,
        });
    }
    for (name, result) in run_due(ctx, store, due)? {
        if let Some(report) = reports.iter_mut().find(|r| r.service == name) {
            match result {
                Ok(run) => report.run = Some(run),
                Err(why) => report.skipped = Some(why),
            }
        }
    }
    Ok(PassReport {
        services: reports,
        abandoned: false,
    })
}

/// The decisions of a pass worth a line in the audit log: acting, and refusing to act.
/// Routine ones (healthy, failing n of m, grace) are in the checks already.
fn audited(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Remediate { attempt } => Some(format!("remediate (attempt {attempt})")),
        Verdict::Exhausted { until, newly: true } => Some(format!(
            "EXHAUSTED: budget spent, no action before {}",
            crate::report::time(*until)
        )),
        Verdict::Healthy { recovered: true } => Some("recovered".into()),
        _ => None,
    }
}

/// Runs every service's check, at most `concurrency` at once; None when a stop was
/// requested first (the checks still running are left to finish on their own).
fn check_all(
    config: &Config,
    services: &[&Service],
    stop: &Stop,
) -> Option<HashMap<String, CheckOutcome>> {
    let jobs: Vec<(String, Check)> = services
        .iter()
        .map(|s| (s.name.clone(), s.check.clone()))
        .collect();
    let total = jobs.len();
    let jobs = std::sync::Arc::new(jobs);
    let next = std::sync::Arc::new(AtomicUsize::new(0));
    let (results, collected) = mpsc::channel();
    let timeout = config.operation.check_timeout;
    let stall_dir = stall_dir(config);
    for _ in 0..config.operation.concurrency.min(total) {
        let (jobs, next, results, stall_dir, stop) = (
            jobs.clone(),
            next.clone(),
            results.clone(),
            stall_dir.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            while !stop.is_requested() {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some((name, check)) = jobs.get(index) else {
                    break;
                };
                let outcome = run_check(check, timeout, &stall_dir);
                if results.send((name.clone(), outcome)).is_err() {
                    break;
                }
            }
        });
    }
    drop(results);
    let mut outcomes = HashMap::with_capacity(total);
    while outcomes.len() < total {
        if stop.is_requested() {
            return None;
        }
        match collected.recv_timeout(Duration::from_millis(100)) {
            Ok((name, outcome)) => {
                outcomes.insert(name, outcome);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    (!stop.is_requested()).then_some(outcomes)
}

/// A due service's pipeline: its run, or why it did not run.
type DueResult = (String, Result<RunReport, String>);

/// Runs the due pipelines, at most `concurrency` at once, each under its service lock;
/// a busy lock means another remediate is already on it.
fn run_due(
    ctx: &PassContext,
    store: &mut Store,
    due: Vec<Due>,
) -> Result<Vec<DueResult>, StoreError> {
    let run_one = |store: &mut Store, due: &Due| -> Result<Result<RunReport, String>, StoreError> {
        let lock = match ServiceLock::acquire(&ctx.config.lock_path, &due.service.name) {
            Ok(lock) => lock,
            Err(LockError::Busy(_)) => {
                return Ok(Err(
                    "pipeline not run: another remediate is running it".into()
                ));
            }
            Err(other) => return Ok(Err(format!("pipeline not run: {other}"))),
        };
        let checks = match due.service.consecutive_failures {
            1 => "1 check".to_owned(),
            n => format!("{n} checks in a row"),
        };
        let reason = format!(
            "{} for {checks}: {}",
            due.outcome.state.label(),
            due.outcome.summary
        );
        let id = store.begin_run(&due.service.name, &reason, ctx.source, false, now())?;
        let run = execute_run(
            &RunRequest {
                config: ctx.config,
                service: due.service,
                process: process_of(&due.outcome, &due.state),
                run: id,
                attempt: Some(due.attempt),
                state: Some(due.outcome.state),
                summary: &due.outcome.summary,
                source: ctx.source,
                dry_run: false,
            },
            store,
            ctx.stop,
            ctx.teller,
        )?;
        drop(lock);
        Ok(Ok(run))
    };
    if due.len() <= 1 || ctx.config.operation.concurrency <= 1 {
        let mut done = Vec::with_capacity(due.len());
        for item in &due {
            done.push((item.service.name.clone(), run_one(store, item)?));
        }
        return Ok(done);
    }
    // Each worker has its own connection: SQLite serialises the short writes.
    let next = AtomicUsize::new(0);
    let workers = ctx.config.operation.concurrency.min(due.len());
    let db_path = store.path().to_path_buf();
    let results: Vec<Result<Vec<DueResult>, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut own = Store::open(&db_path)?;
                    let mut done = Vec::new();
                    while let Some(item) = due.get(next.fetch_add(1, Ordering::SeqCst)) {
                        done.push((item.service.name.clone(), run_one(&mut own, item)?));
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(StoreError::Open {
                        path: db_path.clone(),
                        reason: "a pipeline worker panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut done = Vec::with_capacity(due.len());
    for result in results {
        done.extend(result?);
    }
    Ok(done)
}

/// `remediate run SERVICE`: the pipeline now, whatever the counters say (a dry run only
/// says what it would do). The caller holds the service's lock.
pub fn run_now(
    config: &Config,
    store: &mut Store,
    service: &Service,
    dry_run: bool,
    teller: &Teller,
) -> Result<RunReport, StoreError> {
    let state = store.service(&service.name)?;
    let process = process_for(config, service, &state);
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
    let id = store.begin_run(&service.name, "run by hand", Source::Cli, dry_run, now())?;
    execute_run(
        &RunRequest {
            config,
            service,
            process,
            run: id,
            attempt: None,
            state: None,
            summary: "run by hand",
            source: Source::Cli,
            dry_run,
        },
        store,
        &Stop::new(),
        teller,
    )
}

/// `on`/`off` (and `start-all`/`stop-all`): switch the service on and start it if its
/// check fails, or switch it off and stop its process. Returns the run, if one was needed.
/// The caller holds the service's lock.
pub fn switch(
    config: &Config,
    store: &mut Store,
    service: &Service,
    on: bool,
    teller: &Teller,
) -> Result<Option<RunReport>, StoreError> {
    store.set_enabled(&service.name, on, now())?;
    let state = store.service(&service.name)?;
    let outcome = run_check(
        &service.check,
        config.operation.check_timeout,
        &stall_dir(config),
    );
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
    let id = store.begin_run(&service.name, reason, Source::Cli, false, now())?;
    execute_run(
        &RunRequest {
            config,
            service: &single,
            process: process_of(&outcome, &state),
            run: id,
            attempt: None,
            state: Some(outcome.state),
            summary: reason,
            source: Source::Cli,
            dry_run: false,
        },
        store,
        &Stop::new(),
        teller,
    )
    .map(Some)
}

/// What an event handler decided, and the run it began (the caller detaches it).
#[derive(Debug, Clone, PartialEq)]
pub struct EventOutcome {
    /// The decision.
    pub verdict: EventVerdict,
    /// The run begun, when the verdict is to remediate.
    pub run: Option<i64>,
}

/// What a monitoring core said about a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The state.
    pub state: State,
    /// HARD (else SOFT).
    pub hard: bool,
    /// The attempt.
    pub attempt: u32,
    /// Who sent it.
    pub source: Source,
    /// The plugin output, when the handler passes it (kept in the run's reason).
    pub output: Option<String>,
}

/// `remediate event`: decides, records the decision with its source, tells the webhooks
/// (DOWN, RECOVERED, EXHAUSTED), and for a pipeline begins its run. `busy` says whether
/// the caller could not take the service's lock. The caller holds the lock otherwise.
/// A dry run only decides: nothing is recorded, told or begun.
pub fn handle_event(
    store: &mut Store,
    service: &Service,
    event: &Event,
    busy: bool,
    dry_run: bool,
    teller: &Teller,
) -> Result<EventOutcome, StoreError> {
    let at = now();
    let maintenance_until = store
        .active_maintenance(at)?
        .into_iter()
        .find(|w| w.service == service.name)
        .map(|w| w.until);
    let seen = EventSeen {
        state: event.state,
        hard: event.hard,
        attempt: event.attempt,
        maintenance_until,
        busy,
    };
    let mut pass = store.pass()?;
    let prior = pass.service(&service.name)?;
    let (verdict, next) = decide_event(service, &prior, seen, at);
    if dry_run {
        return Ok(EventOutcome { verdict, run: None });
    }
    let words = match &verdict {
        EventVerdict::Recovered => "recovered".to_owned(),
        EventVerdict::Ignored(why) => format!("ignored: {why}"),
        EventVerdict::Exhausted { until, .. } => format!(
            "EXHAUSTED: budget spent, no action before {}",
            crate::report::time(*until)
        ),
        EventVerdict::Remediate { attempt } => format!("remediate (attempt {attempt})"),
    };
    pass.save_service(&service.name, &next)?;
    pass.commit()?;
    let summary = event.output.clone().unwrap_or_default();
    let mut run = None;
    if let EventVerdict::Remediate { .. } = verdict {
        let kind = if event.hard { "HARD" } else { "SOFT" };
        let mut reason = format!(
            "{} {kind} attempt {} from {}",
            event.state.label(),
            event.attempt,
            event.source
        );
        if !summary.is_empty() {
            reason.push_str(": ");
            reason.push_str(&summary);
        }
        let id = store.begin_run(&service.name, &reason, event.source, false, at)?;
        let mut pass = store.pass()?;
        let mut current = pass.service(&service.name)?;
        current.problem_run = Some(id);
        pass.save_service(&service.name, &current)?;
        pass.commit()?;
        run = Some(id);
    }
    store.record_decision(&Decision {
        service: service.name.clone(),
        at,
        source: event.source,
        state: Some(event.state),
        state_type: Some(if event.hard { "HARD" } else { "SOFT" }.to_owned()),
        attempt: Some(event.attempt),
        decision: words,
        run,
    })?;
    let pseudo = match verdict {
        EventVerdict::Exhausted { until, newly } => Verdict::Exhausted { until, newly },
        _ => Verdict::BeingRemediated,
    };
    for kind in notifications(&prior, &next, &pseudo) {
        teller.tell(&Notice {
            kind,
            service,
            state: Some(event.state),
            summary: &summary,
            attempt: None,
            run_id: run,
            steps: &[],
            source: event.source,
            at,
        });
    }
    Ok(EventOutcome { verdict, run })
}

/// An event handler's detached child: takes over `run` (begun by the handler) and runs
/// its steps. The caller holds the service's lock (inherited from the handler).
pub fn continue_run(
    config: &Config,
    store: &mut Store,
    run: i64,
    stop: &Stop,
    teller: &Teller,
) -> Result<RunReport, ContinueError> {
    store.adopt_run(run)?;
    let (name, source) = store.run_origin(run)?;
    let service = config
        .services
        .iter()
        .find(|s| s.name == name)
        .ok_or(ContinueError::NoService(name))?;
    let state = store.service(&service.name)?;
    let attempt = u32::try_from(state.recent_runs.len()).ok();
    let process = process_for(config, service, &state);
    Ok(execute_run(
        &RunRequest {
            config,
            service,
            process,
            run,
            attempt,
            state: state.last_state,
            summary: "",
            source,
            dry_run: false,
        },
        store,
        stop,
        teller,
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

/// A run to execute, already begun in the store.
struct RunRequest<'a> {
    config: &'a Config,
    service: &'a Service,
    process: Option<RecordedProcess>,
    run: i64,
    attempt: Option<u32>,
    state: Option<State>,
    summary: &'a str,
    source: Source,
    dry_run: bool,
}

/// Runs the steps of a begun run, records each, ends the run, tells the webhooks
/// (REMEDIATION_STARTED, and REMEDIATION_FAILED unless it succeeded) and sets the
/// service's state after it (grace, or failing when aborted).
fn execute_run(
    request: &RunRequest,
    store: &mut Store,
    stop: &Stop,
    teller: &Teller,
) -> Result<RunReport, StoreError> {
    let service = request.service;
    let notice = |kind, steps: &[StepReport]| {
        if !request.dry_run {
            teller.tell(&Notice {
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
    for (index, step) in service.recovery.iter().enumerate() {
        if let Some(why) = stop.reason() {
            store.record_decision(&Decision {
                service: service.name.clone(),
                at: now(),
                source: request.source,
                state: None,
                state_type: None,
                attempt: None,
                decision: format!(
                    "run {} stopped by {why} before step {} ({})",
                    request.run,
                    index + 1,
                    crate::pipeline::action_name(&step.action)
                ),
                run: Some(request.run),
            })?;
            outcome = RunOutcome::Aborted;
            break;
        }
        let began = now();
        let report = run_step(
            step,
            service,
            request.process.as_ref(),
            &request.config.log_dir,
            request.dry_run,
        );
        store.record_step(request.run, &record(index, began, &report))?;
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
        }
        pass.save_service(&service.name, &state)?;
        pass.commit()?;
    }
    if !matches!(outcome, RunOutcome::Succeeded | RunOutcome::DryRun) {
        notice(NotificationKind::RemediationFailed, &steps);
    }
    Ok(RunReport {
        id: request.run,
        outcome,
        steps,
    })
}

/// The process a `kill` step should stop: a heartbeat check names it (and is cheap to
/// run); otherwise the one our own `start` recorded.
fn process_for(
    config: &Config,
    service: &Service,
    state: &ServiceState,
) -> Option<RecordedProcess> {
    let outcome = match &service.check {
        Check::Heartbeat { .. } => run_check(
            &service.check,
            config.operation.check_timeout,
            &stall_dir(config),
        ),
        _ => CheckOutcome {
            state: State::Unknown,
            summary: String::new(),
            process: None,
        },
    };
    process_of(&outcome, state)
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
fn stall_dir(config: &Config) -> PathBuf {
    config
        .db_path
        .parent()
        .map_or_else(|| PathBuf::from("."), |dir: &Path| dir.join("stall"))
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    triage_heartbeat::now_unix()
}
