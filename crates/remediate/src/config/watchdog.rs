//! The Watchdog's `config.json` (seeds/watchdog-heartbeat-supervisor.md), taken over
//! unchanged:
//!
//! ```json
//! { "log_level": "INFO", "db_path": "/srv/watchdog/watchdog.db",
//!   "consecutive_failures_threshold": 2,
//!   "processes": { "my_server": {
//!       "display_name": "MyServer", "timeout_seconds": 300,
//!       "heartbeat_path": "/srv/heartbeats/my_server.json", "enabled": true,
//!       "commands": { "start": "cd /srv/app && python3 -m myapp.main",
//!                     "clear_db": "/srv/app/scripts/reset_db.sh" },
//!       "recovery_actions": ["kill", "clear_db", "start"] } } }
//! ```
//!
//! A top-level `processes` key selects this format. Each process becomes a service with
//! a heartbeat check (`heartbeat_path`, `timeout_seconds`), our defaults for everything
//! the Watchdog did not have, and `force_flag` set: the Watchdog runs every command but
//! `start` with `--force` ("Called with --force flag by Watchdog", its README).
//!
//! The README says older configs are "auto-normalized" without showing them. We accept
//! the flat shape such configs most plausibly had; this is a guess, kept because refusing
//! it would break the one promise of this module:
//! - `heartbeat_file` instead of `heartbeat_path`;
//! - `start_command`, optional `kill_command` and `cleanup_commands` (a list, named
//!   `cleanup_1`, `cleanup_2`, ... here, or a table of named commands) instead of
//!   `commands`;
//! - without `recovery_actions`, the pipeline is: `kill` (or `kill_command`, which then
//!   aborts on failure like the built-in kill), each clean-up command, `start`.

use std::time::Duration;

use serde::Deserialize;
use triage_core::State;

use super::globals::{self, Environment, GlobalKeys};
use super::native::STEP_TIMEOUT;
use super::operation::{self, OperationKeys};
use super::validate;
use super::values::{self, DurationValue, Entries, Problems};
use super::{Action, Budget, Check, Config, Format, OnFailure, Service, Step};

