//! What remediate says about itself after each pass and each change: its own heartbeat
//! file (check_heartbeat's format, so a monitoring core checks the checker) and the
//! Prometheus textfile. Failures here are reported, never fatal: they must not stop a
//! recovery.

use triage_heartbeat::{Heartbeat, Timestamp, write_atomic};
use triage_notify::textfile::{Exposition, ExpositionError, MetricKind, write_atomically};

use crate::config::Config;
use crate::model::{
    Maintenance, PassRecord, ServiceState, ServiceStatus, Snapshot, Source, StatusFile, anchor,
    now, wall_offset,
};
use crate::store::Store;

/// After a pass: the heartbeat, then the textfile and the status snapshot. Returns the
/// problems, one line each.
pub fn after_pass(
    config: &Config,
    store: &Store,
    record: &PassRecord,
    source: Source,
) -> Vec<String> {
    let mut problems = Vec::new();
    let heartbeat = own_heartbeat(record, source, config.operation.interval.as_secs_f64());
    let refused = config
        .operation
        .heartbeat_file
        .parent()
        .map(triage_os::check_root_dir)
        .transpose();
    if let Err(refused) = refused {
        problems.push(format!(
            "not writing the heartbeat {}: {refused}",
            config.operation.heartbeat_file.display()
        ));
    } else if let Err(error) = write_atomic(&config.operation.heartbeat_file, &heartbeat) {
        problems.push(format!(
            "cannot write the heartbeat {}: {error}",
            config.operation.heartbeat_file.display()
        ));
    }
    problems.extend(write_views(config, store));
    problems
}

/// After an event, a run by hand or a maintenance change: the textfile and the status
/// snapshot (no pass happened, so the heartbeat stays as the last pass left it).
pub fn after_change(config: &Config, store: &Store) {
    for problem in write_views(config, store) {
        eprintln!("remediate: {problem}");
    }
}

/// The textfile and the status snapshot, both from one read of the store.
fn write_views(config: &Config, store: &Store) -> Vec<String> {
    let now = now();
    let snapshot = match store.snapshot(&config.service_names(), now) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            return vec![format!(
                "no Prometheus textfile or status snapshot: {error}"
            )];
        }
    };
    let mut problems = write_textfile(config, &snapshot);
    problems.extend(write_status_file(config, &snapshot, now));
    problems
}

/// The status snapshot for the monitoring user (readable by everyone: it says what
/// `status --output-format` would, which the monitoring core shows anyway).
fn write_status_file(config: &Config, snapshot: &Snapshot, now: f64) -> Vec<String> {
    let path = &config.operation.status_file;
    let written = serde_json::to_vec(&StatusFile::of(snapshot, now, Some(anchor())))
        .map_err(|e| e.to_string())
        .and_then(|text| {
            triage_os::replace_file(path, &text, 0o644, triage_os::Durability::Rename)
                .map_err(|error| error.to_string())
        });
    match written {
        Ok(()) => Vec::new(),
        Err(error) => vec![format!(
            "cannot write the status snapshot {}: {error}",
            path.display()
        )],
    }
}

/// remediate's heartbeat: `iteration` counts passes (so a hung `watch` shows as stalled),
/// and only `watch` names its PID: a cron run has exited by the time anyone looks.
fn own_heartbeat(record: &PassRecord, source: Source, interval: f64) -> Heartbeat {
    let mut heartbeat = Heartbeat::at(Timestamp::now());
    heartbeat.process_key = Some("remediate".to_owned());
    heartbeat.iteration = Some(record.passes);
    heartbeat.status = Some(
        if record.last_ok == Some(false) {
            "degraded"
        } else {
            "ok"
        }
        .to_owned(),
    );
    heartbeat.message = Some(format!("{} pass {}", source, record.passes));
    if source == Source::Watch {
        heartbeat.pid = Some(i64::from(std::process::id()));
        heartbeat.interval_s = Some(interval);
    }
    heartbeat
}

fn write_textfile(config: &Config, snapshot: &Snapshot) -> Vec<String> {
    let Some(path) = &config.operation.prometheus_textfile else {
        return Vec::new();
    };
    if let Some(dir) = path.parent()
        && let Err(refused) = triage_os::check_root_dir(dir)
    {
        return vec![format!("no Prometheus textfile: {refused}")];
    }
    let text = match render(
        &snapshot.services,
        &snapshot.windows,
        &snapshot.record,
        wall_offset(),
    ) {
        Ok(text) => text,
        Err(error) => return vec![format!("no Prometheus textfile: {error}")],
    };
    match write_atomically(path, &text) {
        Ok(()) => Vec::new(),
        Err(error) => vec![format!(
            "cannot write the Prometheus textfile {}: {error}",
            path.display()
        )],
    }
}

