//! The one place remediate's work meets the terminal: one function per subcommand (in
//! `pass`, `event`, `manage` and `status`), each printing through `render`, and one
//! [`Exit`] for every way it ends. `status --output-format` is a plugin, so it goes
//! through the core runner like every plugin (`REMEDIATE UNKNOWN: why`, exit 3).

mod event;
mod manage;
mod pass;
mod status;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::act::HostActions;
use crate::cli::{Action, Cli};
use crate::config::{self, Config, Service};
use crate::engine::Engine;
use crate::lock::LockError;
use crate::notify::Teller;
use crate::probe::HostProber;
use crate::stop::Stop;
use crate::store::StoreError;

/// Where the configuration is when neither `-c` nor `$REMEDIATE_CONFIG` says.
const DEFAULT_CONFIG: &str = "/etc/triage/remediate.toml";

/// How remediate ends (documented in --help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// All services healthy, or nothing to do.
    Ok = 0,
    /// A service is failing, out of budget, or its pipeline failed.
    Problem = 1,
    /// Bad usage or configuration.
    Usage = 2,
    /// remediate itself could not work (database, lock file).
    Broken = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Why remediate stopped.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The configuration cannot be used.
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    /// The store cannot be used.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A lock file cannot be used.
    #[error("{0}")]
    Lock(LockError),
    /// No such service.
    #[error("no service named '{0}' in the configuration")]
    UnknownService(String),
    /// The command line asks for something that cannot be.
    #[error("{0}")]
    Usage(String),
    /// Something around remediate failed (signals, a detached run).
    #[error("{0}")]
    Broken(String),
}

impl AppError {
    /// The exit code for this error: the one place errors become codes.
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Config(_) | AppError::UnknownService(_) | AppError::Usage(_) => Exit::Usage,
            AppError::Store(_) | AppError::Lock(_) | AppError::Broken(_) => Exit::Broken,
        }
    }
}

/// Runs remediate with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok
                }
                _ => Exit::Usage,
            }
            .into();
        }
    };
    if let Some(Action::Status {
        output_format: Some(format),
        max_pass_age,
        ..
    }) = &cli.command
    {
        return status::as_plugin(&config_path(&cli), *format, *max_pass_age);
    }
    let out = &mut std::io::stdout().lock();
    match run(&cli, out) {
        Ok(exit) => exit.into(),
        Err(error) => {
            let _ = out.flush();
            eprintln!("remediate: {error}");
            error.exit().into()
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

/// The configured service called `name`.
fn service<'c>(config: &'c Config, name: &str) -> Result<&'c Service, AppError> {
    config
        .services
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| AppError::UnknownService(name.to_owned()))
}

fn run(cli: &Cli, out: &mut dyn Write) -> Result<Exit, AppError> {
    let path = config_path(cli);
    let mut config = config::load(&path)?;
    let action = cli.command.as_ref().unwrap_or(&Action::Check);
    match action {
        Action::Validate => {
            say(out, crate::render::valid(&path, config.services.len()));
            Ok(Exit::Ok)
        }
        Action::Check => pass::check(&config, out),
        Action::Watch {
            interval,
            concurrency,
            passes,
        } => {
            if let Some(seconds) = interval {
                config.operation.interval = std::time::Duration::from_secs_f64(*seconds);
            }
            if let Some(n) = concurrency {
                config.operation.concurrency = *n as usize;
            }
            pass::watch(&config, *passes, out)
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
            let chosen = service(&config, name)?;
            let event = event::event_from(
                (*state_arg, *state_type_arg, *attempt_arg),
                (*state, *state_type, *attempt),
                source.as_deref(),
                output.clone(),
            )?;
            event::handle(&config, &path, chosen, &event, *dry_run, out)
        }
        Action::Pipeline { run, lock_fd } => event::continue_detached(&config, *run, *lock_fd, out),
        Action::Run {
            service: name,
            dry_run,
        } => manage::run_by_hand(&config, service(&config, name)?, *dry_run, out),
        Action::Restart { service: name } => {
            manage::run_by_hand(&config, service(&config, name)?, false, out)
        }
        Action::On { service: name } | Action::Off { service: name } => {
            let on = matches!(action, Action::On { .. });
            let chosen = service(&config, name)?;
            manage::switch_all(&config, std::slice::from_ref(chosen), on, out)
        }
        Action::StartAll | Action::StopAll => {
            let on = matches!(action, Action::StartAll);
            manage::switch_all(&config, &config.services, on, out)
        }
        Action::Maint {
            service: name,
            duration,
            reason,
            list,
            end,
        } => {
            if let Some(name) = name {
                service(&config, name)?;
            }
            let request = manage::MaintRequest {
                service: name.as_deref(),
                duration: *duration,
                reason: reason.as_deref(),
                list: *list,
                end: *end,
            };
            manage::maint(&config, &request, out)
        }
        Action::Status { json, .. } => status::status(&config, *json, out),
        Action::History {
            service: name,
            since,
            json,
        } => {
            if let Some(name) = name {
                service(&config, name)?;
            }
            status::history(&config, name.as_deref(), *since, *json, out)
        }
    }
}

/// The engine on the real host, for `config`, stopping when `stop` says.
fn host_engine<'a>(config: &'a Config, teller: &'a Teller, stop: &'a Stop) -> Engine<'a> {
    Engine {
        config,
        prober: Arc::new(HostProber {
            timeout: config.operation.check_timeout,
            stall_dir: stall_dir(config),
        }),
        actions: Box::new(HostActions {
            log_dir: config.log_dir.clone(),
        }),
        teller,
        stop,
    }
}

/// Where heartbeat checks keep what stall detection saw: next to the database.
fn stall_dir(config: &Config) -> PathBuf {
    config
        .db_path
        .parent()
        .map_or_else(|| PathBuf::from("."), |dir: &Path| dir.join("stall"))
}

/// One line out; a closed stdout is not worth failing a recovery for.
fn say(out: &mut dyn Write, line: impl std::fmt::Display) {
    let _ = writeln!(out, "{line}");
}

/// Delivery failures go to stderr (the journal, cron's mail); they never change the exit
/// code, since recovery went on without them.
fn report_failures(failures: Vec<String>) {
    for failure in failures {
        eprintln!("remediate: {failure}");
    }
}
