//! The state directory: what `iteration` was at the last run, so a process that still
//! beats but no longer makes progress shows up as hung.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use triage_core::describe_io;

use crate::facts::StallFact;

/// One small file per heartbeat, written atomically.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StallRecord {
    iteration: u64,
    since: f64,
}

/// Stall records in one directory; unusable directories are reported, not fatal.
#[derive(Debug)]
pub struct StallStore {
    dir: Result<PathBuf, String>,
}

impl StallStore {
    /// A store for runs that do not track stalls; it is never written.
    pub fn unused() -> StallStore {
        StallStore {
            dir: Err("stall detection not enabled".to_owned()),
        }
    }

    /// Opens (creating if needed) `explicit` or the default state directory.
    pub fn open(explicit: Option<&Path>) -> StallStore {
        let dir = explicit
            .map(Path::to_path_buf)
            .map_or_else(default_state_dir, Ok)
            .and_then(|dir| {
                std::fs::create_dir_all(&dir)
                    .map(|()| dir.clone())
                    .map_err(|e| format!("cannot create {}: {}", dir.display(), describe_io(&e)))
            });
        StallStore { dir }
    }

    /// Records `iteration` for the heartbeat at `path` and says how long it has stood still.
    pub fn observe(&self, path: &Path, key: &str, iteration: u64, now: f64) -> StallFact {
        let dir = match &self.dir {
            Ok(dir) => dir,
            Err(reason) => return StallFact::Skipped(reason.clone()),
        };
        let file = dir.join(record_name(path, key));
        let previous: Option<StallRecord> = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let fact = match previous {
            Some(record) if record.iteration == iteration => {
                return StallFact::Unchanged((now - record.since).max(0.0));
            }
            Some(_) => StallFact::Progressed,
            None => StallFact::FirstSeen,
        };
        match write_record(
            &file,
            StallRecord {
                iteration,
                since: now,
            },
        ) {
            Ok(()) => fact,
            Err(reason) => StallFact::Skipped(reason),
        }
    }
}

fn write_record(file: &Path, record: StallRecord) -> Result<(), String> {
    let temp = file.with_extension(format!("{}.tmp", std::process::id()));
    let text = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("cannot write {}: {}", file.display(), describe_io(&e))
        })
}

/// `$STATE_DIRECTORY` (systemd), `/var/lib/triage` as root, else the XDG state home.
/// Cron and Choria give no HOME; that is reported, never a crash.
fn default_state_dir() -> Result<PathBuf, String> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dirs) = env("STATE_DIRECTORY") {
        let first = dirs
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        return Ok(PathBuf::from(first));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(PathBuf::from("/var/lib/triage"));
    }
    if let Some(state) = env("XDG_STATE_HOME").filter(|p| Path::new(p).is_absolute()) {
        return Ok(PathBuf::from(state).join("triage"));
    }
    env("HOME")
        .map(|home| PathBuf::from(home).join(".local/state/triage"))
        .ok_or_else(|| "no state directory (HOME is not set; use --state-dir)".to_owned())
}

/// A readable name plus a hash of the full path, so two files with one key never collide.
fn record_name(path: &Path, key: &str) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let readable: String = key
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "heartbeat-{readable}-{:016x}.json",
        fnv1a(absolute.as_os_str().as_encoded_bytes())
    )
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_are_tracked_across_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StallStore::open(Some(dir.path()));
        let hb = Path::new("/run/app/w.json");
        assert_eq!(store.observe(hb, "w", 5, 1000.0), StallFact::FirstSeen);
        assert_eq!(
            store.observe(hb, "w", 5, 1030.0),
            StallFact::Unchanged(30.0)
        );
        assert_eq!(
            store.observe(hb, "w", 5, 1090.0),
            StallFact::Unchanged(90.0)
        );
        assert_eq!(store.observe(hb, "w", 6, 1100.0), StallFact::Progressed);
        assert_eq!(
            store.observe(hb, "w", 6, 1110.0),
            StallFact::Unchanged(10.0)
        );
        // Same key, other file: its own record.
        assert_eq!(
            store.observe(Path::new("/other/w.json"), "w", 6, 1110.0),
            StallFact::FirstSeen
        );
    }

    #[test]
    fn an_unusable_directory_skips_with_a_reason() {
        let store = StallStore::open(Some(Path::new("/proc/triage-cannot-exist")));
        match store.observe(Path::new("/x.json"), "x", 1, 0.0) {
            StallFact::Skipped(reason) => {
                assert!(
                    reason.starts_with("cannot create /proc/triage-cannot-exist: "),
                    "{reason}"
                )
            }
            other => panic!("expected Skipped, got {other:?}"),
        }
    }

    #[test]
    fn record_names_are_safe_and_distinct() {
        let a = record_name(Path::new("/a/hb.json"), "../../etc/passwd");
        assert!(a.starts_with("heartbeat-______etc_passwd-"), "{a}");
        assert_ne!(a, record_name(Path::new("/b/hb.json"), "../../etc/passwd"));
    }
}
