//! What gathering found, before any judgement: plain data the judge reads.

use std::path::PathBuf;

use triage_heartbeat::{FileOwner, Heartbeat};
use triage_proc::{Liveness, ProcessStat};

/// Facts about the machine, read once per run.
#[derive(Debug, Clone)]
pub struct HostFacts {
    /// Now, as Unix seconds.
    pub now: f64,
    /// This boot's id, when `/proc` has one.
    pub boot_id: Option<String>,
    /// CLOCK_BOOTTIME, for stalls: no clock step moves it.
    pub boot_clock: f64,
}

/// What was found at one heartbeat path.
#[derive(Debug, Clone)]
pub struct SourceFacts {
    /// The path as given or listed.
    pub path: PathBuf,
    /// The outcome of reading it.
    pub found: Found,
}

/// The outcome of reading one path.
#[derive(Debug, Clone)]
pub enum Found {
    /// No file there.
    Missing,
    /// Something there that we will not or cannot read (symlink, FIFO, too large, EACCES).
    Refused(String),
    /// A file that is not a valid heartbeat, even after a retry.
    Invalid(String),
    /// A parsed heartbeat and what we learnt about its process.
    Heartbeat(Box<HeartbeatFacts>),
    /// `--mtime` mode: the modification time, as Unix seconds.
    Modified(f64),
}

/// A parsed heartbeat and the facts gathered about it.
#[derive(Debug, Clone)]
pub struct HeartbeatFacts {
    /// The document.
    pub heartbeat: Heartbeat,
    /// Who owns the file that was parsed (its writer).
    pub owner: FileOwner,
    /// Facts about the PID it names (absent when it names none, or with --ignore-pid).
    pub process: Option<ProcessFacts>,
    /// What stall detection saw.
    pub stall: StallFact,
}

/// Facts about the process a heartbeat names.
#[derive(Debug, Clone)]
pub struct ProcessFacts {
    /// The PID from the file.
    pub pid: i64,
    /// `kill(pid, 0)`'s answer, or why it could not be asked.
    pub liveness: Result<Liveness, String>,
    /// `/proc/<pid>/stat`, when the process is alive and it was readable.
    pub stat: Option<ProcessStat>,
}

/// What stall detection knows about `iteration`.
#[derive(Debug, Clone, PartialEq)]
pub enum StallFact {
    /// Not asked for (no --stall-warning/--stall-critical).
    NotTracked,
    /// Asked for, but the heartbeat has no `iteration`.
    NoIteration,
    /// First time this iteration value is seen.
    FirstSeen,
    /// Changed since the last run.
    Progressed,
    /// The same value for this many seconds.
    Unchanged(f64),
    /// The state directory could not be used.
    Skipped(String),
}
