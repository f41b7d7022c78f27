//! The one place remediate's work meets the terminal: run the subcommand, print, and turn
//! every error into its exit code.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Action, Cli};
use crate::config;
use crate::engine::{self, ServiceReport};
use crate::lock::{LockError, PassLock};
use crate::store::{HistoryEntry, RunOutcome, ServiceState, ServiceStatus, Store};

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
                AppError::Config(_) | AppError::UnknownService(_) => EXIT_USAGE,
                AppError::Store(_) | AppError::Lock(_) => EXIT_BROKEN,
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
    let config = config::load(&config_path(cli))?;
    let action = cli.command.as_ref().unwrap_or(&Action::Check);
    if let Action::Validate = action {
        let count = match config.services.len() {
            1 => "1 service".to_owned(),
            n => format!("{n} services"),
        };
        let _ = writeln!(out, "{}: OK, {count}", config_path(cli).display());
        return Ok(EXIT_OK);
    }
    let service = |name: &str| {
        config
            .services
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| AppError::UnknownService(name.to_owned()))
    };
    match action {
        Action::Check => {
            let _lock = match PassLock::acquire(&config.lock_path) {
                Ok(lock) => lock,
                Err(LockError::Busy(path)) => {
                    let _ = writeln!(out, "another remediate run holds {path}: nothing done");
                    return Ok(EXIT_OK);
                }
                Err(other) => return Err(AppError::Lock(other)),
            };
            let mut store = Store::open(&config.db_path)?;
            for run in store.interrupted_on_open() {
                let _ = writeln!(
                    out,
                    "{}: run {} was interrupted (remediate stopped during it)",
                    run.service, run.id
                );
            }
            let reports = engine::check_pass(&config, &mut store)?;
            store.prune(engine::now() - config.retention.as_secs_f64())?;
            let mut worst = EXIT_OK;
            for report in &reports {
                let _ = writeln!(out, "{}", describe(report));
                if needs_attention(report) {
                    worst = EXIT_PROBLEM;
                }
            }
            Ok(worst)
        }
        Action::Run {
            service: name,
            dry_run,
        } => run_by_hand(&config, service(name)?, *dry_run, out),
        Action::Restart { service: name } => run_by_hand(&config, service(name)?, false, out),
        Action::On { service: name } | Action::Off { service: name } => {
            let on = matches!(action, Action::On { .. });
            let chosen = [service(name)?];
            switch_all(&config, &chosen, on, out)
        }
        Action::StartAll | Action::StopAll => {
            let on = matches!(action, Action::StartAll);
            let all: Vec<&config::Service> = config.services.iter().collect();
            switch_all(&config, &all, on, out)
        }
        Action::Status {
            json,
            output_format,
            max_pass_age,
        } => {
            let store = Store::open(&config.db_path)?;
            let stored = store.services()?;
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
                let result = crate::self_check::self_check(&states, engine::now(), *max_pass_age);
                let report = triage_core::format::Report {
                    plugin: "remediate",
                    service: "REMEDIATE",
                    result: &result,
                };
                let _ = write!(
                    out,
                    "{}",
                    report.render(*format, triage_core::format::DEFAULT_OUTPUT_LIMIT)
                );
                return Ok(result.state.code() as u8);
            }
            if *json {
                let map: serde_json::Map<String, serde_json::Value> = states
                    .iter()
                    .map(|(name, state)| {
                        let value = serde_json::to_value(state).unwrap_or(serde_json::Value::Null);
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
            Ok(worst)
        }
        Action::History {
            service: name,
            since,
            json,
        } => {
            if let Some(name) = name {
                service(name)?;
            }
            let store = Store::open(&config.db_path)?;
            for entry in store.history(name.as_deref(), engine::now() - since)? {
                if *json {
                    let _ = writeln!(out, "{}", serde_json::to_string(&entry).unwrap_or_default());
                } else {
                    let _ = writeln!(out, "{}", describe_history(&entry));
                }
            }
            Ok(EXIT_OK)
        }
        Action::Validate => Ok(EXIT_OK),
    }
}

/// `run` and `restart`: the pipeline now, under the lock.
fn run_by_hand(
    config: &config::Config,
    service: &config::Service,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let _lock = PassLock::acquire(&config.lock_path).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let run = engine::run_now(config, &mut store, service, dry_run)?;
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
    Ok(
        if matches!(run.outcome, RunOutcome::Succeeded | RunOutcome::DryRun) {
            EXIT_OK
        } else {
            EXIT_PROBLEM
        },
    )
}

/// `on`, `off`, `start-all`, `stop-all`, under the lock.
fn switch_all(
    config: &config::Config,
    services: &[&config::Service],
    on: bool,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    let _lock = PassLock::acquire(&config.lock_path).map_err(AppError::Lock)?;
    let mut store = Store::open(&config.db_path)?;
    let mut worst = EXIT_OK;
    for service in services {
        let word = if on { "on" } else { "off" };
        match engine::switch(config, &mut store, service, on)? {
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

/// `app: CRITICAL heartbeat 400s old -> remediated (run 7: kill ok, start ok)`.
fn describe(report: &ServiceReport) -> String {
    use crate::decide::Verdict;
    let Some((state, summary)) = &report.check else {
        return format!(
            "{}: not checked ({})",
            report.service,
            report.skipped.as_deref().unwrap_or("")
        );
    };
    let verdict = match &report.verdict {
        Some(Verdict::Healthy { recovered: true }) => " -> recovered".to_owned(),
        Some(Verdict::Healthy { .. }) | None => String::new(),
        Some(Verdict::Failing { count, threshold }) => format!(" -> failing {count}/{threshold}"),
        Some(Verdict::InGrace { until }) => {
            format!(" -> starting up, no verdict before {}", time(*until))
        }
        Some(Verdict::DependencyDown { dependency }) => {
            format!(" -> not remediated: {dependency} is down")
        }
        Some(Verdict::Backoff { until }) => format!(" -> next attempt not before {}", time(*until)),
        Some(Verdict::Exhausted { until, .. }) => {
            format!(" -> EXHAUSTED: no action before {}", time(*until))
        }
        Some(Verdict::Remediate { attempt }) => format!(" -> remediating (attempt {attempt})"),
    };
    let run = report
        .run
        .as_ref()
        .map(|run| {
            let steps: Vec<String> = run
                .steps
                .iter()
                .map(|s| format!("{} {}", s.action, step_word(s)))
                .collect();
            format!(
                ": run {} {} ({})",
                run.id,
                outcome_word(run.outcome),
                steps.join(", ")
            )
        })
        .unwrap_or_default();
    format!(
        "{}: {} {}{verdict}{run}",
        report.service,
        state.label(),
        summary
    )
}

fn step_word(step: &crate::pipeline::StepReport) -> &'static str {
    match step.status {
        crate::pipeline::StepStatus::Ok => "ok",
        crate::pipeline::StepStatus::Failed => "failed",
        crate::pipeline::StepStatus::TimedOut => "timed out",
        crate::pipeline::StepStatus::Skipped => "skipped",
    }
}

fn outcome_word(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Succeeded => "succeeded",
        RunOutcome::Failed => "finished with failed steps",
        RunOutcome::Aborted => "aborted",
        RunOutcome::DryRun => "dry run",
        RunOutcome::Interrupted => "interrupted",
    }
}

fn describe_history(entry: &HistoryEntry) -> String {
    match entry {
        HistoryEntry::Check {
            service,
            at,
            state,
            summary,
        } => format!("{}  {service}: {} {summary}", time(*at), state.label()),
        HistoryEntry::Toggle {
            service,
            at,
            enabled,
        } => {
            format!(
                "{}  {service}: switched {}",
                time(*at),
                if *enabled { "on" } else { "off" }
            )
        }
        HistoryEntry::Run {
            id,
            service,
            started,
            outcome,
            reason,
            dry_run,
            steps,
            ..
        } => {
            let mut text = format!(
                "{}  {service}: run {id} {}{} ({reason})",
                time(*started),
                outcome,
                if *dry_run { ", dry run" } else { "" }
            );
            for step in steps {
                text.push_str(&format!(
                    "\n    {}. {}: {}, {}",
                    step.index + 1,
                    step.action,
                    step.outcome.as_str(),
                    step.note
                ));
            }
            text
        }
    }
}

/// `2026-11-23 17:45:59 UTC`: to the second, which is what a person reads.
fn time(at: f64) -> String {
    chrono::DateTime::from_timestamp(at.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{at}"))
}
