//! Exclusive `flock`s: the pass lock, so overlapping cron runs (or a cron run and
//! `watch`) never check and act twice, and one lock per service, held while its pipeline
//! runs, so an event handler, a pass and a person never run two pipelines for one service
//! at once. The kernel drops a lock when its holder exits, however it exits, so a crash
//! never leaves a lock a human must delete.

use std::fs::File;
use std::os::unix::io::{AsRawFd, FromRawFd, RawFd};
use std::path::{Path, PathBuf};

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
        Ok(PassLock {
            _file: lock_file(path)?,
        })
    }
}

/// Held while a service's pipeline runs; released on drop, or handed to a detached child.
#[derive(Debug)]
pub struct ServiceLock {
    file: File,
}

impl ServiceLock {
    /// The lock file of `service`: `<lock_path>.d/<service>.lock` (service names are
    /// plain file names; the configuration checks them).
    pub fn path(lock_path: &Path, service: &str) -> PathBuf {
        let mut dir = lock_path.as_os_str().to_owned();
        dir.push(".d");
        PathBuf::from(dir).join(format!("{service}.lock"))
    }

    /// Takes `service`'s lock without waiting.
    pub fn acquire(lock_path: &Path, service: &str) -> Result<ServiceLock, LockError> {
        Ok(ServiceLock {
            file: lock_file(&ServiceLock::path(lock_path, service))?,
        })
    }

    /// Whether another process holds `service`'s lock now (a pipeline is running).
    pub fn is_held(lock_path: &Path, service: &str) -> bool {
        matches!(
            ServiceLock::acquire(lock_path, service),
            Err(LockError::Busy(_))
        )
    }

    /// The lock file's descriptor (close-on-exec), for a command that should hold the lock
    /// with us while it runs.
    pub fn descriptor(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// The descriptor, made inheritable, for a child that goes on holding the lock after
    /// we exit (the lock belongs to the open file, which the child then shares).
    pub fn inheritable_fd(&self) -> std::io::Result<RawFd> {
        let fd = self.file.as_raw_fd();
        // SAFETY: F_GETFD/F_SETFD on a descriptor we own; no memory is involved.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(fd)
    }

    /// Takes over the lock a parent handed down as descriptor `fd`, checking that it is a
    /// lock file we hold (flock on a descriptor that already holds the lock succeeds;
    /// anything else is refused).
    pub fn inherit(fd: RawFd) -> Result<ServiceLock, LockError> {
        let refused = |reason: String| LockError::Open {
            path: format!("descriptor {fd}"),
            reason,
        };
        // SAFETY: fstat writes into a zeroed stat we own.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        if fd < 3 || unsafe { libc::fstat(fd, &mut stat) } != 0 {
            return Err(refused("not an open file".into()));
        }
        if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(refused("not a lock file".into()));
        }
        // SAFETY: the descriptor is open and handed to us to own from now on.
        let file = unsafe { File::from_raw_fd(fd) };
        // SAFETY: a valid open descriptor; LOCK_NB returns at once.
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(refused("the lock is not ours".into()));
        }
        // Not passed on to whatever the pipeline starts.
        // SAFETY: F_SETFD on a descriptor we own.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        Ok(ServiceLock { file })
    }
}

/// Opens (creating it, and its directory) and locks `path` without waiting.
fn lock_file(path: &Path) -> Result<File, LockError> {
    let open_error = |e: std::io::Error| LockError::Open {
        path: path.display().to_string(),
        reason: triage_core::describe_io(&e),
    };
    let refused = |reason: String| LockError::Open {
        path: path.display().to_string(),
        reason,
    };
    // Relative to its checked directory, never through a symlink, and refused when someone
    // else made it: they would hold the service's lock for ever.
    let file = triage_os::open_private(path, 0o600).map_err(|e| refused(e.to_string()))?;
    // SAFETY: a valid open descriptor; LOCK_NB makes it return at once.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = std::io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => Err(LockError::Busy(path.display().to_string())),
            _ => Err(open_error(error)),
        };
    }
    Ok(file)
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

    #[test]
    fn a_service_lock_is_per_service_and_seen_as_held() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pass = dir.path().join("remediate.lock");
        let api = ServiceLock::acquire(&pass, "api").expect("api");
        assert!(ServiceLock::is_held(&pass, "api"));
        assert!(!ServiceLock::is_held(&pass, "db"));
        assert!(ServiceLock::acquire(&pass, "db").is_ok());
        assert_eq!(
            ServiceLock::path(&pass, "api"),
            dir.path().join("remediate.lock.d/api.lock")
        );
        drop(api);
        assert!(!ServiceLock::is_held(&pass, "api"));
    }

    #[test]
    fn only_a_regular_lock_file_descriptor_is_inherited() {
        assert!(ServiceLock::inherit(0).is_err());
        assert!(ServiceLock::inherit(-1).is_err());
        let dir = tempfile::tempdir().expect("tempdir");
        let pass = dir.path().join("remediate.lock");
        let lock = ServiceLock::acquire(&pass, "api").expect("api");
        let fd = lock.inheritable_fd().expect("fd");
        std::mem::forget(lock);
        let again = ServiceLock::inherit(fd).expect("inherited");
        assert!(ServiceLock::is_held(&pass, "api"));
        drop(again);
        assert!(!ServiceLock::is_held(&pass, "api"));
    }
}
