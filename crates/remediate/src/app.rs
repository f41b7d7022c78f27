//! The one place remediate's work meets the terminal: run the subcommand, print, and turn
//! every error into its exit code.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use triage_core::State;

use crate::cli::{Action, Cli};
use crate::config::{self, Config};
use crate::decide::EventVerdict;
use crate::engine::{self, Event, PassContext, PassReport, ServiceReport};
use crate::lock::{LockError, PassLock, ServiceLock};
use crate::report::{describe, describe_history, outcome_word, time};
use crate::stop::Stop;
use crate::store::{Maintenance, RunOutcome, ServiceState, ServiceStatus, Source, Store};
use crate::tell::Teller;

/// Where the configuration is when neither `-c` nor `$REMEDIATE_CONFIG` says.
const DEFAULT_CONFIG: &str = "/etc/triage/remediate.toml";

/// Exit codes (documented in --help).
const EXIT_OK: u8 = 0;
const EXIT_PROBLEM: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_BROKEN: u8 = 3;

/// Why remediate stopped.
#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Lock(LockError),
    #[error("no service named '{0}' in the configuration")]
    UnknownService(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Broken(String),
}

/// Runs remediate with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                _ => EXIT_USAGE,
            });
        }
    };
    let out = &mut std::io::stdout().lock();
    match run(&cli, out) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let _ = out.flush();
            eprintln!("remediate: {error}");
            ExitCode::from(match error {
                AppError::Config(_) | AppError::UnknownService(_) | AppError::Usage(_) => {
                    EXIT_USAGE
                }
                AppError::Store(_) | AppError::Lock(_) | AppError::Broken(_) => EXIT_BROKEN,
            })
        }
    }
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .or_else(|| {
            std::env::var_os("REMEDIATE_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
}

fn run(cli: &Cli, out: &mut dyn Write) -> Result<u8, AppError> {
    let path = config_path(cli);
    let mut config = config::load(&path)?;
    let action = cli.command.as_ref().unwrap_or(&Action::Check);
    let service = |name: &str| {
        config
            .services
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .ok_or_else(|| AppError::UnknownService(name.to_owned()))
    };
    match action {
        Action::Validate => {
            let count = match config.services.len() {
                1 => "1 service".to_owned(),
                n => format!("{n} services"),
            };
            let _ = writeln!(out, "{}: OK, {count}", path.display());
            Ok(EXIT_OK)
        }
        Action::Check => {
            let teller = Teller::new(&config);
            let code = one_pass(&config, Source::Cron, &Stop::new(), &teller, out, true)?;
            report_failures(teller.finish());
            Ok(code.unwrap_or(EXIT_OK))
        }
        Action::Watch {
            interval,
            concurrency,
            passes,
        } => {
            if let Some(seconds) = interval {
                config.operation.interval = Duration::from_secs_f64(*seconds);
            }
            if let Some(n) = concurrency {
                config.operation.concurrency = *n as usize;
            }
            watch(&config, *passes, out)
        }
        Action::Event {
            service: name,
            state_arg,
            state_type_arg,
            attempt_arg,
            state,
            state_type,
            attempt,
            source,
            output,
            dry_run,
        } => {
            let chosen = service(name)?;
            let event = event_from(
                [state_arg, state_type_arg, attempt_arg],
                [state, state_type, attempt],
                source.as_deref(),
                output.clone(),
            )?;
            handle_event(&config, &path, &chosen, &event, *dry_run, out)
        }
        Action::Pipeline { run, lock_fd } => continue_detached(&config, *run, *lock_fd, out),
        Action::Run {
            service: name,
            dry_run,
        } => run_by_hand(&config, &service(name)?, *dry_run, out),
        Action::Restart { service: name } => run_by_hand(&config, &service(name)?, false, out),
        Action::On { service: name } | Action::Off { service: name } => {
            let on = matches!(action, Action::On { .. });
            switch_all(&config, &[service(name)?], on, out)
        }
        Action::StartAll | Action::StopAll => {
            let on = matches!(action, Action::StartAll);
            switch_all(&config, &config.services, on, out)
        }
        Action::Maint {
            service: name,
            duration,
            reason,
            list,
            end,
        } => {
            if let Some(name) = name {
                service(name)?;
            }
            maint(
                &config,
                name.as_deref(),
                *duration,
                reason.as_deref(),
                *list,
                *end,
                out,
            )
        }
        Action::Status {
            json,
            output_format,
            max_pass_age,
        } => status(&config, *json, *output_format, *max_pass_age, out),
        Action::History {
            service: name,
            since,
            json,
        } => {
            if let Some(name) = name {
                service(name)?;
            }
            let store = Store::open(&config.db_path)?;
            let now = engine::now();
            for entry in store.history(name.as_deref(), now - since, now)? {
                if *json {
                    let _ = writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default());
                } else {
                    let _ = writeln!(out, "{}", describe_history(&entry));
                }
            }
            Ok(EXIT_OK)
        }
    }
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
    out: &mut dyn Write,
    print_all: bool,
) -> Result<Option<u8>, AppError> {
    let _lock = match PassLock::acquire(&config.lock_path) {
        Ok(lock) => lock,
        Err(LockError::Busy(path)) => {
            let _ = writeln!(out, "another remediate run holds {path}: nothing done");
            return Ok(None);
        }
        Err(other) => return Err(AppError::Lock(other)),
    };
    let started = engine::now();
    let ping = teller.pass_started();
    let result = pass_in_store(config, source, stop, teller);
    let (report, log) = match result {
        Ok(done) => done,
        Err(error) => {
            // Whoever watches the switch hears that remediate itself is broken.
            ping.finish(false, &format!("remediate: {error}"));
            return Err(error);
        }
    };
    if report.abandoned {
        let _ = writeln!(
            out,
            "pass abandoned ({}): nothing recorded",
            stop.reason().unwrap_or_default()
        );
        return Ok(None);
    }
    let mut worst = EXIT_OK;
    for line in &log {
        let _ = writeln!(out, "{line}");
    }
    let mut lines = log;
    for service in &report.services {
        let line = describe(service);
        let attention = needs_attention(service);
        if attention {
            worst = EXIT_PROBLEM;
        }
        if print_all || attention || changed(service) {
            let _ = writeln!(out, "{line}");
        }
        lines.push(line);
    }
    let ok = worst == EXIT_OK;
    let mut store = Store::open(&config.db_path)?;
    let record = store.record_pass(started, engine::now(), ok)?;
    crate::telemetry::after_pass(config, &store, &record, source)
        .into_iter()
        .for_each(|problem| eprintln!("remediate: {problem}"));
    ping.finish(ok, &lines.join("\n"));
    report_failures(teller.failures());
    Ok(Some(worst))
}

/// The store part of a pass: open, note interrupted runs, pass, prune. Returns the report
/// and the lines about interrupted runs.
fn pass_in_store(
    config: &Config,
    source: Source,
    stop: &Stop,
    teller: &Teller,
) -> Result<(PassReport, Vec<String>), AppError> {
    let mut store = Store::open(&config.db_path)?;
    let log: Vec<String> = store
        .interrupted_on_open()
        .iter()
        .map(|run| {
            format!(
                "{}: run {} was interrupted (remediate stopped during it)",
                run.service, run.id
            )
        })
        .collect();
    let ctx = PassContext {
        config,
        source,
        stop,
        teller,
    };
    let report = engine::check_pass(&ctx, &mut store)?;
    store.prune(engine::now() - config.retention.as_secs_f64())?;
    Ok((report, log))
}

/// `remediate watch`: passes every `interval` until SIGTERM/SIGINT (or `passes`).
fn watch(config: &Config, passes: Option<u64>, out: &mut dyn Write) -> Result<u8, AppError> {
    let stop = Stop::on_signals()
        .map_err(|e| AppError::Broken(format!("cannot catch SIGTERM/SIGINT: {e}")))?;
    let teller = Teller::new(config);
    let interval = config.operation.interval;
    let services = match config.services.len() {
        1 => "1 service".to_owned(),
        n => format!("{n} services"),
    };
    let every = if interval < Duration::from_secs(10) {
        format!("{}s", interval.as_secs_f64())
    } else {
        triage_core::duration::format_duration(interval.as_secs_f64())
    };
    let _ = writeln!(
        out,
        "remediate watch: {services} every {every}, {} at once",
        config.operation.concurrency
    );
    let _ = out.flush();
    let mut done = 0u64;
    let mut attempted = 0u64;
    while !stop.is_requested() {
        attempted += 1;
        let began = Instant::now();
        match one_pass(config, Source::Watch, &stop, &teller, out, false) {
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
        let passes = if done == 1 { "pass" } else { "passes" };
        let _ = writeln!(
            out,
            "remediate watch: stopped by {why} after {done} {passes}"
        );
    }
    report_failures(teller.finish());
    Ok(EXIT_OK)
}

/// The event's state, type and attempt from the positional form, the flag form, or
/// Nagios's environment macros.
fn event_from(
    positional: [&Option<String>; 3],
    flags: [&Option<String>; 3],
    source: Option<&str>,
    output: Option<String>,
) -> Result<Event, AppError> {
    let given = |values: [&Option<String>; 3]| values.iter().any(|v| v.is_some());
    let (values, default_source) = if given(positional) {
        (positional.map(Clone::clone), Source::Nagios)
    } else if given(flags) {
        (flags.map(Clone::clone), Source::Icinga)
    } else {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        (
            [
                var("NAGIOS_SERVICESTATE"),
                var("NAGIOS_SERVICESTATETYPE"),
                var("NAGIOS_SERVICEATTEMPT"),
            ],
            Source::Nagios,
        )
    };
    let [state, kind, attempt] = values;
    let usage = |what: &str| {
        AppError::Usage(format!(
            "event: {what} (give STATE STATETYPE ATTEMPT, or -s -t -a; see remediate event --help)"
        ))
    };
    let state = state.ok_or_else(|| usage("no state"))?;
    let state: State = state.parse().map_err(|_| {
        usage(&format!(
            "'{state}' is not OK, WARNING, CRITICAL or UNKNOWN"
        ))
    })?;
    let hard = match kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("HARD") | Some("1") => true,
        Some("SOFT") | Some("0") => false,
        Some(other) => return Err(usage(&format!("'{other}' is not SOFT or HARD"))),
        None => return Err(usage("no state type")),
    };
    let attempt = attempt.ok_or_else(|| usage("no attempt"))?;
    let attempt: u32 = attempt
        .trim()
        .parse()
        .map_err(|_| usage(&format!("'{attempt}' is not an attempt number")))?;
    Ok(Event {
        state,
        hard,
        attempt,
        source: source.and_then(Source::parse).unwrap_or(default_source),
        output: output.filter(|o| !o.is_empty()),
    })
}

/// `remediate event`: decide under the service lock, audit, and for a pipeline hand the
/// lock and the run to a detached child; one line out, at once.
fn handle_event(
    config: &Config,
    config_path: &Path,
    service: &config::Service,
    event: &Event,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let lock = match ServiceLock::acquire(&config.lock_path, &service.name) {
        Ok(lock) => Some(lock),
        Err(LockError::Busy(_)) => None,
        Err(other) => return Err(AppError::Lock(other)),
    };
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let outcome =
        engine::handle_event(&mut store, service, event, lock.is_none(), dry_run, &teller)?;
    if dry_run {
        let _ = writeln!(
            out,
            "{}: would {}",
            service.name,
            event_words(&outcome.verdict, None)
        );
        return Ok(EXIT_OK);
    }
    let mut code = EXIT_OK;
    let mut line = format!(
        "{}: {}",
        service.name,
        event_words(&outcome.verdict, outcome.run)
    );
    if let (Some(run), Some(lock)) = (outcome.run, &lock) {
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
                let _ = store.finish_run(run, RunOutcome::Aborted, engine::now());
                line = format!(
                    "{}: remediation could not start (run {run}): {error}",
                    service.name
                );
                code = EXIT_PROBLEM;
            }
        }
    }
    let _ = writeln!(out, "{line}");
    // The handler must return quickly: whatever the webhooks still owe waits at most this.
    report_failures(teller.finish());
    crate::telemetry::after_change(config, &store);
    Ok(code)
}

