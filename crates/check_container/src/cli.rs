//! check_container's command line.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use triage_core::cli::{VERSION, parse_duration, parse_state};
use triage_core::{CommonArgs, PosixRegex, Range, State};
use triage_docker::ApiVersion;

/// Docker and Podman containers: status, health, OOM kills, restarts, uptime, CPU and memory.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "check_container",
    version = VERSION,
    term_width = 80,
    after_help = "Ranges are [@]start:end. Uptime ranges take s, m, h or d (300: = WARNING when up \
less than 5 minutes); memory ranges take a % of the limit (~:90%) or bytes with KB, MB, GB (~:512MB). \
CPU is in % of one CPU, as docker stats shows it.\n\n\
Examples:\n  check_container web db\n  check_container --all --exclude 'buildkit.*'\n  \
check_container --label com.docker.compose.project=shop --restarts-warning 0 --restarts-critical 3\n  \
check_container --name 'batch-.*' --allow-exited --expect-exit 0,143\n  \
check_container api --cpu-warning 150 --memory-critical 90%"
)]
pub struct Args {
    /// Container names or ids to check (an id prefix works too).
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,

    /// Check every container, running or not.
    #[arg(short = 'a', long = "all")]
    pub all: bool,

    /// Only containers with this label (KEY or KEY=VALUE; repeatable, all must match).
    #[arg(short = 'l', long = "label", value_name = "KEY[=VALUE]")]
    pub labels: Vec<String>,

    /// Containers whose whole name matches this extended regex (repeatable).
    #[arg(short = 'n', long = "name", value_name = "REGEX", value_parser = NamePattern::parse)]
    pub names: Vec<NamePattern>,

    /// Leave out containers whose whole name matches this extended regex (repeatable).
    #[arg(short = 'x', long = "exclude", value_name = "REGEX", value_parser = NamePattern::parse)]
    pub exclude: Vec<NamePattern>,

    /// State when a named container does not exist, or a --name/--label selects none.
    #[arg(long = "missing-state", value_name = "STATE", default_value = "critical", value_parser = parse_state)]
    pub missing_state: State,

    /// Engine address: unix:///path or tcp://host:port [default: $DOCKER_HOST, else
    /// /var/run/docker.sock, /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock].
    #[arg(short = 'H', long = "host", value_name = "ADDRESS")]
    pub host: Option<String>,

    /// Talk to Podman's socket (/run/podman/podman.sock, else the rootless one).
    #[arg(long = "podman", conflicts_with = "host")]
    pub podman: bool,

    /// Use this API version instead of negotiating one [default: $DOCKER_API_VERSION].
    #[arg(long = "api-version", value_name = "X.Y", value_parser = parse_api_version)]
    pub api_version: Option<ApiVersion>,

    /// Statuses that are OK, comma-separated (created, running, paused, restarting,
    /// removing, exited, dead).
    #[arg(long = "expect-status", value_name = "LIST", value_delimiter = ',', default_value = "running", value_parser = parse_status)]
    pub expect_status: Vec<String>,

    /// An exited container is OK when its exit code is one of --expect-exit (one-shot jobs).
    #[arg(long = "allow-exited")]
    pub allow_exited: bool,

