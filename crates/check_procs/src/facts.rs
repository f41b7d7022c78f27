//! What is known about one process, read lazily: each field is filled only when a filter,
//! the metric or the output asks for it. The `ps`-style views (`STAT` flags, `args`, the
//! C plugin's program name) are derived here by pure functions.

use std::ops::{BitOr, BitOrAssign};

use triage_proc::{Memory, Pid, ProcessStat};

/// A set of process facts, each one file (or syscall) to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need(u16);

impl Need {
    /// Nothing beyond the PID.
    pub const NONE: Need = Need(0);
    /// `/proc/<pid>/comm` (or stat, when that is read anyway).
    pub const COMM: Need = Need(1);
    /// The effective uid: one `fstatat`, plus the status file for root-owned entries.
    pub const UID: Need = Need(1 << 1);
    /// `/proc/<pid>/stat`: state, family, CPU time, start time.
    pub const STAT: Need = Need(1 << 2);
    /// `/proc/<pid>/statm`: VSZ and RSS.
    pub const MEMORY: Need = Need(1 << 3);
    /// `VmLck` from the status file, for the `L` STAT flag.
    pub const LOCKED: Need = Need(1 << 4);
    /// `/proc/<pid>/cmdline`.
    pub const ARGV: Need = Need(1 << 5);
    /// `/proc/<pid>/cgroup`.
    pub const CGROUP: Need = Need(1 << 6);
    /// The executable's file name (`readlink /proc/<pid>/exe`).
    pub const EXE: Need = Need(1 << 7);
    /// Everything: the JSON output.
    pub const ALL: Need = Need(0xff);

    /// True when every fact in `other` is in `self`.
    pub fn contains(self, other: Need) -> bool {
        self.0 & other.0 == other.0
    }

    /// The facts in `self` that are not in `other`.
    pub fn without(self, other: Need) -> Need {
        Need(self.0 & !other.0)
    }

    /// How expensive reading these facts is, for ordering filters cheapest first: the
    /// position of the costliest fact (the constants are declared in cost order).
    pub fn cost(self) -> u32 {
        16 - self.0.leading_zeros()
    }
}

impl BitOr for Need {
    type Output = Need;
    fn bitor(self, other: Need) -> Need {
        Need(self.0 | other.0)
    }
}

impl BitOrAssign for Need {
    fn bitor_assign(&mut self, other: Need) {
        self.0 |= other.0;
    }
}

/// One process, with the facts read so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessFacts {
    /// Its PID.
    pub pid: Pid,
    /// Which facts have been read (a fact may be read and still absent, like `exe`).
    pub loaded: Need,
    /// The kernel's command name, at most 15 bytes.
    pub comm: Option<String>,
    /// The stat file.
    pub stat: Option<ProcessStat>,
    /// Effective uid.
    pub euid: Option<u32>,
    /// Locked memory, KiB.
    pub locked_kib: Option<u64>,
    /// VSZ and RSS.
    pub memory: Option<Memory>,
    /// The argument vector.
    pub argv: Option<Vec<String>>,
    /// The executable's file name, when we may read it.
    pub exe_name: Option<String>,
    /// The cgroup file.
    pub cgroup: Option<String>,
    /// %CPU: the lifetime average like ps, or the sampled rate with `--cpu-sample`.
    pub cpu_percent: Option<f64>,
    /// Seconds since it started.
    pub elapsed_s: Option<u64>,
}

impl ProcessFacts {
    /// A process known only by its PID.
    pub fn new(pid: Pid) -> ProcessFacts {
        ProcessFacts {
            pid,
            ..ProcessFacts::default()
        }
    }

    /// The command name from whichever file provided it.
    pub fn comm(&self) -> Option<&str> {
        self.comm
            .as_deref()
            .or_else(|| self.stat.as_ref().map(|s| s.comm.as_str()))
    }

    /// The name the C plugin matches `-C` and `-X` against and lists in `[...]`.
    pub fn program(&self) -> Option<&str> {
        self.comm().map(c_program_name)
    }

    /// `ps -o stat`, when the stat file (and VmLck, if read) are known.
    pub fn stat_flags(&self) -> Option<String> {
        self.stat
            .as_ref()
            .map(|stat| ps_stat_flags(stat, self.locked_kib.unwrap_or(0)))
    }

    /// `ps -o args`, when the command line is known.
    pub fn args(&self) -> Option<String> {
        let argv = self.argv.as_ref()?;
        let zombie = self.stat.as_ref().is_some_and(ProcessStat::is_zombie);
        Some(ps_args(argv, self.comm().unwrap_or(""), zombie))
    }
}

