//! Writing heartbeats atomically: a temp file in the same directory, then `rename`, so a
//! reader sees the old document or the new one, never half of one.

use std::path::{Path, PathBuf};

use triage_proc::{Pid, ProcessIdentity};

use crate::document::Heartbeat;
use crate::timestamp::Timestamp;
use triage_os::describe_io as describe;

/// Why a heartbeat could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target's directory is missing, read-only, full, ...
    #[error("cannot write {}: {}", .0.display(), .1)]
    Io(PathBuf, String),
}

/// Replaces `path` with `heartbeat` atomically. The temp file is created exclusively and
/// never through a symlink, so a hostile link in a shared directory cannot redirect it.
pub fn write_atomic(path: &Path, heartbeat: &Heartbeat) -> Result<(), WriteError> {
    let mut text = serde_json::to_vec(heartbeat)
        .map_err(|e| WriteError::Io(path.to_owned(), e.to_string()))?;
    text.push(b'\n');
    // No fsync: a heartbeat is rewritten every few seconds and a lost one after a power
    // cut is correctly read as stale; rename alone gives readers the atomicity they need.
    triage_os::replace_file(path, &text, 0o644, triage_os::Durability::Rename)
        .map_err(|e| WriteError::Io(path.to_owned(), describe(&e.source)))
}

/// A heartbeat for Rust programs: create once, call [`beat`](Self::beat) in the work loop.
#[derive(Debug, Clone)]
pub struct HeartbeatWriter {
    path: PathBuf,
    template: Heartbeat,
}

impl HeartbeatWriter {
    /// A writer for the current process, identified by its PID, start ticks and boot id.
    pub fn new(path: impl Into<PathBuf>, process_key: impl Into<String>) -> Self {
        Self::for_process(path, process_key, std::process::id() as Pid)
    }

    /// A writer that vouches for another process (a child, a parent shell).
    pub fn for_process(path: impl Into<PathBuf>, process_key: impl Into<String>, pid: Pid) -> Self {
        let mut writer = Self::without_process(path, process_key);
        writer.template.pid = Some(i64::from(pid));
        // Without /proc the identity fields are left out; the check then relies on the PID.
        if let Ok(identity) = ProcessIdentity::of(pid) {
            writer.template.pid_start_ticks = Some(identity.start_ticks);
            writer.template.boot_id = Some(identity.boot_id);
        }
        writer
    }

    /// A writer that names no process: the check judges only age and status.
    pub fn without_process(path: impl Into<PathBuf>, process_key: impl Into<String>) -> Self {
        let mut template = Heartbeat::at(Timestamp(0.0));
        template.process_key = Some(process_key.into());
        template.status = Some("running".into());
        HeartbeatWriter {
            path: path.into(),
            template,
        }
    }

    /// Continues an existing heartbeat document (keeps its fields, e.g. for a stop).
    pub fn resume(path: impl Into<PathBuf>, heartbeat: Heartbeat) -> Self {
        HeartbeatWriter {
            path: path.into(),
            template: heartbeat,
        }
    }

    /// Declares how often the program beats, so the check can derive its thresholds.
    pub fn interval_s(mut self, seconds: f64) -> Self {
        self.template.interval_s = Some(seconds);
        self
    }

    /// Starts counting iterations from `iteration` (e.g. one read back from the file).
    pub fn starting_at(mut self, iteration: u64) -> Self {
        self.template.iteration = Some(iteration);
        self
    }

    /// The document that the next write is based on.
    pub fn template(&mut self) -> &mut Heartbeat {
        &mut self.template
    }

    /// Records one iteration of work: increments `iteration` and writes.
    pub fn beat(&mut self) -> Result<(), WriteError> {
        self.template.iteration = Some(self.template.iteration.map_or(1, |i| i.saturating_add(1)));
        self.write()
    }

    /// Writes the current document with a fresh timestamp, without counting an iteration.
    pub fn write(&mut self) -> Result<(), WriteError> {
        self.template.timestamp = Timestamp::now();
        write_atomic(&self.path, &self.template)
    }

    /// Marks a clean, intended stop (`status: stopped`).
    pub fn stop(&mut self) -> Result<(), WriteError> {
        self.template.status = Some("stopped".into());
        self.write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{ReadOptions, read_heartbeat};

    #[test]
    fn a_writer_fills_identity_and_counts_iterations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("me.json");
        let mut writer = HeartbeatWriter::new(&path, "me").interval_s(5.0);
        writer.beat().expect("beat");
        writer.beat().expect("beat");
        let hb = read_heartbeat(&path, &ReadOptions::default()).expect("reads");
        assert_eq!(hb.process_key.as_deref(), Some("me"));
        assert_eq!(hb.pid, Some(i64::from(std::process::id())));
        assert_eq!(hb.iteration, Some(2));
        assert_eq!(hb.interval_s, Some(5.0));
        assert!(hb.pid_start_ticks.is_some());
        assert_eq!(hb.boot_id.as_deref().map(str::len), Some(36));
        assert!((hb.timestamp.0 - Timestamp::now().0).abs() < 5.0);
        writer.stop().expect("stop");
        let hb = read_heartbeat(&path, &ReadOptions::default()).expect("reads");
        assert_eq!(hb.status.as_deref(), Some("stopped"));
    }

    #[test]
    fn atomic_writes_leave_no_temp_files_and_replace_symlinks_not_targets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").expect("write");
        let path = dir.path().join("hb.json");
        std::os::unix::fs::symlink(&victim, &path).expect("symlink");
        write_atomic(&path, &Heartbeat::at(Timestamp(1.0))).expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_missing_directory_is_a_clear_error() {
        let error = write_atomic(
            Path::new("/nonexistent/dir/hb.json"),
            &Heartbeat::at(Timestamp(1.0)),
        )
        .expect_err("must fail");
        assert_eq!(
            error.to_string(),
            "cannot write /nonexistent/dir/hb.json: No such file or directory"
        );
    }
}