    /// Exit codes that count as success with --allow-exited, comma-separated.
    #[arg(
        long = "expect-exit",
        value_name = "CODES",
        value_delimiter = ',',
        default_value = "0",
        requires = "allow_exited"
    )]
    pub expect_exit: Vec<i64>,

    /// Do not judge healthchecks.
    #[arg(long = "no-health")]
    pub no_health: bool,

    /// How long a healthcheck may stay "starting" after the container started before it
    /// is a WARNING.
    #[arg(long = "start-grace", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub start_grace: f64,

    /// WARNING range for restarts seen since the last check (kept in the state directory).
    #[arg(long = "restarts-warning", value_name = "RANGE", value_parser = Range::parse)]
    pub restarts_warning: Option<Range>,

    /// CRITICAL range for restarts seen since the last check.
    #[arg(long = "restarts-critical", value_name = "RANGE", value_parser = Range::parse)]
    pub restarts_critical: Option<Range>,

    /// WARNING range for the engine's RestartCount (restart-policy restarts since the
    /// last manual start).
    #[arg(long = "restart-count-warning", value_name = "RANGE", value_parser = Range::parse)]
    pub restart_count_warning: Option<Range>,

    /// CRITICAL range for the engine's RestartCount.
    #[arg(long = "restart-count-critical", value_name = "RANGE", value_parser = Range::parse)]
    pub restart_count_critical: Option<Range>,

    /// WARNING range for the uptime of running containers (300: or 5m: = up less than 5m).
    #[arg(long = "uptime-warning", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub uptime_warning: Option<Range>,

    /// CRITICAL range for the uptime of running containers.
    #[arg(long = "uptime-critical", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub uptime_critical: Option<Range>,

    /// WARNING range for CPU use in % of one CPU (fetches stats: about 1 s).
    #[arg(long = "cpu-warning", value_name = "RANGE", value_parser = Range::parse)]
    pub cpu_warning: Option<Range>,

    /// CRITICAL range for CPU use in % of one CPU.
    #[arg(long = "cpu-critical", value_name = "RANGE", value_parser = Range::parse)]
    pub cpu_critical: Option<Range>,

    /// WARNING range for memory: % of the limit (90%) or bytes (512MB).
    #[arg(long = "memory-warning", value_name = "RANGE", value_parser = MemoryRange::parse)]
    pub memory_warning: Option<MemoryRange>,

    /// CRITICAL range for memory: % of the limit (90%) or bytes (512MB).
    #[arg(long = "memory-critical", value_name = "RANGE", value_parser = MemoryRange::parse)]
    pub memory_critical: Option<MemoryRange>,

    /// Fetch CPU and memory figures for perfdata even without thresholds.
    #[arg(long = "stats")]
    pub stats: bool,

    /// Where restart counts are kept between runs [default: $STATE_DIRECTORY,
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

impl Args {
    /// Whether CPU or memory figures are needed.
    pub fn wants_stats(&self) -> bool {
        self.stats
            || self.cpu_warning.is_some()
            || self.cpu_critical.is_some()
            || self.memory_warning.is_some()
            || self.memory_critical.is_some()
    }

    /// Whether restarts since the last run are tracked (they need the state directory).
    pub fn tracks_restarts(&self) -> bool {
        self.restarts_warning.is_some() || self.restarts_critical.is_some()
    }
}

/// A memory threshold: a range over % of the limit, or over bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum MemoryRange {
    /// `90%`, `~:90%`.
    Percent(Range),
    /// `512MB`, `1GB:`.
    Bytes(Range),
}

impl MemoryRange {
    /// `RANGE%` is a percentage of the limit; anything else is bytes with optional units.
    pub fn parse(text: &str) -> Result<MemoryRange, String> {
        match text.strip_suffix('%') {
            Some(percent) => Range::parse(percent)
                .map(MemoryRange::Percent)
                .map_err(|e| e.to_string()),
            None => Range::parse_bytes(text)
                .map(MemoryRange::Bytes)
                .map_err(|e| format!("{e}; or a percentage such as 90%")),
        }
    }
}

/// An extended regex that must match a whole container name.
#[derive(Debug, Clone)]
pub struct NamePattern {
    /// The pattern as given.
    pub text: String,
    regex: Arc<PosixRegex>,
}

impl NamePattern {
    /// Compiles `text` anchored at both ends.
    pub fn parse(text: &str) -> Result<NamePattern, String> {
        let regex = PosixRegex::anchored(text)
            .map_err(|e| format!("'{text}' is not a valid extended regex: {e}"))?;
        Ok(NamePattern {
            text: text.to_owned(),
            regex: Arc::new(regex),
        })
    }

    /// True when the whole `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }
}

/// The statuses the engine reports.
pub const STATUSES: [&str; 7] = [
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
];

fn parse_status(text: &str) -> Result<String, String> {
    let lower = text.trim().to_ascii_lowercase();
    if STATUSES.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(format!(
            "'{text}' is not a container status (one of {})",
            STATUSES.join(", ")
        ))
    }
}

fn parse_api_version(text: &str) -> Result<ApiVersion, String> {
    ApiVersion::parse(text)
        .ok_or_else(|| format!("'{text}' is not an API version: expected MAJOR.MINOR such as 1.41"))
}
