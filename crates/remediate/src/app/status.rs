//! `status` (a table, JSON, or a Nagios plugin checking the checker) and `history`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use triage_core::runner::Plugin;
use triage_core::{CheckResult, OutputFormat};

use super::{AppError, Exit, say};
use crate::config::{self, Config};
use crate::model::{ServiceStatus, now};
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

/// `status --output-format FORMAT`: checking the checker, as a plugin. A configuration
/// or database that cannot be read is `REMEDIATE UNKNOWN: why` on stdout and exit 3.
pub(super) fn as_plugin(config_path: &Path, format: OutputFormat, max_pass_age: f64) -> ExitCode {
    triage_core::runner::report(PLUGIN, format, || -> Result<CheckResult, AppError> {
        let config = config::load(config_path)?;
        let store = Store::open(&config.db_path)?;
        let now = now();
        let snapshot = store.snapshot(&config.service_names(), now)?;
        Ok(crate::self_check::self_check(
            &snapshot.services,
            &snapshot.windows,
            &snapshot.record,
            now,
            max_pass_age,
        ))
    })
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