/// What the C plugin calls the program: `ps -o comm` is scanned with `%s` (so only its
/// first word) and then stripped to its base name (so `kworker/0:1` becomes `0:1`).
pub fn c_program_name(comm: &str) -> &str {
    let first_word = comm.split_ascii_whitespace().next().unwrap_or("");
    first_word.rsplit('/').next().unwrap_or(first_word)
}

/// `ps -o stat` as procps builds it: the state letter, then `<` (negative nice) or `N`
/// (positive nice), `L` (locked pages), `s` (session leader), `l` (multi-threaded), `+`
/// (in the foreground process group).
pub fn ps_stat_flags(stat: &ProcessStat, locked_kib: u64) -> String {
    let mut flags = String::with_capacity(6);
    flags.push(stat.state);
    match stat.nice {
        n if n < 0 => flags.push('<'),
        n if n > 0 => flags.push('N'),
        _ => {}
    }
    if locked_kib > 0 {
        flags.push('L');
    }
    if stat.session == stat.pid {
        flags.push('s');
    }
    if stat.num_threads > 1 {
        flags.push('l');
    }
    if stat.tpgid == stat.pgrp {
        flags.push('+');
    }
    flags
}

/// `ps -o args`: the arguments joined by spaces with control characters shown as `?`;
/// `[comm]` when there are none (kernel threads, zombies), and ` <defunct>` after zombies.
pub fn ps_args(argv: &[String], comm: &str, zombie: bool) -> String {
    let mut args = if argv.iter().all(String::is_empty) {
        format!("[{comm}]")
    } else {
        argv.join(" ")
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    };
    if zombie {
        args.push_str(" <defunct>");
    }
    args
}

/// The last path component of an argument (`/usr/sbin/nginx` -> `nginx`).
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(state: char, nice: i64, session: Pid, threads: u64, tpgid: Pid) -> ProcessStat {
        ProcessStat {
            pid: 100,
            state,
            nice,
            session,
            pgrp: 100,
            num_threads: threads,
            tpgid,
            ..ProcessStat::default()
        }
    }

    #[test]
    fn stat_flags_follow_procps_order() {
        assert_eq!(ps_stat_flags(&stat('S', 0, 1, 1, -1), 0), "S");
        assert_eq!(ps_stat_flags(&stat('S', 0, 100, 1, -1), 0), "Ss");
        assert_eq!(ps_stat_flags(&stat('R', 0, 1, 1, 100), 0), "R+");
        assert_eq!(ps_stat_flags(&stat('S', -20, 100, 4, -1), 8), "S<Lsl");
        assert_eq!(ps_stat_flags(&stat('I', 5, 1, 1, -1), 0), "IN");
        assert_eq!(ps_stat_flags(&stat('Z', 0, 1, 1, -1), 0), "Z");
    }

    #[test]
    fn args_look_like_ps_args() {
        let argv = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ps_args(&argv(&["nginx: worker process"]), "nginx", false),
            "nginx: worker process"
        );
        assert_eq!(
            ps_args(&argv(&["/bin/sleep", "60"]), "sleep", false),
            "/bin/sleep 60"
        );
        assert_eq!(ps_args(&[], "kthreadd", false), "[kthreadd]");
        assert_eq!(ps_args(&[], "sleep", true), "[sleep] <defunct>");
        assert_eq!(ps_args(&argv(&["a\tb\nc"]), "a", false), "a?b?c");
    }

    #[test]
    fn the_c_program_name_is_the_base_of_the_first_word() {
        assert_eq!(c_program_name("bash"), "bash");
        assert_eq!(c_program_name("kworker/R-rcu_g"), "R-rcu_g");
        assert_eq!(c_program_name("tmux: server"), "tmux:");
        assert_eq!(c_program_name(""), "");
    }

    #[test]
    fn needs_combine_and_rank_by_cost() {
        let need = Need::COMM | Need::ARGV;
        assert!(need.contains(Need::COMM) && need.contains(Need::ARGV));
        assert!(!need.contains(Need::STAT));
        assert_eq!(need.without(Need::COMM), Need::ARGV);
        assert!(Need::COMM.cost() < Need::UID.cost());
        assert!(Need::UID.cost() < Need::STAT.cost());
        assert!(Need::STAT.cost() < Need::ARGV.cost());
        assert_eq!(Need::NONE.cost(), 0);
    }
}
