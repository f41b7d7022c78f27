//! The pass lock: an exclusive `flock` on a file, so overlapping cron runs never act
//! twice. The kernel drops it when the holder exits, however it exits, so a crash never
//! leaves a lock a human must delete.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Held while a pass runs; released on drop (or when the process ends).
#[derive(Debug)]
pub struct PassLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("another remediate run holds {0}")]
    Busy(String),
    /// The lock file cannot be opened.
    #[error("cannot open the lock file {path}: {reason}")]
    Open {
        /// The lock file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl PassLock {
    /// Takes the lock at `path` without waiting.
    pub fn acquire(path: &Path) -> Result<PassLock, LockError> {
        let open_error = |e: std::io::Error| LockError::Open {
            path: path.display().to_string(),
            reason: triage_core::describe_io(&e),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(open_error)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(open_error)?;
        // SAFETY: a valid open descriptor; LOCK_NB makes it return at once.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = std::io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::EWOULDBLOCK) => Err(LockError::Busy(path.display().to_string())),
                _ => Err(open_error(error)),
            };
        }
        Ok(PassLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/remediate.lock");
        let first = PassLock::acquire(&path).expect("first");
        match PassLock::acquire(&path) {
            Err(LockError::Busy(held)) => assert_eq!(held, path.display().to_string()),
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        PassLock::acquire(&path).expect("free again");
    }
}
