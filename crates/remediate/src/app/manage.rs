//! What a person asks for by hand: `run`/`restart`, `on`/`off`/`start-all`/`stop-all`,
//! and `maint`.

use std::io::Write;

use super::{AppError, Exit, host_engine, report_failures, say};
use crate::act::orphans;
use crate::config::{self, Config, Service};
use crate::engine;
use crate::model::{Maintenance, RunOutcome, now};
use crate::notify::{Teller, telemetry};
use crate::render;
use crate::stop::Stop;
use crate::store::Store;

/// `run` and `restart`: the pipeline now, under the service's lock.
pub(super) fn run_by_hand(
    config: &Config,
    service: &Service,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let lock = orphans::acquire(&config.lock_path, service).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let stop = Stop::new();
    let engine = host_engine(config, &teller, &stop);
    let run = engine::run_now(
        &engine,
        &mut store,
        service,
        dry_run,
        Some(lock.descriptor()),
    )?;
    for line in render::run_by_hand(&service.name, &run, dry_run) {
        say(out, line);
    }
    drop(engine);
    report_failures(teller.finish());
    telemetry::after_change(config, &store);
    Ok(if run.outcome.is_success() {
        Exit::Ok
    } else {
        Exit::Problem
    })
}

/// `on`, `off`, `start-all`, `stop-all`, each under the service's lock.
pub(super) fn switch_all(
    config: &Config,
    services: &[Service],
    on: bool,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let stop = Stop::new();
    let engine = host_engine(config, &teller, &stop);
    let mut worst = Exit::Ok;
    for service in services {
        let lock = orphans::acquire(&config.lock_path, service).map_err(AppError::Lock)?;
        let run = engine::switch(&engine, &mut store, service, on, Some(lock.descriptor()))?;
        say(out, render::switched(&service.name, on, run.as_ref()));
        if run.is_some_and(|run| run.outcome != RunOutcome::Succeeded) {
            worst = Exit::Problem;
        }
    }
    drop(engine);
    report_failures(teller.finish());
    telemetry::after_change(config, &store);
    Ok(worst)
}

/// What `maint` was asked.
pub(super) struct MaintRequest<'a> {
    pub(super) service: Option<&'a str>,
    pub(super) duration: Option<f64>,
    pub(super) reason: Option<&'a str>,
    pub(super) list: bool,
    pub(super) end: bool,
}

/// `maint`: start, end or list maintenance windows.
pub(super) fn maint(
    config: &Config,
    request: &MaintRequest,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let mut store = Store::open(&config.db_path)?;
    let now = now();
    if request.list {
        for line in render::maintenance_list(&store.active_maintenance(now)?, now) {
            say(out, line);
        }
        return Ok(Exit::Ok);
    }
    let Some(service) = request.service else {
        return Err(AppError::Usage("maint: which service?".into()));
    };
    if request.end {
        let ended = store.end_maintenance(service, now)?;
        say(out, render::maintenance_ended(service, ended));
        telemetry::after_change(config, &store);
        return Ok(Exit::Ok);
    }
    let (Some(duration), Some(reason)) = (request.duration, request.reason) else {
        return Err(AppError::Usage(
            "maint: give --for DURATION and --reason TEXT".into(),
        ));
    };
    if duration <= 0.0 {
        return Err(AppError::Usage("maint: --for must be more than 0s".into()));
    }
    let window = Maintenance {
        service: service.to_owned(),
        started: now,
        until: now + duration,
        ended: None,
        reason: triage_core::format::one_line(reason),
        by: who(),
    };
    store.start_maintenance(&window)?;
    say(out, render::maintenance_started(&window));
    telemetry::after_change(config, &store);
    Ok(Exit::Ok)
}

/// Who set a maintenance window: the person behind sudo, else the user.
fn who() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| {
            config::effective_uid().map_or_else(|| "unknown".to_owned(), |uid| format!("uid {uid}"))
        })
}
