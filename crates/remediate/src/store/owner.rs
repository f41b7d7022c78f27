//! Who is running a pipeline: a PID with its start time and the boot it belongs to, so a
//! reused PID or a reboot is never taken for the process that began the run.

use std::fs;

/// The process that began (or adopted) a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    pub(super) pid: u32,
    pub(super) start_ticks: Option<u64>,
    pub(super) boot_id: Option<String>,
}

impl Owner {
    /// This process.
    pub(super) fn current() -> Owner {
        Owner::of(std::process::id())
    }

    /// Process `pid` as it is now (its start time, this boot).
    pub(super) fn of(pid: u32) -> Owner {
        Owner {
            pid,
            start_ticks: start_ticks(pid),
            boot_id: boot_id(),
        }
    }

    /// True while the process that owns the run may still be running it: same boot, PID
    /// present and not a zombie, same start time (when both are known).
    pub(super) fn is_alive(&self, current_boot: Option<&str>) -> bool {
        if let (Some(theirs), Some(ours)) = (self.boot_id.as_deref(), current_boot)
            && theirs != ours
        {
            return false;
        }
        match start_ticks(self.pid) {
            None => false,
            Some(now) => self.start_ticks.is_none_or(|then| then == now),
        }
    }
}

/// The kernel's id for this boot; PIDs and start times only mean something within one.
fn boot_id() -> Option<String> {
    triage_proc::boot_id().ok().filter(|id| !id.is_empty())
}

/// Field 22 of `/proc/PID/stat` (start time in clock ticks since boot); None when the
/// process is gone or a zombie, which has finished running anything.
fn start_ticks(pid: u32) -> Option<u64> {
    if pid == 0 {
        return None;
    }
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the
    // last ')'.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    fields.nth(18)?.parse().ok()
}
