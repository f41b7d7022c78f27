//! The settings outside any service, and the defaults that depend on where and as whom
//! remediate runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::values::{DurationValue, Problems};
use super::{Config, LogLevel, Operation, Service, ownership};

/// What the default paths depend on.
#[derive(Debug, Clone, Default)]
pub(super) struct Environment {
    pub(super) state_directory: Option<OsString>,
    pub(super) root: bool,
    pub(super) xdg_state_home: Option<OsString>,
    pub(super) home: Option<OsString>,
}

impl Environment {
    pub(super) fn current() -> Environment {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Environment {
            state_directory: var("STATE_DIRECTORY"),
            root: ownership::effective_uid() == Some(0),
            xdg_state_home: var("XDG_STATE_HOME"),
            home: var("HOME"),
        }
    }

    /// `$STATE_DIRECTORY` (systemd), `/var/lib/triage` as root, else the XDG state home;
    /// the same order as `triage_core::StateDir`.
    pub(super) fn default_db_path(&self) -> Result<PathBuf, String> {
        let dir = if let Some(dirs) = &self.state_directory {
            let dirs = dirs.to_string_lossy();
            PathBuf::from(dirs.split(':').next().unwrap_or_default())
        } else if self.root {
            PathBuf::from("/var/lib/triage")
        } else if let Some(state) = self
            .xdg_state_home
            .as_ref()
            .filter(|p| Path::new(p).is_absolute())
        {
            PathBuf::from(state).join("triage")
        } else if let Some(home) = &self.home {
            PathBuf::from(home).join(".local/state/triage")
        } else {
            return Err("no default (HOME is not set): give db_path".to_owned());
        };
        Ok(dir.join("remediate.db"))
    }
}

/// The global settings both formats share, before the services.
pub(super) struct Globals {
    db_path: PathBuf,
    lock_path: PathBuf,
    log_dir: PathBuf,
    log_level: LogLevel,
    pub(super) consecutive_failures: u32,
    retention: Duration,
}

impl Globals {
    pub(super) fn db_path(&self) -> &Path {
        &self.db_path
    }

    pub(super) fn into_config(self, services: Vec<Service>, operation: Operation) -> Config {
        Config {
            db_path: self.db_path,
            lock_path: self.lock_path,
            log_dir: self.log_dir,
            log_level: self.log_level,
            consecutive_failures: self.consecutive_failures,
            retention: self.retention,
            services,
            operation,
        }
    }
}

/// The global keys as written; `consecutive_failures_key` differs between formats.
pub(super) struct GlobalKeys<'a> {
    pub(super) db_path: Option<&'a str>,
    pub(super) lock_path: Option<&'a str>,
    pub(super) log_dir: Option<&'a str>,
    pub(super) log_level: Option<&'a str>,
    pub(super) consecutive_failures: Option<u32>,
    pub(super) consecutive_failures_key: &'static str,
    pub(super) retention: Option<&'a DurationValue>,
}

/// The global settings, defaults filled in, each problem reported at its key.
pub(super) fn globals(keys: &GlobalKeys, env: &Environment, problems: &mut Problems) -> Globals {
    let db_path = match keys.db_path {
        Some(text) => problems.absolute_path("db_path", text),
        None => env
            .default_db_path()
            .map_err(|message| problems.add("db_path", message))
            .ok(),
    };
    // A stand-in keeps the other checks going; the config is rejected anyway.
    let db_path = db_path.unwrap_or_else(|| PathBuf::from("/remediate.db"));
    let lock_path = keys
        .lock_path
        .map_or_else(
            || Some(db_path.with_extension("lock")),
            |text| problems.absolute_path("lock_path", text),
        )
        .unwrap_or_default();
    let log_dir = keys
        .log_dir
        .map_or_else(
            || db_path.parent().map(|dir| dir.join("logs")),
            |text| problems.absolute_path("log_dir", text),
        )
        .unwrap_or_default();
    let log_level = keys.log_level.map_or(LogLevel::Info, |text| {
        log_level(text).unwrap_or_else(|| {
            problems.add(
                "log_level",
                format!("'{text}' is not a log level: expected debug, info, warning or error"),
            );
            LogLevel::Info
        })
    });
    Globals {
        lock_path,
        log_dir,
        db_path,
        log_level,
        consecutive_failures: problems.at_least_one(
            keys.consecutive_failures_key,
            keys.consecutive_failures.unwrap_or(2),
        ),
        retention: problems.duration(
            "retention",
            keys.retention,
            Duration::from_secs(30 * 86400),
            false,
        ),
    }
}

/// Python's level names too (`WARN`, `CRITICAL`), as Watchdog configs may use them.
fn log_level(text: &str) -> Option<LogLevel> {
    match text.to_ascii_lowercase().as_str() {
        "debug" => Some(LogLevel::Debug),
        "info" => Some(LogLevel::Info),
        "warning" | "warn" => Some(LogLevel::Warning),
        "error" | "critical" => Some(LogLevel::Error),
        _ => None,
    }
}
