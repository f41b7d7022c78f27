//! The `heartbeat` command: `beat` writes one heartbeat, `run` supervises a command and
//! beats for it, `stop` marks a clean stop.

pub mod cli;
mod run;
mod stamp;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

pub use cli::Cli;

/// Why the command failed; printed as `heartbeat: <message>` on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The file could not be written or removed.
    #[error(transparent)]
    Write(#[from] triage_heartbeat::WriteError),
    /// `stop --remove` could not remove the file.
    #[error("cannot remove {0}: {1}")]
    Remove(String, String),
    /// `beat --pid` names a process the caller could not signal itself.
    #[error("--pid {0}: {1}")]
    ForeignPid(i32, String),
}

/// Exit code for usage errors, as for most Unix tools (this is not a plugin).
const USAGE_EXIT: u8 = 2;

/// Runs `heartbeat` with these arguments (argv[0] first).
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            return match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    print!("{error}");
                    ExitCode::SUCCESS
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    eprint!("{error}");
                    ExitCode::from(USAGE_EXIT)
                }
                _ => {
                    let usage = <Cli as clap::CommandFactory>::command()
                        .render_usage()
                        .to_string();
                    eprint!(
                        "{}",
                        triage_core::runner::usage_error("heartbeat", &error, &usage)
                    );
                    ExitCode::from(USAGE_EXIT)
                }
            };
        }
    };
    let outcome = match cli.command {
        cli::Command::Beat(args) => stamp::beat(&args).map(|()| ExitCode::SUCCESS),
        cli::Command::Stop(args) => stamp::stop(&args).map(|()| ExitCode::SUCCESS),
        cli::Command::Run(args) => Ok(run::run(&args)),
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("heartbeat: {error}");
        ExitCode::FAILURE
    })
}
