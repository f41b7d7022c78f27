//! The `heartbeat` command line.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use triage_core::cli::VERSION;
use triage_core::parse_seconds;

/// Write heartbeat files that check_heartbeat reads: from shell scripts, cron jobs, or
/// around any command.
#[derive(Debug, Parser)]
#[command(
    name = "heartbeat",
    version = VERSION,
    term_width = 80,
    after_help = "Examples:\n  heartbeat beat --file /run/app/job.json --increment\n  \
heartbeat run --file /run/app/worker.json --interval 10s -- /usr/bin/worker --queue mail\n  \
heartbeat stop --file /run/app/job.json"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The three verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one heartbeat now.
    Beat(BeatArgs),
    /// Run a command, beating with its PID while it runs; exit with its exit code.
    Run(RunArgs),
    /// Mark a clean stop (status "stopped"), or remove the heartbeat.
    Stop(StopArgs),
}

/// `heartbeat beat`.
#[derive(Debug, Args)]
pub struct BeatArgs {
    /// The heartbeat file (replaced atomically).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Process key [default: the file name without extension].
    #[arg(short = 'k', long = "key", value_name = "KEY")]
    pub key: Option<String>,
    /// PID to vouch for [default: the calling process, e.g. the script running this].
    #[arg(short = 'p', long = "pid", value_name = "PID", conflicts_with = "no_pid", value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// Write no PID (the check then judges only age and status).
    #[arg(long = "no-pid")]
    pub no_pid: bool,
    /// Self-reported status: running, degraded, failed, stopped, ...
    #[arg(
        short = 's',
        long = "status",
        value_name = "STATUS",
        default_value = "running"
    )]
    pub status: String,
    /// Set the iteration counter to N.
    #[arg(
        short = 'i',
        long = "iteration",
        value_name = "N",
        conflicts_with = "increment"
    )]
    pub iteration: Option<u64>,
    /// Add one to the iteration in the current file (1 if there is none).
    #[arg(long = "increment")]
    pub increment: bool,
    /// A message shown by the check.
    #[arg(short = 'm', long = "message", value_name = "TEXT")]
    pub message: Option<String>,
    /// How often you beat (90s, 5m): check_heartbeat's default thresholds are 2x and 3x this.
    #[arg(long = "interval", value_name = "DURATION", value_parser = parse_interval)]
    pub interval: Option<f64>,
}

/// `heartbeat run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The heartbeat file (replaced atomically).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Process key [default: the file name without extension].
    #[arg(short = 'k', long = "key", value_name = "KEY")]
    pub key: Option<String>,
    /// How often to beat while the command runs.
    #[arg(long = "interval", value_name = "DURATION", default_value = "30s", value_parser = parse_interval)]
    pub interval: f64,
    /// The command and its arguments (run directly, not through a shell).
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// `heartbeat stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// The heartbeat file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Remove the file instead of marking it stopped.
    #[arg(long = "remove")]
    pub remove: bool,
    /// A message shown by the check.
    #[arg(short = 'm', long = "message", value_name = "TEXT")]
    pub message: Option<String>,
}

/// Intervals below 100 ms would spin; above a week are a typo.
fn parse_interval(text: &str) -> Result<f64, String> {
    parse_seconds(text)
        .filter(|s| (0.1..=604_800.0).contains(s))
        .ok_or_else(|| {
            format!("'{text}' is not an interval: expected 0.1s to 7d, e.g. 30, 30s, 5m")
        })
}
