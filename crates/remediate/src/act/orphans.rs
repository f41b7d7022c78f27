//! Steps a killed remediate left running. A command step shares its service's lock with
//! everything it starts, so what it left keeps the lock held: by default the next
//! remediate waits for it (the lock is busy); with `orphaned_steps = "end"` it ends
//! every process holding the lock that is not a remediate, then takes the lock.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use triage_proc::Pid;

use crate::config::{OrphanedSteps, Service};
use crate::lock::{LockError, ServiceLock};

/// How long ended processes are given to be gone before the lock is tried again.
const GONE_WITHIN: Duration = Duration::from_secs(5);

/// Takes `service`'s lock; when it is busy only because of what a killed remediate's step
/// left, and the service says `end`, ends those processes first (each named on stderr).
pub fn acquire(lock_path: &Path, service: &Service) -> Result<ServiceLock, LockError> {
    match ServiceLock::acquire(lock_path, &service.name) {
        Err(LockError::Busy(held)) if service.orphaned_steps == OrphanedSteps::End => {
            let lock = ServiceLock::path(lock_path, &service.name);
            let Some(orphans) = holders_without_remediate(&lock) else {
                return Err(LockError::Busy(held));
            };
            for pid in &orphans {
                eprintln!(
                    "remediate: {}: ending pid {pid}, left running by a killed remediate's step",
                    service.name
                );
                // SAFETY: a process that holds our root-only lock file open: only what
                // remediate started can have inherited that descriptor.
                unsafe { libc::kill(*pid, libc::SIGKILL) };
            }
            let until = Instant::now() + GONE_WITHIN;
            loop {
                match ServiceLock::acquire(lock_path, &service.name) {
                    Err(LockError::Busy(_)) if Instant::now() < until => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    other => return other,
                }
            }
        }
        other => other,
    }
}

/// The processes that hold the lock file at `path` open, when none of them is a
/// remediate (else None: a live run holds it). Found through /proc/*/fd.
fn holders_without_remediate(path: &Path) -> Option<Vec<Pid>> {
    let lock = std::fs::metadata(path).ok()?;
    let ours = std::fs::read_link("/proc/self/exe").ok()?;
    let mut holders = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<Pid>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::metadata(fd.path())
                .is_ok_and(|open| open.dev() == lock.dev() && open.ino() == lock.ino())
        });
        if !holds || pid == std::process::id() as Pid {
            continue;
        }
        if std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == ours) {
            return None;
        }
        holders.push(pid);
    }
    Some(holders)
}
