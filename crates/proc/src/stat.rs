//! `/proc/<pid>/stat`: the one file that holds a process's state, family, CPU time, start
//! time and memory in a single read.

use std::io;
use std::path::Path;

use crate::{Pid, ProcError};

/// `PF_KTHREAD` in the stat flags field: set on kernel threads only.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The fields of `/proc/<pid>/stat` Triage uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessStat {
    /// Field 1.
    pub pid: Pid,
    /// Field 2 without parentheses: the kernel's 15-byte command name.
    pub comm: String,
    /// Field 3: `R`, `S`, `D`, `Z`, `T`, ...
    pub state: char,
    /// Field 4.
    pub ppid: Pid,
    /// Field 5: process group.
    pub pgrp: Pid,
    /// Field 6: session id.
    pub session: Pid,
    /// Field 8: foreground process group of the controlling terminal, -1 without one.
    pub tpgid: Pid,
    /// Field 9: kernel `PF_*` flags.
    pub flags: u64,
    /// Field 14: user-mode CPU time in clock ticks.
    pub utime: u64,
    /// Field 15: kernel-mode CPU time in clock ticks.
    pub stime: u64,
    /// Field 19: nice value, -20 to 19.
    pub nice: i64,
    /// Field 20: number of threads.
    pub num_threads: u64,
    /// Field 22: start time in clock ticks since boot; with the boot id it names one
    /// process for good, even after its PID is reused.
    pub start_ticks: u64,
    /// Field 23: virtual memory size in bytes.
    pub vsize: u64,
    /// Field 24: resident set size in pages.
    pub rss_pages: u64,
}

impl ProcessStat {
    /// True for a process that has exited but not been reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }

    /// True for a kernel thread (kthreadd and its children), by the kernel's own flag.
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    /// CPU time used so far, user plus system, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime + self.stime
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
    // Fields are numbered from 1 (pid); `next()` here yields field 3 onwards.
    let mut field = || fields.next();
    let state = field()?.chars().next()?;
    let ppid = field()?.parse().ok()?;
    let pgrp = field()?.parse().ok()?;
    let session = field()?.parse().ok()?;
    let _tty = field()?;
    let tpgid = field()?.parse().ok()?;
    let flags = field()?.parse().ok()?;
    for _faults in 10..=13 {
        field()?;
    }
    let utime = field()?.parse().ok()?;
    let stime = field()?.parse().ok()?;
    let _cutime = field()?;
    let _cstime = field()?;
    let _priority = field()?;
    let nice = field()?.parse().ok()?;
    let num_threads = field()?.parse().ok()?;
    let _itrealvalue = field()?;
    let start_ticks = field()?.parse().ok()?;
    let vsize = field()?.parse().ok()?;
    let rss_pages = field()?.parse().ok()?;
    Some(ProcessStat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
        session,
        tpgid,
        flags,
        utime,
        stime,
        nice,
        num_threads,
        start_ticks,
        vsize,
        rss_pages,
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

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (my (odd) name) S 1 4242 4243 34816 4244 4194560 100 0 0 0 3 1 0 0 20 -5 7 0 987654 1234567 89 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis() {
        let stat = parse_stat(STAT).expect("parses");
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.comm, "my (odd) name");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.pgrp, 4242);
        assert_eq!(stat.session, 4243);
        assert_eq!(stat.tpgid, 4244);
        assert_eq!(stat.flags, 4194560);
        assert_eq!((stat.utime, stat.stime, stat.cpu_ticks()), (3, 1, 4));
        assert_eq!(stat.nice, -5);
        assert_eq!(stat.num_threads, 7);
        assert_eq!(stat.start_ticks, 987654);
        assert_eq!(stat.vsize, 1234567);
        assert_eq!(stat.rss_pages, 89);
        assert!(!stat.is_zombie());
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn zombies_and_kernel_threads_are_recognised() {
        let text = STAT.replace(") S 1", ") Z 1");
        assert!(parse_stat(&text).expect("parses").is_zombie());
        let text = STAT.replace(" 4194560 ", " 2129984 ");
        assert!(parse_stat(&text).expect("parses").is_kernel_thread());
    }

    #[test]
    fn truncated_stat_is_rejected() {
        assert_eq!(parse_stat("12 (x) S 1 2 3"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("garbage"), None);
    }
}
