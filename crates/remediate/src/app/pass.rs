//! `check` (one pass, for cron) and `watch` (pass after pass, as a service).

use std::io::Write;
use std::time::Instant;

use super::{AppError, Exit, host_engine, report_failures, say};
use crate::config::Config;
use crate::engine::{self, PassReport};
use crate::lock::{LockError, PassLock};
use crate::model::{Source, now};
use crate::notify::{Teller, telemetry};
use crate::render;
use crate::stop::Stop;
use crate::store::{Keeper, Store};

/// `remediate check`: one pass, a line per service.
pub(super) fn check(config: &Config, out: &mut dyn Write) -> Result<Exit, AppError> {
    let teller = Teller::new(config);
    let mut keeper = Keeper::new(&config.db_path, spare_path(&config.db_path));
    let exit = one_pass(
        config,
        Source::Cron,
        &Stop::new(),
        &teller,
        &mut keeper,
        out,
        true,
    )?;
    report_failures(teller.finish());
    Ok(exit.unwrap_or(Exit::Ok))
}

/// `remediate watch`: passes every `interval` until SIGTERM/SIGINT (or `passes`).
pub(super) fn watch(
    config: &Config,
    passes: Option<u64>,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let stop = Stop::on_signals()
        .map_err(|e| AppError::Broken(format!("cannot catch SIGTERM/SIGINT: {e}")))?;
    let teller = Teller::new(config);
    let interval = config.operation.interval;
    say(
        out,
        render::watch_banner(
            config.services.len(),
            interval,
            config.operation.concurrency,
        ),
    );
    let _ = out.flush();
    let mut done = 0u64;
    let mut attempted = 0u64;
    // One for all passes: while the database cannot be written, the copy in memory
    // carries the counters and budgets from pass to pass.
    let mut keeper = Keeper::new(&config.db_path, spare_path(&config.db_path));
    while !stop.is_requested() {
        attempted += 1;
        let began = Instant::now();
        match one_pass(
            config,
            Source::Watch,
            &stop,
            &teller,
            &mut keeper,
            out,
            false,
        ) {
            Ok(Some(_)) => done += 1,
            Ok(None) => {}
            // A broken database or lock file may mend (a full disk emptied): say so and
            // try again next time; systemd's journal has the line.
            Err(error @ (AppError::Store(_) | AppError::Lock(_))) => {
                eprintln!("remediate: {error}");
            }
            Err(other) => return Err(other),
        }
        let _ = out.flush();
        // Counted as tried, so a lock another run keeps held cannot make --passes endless.
        if passes.is_some_and(|limit| attempted >= limit) {
            break;
        }
        stop.wait(interval.saturating_sub(began.elapsed()));
    }
    if let Some(why) = stop.reason() {
        say(out, render::watch_stopped(&why, done));
    }
    report_failures(teller.finish());
    Ok(Exit::Ok)
}

/// One pass under the pass lock, with everything around it: the ping, the audit of the
/// pass, remediate's own heartbeat and the Prometheus textfile. None when another run
/// held the lock (nothing done) or a stop abandoned the pass. `print_all`: a line per
/// service (cron), else only those that need attention or changed (watch).
fn one_pass(
    config: &Config,
    source: Source,
    stop: &Stop,
    teller: &Teller,
    keeper: &mut Keeper,
    out: &mut dyn Write,
    print_all: bool,
) -> Result<Option<Exit>, AppError> {
    let _lock = match PassLock::acquire(&config.lock_path) {
        Ok(lock) => lock,
        Err(LockError::Busy(path)) => {
            say(
                out,
                format!("another remediate run holds {path}: nothing done"),
            );
            return Ok(None);
        }
        Err(other) => return Err(AppError::Lock(other)),
    };
    let ping = teller.pass_started();
    let store = match keeper.open() {
        Ok((store, notes)) => {
            notes.iter().for_each(|note| eprintln!("remediate: {note}"));
            store
        }
        Err(error) => {
            // Whoever watches the switch hears that remediate itself is broken.
            ping.finish(false, &format!("remediate: {error}"));
            return Err(error.into());
        }
    };
    // After the open: the store's anchor sets the steady clock this process counts on.
    let started = now();
    let (store, passed) = match pass_in_store(config, source, stop, teller, store) {
        // The disk filled (or failed) during the pass, whose writes were rolled back: the
        // pass is done again on a copy in memory, so healing does not wait for the disk.
        Err(AppError::Store(error)) if error.is_storage_fault() && store.degraded().is_none() => {
            eprintln!("remediate: {}", error);
            let copy = keeper.degrade(&error)?;
            let passed = pass_in_store(config, source, stop, teller, &mut *copy);
            (copy, passed)
        }
        passed => (store, passed),
    };
    let (report, mut lines) = match passed {
        Ok(done) => done,
        Err(error) => {
            ping.finish(false, &format!("remediate: {error}"));
            return Err(error);
        }
    };
    if report.abandoned {
        say(
            out,
            format!(
                "pass abandoned ({}): nothing recorded",
                stop.reason().unwrap_or_default()
            ),
        );
        return Ok(None);
    }
    if let Some(step) = report.clock_step {
        lines.push(render::clock_step_line(step));
    }
    for line in &lines {
        say(out, line);
    }
    let mut worst = Exit::Ok;
    for service in &report.services {
        let line = render::pass_line(service);
        let attention = service.needs_attention();
        if attention {
            worst = Exit::Problem;
        }
        if print_all || attention || service.changed() {
            say(out, &line);
        }
        lines.push(line);
    }
    let ok = worst == Exit::Ok;
    let record = store.record_pass(started, now(), ok, report.wall_offset)?;
    telemetry::after_pass(config, store, &record, source)
        .into_iter()
        .chain(keeper.keep())
        .for_each(|problem| eprintln!("remediate: {problem}"));
    ping.finish(ok, &lines.join("\n"));
    report_failures(teller.failures());
    Ok(Some(worst))
}

/// Where a pass on a database that cannot be written keeps its record for the next run:
/// on /run (a file system of its own, in memory), `/run/triage` as root, else
/// `$XDG_RUNTIME_DIR/triage`; named after the database, so two configurations never
/// share one.
fn spare_path(db_path: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let dir = if crate::config::effective_uid() == Some(0) {
        std::path::PathBuf::from("/run/triage")
    } else {
        std::path::PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?).join("triage")
    };
    let name = triage_core::state_dir::fnv1a(db_path.as_os_str().as_bytes());
    Some(dir.join(format!("remediate-{name:016x}.spare.db")))
}

/// The store part of a pass: note interrupted runs, pass, prune. Returns the report and
/// the lines about interrupted runs.
fn pass_in_store(
    config: &Config,
    source: Source,
    stop: &Stop,
    teller: &Teller,
    store: &mut Store,
) -> Result<(PassReport, Vec<String>), AppError> {
    let log: Vec<String> = store
        .interrupted_on_open()
        .iter()
        .map(render::interrupted_line)
        .collect();
    let engine = host_engine(config, teller, stop);
    let report = engine::check_pass(&engine, source, store)?;
    store.prune(now() - config.retention.as_secs_f64())?;
    Ok((report, log))
}
