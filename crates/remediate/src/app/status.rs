//! `status` (a table, JSON, or a Nagios plugin checking the checker) and `history`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use triage_core::runner::Plugin;
use triage_core::{CheckResult, OutputFormat};

use super::{AppError, Exit, say};
use crate::config::{self, Config};
use crate::model::{ServiceStatus, StatusFile, adopt_anchor, now};
use crate::render;
use crate::store::Store;

/// `remediate status --output-format`: the plugin's names.
const PLUGIN: Plugin = Plugin {
    name: "remediate",
    service: "REMEDIATE",
};

/// `status`: the table (exit 1 while a service is failing or out of budget) or JSON.
pub(super) fn status(config: &Config, json: bool, out: &mut dyn Write) -> Result<Exit, AppError> {
    let store = Store::open(&config.db_path)?;
    let snapshot = store.snapshot(&config.service_names(), now())?;
    if json {
        say(
            out,
            render::status_json(&snapshot.services, &snapshot.windows),
        );
        return Ok(Exit::Ok);
    }
    for line in render::status_table(&snapshot.services, &snapshot.windows, &snapshot.record) {
        say(out, line);
    }
    let failing = snapshot.services.iter().any(|(_, state)| {
        matches!(
            state.status,
            ServiceStatus::Failing | ServiceStatus::Exhausted
        )
    });
    Ok(if failing { Exit::Problem } else { Exit::Ok })
}

/// `status --output-format FORMAT`: checking the checker, as a plugin. Root reads the
/// database; the monitoring user reads the status snapshot the last pass or change left.
/// A configuration, database or snapshot that cannot be read is `REMEDIATE UNKNOWN: why`
/// on stdout and exit 3.
pub(super) fn as_plugin(config_path: &Path, format: OutputFormat, max_pass_age: f64) -> ExitCode {
    triage_core::runner::report(PLUGIN, format, || -> Result<CheckResult, AppError> {
        let config = config::load(config_path)?;
        // Ages are counted on the steady clock the times were stored on: the store's, or
        // the one the snapshot names; so each `now` is read after it.
        let (snapshot, now) = if config::effective_uid() == Some(0) {
            let store = Store::open(&config.db_path)?;
            let now = now();
            (store.snapshot(&config.service_names(), now)?, now)
        } else {
            let file = read_status_file(&config.operation.status_file)?;
            adopt_anchor(file.clock.clone());
            let now = now();
            (file.snapshot(now), now)
        };
        Ok(crate::self_check::check_snapshot(
            &snapshot,
            now,
            max_pass_age,
        ))
    })
}

/// The status snapshot at `path`.
fn read_status_file(path: &Path) -> Result<StatusFile, AppError> {
    let cannot = |why: String| {
        AppError::Broken(format!(
            "cannot read the status snapshot {}: {why} (remediate writes it after every pass)",
            path.display()
        ))
    };
    let text = std::fs::read(path).map_err(|e| cannot(triage_core::describe_io(&e)))?;
    serde_json::from_slice(&text).map_err(|e| cannot(e.to_string()))
}

/// `history`: newest first, a line (or a JSON line) per entry.
pub(super) fn history(
    config: &Config,
    service: Option<&str>,
    since: f64,
    json: bool,
    out: &mut dyn Write,
) -> Result<Exit, AppError> {
    let store = Store::open(&config.db_path)?;
    let now = now();
    for entry in store.history(service, now - since, now)? {
        if json {
            say(out, render::history_json(&entry));
        } else {
            say(out, render::history_entry(&entry));
        }
    }
    Ok(Exit::Ok)
}
