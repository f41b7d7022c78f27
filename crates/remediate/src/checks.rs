//! Running a service's check: the plugins' own check functions in-process (heartbeat,
//! http, container, procs) or any Nagios plugin as a child process (command). Every
//! check ends by its timeout, whatever it waits on.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use triage_core::runner::Context;
use triage_core::{CheckResult, State};

use crate::config::Check;
use crate::process::RecordedProcess;

/// The most plugin output kept from a command check.
const MAX_OUTPUT: u64 = 64 * 1024;

/// What a check concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Its state.
    pub state: State,
    /// Its first line, without the service prefix.
    pub summary: String,
    /// The process the heartbeat names, for the `kill` step.
    pub process: Option<RecordedProcess>,
}

impl CheckOutcome {
    fn unknown(summary: impl Into<String>) -> CheckOutcome {
        CheckOutcome {
            state: State::Unknown,
            summary: summary.into(),
            process: None,
        }
    }
}

/// Runs `check`, giving up after `timeout`; `state_dir` keeps what stall detection saw.
pub fn run_check(check: &Check, timeout: Duration, state_dir: &Path) -> CheckOutcome {
    let deadline = Instant::now() + timeout;
    match check {
        Check::Command { argv } => run_command_check(argv, deadline),
        Check::Heartbeat {
            path,
            max_age,
            stall,
        } => {
            let age = format!("{}", max_age.as_secs_f64());
            let mut argv = vec![
                "-f".to_owned(),
                path.display().to_string(),
                "-w".into(),
                age.clone(),
                "-c".into(),
                age,
            ];
            if let Some(stall) = stall {
                argv.extend([
                    "--stall-critical".to_owned(),
                    format!("{}", stall.as_secs_f64()),
                    "--state-dir".to_owned(),
                    state_dir.display().to_string(),
                ]);
            }
            let mut outcome = in_process(deadline, move |context| {
                plugin::<triage_check_heartbeat::Args, _, _>(
                    "check_heartbeat",
                    &argv,
                    context,
                    triage_check_heartbeat::check,
                )
            });
            outcome.process = recorded_process(path);
            outcome
        }
        Check::Http { args } => {
            let argv = args.clone();
            in_process(deadline, move |context| {
                plugin::<triage_check_http_health::Args, _, _>(
                    "check_http_health",
                    &argv,
                    context,
                    triage_check_http_health::check,
                )
            })
        }
        Check::Container { args } => {
            let argv = args.clone();
            in_process(deadline, move |context| {
                plugin::<triage_check_container::Args, _, _>(
                    "check_container",
                    &argv,
                    context,
                    triage_check_container::check,
                )
            })
        }
        Check::Procs { args } => {
            let argv = args.clone();
            in_process(deadline, move |context| {
                plugin::<triage_check_procs::Args, _, _>(
                    "check_procs",
                    &argv,
                    context,
                    triage_check_procs::check,
                )
            })
        }
    }
}

/// Parses `argv` as the plugin's command line; the clap error in one line if it does not.
pub fn parse_plugin_args<A: Parser>(name: &str, argv: &[String]) -> Result<A, String> {
    A::try_parse_from(std::iter::once(name.to_owned()).chain(argv.iter().cloned())).map_err(
        |error| {
            triage_core::runner::usage_error(name, &error, "")
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        },
    )
}

fn plugin<A, E, F>(name: &str, argv: &[String], context: &Context, check: F) -> CheckOutcome
where
    A: Parser,
    E: std::fmt::Display,
    F: FnOnce(&A, &Context) -> Result<CheckResult, E>,
{
    let args = match parse_plugin_args::<A>(name, argv) {
        Ok(args) => args,
        Err(message) => return CheckOutcome::unknown(message),
    };
    match check(&args, context) {
        Ok(result) => CheckOutcome {
            state: result.state,
            summary: result.summary,
            process: None,
        },
        Err(error) => CheckOutcome::unknown(error.to_string()),
    }
}

/// Runs an in-process check on a thread of its own, so that one stuck in a syscall (a
/// hung NFS read) is abandoned at the deadline instead of stopping the pass.
fn in_process<F>(deadline: Instant, check: F) -> CheckOutcome
where
    F: FnOnce(&Context) -> CheckOutcome + Send + 'static,
{
    let (sender, receiver) = mpsc::channel();
    let context = Context {
        deadline: Some(deadline),
        verbose: 0,
    };
    let spawned = std::thread::Builder::new()
        .name("check".into())
        .spawn(move || {
            let _ = sender.send(check(&context));
        });
    if spawned.is_err() {
        return CheckOutcome::unknown("cannot start a thread for the check");
    }
    let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(250);
    receiver
        .recv_timeout(left)
        .unwrap_or_else(|_| CheckOutcome::unknown("the check did not finish before its timeout"))
}

/// The PID, start ticks and boot id the heartbeat at `path` records.
fn recorded_process(path: &Path) -> Option<RecordedProcess> {
    let options = triage_heartbeat::ReadOptions::default();
    let heartbeat = triage_heartbeat::read_heartbeat_once(path, &options).ok()?;
    Some(RecordedProcess {
        pid: heartbeat.pid?,
        start_ticks: heartbeat.pid_start_ticks,
        boot_id: heartbeat.boot_id,
    })
}

/// Any Nagios plugin: exit code 0-3 is the state, the first output line the summary
/// (perfdata cut off). No shell: argv runs as given.
fn run_command_check(argv: &[String], deadline: Instant) -> CheckOutcome {
    let Some((program, args)) = argv.split_first() else {
        return CheckOutcome::unknown("the check command is empty");
    };
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            return CheckOutcome::unknown(format!(
                "cannot run {program}: {}",
                triage_core::describe_io(&error)
            ));
        }
    };
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stdout) = stdout {
            let _ = stdout.take(MAX_OUTPUT).read_to_string(&mut text);
        }
        text
    });
    // Most plugins end within a millisecond: look often at first, then less often.
    let mut pause = Duration::from_micros(100);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let output = reader.join().unwrap_or_default();
    let first = output
        .lines()
        .next()
        .unwrap_or("")
        .split(" | ")
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    match status.and_then(|s| s.code()) {
        None => CheckOutcome::unknown(format!("{program} did not finish before its timeout")),
        Some(code) => CheckOutcome {
            state: match code {
                0 => State::Ok,
                1 => State::Warning,
                2 => State::Critical,
                _ => State::Unknown,
            },
            summary: if first.is_empty() {
                format!("{program} exited {code} without output")
            } else {
                first
            },
            process: None,
        },
    }
}
