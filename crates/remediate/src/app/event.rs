//! `event` (a Nagios or Icinga event handler) and `pipeline` (its detached child).

use std::io::Write;
use std::path::Path;

use triage_core::State;

use super::{AppError, Exit, host_engine, report_failures, say};
use crate::cli::{parse_attempt, parse_event_state, parse_state_type};
use crate::config::{Config, Service};
use crate::engine::{self, Event};
use crate::lock::{LockError, ServiceLock};
use crate::model::{RunId, RunOutcome, Source, StateType, now};
use crate::notify::{Teller, telemetry};
use crate::render;
use crate::stop::Stop;
use crate::store::Store;

/// What the command line gives of an event: its state, state type and attempt.
pub(super) type EventArgs = (Option<State>, Option<StateType>, Option<u32>);

/// The event's state, type and attempt from the positional form, the flag form, or
/// Nagios's environment macros (read with the command line's own parsers).
pub(super) fn event_from(
    positional: EventArgs,
    flags: EventArgs,
    source: Option<&str>,
    output: Option<String>,
) -> Result<Event, AppError> {
    let given =
        |(state, kind, attempt): &EventArgs| state.is_some() || kind.is_some() || attempt.is_some();
    let usage = |what: &str| {
        AppError::Usage(format!(
            "event: {what} (give STATE STATETYPE ATTEMPT, or -s -t -a; see remediate event --help)"
        ))
    };
    let ((state, kind, attempt), default_source) = if given(&positional) {
        (positional, Source::Nagios)
    } else if given(&flags) {
        (flags, Source::Icinga)
    } else {
        let state = from_env("NAGIOS_SERVICESTATE", parse_event_state).map_err(|w| usage(&w))?;
        let kind = from_env("NAGIOS_SERVICESTATETYPE", parse_state_type).map_err(|w| usage(&w))?;
        let attempt = from_env("NAGIOS_SERVICEATTEMPT", parse_attempt).map_err(|w| usage(&w))?;
        ((state, kind, attempt), Source::Nagios)
    };
    Ok(Event {
        state: state.ok_or_else(|| usage("no state"))?,
        state_type: kind.ok_or_else(|| usage("no state type"))?,
        attempt: attempt.ok_or_else(|| usage("no attempt"))?,
        source: source.and_then(Source::from_name).unwrap_or(default_source),
        output: output.filter(|o| !o.is_empty()),
    })
}

/// Nagios's environment macro `name`, parsed; None when unset or empty.
fn from_env<T>(name: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    match std::env::var(name).ok().filter(|v| !v.is_empty()) {
        Some(text) => parse(&text)
            .map(Some)
            .map_err(|why| format!("{name}: {why}")),
        None => Ok(None),
    }
}

/// `remediate event`: decide under the service lock, audit, and for a pipeline hand the
/// lock and the run to a detached child; one line out, at once.
pub(super) fn handle(
    config: &Config,
    config_path: &Path,
    service: &Service,
    event: &Event,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let lock = match ServiceLock::acquire(&config.lock_path, &service.name) {
        Ok(lock) => Some(lock),
        Err(LockError::Busy(_)) => None,
        Err(other) => return Err(AppError::Lock(other)),
    };
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let stop = Stop::new();
    let engine = host_engine(config, &teller, &stop);
    let handled =
        engine::handle_event(&engine, &mut store, service, event, lock.is_none(), dry_run)?;
    if dry_run {
        say(
            out,
            render::event_line(&service.name, &handled.verdict, None, true),
        );
        return Ok(Exit::Ok);
    }
    let mut exit = Exit::Ok;
    let mut line = render::event_line(&service.name, &handled.verdict, handled.run, false);
    if let (Some(run), Some(lock)) = (handled.run, &lock) {
        match crate::detach::spawn_pipeline(config, config_path, run, lock) {
            Ok(pid) => {
                // The child must own the run before we exit: whoever opens the store next
                // (the child itself, to adopt it) would otherwise find its owner gone and
                // mark it interrupted.
                if let Err(error) = store.hand_over_run(run, pid) {
                    eprintln!("remediate: {error}");
                }
                line.push_str(&format!(" (pid {pid})"));
            }
            Err(error) => {
                // The run is recorded as begun; nobody will run it: end it as aborted.
                let _ = store.finish_run(run, RunOutcome::Aborted, now());
                line = render::event_not_started(&service.name, run, &error.to_string());
                exit = Exit::Problem;
            }
        }
    }
    say(out, line);
    // The handler must return quickly: whatever the webhooks still owe waits at most this.
    drop(engine);
    report_failures(teller.finish());
    telemetry::after_change(config, &store);
    Ok(exit)
}

/// The detached child of `remediate event`: runs the pipeline the handler began.
pub(super) fn continue_detached(
    config: &Config,
    run: RunId,
    lock_fd: i32,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let lock = ServiceLock::inherit(lock_fd).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let stop = Stop::on_signals()
        .map_err(|e| AppError::Broken(format!("cannot catch SIGTERM/SIGINT: {e}")))?;
    let engine = host_engine(config, &teller, &stop);
    let report = engine::continue_run(&engine, &mut store, run, Some(lock.descriptor()))
        .map_err(|e| AppError::Broken(format!("run {run}: {e}")))?;
    say(out, render::detached_line(now(), run, &report));
    drop(engine);
    report_failures(teller.finish());
    telemetry::after_change(config, &store);
    Ok(if report.outcome == RunOutcome::Succeeded {
        Exit::Ok
    } else {
        Exit::Problem
    })
}