/// The textfile: per service its status (one series per status, 1 for the current one),
/// last check state, failures in a row, last check and run times, maintenance, and the
/// pipeline counters; then the passes. Times are stored on the steady clock; Prometheus
/// compares them with its own wall clock, so they are shown `wall_offset` later. Pure.
pub fn render<S: AsRef<str>>(
    states: &[(S, ServiceState)],
    windows: &[Maintenance],
    record: &PassRecord,
    wall_offset: f64,
) -> Result<String, ExpositionError> {
    let mut text = Exposition::new();
    {
        let mut family = text.family(
            "remediate_service_status",
            "The service's status in remediate: 1 for the status it is in, 0 for the others.",
            MetricKind::Gauge,
        )?;
        for (name, state) in states {
            for status in ServiceStatus::ALL {
                let value = if state.status == status { 1.0 } else { 0.0 };
                let labels = [("service", name.as_ref()), ("status", status.as_str())];
                family.sample(&labels, value)?;
            }
        }
    }
    gauge(
        &mut text,
        "remediate_service_check_state",
        "The last check's Nagios state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        states,
        |s| s.last_state.map(|state| f64::from(state.code())),
    )?;
    gauge(
        &mut text,
        "remediate_service_consecutive_failures",
        "Failed checks in a row.",
        states,
        |s| Some(f64::from(s.consecutive_failures)),
    )?;
    gauge(
        &mut text,
        "remediate_service_last_check_timestamp_seconds",
        "When the service was last checked, in Unix seconds.",
        states,
        |s| s.last_check.map(|at| at + wall_offset),
    )?;
    gauge(
        &mut text,
        "remediate_service_last_remediation_timestamp_seconds",
        "When the service's last recovery pipeline started, in Unix seconds.",
        states,
        |s| s.last_run.map(|at| at + wall_offset),
    )?;
    {
        let mut family = text.family(
            "remediate_service_maintenance",
            "1 while the service is in a maintenance window.",
            MetricKind::Gauge,
        )?;
        for (name, _) in states {
            let name = name.as_ref();
            let inside = windows.iter().any(|w| w.service == name);
            family.sample(&[("service", name)], if inside { 1.0 } else { 0.0 })?;
        }
    }
    {
        let mut family = text.family(
            "remediate_service_maintenance_end_timestamp_seconds",
            "When the service's maintenance window ends by itself, in Unix seconds.",
            MetricKind::Gauge,
        )?;
        for window in windows {
            family.sample(&[("service", &window.service)], window.until + wall_offset)?;
        }
    }
    counter(
        &mut text,
        "remediate_remediations_total",
        "Recovery pipelines started.",
        states,
        |s| s.runs_total,
    )?;
    counter(
        &mut text,
        "remediate_remediation_failures_total",
        "Recovery pipelines that failed, were aborted or interrupted.",
        states,
        |s| s.failed_runs_total,
    )?;
    {
        let mut family = text.family(
            "remediate_passes_total",
            "Passes remediate has finished.",
            MetricKind::Counter,
        )?;
        family.sample(&[], record.passes as f64)?;
    }
    if let Some(at) = record.last_finished {
        let mut family = text.family(
            "remediate_last_pass_timestamp_seconds",
            "When the last pass ended, in Unix seconds.",
            MetricKind::Gauge,
        )?;
        family.sample(&[], at + wall_offset)?;
    }
    if let (Some(started), Some(finished)) = (record.last_started, record.last_finished) {
        let mut family = text.family(
            "remediate_last_pass_duration_seconds",
            "How long the last pass took.",
            MetricKind::Gauge,
        )?;
        family.sample(&[], (finished - started).max(0.0))?;
    }
    Ok(text.finish())
}

/// A per-service gauge; services with no value (never checked...) get no series.
fn gauge(
    text: &mut Exposition,
    name: &str,
    help: &str,
    states: &[(impl AsRef<str>, ServiceState)],
    value: impl Fn(&ServiceState) -> Option<f64>,
) -> Result<(), ExpositionError> {
    let mut family = text.family(name, help, MetricKind::Gauge)?;
    for (service, state) in states {
        if let Some(value) = value(state) {
            family.sample(&[("service", service.as_ref())], value)?;
        }
    }
    Ok(())
}

fn counter(
    text: &mut Exposition,
    name: &str,
    help: &str,
    states: &[(impl AsRef<str>, ServiceState)],
    value: impl Fn(&ServiceState) -> u64,
) -> Result<(), ExpositionError> {
    let mut family = text.family(name, help, MetricKind::Counter)?;
    for (service, state) in states {
        family.sample(&[("service", service.as_ref())], value(state) as f64)?;
    }
    Ok(())
}
