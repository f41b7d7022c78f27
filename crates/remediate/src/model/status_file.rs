//! The status snapshot: what `status --output-format` judges, written after every pass
//! and change to a file the monitoring user may read (0644, in the 0711 state directory),
//! so Nagios and Icinga check the checker without root and without the database.

use serde::{Deserialize, Serialize};

use super::{Anchor, Loss, Maintenance, PassRecord, ServiceState, ServiceStatus, Snapshot};

/// Where the status snapshot of the database at `db_path` is: beside it,
/// `<db_path without .db>.status.json`.
pub fn status_file_path(db_path: &std::path::Path) -> std::path::PathBuf {
    db_path.with_extension("status.json")
}

/// The snapshot as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusFile {
    /// When it was written.
    pub written: f64,
    /// Passes finished, and the last one's times and result.
    pub passes: u64,
    /// When the last pass started.
    pub last_started: Option<f64>,
    /// When it ended.
    pub last_finished: Option<f64>,
    /// Whether every service was fine after it.
    pub last_ok: Option<bool>,
    /// Each configured service, in the configuration's order.
    pub services: Vec<StatusEntry>,
    /// The steady clock its times are on, so a reader counts ages on the same one.
    #[serde(default)]
    pub clock: Option<Anchor>,
    /// State lost lately.
    #[serde(default)]
    pub losses: Vec<Loss>,
    /// Why the record is kept in memory instead of the database, while it is.
    #[serde(default)]
    pub degraded: Option<String>,
}

/// One service in the snapshot: what the self-check judges, nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusEntry {
    /// The service.
    pub name: String,
    /// Where it stands.
    pub status: ServiceStatus,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// When it was last checked.
    pub last_check: Option<f64>,
    /// The end and reason of its maintenance window, when it is in one.
    pub maintenance: Option<(f64, String)>,
}

impl StatusFile {
    /// The snapshot of `snapshot`, written at `now` on the steady clock `clock`.
    pub fn of(snapshot: &Snapshot, now: f64, clock: Option<Anchor>) -> StatusFile {
        let record = snapshot.record;
        StatusFile {
            clock,
            losses: snapshot.losses.clone(),
            degraded: snapshot.degraded.clone(),
            written: now,
            passes: record.passes,
            last_started: record.last_started,
            last_finished: record.last_finished,
            last_ok: record.last_ok,
            services: snapshot
                .services
                .iter()
                .map(|(name, state)| StatusEntry {
                    name: name.clone(),
                    status: state.status,
                    consecutive_failures: state.consecutive_failures,
                    last_check: state.last_check,
                    maintenance: snapshot
                        .windows
                        .iter()
                        .find(|w| w.service == *name)
                        .map(|w| (w.until, w.reason.clone())),
                })
                .collect(),
        }
    }

    /// What the self-check needs, read back (windows that ended by `now` left out).
    pub fn snapshot(&self, now: f64) -> Snapshot {
        Snapshot {
            services: self
                .services
                .iter()
                .map(|entry| {
                    let state = ServiceState {
                        status: entry.status,
                        consecutive_failures: entry.consecutive_failures,
                        last_check: entry.last_check,
                        ..ServiceState::default()
                    };
                    (entry.name.clone(), state)
                })
                .collect(),
            windows: self
                .services
                .iter()
                .filter_map(|entry| {
                    let (until, reason) = entry.maintenance.clone()?;
                    (until > now).then(|| Maintenance {
                        service: entry.name.clone(),
                        started: self.written,
                        until,
                        ended: None,
                        reason,
                        by: String::new(),
                    })
                })
                .collect(),
            record: PassRecord {
                passes: self.passes,
                last_started: self.last_started,
                last_finished: self.last_finished,
                last_ok: self.last_ok,
            },
            losses: self.losses.clone(),
            degraded: self.degraded.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_what_the_self_check_judges() {
        let snapshot = Snapshot {
            services: vec![
                (
                    "api".into(),
                    ServiceState {
                        status: ServiceStatus::Failing,
                        consecutive_failures: 2,
                        last_check: Some(990.0),
                        last_summary: Some("not in the snapshot".into()),
                        ..ServiceState::default()
                    },
                ),
                ("db".into(), ServiceState::default()),
            ],
            windows: vec![Maintenance {
                service: "db".into(),
                started: 900.0,
                until: 1100.0,
                ended: None,
                reason: "disk swap".into(),
                by: "alice".into(),
            }],
            record: PassRecord {
                passes: 7,
                last_started: Some(995.0),
                last_finished: Some(996.0),
                last_ok: Some(false),
            },
            losses: vec![Loss {
                at: 950.0,
                reason: "the database was corrupt".into(),
            }],
            degraded: Some("disk full".into()),
        };
        let text = serde_json::to_string(&StatusFile::of(&snapshot, 1000.0, None)).expect("json");
        let read: StatusFile = serde_json::from_str(&text).expect("read");
        let back = read.snapshot(1000.0);
        assert_eq!(back.record, snapshot.record);
        assert_eq!(back.losses, snapshot.losses);
        assert_eq!(back.degraded, snapshot.degraded);
        assert_eq!(back.services[0].1.status, ServiceStatus::Failing);
        assert_eq!(back.services[0].1.last_summary, None);
        assert_eq!(back.windows[0].until, 1100.0);
        assert!(read.snapshot(1200.0).windows.is_empty(), "the window ended");
    }
}
