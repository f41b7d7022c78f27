//! One pass: every enabled service checked concurrently (a bounded pool), judged in one
//! short transaction in dependency order, then the due pipelines run, each under its
//! service's lock, again concurrently. A stop request abandons the checks before
//! anything is recorded, and ends a pipeline after its current step.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::run::{RunRequest, execute_run, target_of};
use super::{Engine, PassReport, RunReport, ServiceReport, SharedStore, Skipped};
use crate::act::{identity, orphans};
use crate::config::{Check, Service};
use crate::decide::{Seen, Verdict, decide, notifications};
use crate::lock::{LockError, ServiceLock};
use crate::model::{
    Decision, RunReason, ServiceState, ServiceStatus, Source, clock_step, now, wall_offset,
};
use crate::notify::Notice;
use crate::probe::{Observation, Stall};
use crate::store::{Store, StoreError};

/// A pipeline that a pass found due.
struct Due<'a> {
    service: &'a Service,
    seen: Observation,
    state: ServiceState,
    attempt: u32,
}

/// One pass: every enabled service checked, judged in dependency order, pipelines run
/// where due.
pub fn check_pass(
    engine: &Engine,
    source: Source,
    store: &mut Store,
) -> Result<PassReport, StoreError> {
    let config = engine.config;
    let started = now();
    let offset_before = wall_offset();
    let last_offset = store.last_wall_offset()?;
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
    let Some(observations) = check_all(engine, &to_check) else {
        return Ok(PassReport {
            services: Vec::new(),
            abandoned: true,
            clock_step: None,
            wall_offset: offset_before,
        });
    };
    // Heartbeat ages are read on the wall clock: across a step they are wrong by the step,
    // so a pass that saw one records its checks and judges nothing.
    let offset_after = wall_offset();
    let stepped = last_offset
        .and_then(|last| clock_step(last, offset_before))
        .or_else(|| clock_step(offset_before, offset_after));
    let busy: HashSet<&str> = to_check
        .iter()
        .filter(|s| ServiceLock::is_held(&config.lock_path, &s.name))
        .map(|s| s.name.as_str())
        .collect();

    let mut reports = Vec::new();
    let mut statuses: HashMap<String, ServiceStatus> = HashMap::new();
    let mut due = Vec::new();
    let mut notices = Vec::new();
    let mut pass = store.pass()?;
    for service in &ordered {
        let Some(seen) = observations.get(&service.name) else {
            statuses.insert(service.name.clone(), ServiceStatus::Disabled);
            reports.push(ServiceReport {
                service: service.name.clone(),
                check: None,
                verdict: None,
                run: None,
                skipped: Some(Skipped::Disabled),
            });
            continue;
        };
        let at = now();
        let prior = pass.service(&service.name)?;
        let facts = Seen {
            state: seen.state,
            maintenance_until: maintenance.get(&service.name).copied(),
            busy: busy.contains(service.name.as_str()),
            refused: identity::refusal(service, seen.owner),
        };
        let lookup = |name: &str| statuses.get(name).copied();
        let (verdict, mut next) = decide(service, &prior, facts, &lookup, at);
        next.last_summary = Some(seen.summary.clone());
        pass.record_check(&service.name, seen.state, &seen.summary, at)?;
        if let Some(step) = stepped {
            pass.record_decision(&Decision {
                service: service.name.clone(),
                at,
                source,
                state: Some(seen.state),
                state_type: None,
                attempt: None,
                decision: Skipped::ClockStep(step).to_string(),
                run: None,
            })?;
            statuses.insert(service.name.clone(), prior.status);
            reports.push(ServiceReport {
                service: service.name.clone(),
                check: Some((seen.state, seen.summary.clone())),
                verdict: None,
                run: None,
                skipped: Some(Skipped::ClockStep(step)),
            });
            continue;
        }
        pass.save_service(&service.name, &next)?;
        if let Some(line) = verdict.audit_line() {
            pass.record_decision(&Decision {
                service: service.name.clone(),
                at,
                source,
                state: Some(seen.state),
                state_type: None,
                attempt: None,
                decision: line,
                run: None,
            })?;
        }
        statuses.insert(service.name.clone(), next.status);
        for kind in notifications(&prior, &next, &verdict) {
            notices.push((*service, kind, seen.state, seen.summary.clone(), at));
        }
        if let Verdict::Remediate { attempt } = verdict {
            due.push(Due {
                service,
                seen: seen.clone(),
                state: next,
                attempt,
            });
        }
        reports.push(ServiceReport {
            service: service.name.clone(),
            check: Some((seen.state, seen.summary.clone())),
            verdict: Some(verdict),
            run: None,
            skipped: None,
        });
    }
    pass.commit()?;
    for (service, kind, state, summary, at) in &notices {
        engine.teller.tell(&Notice {
            kind: *kind,
            service,
            state: Some(*state),
            summary,
            attempt: None,
            run_id: None,
            steps: &[],
            source,
            at: *at,
        });
    }
    for (name, result) in run_due(engine, source, store, due)? {
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
        clock_step: stepped,
        wall_offset: offset_after,
    })
}

