//! The heartbeat document's fields.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// One heartbeat. Only `timestamp` is required; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Names the process; defaults to the file's stem in output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_key: Option<String>,
    /// The process to check for liveness. Signed so that bad values (0, -1) reach the
    /// check and get a clear message instead of a parse error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// When the heartbeat was written.
    pub timestamp: Timestamp,
    /// Self-reported status (`running`, `degraded`, `failed`, `stopped`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A counter only the work loop increments: progress, not just liveness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration: Option<u64>,
    /// How often the writer beats, in seconds; default thresholds derive from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<f64>,
    /// Field 22 of `/proc/<pid>/stat` when written: tells a reused PID from ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start_ticks: Option<u64>,
    /// The boot the heartbeat was written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Free text shown in the check's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The exit code of a command run under `heartbeat run`, once it has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// The name a heartbeat file goes by when it names no `process_key`: the file name
/// without its extension (`/run/app/worker.json` is `worker`).
pub fn default_key(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl Heartbeat {
    /// A heartbeat with only a timestamp.
    pub fn at(timestamp: Timestamp) -> Heartbeat {
        Heartbeat {
            process_key: None,
            pid: None,
            timestamp,
            status: None,
            iteration: None,
            interval_s: None,
            pid_start_ticks: None,
            boot_id: None,
            message: None,
            exit_code: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_format_parses_and_extra_fields_are_ignored() {
        let text = r#"{"process_key":"my_server","pid":12345,"timestamp":"2026-02-05T06:17:29.601049+00:00","status":"running","iteration":42,"colour":"blue"}"#;
        let hb: Heartbeat = serde_json::from_str(text).expect("parses");
        assert_eq!(hb.process_key.as_deref(), Some("my_server"));
        assert_eq!(hb.pid, Some(12345));
        assert_eq!(hb.iteration, Some(42));
        assert_eq!(hb.status.as_deref(), Some("running"));
        assert_eq!(hb.interval_s, None);
    }

    #[test]
    fn only_the_timestamp_is_required() {
        let hb: Heartbeat = serde_json::from_str(r#"{"timestamp": 1770272249}"#).expect("parses");
        assert_eq!(hb.timestamp, Timestamp(1_770_272_249.0));
        let error = serde_json::from_str::<Heartbeat>(r#"{"pid": 1}"#).expect_err("no timestamp");
        assert_eq!(
            error.to_string(),
            "missing field `timestamp` at line 1 column 10"
        );
    }

    #[test]
    fn written_documents_leave_out_empty_fields() {
        let mut hb = Heartbeat::at(Timestamp(1_770_272_249.5));
        hb.process_key = Some("job".into());
        hb.iteration = Some(3);
        assert_eq!(
            serde_json::to_string(&hb).expect("serialises"),
            r#"{"process_key":"job","timestamp":"2026-02-05T06:17:29.500000+00:00","iteration":3}"#
        );
    }
}