/// The Watchdog knows only `kill` and `start`; any other name is a command.
const BUILTINS: &[&str] = &["kill"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchdogDoc {
    log_level: Option<String>,
    db_path: Option<String>,
    consecutive_failures_threshold: Option<u32>,
    processes: Entries<ProcessDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessDoc {
    display_name: Option<String>,
    timeout_seconds: Option<DurationValue>,
    heartbeat_path: Option<String>,
    enabled: Option<bool>,
    commands: Option<Entries<String>>,
    recovery_actions: Option<Vec<String>>,
    // The older flat shape (see the module docs).
    heartbeat_file: Option<String>,
    start_command: Option<String>,
    kill_command: Option<String>,
    cleanup_commands: Option<Cleanup>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Cleanup {
    List(Vec<String>),
    Named(Entries<String>),
}

/// Parses a Watchdog config; None when serde could not even read the shape.
pub(super) fn parse(
    text: &str,
    format: Format,
    env: &Environment,
    problems: &mut Problems,
) -> Option<Config> {
    let document: WatchdogDoc = values::from_text(text, format, problems)?;
    let globals = globals::globals(
        &GlobalKeys {
            db_path: document.db_path.as_deref(),
            lock_path: None,
            log_dir: None,
            log_level: document.log_level.as_deref(),
            consecutive_failures: document.consecutive_failures_threshold,
            consecutive_failures_key: "consecutive_failures_threshold",
            retention: None,
        },
        env,
        problems,
    );
    let services = document
        .processes
        .unique("processes", problems)
        .into_iter()
        .map(|(name, doc)| process(name, doc, globals.consecutive_failures, problems))
        .collect();
    // A Watchdog file has no such settings: the defaults, placed next to its db_path.
    let operation = operation::operation(&OperationKeys::default(), globals.db_path(), problems);
    Some(globals.into_config(services, operation))
}

fn process(name: String, doc: ProcessDoc, failures: u32, p: &mut Problems) -> Service {
    let at = format!("processes.{}", values::key(&name));
    validate::service_name(&name, &at, p);
    let path = match (&doc.heartbeat_path, &doc.heartbeat_file) {
        (Some(path), None) => p.absolute_path(format_args!("{at}.heartbeat_path"), path),
        (None, Some(path)) => p.absolute_path(format_args!("{at}.heartbeat_file"), path),
        (Some(_), Some(_)) => {
            p.add(
                format_args!("{at}.heartbeat_file"),
                "give heartbeat_path or the older heartbeat_file, not both",
            );
            None
        }
        (None, None) => {
            p.add(
                format_args!("{at}.heartbeat_path"),
                "is missing: the heartbeat file to watch",
            );
            None
        }
    };
    let max_age = match &doc.timeout_seconds {
        None => {
            p.add(
                format_args!("{at}.timeout_seconds"),
                "is missing: how old the heartbeat may get",
            );
            Duration::ZERO
        }
        some => p.duration(
            format_args!("{at}.timeout_seconds"),
            some.as_ref(),
            Duration::ZERO,
            false,
        ),
    };
    let old_shape =
        doc.start_command.is_some() || doc.kill_command.is_some() || doc.cleanup_commands.is_some();
    let (commands, old_recovery) = match doc.commands {
        Some(commands) => {
            if old_shape {
                p.add(
                    &at,
                    "mixes commands with the older start_command/kill_command/\
                     cleanup_commands; give one or the other",
                );
            }
            (validate::commands(commands, &at, BUILTINS, p), Vec::new())
        }
        None => {
            let (commands, recovery) =
                old_commands(doc.start_command, doc.kill_command, doc.cleanup_commands);
            (validate::commands(commands, &at, BUILTINS, p), recovery)
        }
    };
    let recovery = match &doc.recovery_actions {
        Some(names) => names
            .iter()
            .enumerate()
            .map(|(index, name)| step(name, &format!("{at}.recovery_actions[{index}]"), p))
            .collect(),
        None => old_recovery,
    };
    let service = Service {
        display_name: doc.display_name,
        enabled: doc.enabled.unwrap_or(true),
        check: Check::Heartbeat {
            path: path.unwrap_or_default(),
            max_age,
            stall: None,
        },
        consecutive_failures: failures,
        failure_states: vec![State::Critical],
        commands,
        recovery,
        start_grace: Duration::from_secs(30),
        kill_timeout: Duration::from_secs(10),
        budget: Budget::default(),
        depends_on: Vec::new(),
        env: Default::default(),
        user: None,
        group: None,
        cwd: None,
        orphaned_steps: Default::default(),
        force_flag: true,
        event: super::EventPolicy::default(),
        name,
    };
    validate::steps(&service, service.check.kind(), &at, "recovery_actions", p);
    service
}

/// The older flat shape's commands, and the pipeline they imply.
fn old_commands(
    start: Option<String>,
    kill: Option<String>,
    cleanup: Option<Cleanup>,
) -> (Entries<String>, Vec<Step>) {
    let mut commands = Vec::new();
    let mut recovery = Vec::new();
    match kill {
        Some(line) => {
            commands.push(("kill_command".to_owned(), line));
            recovery.push(step_of(
                Action::Command("kill_command".to_owned()),
                OnFailure::Abort,
            ));
        }
        None => recovery.push(step_of(Action::Kill, OnFailure::Abort)),
    }
    let cleanup = match cleanup {
        None => Vec::new(),
        Some(Cleanup::Named(entries)) => entries.0,
        Some(Cleanup::List(lines)) => lines
            .into_iter()
            .enumerate()
            .map(|(index, line)| (format!("cleanup_{}", index + 1), line))
            .collect(),
    };
    for (name, line) in cleanup {
        recovery.push(step_of(Action::Command(name.clone()), OnFailure::Continue));
        commands.push((name, line));
    }
    if let Some(line) = start {
        commands.push(("start".to_owned(), line));
        recovery.push(step_of(Action::Start, OnFailure::Abort));
    }
    (Entries(commands), recovery)
}

fn step(name: &str, at: &str, p: &mut Problems) -> Step {
    let action = match name {
        "kill" => Action::Kill,
        "start" => Action::Start,
        "" => {
            p.add(at, "names no step");
            Action::Command(String::new())
        }
        name => Action::Command(name.to_owned()),
    };
    let on_failure = action.default_on_failure();
    step_of(action, on_failure)
}

fn step_of(action: Action, on_failure: OnFailure) -> Step {
    Step {
        action,
        timeout: STEP_TIMEOUT,
        on_failure,
    }
}
