//! remediate's configuration: which services to check, how, and how to recover them.
//!
//! One model, three ways to write it: TOML (the documented format), JSON with the same
//! structure, and the Watchdog's `config.json`, taken over unchanged (see `watchdog.rs`).
//! [`load`] picks the format from the extension (`.toml`, `.json`) or, failing that, from
//! the first character (`{` means JSON).
//!
//! ```toml
//! # Global settings; all optional.
//! db_path = "/var/lib/triage/remediate.db"  # default: $STATE_DIRECTORY/remediate.db, as
//!                                           # root /var/lib/triage/..., else in
//!                                           # $XDG_STATE_HOME or ~/.local/state/triage
//! lock_path = "/var/lib/triage/remediate.lock"  # default: db_path with .lock
//! log_dir = "/var/lib/triage/logs"          # `start` output, <service>.log; default:
//!                                           # logs/ next to db_path
//! log_level = "info"                        # debug, info, warning, error
//! consecutive_failures = 2                  # default for every service
//! retention = "30d"                         # history kept this long
//!
//! [services.db]                             # the name: letters, digits, - _ .
//! check = { procs = ["-C", "postgres", "-c", "1:"] }   # argv of check_procs
//!
//! [services.my_server]
//! display_name = "MyServer"
//! enabled = true                            # false: not checked
//! check = { heartbeat = "/run/app/my_server.json", max_age = "5m", stall = "10m" }
//! # or check = { http = ["https://127.0.0.1:8080/health", "-w", "2"] }  check_http_health
//! #    check = { container = ["web"] }                                    check_container
//! #    check = { command = ["/usr/lib/nagios/plugins/check_tcp", "-H", "::1", "-p", "80"] }
//! commands = { start = "cd /srv/app && exec ./server", clear_db = "/srv/app/reset_db.sh" }
//! recovery = [                              # in order; a name is a table with defaults
//!     "kill",                               # the heartbeat's PID: TERM, kill_timeout, KILL
//!     { action = "clear_db", timeout = "60s", on_failure = "abort" },
//!     "start",                              # commands.start, detached
//! ]   # also { action = "container_restart", container = "web" }
//! consecutive_failures = 3
//! failure_states = ["critical", "unknown"]  # default ["critical"]
//! start_grace = "30s"
//! kill_timeout = "10s"
//! budget = { max = 3, window = "1h", cooldown = "1h" }
//! depends_on = ["db"]
//! env = { PATH = "/usr/local/bin:/usr/bin:/bin" }
//! # user = "app"        # who start and the commands run as, and whose processes kill may
//! # group = "app"       # signal [default: the heartbeat file's owner, else root]
//! # cwd = "/srv/app"    # where they start [default: the user's home, else /]
//! # orphaned_steps = "end"  # a step a killed remediate left running: wait (default) or end
//! ```
//!
//! Durations are text with `s`, `m`, `h` or `d` (`90s`, `5m`), or numbers of seconds.
//! Paths must be absolute: a relative one would depend on where cron starts us. A step's
//! `timeout` defaults to 60 s; `on_failure` to `abort` for `kill` and `start`, `continue`
//! for the rest, as the Watchdog does. Unknown keys are errors, so a typo never silently
//! turns a setting off; [`parse`] reports every problem it finds, each with its location.

mod globals;
mod native;
mod operation;
mod ownership;
mod plugin_args;
mod validate;
mod values;
mod watchdog;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use triage_core::State;

use globals::Environment;
pub use ownership::{check_ownership, effective_uid};
pub use plugin_args::PluginArgs;

/// Everything remediate needs to know, whatever file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The SQLite state and audit database.
    pub db_path: PathBuf,
    /// The lock file that keeps two passes from acting at once.
    pub lock_path: PathBuf,
    /// Where `start` appends each service's output (`<log_dir>/<service>.log`).
    pub log_dir: PathBuf,
    /// How much remediate logs about itself.
    pub log_level: LogLevel,
    /// The global failures-in-a-row threshold, already applied to every service.
    pub consecutive_failures: u32,
    /// How long history rows are kept.
    pub retention: Duration,
    /// The services, in file order.
    pub services: Vec<Service>,
    /// The watch loop and who is told what.
    pub operation: Operation,
}

impl Config {
    /// The services' names, in file order.
    pub fn service_names(&self) -> Vec<&str> {
        self.services.iter().map(|s| s.name.as_str()).collect()
    }
}

/// How remediate runs and reports when it is a service rather than a cron job.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `watch`: from the start of one pass to the start of the next.
    pub interval: Duration,
    /// Services checked (and pipelines run) at once.
    pub concurrency: usize,
    /// How long one check may take.
    pub check_timeout: Duration,
    /// remediate's own heartbeat, written after every pass (check_heartbeat's format).
    pub heartbeat_file: PathBuf,
    /// A Prometheus textfile rewritten after every pass.
    pub prometheus_textfile: Option<PathBuf>,
    /// The status snapshot for the monitoring user, rewritten after every pass and
    /// change: next to the database, `<db_path without .db>.status.json`.
    pub status_file: PathBuf,
    /// Webhooks and the dead man's switch.
    pub notify: Notify,
}

