//! Killing only the process we mean: its PID verified by its start time and the boot it
//! was recorded in, never PID 0, 1, ourselves or our parent.

use std::time::{Duration, Instant};

use triage_proc::{Liveness, Pid, ProcessIdentity, liveness, read_stat};

/// How often a signalled process is looked at while it is given time to exit.
const POLL: Duration = Duration::from_millis(20);

/// The process a heartbeat (or our own start) named: what `kill` may signal, once
/// verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillTarget {
    /// Its PID, as recorded (not trusted).
    pub pid: i64,
    /// Field 22 of its stat when recorded, if known.
    pub start_ticks: Option<u64>,
    /// The boot it was recorded in, if known.
    pub boot_id: Option<String>,
}

/// What a `kill` step is aimed at.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// Checks that `recorded` is still the process we mean; the reason when it is not.
pub fn verify(recorded: &KillTarget) -> Result<Pid, KillOutcome> {
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
    let identity = match ProcessIdentity::of(pid) {
        Ok(identity) => identity,
        Err(_) => return Err(KillOutcome::NotRunning(format!("pid {pid} is not running"))),
    };
    match recorded.start_ticks {
        Some(ticks) if ticks != identity.start_ticks => Err(KillOutcome::NotRunning(format!(
            "pid {pid} now belongs to another process (started at tick {}, recorded {ticks})",
            identity.start_ticks
        ))),
        Some(_) => Ok(pid),
        None => Err(KillOutcome::Refused(format!(
            "pid {pid} has no recorded start time, so it cannot be told from a reused PID"
        ))),
    }
}

/// SIGTERM to the verified process (its whole group when it leads one), up to `patience`
/// for it to exit, then SIGKILL. Zombies count as gone.
pub fn kill(recorded: &KillTarget, patience: Duration) -> KillOutcome {
    let pid = match verify(recorded) {
        Ok(pid) => pid,
        Err(outcome) => return outcome,
    };
    // A service that leads its own process group (started with setsid, as ours are) is
    // signalled as a group, so its children go with it.
    let group = read_stat(pid).is_ok_and(|stat| stat.pgrp == pid);
    let target = if group { -pid } else { pid };
    // SAFETY: plain kill(2) on a verified PID (or its own group).
    unsafe { libc::kill(target, libc::SIGTERM) };
    if wait_gone(pid, patience) {
        return KillOutcome::Terminated;
    }
    // Still ours? The PID cannot have been reused while the process had not exited, but
    // it may have exited and been reaped just now.
    if verify(recorded).is_err() {
        return KillOutcome::Terminated;
    }
    // SAFETY: as above.
    unsafe { libc::kill(target, libc::SIGKILL) };
    wait_gone(pid, Duration::from_secs(5));
    KillOutcome::Killed
}

fn wait_gone(pid: Pid, patience: Duration) -> bool {
    let until = Instant::now() + patience;
    loop {
        let gone = matches!(liveness(i64::from(pid)), Ok(Liveness::Gone))
            || read_stat(pid).map_or(true, |stat| stat.is_zombie());
        if gone {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(POLL);
    }
}
