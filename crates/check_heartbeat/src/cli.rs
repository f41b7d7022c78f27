//! check_heartbeat's command line.

use std::path::PathBuf;

use clap::{ArgGroup, Parser};
use triage_core::cli::{VERSION, parse_duration, parse_state};
use triage_core::{CommonArgs, Range, State};

/// Is a process alive and making progress? Reads JSON heartbeat files, or any file's age.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "check_heartbeat",
    version = VERSION,
    term_width = 80,
    group(ArgGroup::new("source").required(true).multiple(true).args(["file", "dir"])),
    after_help = "Thresholds are ranges ([@]start:end) in seconds; numbers may carry s, m, h or d \
(-w 5m). Without -w/-c: 2x and 3x the heartbeat's interval_s, else 120s and 300s.\n\
Quote ranges that contain ~ (-w '~:10'): the shell expands an unquoted ~.\n\n\
Examples:\n  check_heartbeat -f /run/app/worker.json\n  check_heartbeat --dir /run/app --glob 'worker-*.json' -w 1m -c 3m\n  \
check_heartbeat --mtime -f /var/backups/last-run -w 25h -c 49h"
)]
pub struct Args {
    /// Heartbeat file to check (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,

    /// Check every heartbeat in this directory that matches --glob.
    #[arg(long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// File-name pattern for --dir (shell glob; hidden files never match).
    #[arg(
        long = "glob",
        value_name = "PATTERN",
        default_value = "*.json",
        requires = "dir"
    )]
    pub glob: String,

    /// Judge the files' modification time instead of a JSON heartbeat (any file or directory).
    #[arg(long = "mtime")]
    pub mtime: bool,

    /// Age range for WARNING (seconds, or 90s/5m/2h/1d).
    #[arg(short = 'w', long = "warning", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub warning: Option<Range>,

    /// Age range for CRITICAL (seconds, or 90s/5m/2h/1d).
    #[arg(short = 'c', long = "critical", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub critical: Option<Range>,

    /// How far in the future a timestamp may be before the clocks are suspect.
    #[arg(long = "max-skew", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub max_skew: f64,

    /// State when a heartbeat file does not exist.
    #[arg(long = "missing-state", value_name = "STATE", default_value = "critical", value_parser = parse_state)]
    pub missing_state: State,

    /// State when a heartbeat is not valid JSON (after one retry).
    #[arg(long = "invalid-state", value_name = "STATE", default_value = "unknown", value_parser = parse_state)]
    pub invalid_state: State,

    /// A heartbeat with status stopped/stopping is OK (its PID is not checked; its age is).
    #[arg(long = "allow-stopped")]
    pub allow_stopped: bool,

    /// Follow a symlink at the heartbeat path (refused by default).
    #[arg(long = "follow-symlinks")]
    pub follow_symlinks: bool,

    /// Do not check the PID (heartbeats written in another PID namespace, e.g. a container).
    #[arg(long = "ignore-pid")]
    pub ignore_pid: bool,

    /// WARNING when `iteration` has not changed for this long (needs the state directory).
    #[arg(long = "stall-warning", value_name = "DURATION", value_parser = parse_duration)]
    pub stall_warning: Option<f64>,

    /// CRITICAL when `iteration` has not changed for this long (needs the state directory).
    #[arg(long = "stall-critical", value_name = "DURATION", value_parser = parse_duration)]
    pub stall_critical: Option<f64>,

    /// Where stall detection keeps what it saw last time [default: $STATE_DIRECTORY,
    /// /var/lib/triage as root, else $XDG_STATE_HOME/triage or ~/.local/state/triage].
    #[arg(long = "state-dir", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

impl triage_core::runner::PluginArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}
