//! Facts about Linux processes from `/proc` and `kill(2)`: is a PID alive, is it a zombie,
//! is it still the process we mean (start ticks and boot id), and the whole process table
//! as `ps` would show it, read one small file at a time.

pub mod clock;
pub mod procfs;
pub mod stat;
pub mod user;

use std::io;

pub use clock::Clock;
pub use procfs::{Memory, ProcFs, StatusFields};
pub use stat::{ProcessStat, parse_stat, read_stat, read_stat_in};
pub use user::{
    Account, User, account_by_name, account_by_uid, group_by_name, user_by_name, user_by_uid,
};

/// A process ID as the kernel hands it out (always positive).
pub type Pid = i32;

/// What `kill(pid, 0)` says about a PID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// A process with this PID exists (possibly owned by someone else: EPERM).
    Alive,
    /// No process has this PID (ESRCH).
    Gone,
}

/// Why a process fact could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// PIDs 0 and below address process groups in `kill(2)`, and none is past `i32::MAX`.
    #[error("pid {0} is not a process id (must be 1 to 2147483647)")]
    InvalidPid(i64),
    /// The process vanished between two reads.
    #[error("pid {0} is not running")]
    Gone(Pid),
    /// `/proc/<pid>/stat` did not have the documented shape.
    #[error("cannot parse /proc/{0}/stat")]
    Malformed(Pid),
    /// Any other I/O failure, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// What was being read.
        path: String,
        /// The operating system's reason.
        source: io::Error,
    },
}

/// Checks a PID the cheap way: `kill(pid, 0)` sends nothing and reports existence.
pub fn liveness(pid: i64) -> Result<Liveness, ProcError> {
    let pid = to_pid(pid)?;
    // SAFETY: signal 0 performs only the existence and permission checks.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return Ok(Liveness::Alive);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::ESRCH) => Ok(Liveness::Gone),
        // Someone else's process: it exists, we just may not signal it.
        Some(libc::EPERM) => Ok(Liveness::Alive),
        _ => Err(ProcError::Io {
            path: format!("kill({pid}, 0)"),
            source: error,
        }),
    }
}

/// Turns a number from outside (a heartbeat file, a config) into a PID, refusing the
/// values that `kill(2)` treats as process groups or that do not fit.
pub fn to_pid(pid: i64) -> Result<Pid, ProcError> {
    match Pid::try_from(pid) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ProcError::InvalidPid(pid)),
    }
}

/// This boot's random id: a heartbeat carrying another one was written before a reboot.
pub fn boot_id() -> Result<String, ProcError> {
    const PATH: &str = "/proc/sys/kernel/random/boot_id";
    std::fs::read_to_string(PATH)
        .map(|id| id.trim().to_owned())
        .map_err(|source| ProcError::Io {
            path: PATH.to_owned(),
            source,
        })
}

/// One process for good: its PID, its start ticks and the boot it started in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// The PID, which the kernel may hand out again later.
    pub pid: Pid,
    /// Field 22 of its stat file.
    pub start_ticks: u64,
    /// The boot it was seen in.
    pub boot_id: String,
}

impl ProcessIdentity {
    /// Reads the identity of a running process now.
    pub fn of(pid: Pid) -> Result<ProcessIdentity, ProcError> {
        Ok(ProcessIdentity {
            pid,
            start_ticks: read_stat(pid)?.start_ticks,
            boot_id: boot_id()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_alive_and_readable() {
        let me = std::process::id() as i64;
        assert_eq!(liveness(me).expect("kill works"), Liveness::Alive);
        let stat = read_stat(me as Pid).expect("own stat");
        assert_eq!(stat.pid as i64, me);
        assert!(stat.start_ticks > 0);
        assert_eq!(boot_id().expect("boot id").len(), 36);
    }

    #[test]
    fn group_addressing_pids_are_refused() {
        for bad in [0, -1, -4242, i64::from(i32::MAX) + 1] {
            assert!(
                matches!(liveness(bad), Err(ProcError::InvalidPid(_))),
                "{bad}"
            );
        }
    }
}