fn event_words(verdict: &EventVerdict, run: Option<i64>) -> String {
    match verdict {
        EventVerdict::Recovered => "recovered: counters cleared".into(),
        EventVerdict::Ignored(why) => format!("nothing done: {why}"),
        EventVerdict::Exhausted { until, .. } => {
            format!("EXHAUSTED: no action before {}", time(*until))
        }
        EventVerdict::Remediate { attempt } => match run {
            Some(run) => format!("remediation started, run-id={run} (attempt {attempt})"),
            None => format!("remediate (attempt {attempt})"),
        },
    }
}

/// The detached child of `remediate event`: runs the pipeline the handler began.
fn continue_detached(
    config: &Config,
    run: i64,
    lock_fd: i32,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let _lock = ServiceLock::inherit(lock_fd).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let stop = Stop::on_signals()
        .map_err(|e| AppError::Broken(format!("cannot catch SIGTERM/SIGINT: {e}")))?;
    let report = engine::continue_run(config, &mut store, run, &stop, &teller)
        .map_err(|e| AppError::Broken(format!("run {run}: {e}")))?;
    let _ = writeln!(
        out,
        "{} run {run} {}",
        time(engine::now()),
        outcome_word(report.outcome)
    );
    report_failures(teller.finish());
    crate::telemetry::after_change(config, &store);
    Ok(if report.outcome == RunOutcome::Succeeded {
        EXIT_OK
    } else {
        EXIT_PROBLEM
    })
}

