//! Killing only the process we mean: its PID verified by its start time, the boot it was
//! recorded in and its real uid (the service's), never PID 0, 1, ourselves or our parent;
//! signalled through a pidfd opened before the checks, so the PID cannot be reused
//! between them and the signal. Its process group goes too only when every member we can
//! see is the service's.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use triage_proc::{Clock, Pid, ProcFs, ProcessIdentity, read_stat};

use super::identity::Identity;

/// How long a process killed with SIGKILL is given to be gone.
const AFTER_SIGKILL: Duration = Duration::from_secs(5);

/// The process a heartbeat (or our own start) named: what `kill` may signal, once
/// verified.
#[derive(Debug, Clone, PartialEq)]
pub struct KillTarget {
    /// Its PID, as recorded (not trusted).
    pub pid: i64,
    /// Field 22 of its stat when recorded, if known.
    pub start_ticks: Option<u64>,
    /// The boot it was recorded in, if known.
    pub boot_id: Option<String>,
    /// When the heartbeat that names it was written (Unix seconds): a process started
    /// after that cannot be the one it vouched for.
    pub vouched_at: Option<f64>,
    /// The cgroup remediate started the service in, if any: once the process is gone,
    /// whatever it left there goes too (only if the verified process was in it).
    pub cgroup: Option<PathBuf>,
}

/// What a `kill` step is aimed at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// This process, once verified.
    Process(KillTarget),
    /// The check names no process, and remediate started none: nothing to kill.
    NoneRecorded,
    /// The heartbeat that names it could not be read: which process to kill is unknown,
    /// so the step fails rather than let `start` launch a second copy.
    Unreadable(String),
}

/// What `kill` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillOutcome {
    /// Nothing to kill: the process is gone (or was another one by now).
    NotRunning(String),
    /// It exited after SIGTERM.
    Terminated,
    /// It needed SIGKILL.
    Killed,
    /// We would not signal it, and why.
    Refused(String),
    /// The PID is another user's process, not the service's: not signalled, and nothing
    /// of the service's is left to stop there.
    NotOurs(String),
}

/// A process that passed every check, held by a pidfd.
#[derive(Debug)]
pub struct Verified {
    /// Its PID.
    pub pid: Pid,
    /// Its pidfd: signals through it reach this process or none.
    fd: OwnedFd,
    /// Whether its whole process group may be signalled.
    group: bool,
    /// The cgroup of ours it is in, ended with it.
    cgroup: Option<PathBuf>,
}

/// Opens `recorded`'s pidfd and checks that it is still the process we mean and that it
/// runs as `identity`; the reason when it is not.
pub fn verify(recorded: &KillTarget, identity: &Identity) -> Result<Verified, KillOutcome> {
    let pid = triage_proc::to_pid(recorded.pid).map_err(|e| KillOutcome::Refused(e.to_string()))?;
    // SAFETY: getpid/getppid cannot fail.
    let (own, parent) = unsafe { (libc::getpid(), libc::getppid()) };
    if pid == 1 || pid == own || pid == parent {
        return Err(KillOutcome::Refused(format!(
            "pid {pid} is {}",
            match pid {
                1 => "init (PID 1)",
                p if p == own => "remediate itself",
                _ => "remediate's parent",
            }
        )));
    }
    if let (Some(recorded_boot), Ok(boot)) = (&recorded.boot_id, triage_proc::boot_id())
        && *recorded_boot != boot
    {
        return Err(KillOutcome::NotRunning(format!(
            "pid {pid} was recorded before the last reboot"
        )));
    }
    // First the pidfd, then the checks: what they see is what the signal reaches.
    let fd = pidfd_open(pid)
        .map_err(|_| KillOutcome::NotRunning(format!("pid {pid} is not running")))?;
    let identity_now = match ProcessIdentity::of(pid) {
        Ok(identity) => identity,
        Err(_) => return Err(KillOutcome::NotRunning(format!("pid {pid} is not running"))),
    };
    match recorded.start_ticks {
        Some(ticks) if ticks != identity_now.start_ticks => {
            return Err(KillOutcome::NotRunning(format!(
                "pid {pid} now belongs to another process (started at tick {}, recorded {ticks})",
                identity_now.start_ticks
            )));
        }
        Some(_) => {}
        // The Watchdog's writer and the README's shell and Python writers record no start
        // ticks: the heartbeat's own time stands in (a reused PID started after it).
        None => match recorded.vouched_at {
            Some(at) => started_before(pid, &identity_now, at)?,
            None => {
                return Err(KillOutcome::Refused(format!(
                    "pid {pid} has no recorded start time, so it cannot be told from a reused PID"
                )));
            }
        },
    }
    let mut proc =
        ProcFs::open(Path::new("/proc")).map_err(|e| KillOutcome::Refused(e.to_string()))?;
    let owner = real_uid(&mut proc, pid)
        .ok_or_else(|| KillOutcome::NotRunning(format!("pid {pid} is not running")))?;
    if owner != identity.uid {
        return Err(KillOutcome::NotOurs(format!(
            "pid {pid} runs as uid {owner}, not as the service's {}",
            identity.describe()
        )));
    }
    let group = read_stat(pid).is_ok_and(|stat| stat.pgrp == pid)
        && group_is_all(&mut proc, pid, identity.uid);
    let cgroup = recorded
        .cgroup
        .clone()
        .filter(|dir| super::cgroup::holds(dir, pid));
    Ok(Verified {
        pid,
        fd,
        group,
        cgroup,
    })
}