/// Who is told what.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// How long one delivery may take.
    pub timeout: Duration,
    /// A Healthchecks-style ping URL: `/start` and `/0` or `/fail` around every pass.
    pub ping_url: Option<String>,
    /// JSON POST targets.
    pub webhooks: Vec<Webhook>,
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            timeout: Duration::from_secs(5),
            ping_url: None,
            webhooks: Vec::new(),
        }
    }
}

/// A URL that receives events as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Where to POST (it often carries a secret: never printed whole).
    pub url: String,
    /// Which events it wants.
    pub events: Vec<NotificationKind>,
    /// Extra request headers (`Authorization`...).
    pub headers: Vec<(String, String)>,
}

/// What a webhook is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A service is confirmed down (its failures reached the threshold, or an event
    /// handler acted on it); once per problem.
    Down,
    /// A recovery pipeline started.
    RemediationStarted,
    /// A service that was down is healthy again.
    Recovered,
    /// A recovery pipeline failed, was aborted or interrupted.
    RemediationFailed,
    /// The restart budget is spent: no more action until the cooldown ends.
    Exhausted,
}

impl NotificationKind {
    /// Every kind, in the order of a problem's life.
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::Down,
        NotificationKind::RemediationStarted,
        NotificationKind::RemediationFailed,
        NotificationKind::Exhausted,
        NotificationKind::Recovered,
    ];

    /// The name in the JSON body and in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Down => "DOWN",
            NotificationKind::RemediationStarted => "REMEDIATION_STARTED",
            NotificationKind::Recovered => "RECOVERED",
            NotificationKind::RemediationFailed => "REMEDIATION_FAILED",
            NotificationKind::Exhausted => "EXHAUSTED",
        }
    }

    /// The kind named `word`, in any case.
    pub fn parse(word: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(word))
    }
}

/// When `remediate event` acts (Nagios and Icinga call it on every soft problem, on the
/// change to hard, and on recovery).
#[derive(Debug, Clone, PartialEq)]
pub struct EventPolicy {
    /// The problem states that act.
    pub states: Vec<State>,
    /// Also act on a SOFT problem at this attempt (restart before anyone is notified).
    pub soft_attempt: Option<u32>,
    /// No new pipeline within this time of the last one started, whoever started it.
    pub cooldown: Duration,
}

impl Default for EventPolicy {
    fn default() -> Self {
        EventPolicy {
            states: vec![State::Critical],
            soft_attempt: None,
            cooldown: Duration::from_secs(300),
        }
    }
}

/// One service: how to tell it is healthy and how to bring it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The key in the file; also names its log file.
    pub name: String,
    /// A friendlier name for people.
    pub display_name: Option<String>,
    /// Off means not checked.
    pub enabled: bool,
    /// What decides health.
    pub check: Check,
    /// Failures in a row before recovery runs.
    pub consecutive_failures: u32,
    /// Which check states count as a failure.
    pub failure_states: Vec<State>,
    /// Named shell command lines, run with `sh -c`.
    pub commands: BTreeMap<String, String>,
    /// The recovery pipeline, in order.
    pub recovery: Vec<Step>,
    /// After a pipeline, how long to wait before judging the service again.
    pub start_grace: Duration,
    /// How long `kill` waits after SIGTERM before SIGKILL.
    pub kill_timeout: Duration,
    /// How many pipelines may run, and how often.
    pub budget: Budget,
    /// Services that must be healthy before this one is remediated.
    pub depends_on: Vec<String>,
    /// Environment for `start` and the commands.
    pub env: BTreeMap<String, String>,
    /// The user `start` and the commands run as, and whose processes `kill` may signal
    /// [default: the heartbeat file's owner, else root].
    pub user: Option<String>,
    /// Their group [default: the user's].
    pub group: Option<String>,
    /// Their working directory [default: the user's home, else /].
    pub cwd: Option<PathBuf>,
    /// What to do with a step a killed remediate left running.
    pub orphaned_steps: OrphanedSteps,
    /// Append ` --force` to every named command but `start` (Watchdog configs).
    pub force_flag: bool,
    /// When `remediate event` acts on this service.
    pub event: EventPolicy,
}

impl Service {
    /// The name people see: the display name, else the key.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

/// What decides whether a service is healthy.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// A heartbeat file, judged as check_heartbeat does.
    Heartbeat {
        /// The heartbeat file.
        path: PathBuf,
        /// The age beyond which it is stale.
        max_age: Duration,
        /// How long `iteration` may stand still before the process counts as hung.
        stall: Option<Duration>,
    },
    /// check_http_health with these arguments.
    Http {
        /// Its arguments, without the program name.
        args: PluginArgs<triage_check_http_health::Args>,
    },
    /// check_container with these arguments.
    Container {
        /// Its arguments, without the program name.
        args: PluginArgs<triage_check_container::Args>,
    },
    /// check_procs with these arguments.
    Procs {
        /// Its arguments, without the program name.
        args: PluginArgs<triage_check_procs::Args>,
    },
    /// Any Nagios plugin, run without a shell.
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
    },
}

