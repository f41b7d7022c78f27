//! The I/O half of the check: list the heartbeat paths, read each, ask the kernel about
//! its process, consult the stall record.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use triage_heartbeat::{ReadError, ReadOptions, default_key, file_mtime, read_owned_heartbeat};
use triage_proc::{Liveness, ProcError, liveness, read_stat, to_pid};

use crate::cli::Args;
use crate::facts::{Found, HeartbeatFacts, HostFacts, ProcessFacts, SourceFacts, StallFact};
use crate::stall::{ObservedAt, StallStore};

/// A directory given with --dir that cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list {}: {}", .0.display(), .1)]
pub struct DirError(PathBuf, String);

/// Reads the host-wide facts once.
pub fn host_facts() -> HostFacts {
    HostFacts {
        now: triage_heartbeat::now_unix(),
        boot_id: triage_proc::boot_id().ok(),
        boot_clock: triage_os::boot_seconds(),
    }
}

/// The `-f` files in order, then the `--dir` matches sorted by name.
pub fn list_paths(args: &Args) -> Result<Vec<PathBuf>, DirError> {
    let mut paths = args.file.clone();
    if let Some(dir) = &args.dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| DirError(dir.clone(), triage_core::describe_io(&e)))?;
        let pattern = CString::new(args.glob.as_bytes()).unwrap_or_default();
        let mut matched: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| glob_matches(&pattern, entry.file_name().as_bytes()))
            .map(|entry| entry.path())
            .collect();
        matched.sort();
        paths.extend(matched);
    }
    // A file named twice (by -f and by --dir, say) is checked once.
    let mut seen = std::collections::HashSet::new();
    paths.retain(|path| seen.insert(std::path::absolute(path).unwrap_or_else(|_| path.clone())));
    Ok(paths)
}

/// Shell-style matching by fnmatch(3); FNM_PERIOD keeps hidden files (a writer's temp
/// files among them) out, as the shell would.
fn glob_matches(pattern: &CString, name: &[u8]) -> bool {
    let Ok(name) = CString::new(name) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    unsafe { libc::fnmatch(pattern.as_ptr(), name.as_ptr(), libc::FNM_PERIOD) == 0 }
}

/// What reading a path takes from the command line (or from a caller with typed settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadSettings {
    /// Judge the modification time, not a JSON heartbeat.
    pub mtime: bool,
    /// Follow a symlink at the path.
    pub follow_symlinks: bool,
    /// Do not ask about the heartbeat's PID.
    pub ignore_pid: bool,
    /// Track `iteration` for stall detection.
    pub track_stall: bool,
}

impl ReadSettings {
    /// The settings the command line asks for.
    pub fn from_args(args: &Args) -> ReadSettings {
        ReadSettings {
            mtime: args.mtime,
            follow_symlinks: args.follow_symlinks,
            ignore_pid: args.ignore_pid,
            track_stall: args.stall_warning.or(args.stall_critical).is_some(),
        }
    }
}

/// Everything knowable about one path. Invalid JSON is not retried here: [`gather_all`]
/// and [`gather_retried`] retry it after one wait.
pub fn gather(
    path: &Path,
    settings: &ReadSettings,
    host: &HostFacts,
    stall: &StallStore,
) -> SourceFacts {
    let found = if settings.mtime {
        match file_mtime(path, settings.follow_symlinks) {
            Ok(mtime) => Found::Modified(mtime),
            Err(error) => from_read_error(error),
        }
    } else {
        let options = ReadOptions {
            follow_symlinks: settings.follow_symlinks,
            ..ReadOptions::default()
        };
        match read_owned_heartbeat(path, &options) {
            Ok((heartbeat, owner)) => {
                let process = heartbeat
                    .pid
                    .filter(|_| !settings.ignore_pid)
                    .map(process_facts);
                let stall = match (settings.track_stall, heartbeat.iteration) {
                    (false, _) => StallFact::NotTracked,
                    (true, None) => StallFact::NoIteration,
                    (true, Some(iteration)) => {
                        let at = ObservedAt {
                            wall: host.now,
                            boot: host.boot_id.as_deref().map(|boot| (boot, host.boot_clock)),
                        };
                        stall.observe(path, &key_of(path, &heartbeat), iteration, at)
                    }
                };
                Found::Heartbeat(Box::new(HeartbeatFacts {
                    heartbeat,
                    owner,
                    process,
                    stall,
                }))
            }
            Err(error) => from_read_error(error),
        }
    };
    SourceFacts {
        path: path.to_owned(),
        found,
    }
}

/// Gathers every path; files caught mid-write (invalid JSON) are read once more, all of
/// them after a single wait, so a directory of broken files costs 50 ms, not 50 ms each.
pub fn gather_all(
    paths: &[PathBuf],
    settings: &ReadSettings,
    host: &HostFacts,
    stall: &StallStore,
) -> Vec<SourceFacts> {
    let mut facts: Vec<SourceFacts> = paths
        .iter()
        .map(|p| gather(p, settings, host, stall))
        .collect();
    let invalid = |f: &SourceFacts| matches!(f.found, Found::Invalid(_));
    if facts.iter().any(invalid) {
        std::thread::sleep(triage_heartbeat::TORN_READ_RETRY);
        for fact in facts.iter_mut().filter(|f| invalid(f)) {
            *fact = gather(&fact.path.clone(), settings, host, stall);
        }
    }
    facts
}

/// One path's facts, read once more after the wait when caught mid-write.
pub fn gather_retried(
    path: &Path,
    settings: &ReadSettings,
    host: &HostFacts,
    stall: &StallStore,
) -> SourceFacts {
    gather_all(&[path.to_path_buf()], settings, host, stall)
        .pop()
        .unwrap_or_else(|| SourceFacts {
            path: path.to_path_buf(),
            found: Found::Missing,
        })
}

/// The name a heartbeat goes by: its `process_key`, else the file's stem.
pub fn key_of(path: &Path, heartbeat: &triage_heartbeat::Heartbeat) -> String {
    heartbeat
        .process_key
        .clone()
        .filter(|k| !k.trim().is_empty())
        .unwrap_or_else(|| default_key(path))
}

fn from_read_error(error: ReadError) -> Found {
    match error {
        ReadError::Missing(_) => Found::Missing,
        ReadError::Invalid(..) => Found::Invalid(error.to_string()),
        ReadError::Symlink(_) => {
            Found::Refused(format!("{error} (use --follow-symlinks to allow)"))
        }
        other => Found::Refused(other.to_string()),
    }
}

fn process_facts(pid: i64) -> ProcessFacts {
    let mut liveness = liveness(pid).map_err(|e| e.to_string());
    let mut stat = None;
    if let (Ok(Liveness::Alive), Ok(valid)) = (&liveness, to_pid(pid)) {
        match read_stat(valid) {
            Ok(read) => stat = Some(read),
            // Gone between kill() and the read: it died just now.
            Err(ProcError::Gone(_)) => liveness = Ok(Liveness::Gone),
            // hidepid or similar: alive, identity not verifiable.
            Err(_) => {}
        }
    }
    ProcessFacts {
        pid,
        liveness,
        stat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        glob_matches(&CString::new(pattern).expect("pattern"), name.as_bytes())
    }

    #[test]
    fn globs_match_like_the_shell() {
        assert!(matches("*.json", "worker-1.json"));
        assert!(!matches("*.json", "worker-1.json.tmp"));
        assert!(!matches("*.json", ".worker-1.json"));
        assert!(matches("worker-?.json", "worker-7.json"));
        assert!(matches("w[0-9].json", "w3.json"));
        assert!(!matches("w[0-9].json", "wx.json"));
    }
}