/// `run` and `restart`: the pipeline now, under the service's lock.
fn run_by_hand(
    config: &Config,
    service: &config::Service,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let _lock = ServiceLock::acquire(&config.lock_path, &service.name).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let run = engine::run_now(config, &mut store, service, dry_run, &teller)?;
    let verb = if dry_run { "would run" } else { "ran" };
    let _ = writeln!(
        out,
        "{}: {verb} {} steps (run {}, {})",
        service.name,
        run.steps.len(),
        run.id,
        outcome_word(run.outcome)
    );
    for (index, step) in run.steps.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}: {}", index + 1, step.action, step.note);
    }
    report_failures(teller.finish());
    crate::telemetry::after_change(config, &store);
    Ok(
        if matches!(run.outcome, RunOutcome::Succeeded | RunOutcome::DryRun) {
            EXIT_OK
        } else {
            EXIT_PROBLEM
        },
    )
}

/// `on`, `off`, `start-all`, `stop-all`, each under the service's lock.
fn switch_all(
    config: &Config,
    services: &[config::Service],
    on: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let mut store = Store::open(&config.db_path)?;
    let teller = Teller::new(config);
    let mut worst = EXIT_OK;
    for service in services {
        let _lock =
            ServiceLock::acquire(&config.lock_path, &service.name).map_err(AppError::Lock)?;
        let word = if on { "on" } else { "off" };
        match engine::switch(config, &mut store, service, on, &teller)? {
            None => {
                let _ = writeln!(out, "{}: {word}", service.name);
            }
            Some(run) => {
                let notes: Vec<String> = run
                    .steps
                    .iter()
                    .map(|s| format!("{}: {}", s.action, s.note))
                    .collect();
                let _ = writeln!(
                    out,
                    "{}: {word}, run {} {} ({})",
                    service.name,
                    run.id,
                    outcome_word(run.outcome),
                    notes.join("; ")
                );
                if !matches!(run.outcome, RunOutcome::Succeeded) {
                    worst = EXIT_PROBLEM;
                }
            }
        }
    }
    report_failures(teller.finish());
    crate::telemetry::after_change(config, &store);
    Ok(worst)
}