/// How far a process's start may seem to follow its heartbeat and still be the one it
/// vouched for: /proc's clocks count in ticks, the heartbeat's in its writer's precision.
const START_SLACK_S: f64 = 1.0;

/// Checks that `pid` started no later than `at`, when its heartbeat was written.
fn started_before(pid: Pid, process: &ProcessIdentity, at: f64) -> Result<(), KillOutcome> {
    let clock = Clock::read(Path::new("/proc")).map_err(|e| KillOutcome::Refused(e.to_string()))?;
    let running_for = clock.uptime_s - process.start_ticks as f64 / clock.ticks_per_s as f64;
    let heartbeat_age = triage_os::now_unix() - at;
    if running_for + START_SLACK_S < heartbeat_age {
        return Err(KillOutcome::NotRunning(format!(
            "pid {pid} started {}s after its heartbeat was written: another process has the PID",
            (heartbeat_age - running_for).round()
        )));
    }
    Ok(())
}

/// The real uid of `pid`, if it is still there.
fn real_uid(proc: &mut ProcFs, pid: Pid) -> Option<u32> {
    proc.status(pid).ok().flatten().map(|status| status.ruid)
}

/// Whether every process we can see in the group `leader` leads runs as `uid`.
fn group_is_all(proc: &mut ProcFs, leader: Pid, uid: u32) -> bool {
    let Ok(pids) = proc.pids() else {
        return false;
    };
    pids.into_iter().all(|pid| {
        match proc.stat(pid) {
            Ok(Some(stat)) if stat.pgrp == leader => real_uid(proc, pid).is_none_or(|u| u == uid),
            // Gone, or not in the group.
            _ => true,
        }
    })
}

/// SIGTERM to the verified process (its whole group when it leads one that is all the
/// service's), up to `patience` for it to exit, then SIGKILL. Zombies count as gone.
pub fn kill(recorded: &KillTarget, identity: &Identity, patience: Duration) -> KillOutcome {
    let verified = match verify(recorded, identity) {
        Ok(verified) => verified,
        Err(outcome) => return outcome,
    };
    verified.signal(libc::SIGTERM);
    let outcome = if verified.wait_gone(patience) {
        KillOutcome::Terminated
    } else {
        verified.signal(libc::SIGKILL);
        verified.wait_gone(AFTER_SIGKILL);
        KillOutcome::Killed
    };
    // What the service forked and left its group with is still in its cgroup.
    if let Some(dir) = &verified.cgroup {
        super::cgroup::kill_all(dir);
    }
    outcome
}

impl Verified {
    /// Sends `signal` through the pidfd, and to the rest of its group when that is all
    /// the service's (the leader is held by the pidfd, so the group id is still its).
    fn signal(&self, signal: i32) {
        // SAFETY: pidfd_send_signal on our own pidfd, with no siginfo.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if self.group {
            // SAFETY: the group this verified, still-held process leads.
            unsafe { libc::kill(-self.pid, signal) };
        }
    }

    /// Waits up to `patience` for the process to exit: the pidfd turns readable then.
    fn wait_gone(&self, patience: Duration) -> bool {
        let mut poll = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let until = std::time::Instant::now() + patience;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            let millis = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one pollfd that we own, and its count.
            let ready = unsafe { libc::poll(&mut poll, 1, millis) };
            let interrupted = ready < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
            if ready > 0 || !interrupted || left.is_zero() {
                // A zombie is as good as gone: init reaps our parent-less service.
                return ready > 0 || read_stat(self.pid).map_or(true, |stat| stat.is_zombie());
            }
        }
    }

    /// Whether its group will be signalled with it.
    pub fn signals_group(&self) -> bool {
        self.group
    }
}

/// `pidfd_open(2)`.
fn pidfd_open(pid: Pid) -> std::io::Result<OwnedFd> {
    // SAFETY: a plain syscall; on success it returns a new descriptor we then own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
