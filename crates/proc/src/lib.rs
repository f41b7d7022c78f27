//! Facts about Linux processes from `/proc` and `kill(2)`: is a PID alive, is it a zombie,
//! is it still the process we mean (start ticks and boot id).

use std::io;
use std::path::Path;

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
    /// PIDs 0 and below address process groups in `kill(2)`; never a single process.
    #[error("pid {0} is not a process id (must be 1 or more)")]
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

/// The fields of `/proc/<pid>/stat` Triage uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStat {
    /// Field 1.
    pub pid: Pid,
    /// Field 2 without parentheses: the kernel's 15-byte command name.
    pub comm: String,
    /// Field 3: `R`, `S`, `D`, `Z`, `T`, ...
    pub state: char,
    /// Field 4.
    pub ppid: Pid,
    /// Field 22: start time in clock ticks since boot; with the boot id it names one
    /// process for good, even after its PID is reused.
    pub start_ticks: u64,
}

impl ProcessStat {
    /// True for a process that has exited but not been reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// Parses the text of `/proc/<pid>/stat`. The command name may hold spaces and `)`, so the
/// fixed fields are read after the *last* `)`.
pub fn parse_stat(text: &str) -> Option<ProcessStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_owned();
    let mut fields = text.get(close + 1..)?.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    // After state (field 3) and ppid (field 4), start time is field 22: 17 fields further.
    let start_ticks = fields.nth(17)?.parse().ok()?;
    Some(ProcessStat {
        pid,
        comm,
        state,
        ppid,
        start_ticks,
    })
}

/// Reads and parses `/proc/<pid>/stat`.
pub fn read_stat(pid: Pid) -> Result<ProcessStat, ProcError> {
    read_stat_in(Path::new("/proc"), pid)
}

/// [`read_stat`] under another procfs mount (a container's, or a test's).
pub fn read_stat_in(proc_root: &Path, pid: Pid) -> Result<ProcessStat, ProcError> {
    let path = proc_root.join(pid.to_string()).join("stat");
    let text = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => ProcError::Gone(pid),
        _ => ProcError::Io {
            path: path.display().to_string(),
            source,
        },
    })?;
    parse_stat(&text).ok_or(ProcError::Malformed(pid))
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

    const STAT: &str = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 3 1 0 0 20 0 1 0 987654 1234567 89 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis() {
        let stat = parse_stat(STAT).expect("parses");
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.comm, "my (odd) name");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.start_ticks, 987654);
        assert!(!stat.is_zombie());
    }

    #[test]
    fn zombies_are_recognised() {
        let text = STAT.replace(") S 1", ") Z 1");
        assert!(parse_stat(&text).expect("parses").is_zombie());
    }

    #[test]
    fn truncated_stat_is_rejected() {
        assert_eq!(parse_stat("12 (x) S 1 2 3"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("garbage"), None);
    }

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