/// `maint`: start, end or list maintenance windows.
fn maint(
    config: &Config,
    service: Option<&str>,
    duration: Option<f64>,
    reason: Option<&str>,
    list: bool,
    end: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let mut store = Store::open(&config.db_path)?;
    let now = engine::now();
    if list {
        let windows = store.active_maintenance(now)?;
        if windows.is_empty() {
            let _ = writeln!(out, "no service is in maintenance");
        }
        for window in windows {
            let _ = writeln!(
                out,
                "{}: until {} ({} left), by {}: {}",
                window.service,
                time(window.until),
                triage_core::duration::format_duration(window.until - now),
                window.by,
                window.reason
            );
        }
        return Ok(EXIT_OK);
    }
    let Some(service) = service else {
        return Err(AppError::Usage("maint: which service?".into()));
    };
    if end {
        let line = if store.end_maintenance(service, now)? {
            format!("{service}: maintenance ended")
        } else {
            format!("{service}: was not in maintenance")
        };
        let _ = writeln!(out, "{line}");
        crate::telemetry::after_change(config, &store);
        return Ok(EXIT_OK);
    }
    let (Some(duration), Some(reason)) = (duration, reason) else {
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
    let _ = writeln!(
        out,
        "{service}: in maintenance until {} ({}): no action until then",
        time(window.until),
        window.reason
    );
    crate::telemetry::after_change(config, &store);
    Ok(EXIT_OK)
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

/// `status`: a table, JSON, or a Nagios result.
fn status(
    config: &Config,
    json: bool,
    output_format: Option<triage_core::OutputFormat>,
    max_pass_age: f64,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let store = Store::open(&config.db_path)?;
    let stored = store.services()?;
    let now = engine::now();
    let windows = store.active_maintenance(now)?;
    let record = store.pass_record()?;
    // Services in the configuration's order, with what the store knows of each.
    let states: Vec<(&str, ServiceState)> = config
        .services
        .iter()
        .map(|s| {
            let state = stored
                .iter()
                .find(|(n, _)| n == &s.name)
                .map(|(_, st)| st.clone());
            (s.name.as_str(), state.unwrap_or_default())
        })
        .collect();
    if let Some(format) = output_format {
        let result = crate::self_check::self_check(&states, &windows, &record, now, max_pass_age);
        let report = triage_core::format::Report {
            plugin: "remediate",
            service: "REMEDIATE",
            result: &result,
        };
        let _ = write!(
            out,
            "{}",
            report.render(format, triage_core::format::DEFAULT_OUTPUT_LIMIT)
        );
        return Ok(result.state.code() as u8);
    }
    if json {
        let map: serde_json::Map<String, serde_json::Value> = states
            .iter()
            .map(|(name, state)| {
                let mut value = serde_json::to_value(state).unwrap_or(serde_json::Value::Null);
                if let Some(window) = windows.iter().find(|w| w.service == *name) {
                    value["maintenance"] =
                        serde_json::to_value(window).unwrap_or(serde_json::Value::Null);
                }
                ((*name).to_owned(), value)
            })
            .collect();
        let _ = writeln!(out, "{}", serde_json::Value::Object(map));
        return Ok(EXIT_OK);
    }
    let _ = writeln!(
        out,
        "{:<20} {:<12} {:>8}  {:<22} LAST CHECK",
        "SERVICE", "STATUS", "FAILURES", "LAST RUN"
    );
    let mut worst = EXIT_OK;
    for (name, state) in &states {
        if matches!(
            state.status,
            ServiceStatus::Failing | ServiceStatus::Exhausted
        ) {
            worst = EXIT_PROBLEM;
        }
        let _ = writeln!(
            out,
            "{:<20} {:<12} {:>8}  {:<22} {}",
            name,
            state.status.as_str(),
            state.consecutive_failures,
            state.last_run.map(time).unwrap_or_else(|| "-".into()),
            match (&state.last_state, &state.last_summary) {
                (Some(s), Some(summary)) => format!("{} {summary}", s.label()),
                _ => "-".into(),
            }
        );
    }
    for window in &windows {
        let _ = writeln!(
            out,
            "{}: in maintenance until {} (by {}: {})",
            window.service,
            time(window.until),
            window.by,
            window.reason
        );
    }
    if let Some(at) = record.last_finished {
        let _ = writeln!(out, "last pass: {} ({} passes)", time(at), record.passes);
    }
    Ok(worst)
}

fn needs_attention(report: &ServiceReport) -> bool {
    use crate::decide::Verdict;
    let failed_run = report
        .run
        .as_ref()
        .is_some_and(|r| !matches!(r.outcome, RunOutcome::Succeeded));
    failed_run
        || matches!(
            report.verdict,
            Some(
                Verdict::Failing { .. }
                    | Verdict::Exhausted { .. }
                    | Verdict::DependencyDown { .. }
                    | Verdict::Backoff { .. }
            )
        )
}

/// Worth a line in `watch`'s log even when fine: something happened.
fn changed(report: &ServiceReport) -> bool {
    use crate::decide::Verdict;
    report.run.is_some()
        || matches!(
            report.verdict,
            Some(Verdict::Healthy { recovered: true } | Verdict::Remediate { .. })
        )
}

/// Delivery failures go to stderr (the journal, cron's mail); they never change the exit
/// code, since recovery went on without them.
fn report_failures(failures: Vec<String>) {
    for failure in failures {
        eprintln!("remediate: {failure}");
    }
}