impl Check {
    /// The key that selects this kind of check: `heartbeat`, `http`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Heartbeat { .. } => "heartbeat",
            Check::Http { .. } => "http",
            Check::Container { .. } => "container",
            Check::Procs { .. } => "procs",
            Check::Command { .. } => "command",
        }
    }
}

/// One step of a recovery pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// How long it may take.
    pub timeout: Duration,
    /// Whether the pipeline goes on when it fails.
    pub on_failure: OnFailure,
}

/// What a recovery step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Terminate the process named by the heartbeat (SIGTERM, then SIGKILL).
    Kill,
    /// Run `commands.start`, detached.
    Start,
    /// Restart a container through the Docker API.
    ContainerRestart {
        /// The container's name or id.
        container: String,
    },
    /// Run the named entry of `commands`.
    Command(String),
}

/// `kill`, `start`, `container_restart web` or the command's name.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Kill => f.write_str("kill"),
            Action::Start => f.write_str("start"),
            Action::ContainerRestart { container } => write!(f, "container_restart {container}"),
            Action::Command(name) => f.write_str(name),
        }
    }
}

impl Action {
    /// The failure policy when the file does not give one: kill and start abort (nothing
    /// after them makes sense if they fail), the rest is best-effort clean-up.
    pub fn default_on_failure(&self) -> OnFailure {
        match self {
            Action::Kill | Action::Start => OnFailure::Abort,
            Action::ContainerRestart { .. } | Action::Command(_) => OnFailure::Continue,
        }
    }
}

/// What a failed step does to the rest of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Stop the pipeline; the remediation failed.
    Abort,
    /// Note the failure and run the next step.
    Continue,
}

/// What becomes of a step that a killed remediate left running (it keeps the service's
/// lock while it lives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrphanedSteps {
    /// Wait: nothing runs for the service until it has ended.
    #[default]
    Wait,
    /// End it (and whatever it started that holds the lock), then go on.
    End,
}

/// The limit on pipelines for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Pipelines allowed per window.
    pub max: u32,
    /// The sliding window.
    pub window: Duration,
    /// How long an exhausted service waits before it is re-armed.
    pub cooldown: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max: 3,
            window: Duration::from_secs(3600),
            cooldown: Duration::from_secs(3600),
        }
    }
}

/// How much remediate logs about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Everything, for finding out why.
    Debug,
    /// What it did.
    #[default]
    Info,
    /// What went wrong but was handled.
    Warning,
    /// Only failures.
    Error,
}

/// The syntax of a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML, the documented format.
    Toml,
    /// JSON: the same structure, or a Watchdog `config.json`.
    Json,
}

impl Format {
    /// `.toml` or `.json` by extension; otherwise JSON when the text starts with `{`.
    pub fn detect(path: &Path, text: &str) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Format::Toml,
            Some("json") => Format::Json,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// One thing wrong with a configuration, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A key path (`services.api.recovery[2]`) or a position (`line 12, column 5`).
    pub location: String,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why a configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// The file is not safe to act on (running as root).
    #[error("refusing {}: {reason}", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// What is unsafe and how to fix it.
        reason: String,
    },
    /// The file was read but is not a valid configuration.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let count = match problems.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    };
    let mut text = format!("{}: {count}", path.display());
    for problem in problems {
        text.push_str(&format!("\n  {problem}"));
    }
    text
}

/// Reads, checks and parses the configuration at `path`.
///
/// As root, the file must be safe to act on first (see [`check_ownership`]).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = ownership::read_checked(path)?;
    parse(
        &text,
        Format::detect(path, &text),
        &path.display().to_string(),
    )
}

/// Parses `text` in `format`; `origin` names it in errors. Defaults for paths come from
/// the environment (`$STATE_DIRECTORY`, the user, `$XDG_STATE_HOME`, `$HOME`).
pub fn parse(text: &str, format: Format, origin: &str) -> Result<Config, ConfigError> {
    parse_in(text, format, origin, &Environment::current())
}

/// [`parse`] with the environment given, so tests do not depend on who runs them.
fn parse_in(
    text: &str,
    format: Format,
    origin: &str,
    env: &Environment,
) -> Result<Config, ConfigError> {
    let mut problems = values::Problems::default();
    let config = match values::is_watchdog(text, format) {
        Err(problem) => {
            problems.push(problem);
            None
        }
        Ok(true) => watchdog::parse(text, format, env, &mut problems),
        Ok(false) => native::parse(text, format, env, &mut problems),
    };
    match config {
        Some(config) if problems.is_empty() => Ok(config),
        _ => Err(ConfigError::Invalid {
            path: PathBuf::from(origin),
            problems: problems.into_vec(),
        }),
    }
}