/// Runs every service's check, at most `concurrency` at once; None when a stop was
/// requested first. The checks run on threads of their own, so the ones still running
/// then are left to end by their own timeouts: a stop never waits for them.
fn check_all(engine: &Engine, services: &[&Service]) -> Option<HashMap<String, Observation>> {
    let jobs: Arc<Vec<(String, Check)>> = Arc::new(
        services
            .iter()
            .map(|s| (s.name.clone(), s.check.clone()))
            .collect(),
    );
    let total = jobs.len();
    let next = Arc::new(AtomicUsize::new(0));
    let (results, collected) = mpsc::channel();
    for _ in 0..engine.config.operation.concurrency.min(total) {
        let (jobs, next, results) = (jobs.clone(), next.clone(), results.clone());
        let (prober, stop) = (engine.prober.clone(), engine.stop.clone());
        std::thread::spawn(move || {
            while !stop.is_requested() {
                let Some((name, check)) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    break;
                };
                let seen = prober.probe(check, Stall::Record);
                if results.send((name.clone(), seen)).is_err() {
                    break;
                }
            }
        });
    }
    drop(results);
    let mut observations = HashMap::with_capacity(total);
    while observations.len() < total {
        if engine.stop.is_requested() {
            return None;
        }
        match collected.recv_timeout(Duration::from_millis(100)) {
            Ok((name, seen)) => {
                observations.insert(name, seen);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    (!engine.stop.is_requested()).then_some(observations)
}

/// A due service's pipeline: its run, or why it did not run.
type DueResult = (String, Result<RunReport, Skipped>);

/// Runs the due pipelines, at most `concurrency` at once, each under its service lock;
/// a busy lock means another remediate is already on it. The pipelines share the pass's
/// one connection: their writes are short and in turn.
fn run_due(
    engine: &Engine,
    source: Source,
    store: &mut Store,
    due: Vec<Due>,
) -> Result<Vec<DueResult>, StoreError> {
    let shared: SharedStore = Mutex::new(store);
    let run_one = |item: &Due| -> Result<Result<RunReport, Skipped>, StoreError> {
        let lock = match orphans::acquire(&engine.config.lock_path, item.service) {
            Ok(lock) => lock,
            Err(LockError::Busy(_)) => return Ok(Err(Skipped::LockBusy)),
            Err(other) => return Ok(Err(Skipped::LockFailed(other.to_string()))),
        };
        let reason = RunReason::Failing {
            state: item.seen.state,
            failures: item.service.consecutive_failures,
            summary: &item.seen.summary,
        };
        let id = lock_store(&shared).begin_run(
            &item.service.name,
            &reason.to_string(),
            source,
            false,
            now(),
        )?;
        let run = execute_run(
            engine,
            &RunRequest {
                service: item.service,
                target: target_of(&item.seen.target, &item.state),
                identity: identity::resolve(item.service, item.seen.owner),
                lock_fd: Some(lock.descriptor()),
                run: id,
                attempt: Some(item.attempt),
                state: Some(item.seen.state),
                summary: &item.seen.summary,
                source,
                dry_run: false,
            },
            &shared,
        )?;
        drop(lock);
        Ok(Ok(run))
    };
    let next = AtomicUsize::new(0);
    let workers = engine
        .config
        .operation
        .concurrency
        .clamp(1, due.len().max(1));
    let results: Vec<Result<Vec<DueResult>, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(item) = due.get(next.fetch_add(1, Ordering::SeqCst)) {
                        done.push((item.service.name.clone(), run_one(item)?));
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
                        path: lock_store(&shared).path().to_path_buf(),
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

/// The shared store, whoever last held it: a worker that panicked mid-write left a
/// transaction SQLite has rolled back, so the connection is still sound.
pub(super) fn lock_store<'a, 's>(
    shared: &'a SharedStore<'s>,
) -> std::sync::MutexGuard<'a, &'s mut Store> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Services with their dependencies first (the config refuses cycles; any left would be
/// visited once, in file order).
pub(super) fn dependency_order(services: &[Service]) -> Vec<&Service> {
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
