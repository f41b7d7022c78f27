//! The process filters. Each one says which facts it needs, how the C plugin describes it
//! in the first line, and whether a process's facts pass it: a pure function, so the
//! scanner can read facts lazily and stop at the first filter that fails.

use std::sync::Arc;

use crate::container::ContainerSelector;
use crate::facts::{Need, ProcessFacts, base_name};
use triage_core::regex::PosixRegex;

/// The kernel keeps 15 bytes of a command name (TASK_COMM_LEN 16 with the NUL).
pub const COMM_LEN: usize = 15;

/// One filter; a process is counted when it passes all of them.
#[derive(Debug, Clone)]
pub enum Filter {
    /// `-s`: the process's `ps` STAT contains these flags as a substring (C: `strstr`).
    State(String),
    /// `-p`: the parent's PID.
    Ppid(i32),
    /// `-u`: the effective uid, with the passwd name when there is one.
    User {
        /// The uid.
        uid: u32,
        /// Its login name.
        name: Option<String>,
    },
    /// `-C`: the command name (see [`Filter::matches`] for names over 15 bytes).
    Command(String),
    /// Second stage of `-C` for a name longer than the kernel keeps: the executable or the
    /// first arguments must carry the full name. Not shown in the first line.
    FullCommand(String),
    /// `-a`: a substring of `ps` args.
    Args(String),
    /// `--ereg-argument-array`: a POSIX ERE on `ps` args, with the pattern as given.
    Regex(Arc<PosixRegex>, String),
    /// `-z`: VSZ >= KiB.
    Vsz(i64),
    /// `-r`: RSS >= KiB.
    Rss(i64),
    /// `-P`: %CPU >= this.
    Pcpu(f64),
    /// `-X`: none of these program names, with the list as given.
    Exclude(Vec<String>, String),
    /// `-k`: not a kernel thread.
    NoKernelThreads,
    /// `--cgroup`: a substring of `/proc/<pid>/cgroup`.
    Cgroup(String),
    /// `--container`: inside one of these containers.
    Container(ContainerSelector),
}

impl Filter {
    /// The `-C` filter, split in two stages when the name is longer than `comm` can hold.
    pub fn command(name: &str) -> Vec<Filter> {
        let mut filters = vec![Filter::Command(name.to_owned())];
        if name.len() > COMM_LEN {
            filters.push(Filter::FullCommand(name.to_owned()));
        }
        filters
    }

    /// The C plugin's words for this filter in the first line, `None` for filters it does
    /// not describe.
    pub fn description(&self) -> Option<String> {
        Some(match self {
            Filter::State(flags) => format!("STATE = {flags}"),
            Filter::Ppid(ppid) => format!("PPID = {ppid}"),
            Filter::User {
                uid,
                name: Some(name),
            } => format!("UID = {uid} ({name})"),
            Filter::User { uid, name: None } => format!("UID = {uid}"),
            Filter::Command(name) => format!("command name '{name}'"),
            Filter::Args(text) => format!("args '{text}'"),
            // The C plugin shows `|` as `,` so the first line never starts perfdata.
            Filter::Regex(_, pattern) => format!("regex args '{}'", pattern.replace('|', ",")),
            Filter::Vsz(kib) => format!("VSZ >= {kib}"),
            Filter::Rss(kib) => format!("RSS >= {kib}"),
            Filter::Pcpu(percent) => format!("PCPU >= {percent:.2}"),
            Filter::Exclude(_, given) => format!("exclude progs '{given}'"),
            Filter::Cgroup(text) => format!("cgroup '{text}'"),
            Filter::Container(selector) => format!("container '{}'", selector.given),
            Filter::FullCommand(_) | Filter::NoKernelThreads => return None,
        })
    }

    /// The facts [`Filter::matches`] looks at.
    pub fn needs(&self) -> Need {
        match self {
            // Single flags never span the `L` position; longer ones may.
            Filter::State(flags) if flags.len() > 1 || flags.contains('L') => {
                Need::STAT | Need::LOCKED
            }
            Filter::State(_) | Filter::Ppid(_) | Filter::Pcpu(_) | Filter::NoKernelThreads => {
                Need::STAT
            }
            Filter::User { .. } => Need::UID,
            Filter::Command(_) | Filter::Exclude(..) => Need::COMM,
            Filter::FullCommand(_) => Need::ARGV | Need::EXE,
            // The scanner adds STAT when the command line is empty (`[comm]`, `<defunct>`).
            Filter::Args(_) | Filter::Regex(..) => Need::ARGV,
            Filter::Vsz(_) | Filter::Rss(_) => Need::MEMORY,
            Filter::Cgroup(_) | Filter::Container(_) => Need::CGROUP,
        }
    }

    /// Whether a process with these facts passes; a fact that could not be read fails it.
    pub fn matches(&self, facts: &ProcessFacts) -> bool {
        match self {
            Filter::State(flags) => facts.stat_flags().is_some_and(|s| s.contains(flags)),
            Filter::Ppid(ppid) => facts.stat.as_ref().is_some_and(|s| s.ppid == *ppid),
            Filter::User { uid, .. } => facts.euid == Some(*uid),
            Filter::Command(name) => facts.comm().is_some_and(|comm| command_matches(name, comm)),
            Filter::FullCommand(name) => full_name_matches(name, facts),
            Filter::Args(text) => facts.args().is_some_and(|args| args.contains(text)),
            Filter::Regex(regex, _) => facts.args().is_some_and(|args| regex.is_match(&args)),
            Filter::Vsz(kib) => facts
                .memory
                .is_some_and(|m| i128::from(m.vsz_kib) >= i128::from(*kib)),
            Filter::Rss(kib) => facts
                .memory
                .is_some_and(|m| i128::from(m.rss_kib) >= i128::from(*kib)),
            Filter::Pcpu(percent) => facts.cpu_percent.is_some_and(|cpu| cpu >= *percent),
            Filter::Exclude(names, _) => facts.comm().is_some_and(|comm| {
                let program = crate::facts::c_program_name(comm);
                !names.iter().any(|name| name == program || name == comm)
            }),
            Filter::NoKernelThreads => facts.stat.as_ref().is_some_and(|s| !s.is_kernel_thread()),
            Filter::Cgroup(text) => facts.cgroup.as_ref().is_some_and(|c| c.contains(text)),
            Filter::Container(selector) => facts
                .cgroup
                .as_ref()
                .is_some_and(|cgroup| selector.contains(cgroup)),
        }
    }

    /// True for the filters that judge %CPU, which `--cpu-sample` must apply after
    /// sampling.
    pub fn is_cpu(&self) -> bool {
        matches!(self, Filter::Pcpu(_))
    }
}

/// `-C NAME` against the kernel's command name: the C plugin's program name, the whole
/// name, or, for a name longer than 15 bytes, the 15 bytes the kernel kept (the second
/// stage, [`Filter::FullCommand`], then checks the rest).
fn command_matches(name: &str, comm: &str) -> bool {
    if name == comm || name == crate::facts::c_program_name(comm) {
        return true;
    }
    name.len() > COMM_LEN && name.as_bytes().get(..COMM_LEN) == Some(comm.as_bytes())
}

/// A long `-C` name must be the executable's file name, or the base name of argv[0], or
/// of argv[1] (a script started through its interpreter).
fn full_name_matches(name: &str, facts: &ProcessFacts) -> bool {
    if facts.exe_name.as_deref() == Some(name) {
        return true;
    }
    let argv = facts.argv.as_deref().unwrap_or_default();
    argv.iter().take(2).any(|arg| base_name(arg) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_proc::{Memory, ProcessStat};

    fn process(comm: &str) -> ProcessFacts {
        ProcessFacts {
            pid: 10,
            comm: Some(comm.to_owned()),
            ..ProcessFacts::default()
        }
    }

    #[test]
    fn descriptions_use_the_c_wording() {
        let regex = Arc::new(PosixRegex::new("a|b").expect("compiles"));
        let cases = [
            (Filter::Command("bash".into()), "command name 'bash'"),
            (Filter::Args("-jar x".into()), "args '-jar x'"),
            (Filter::Regex(regex, "a|b".into()), "regex args 'a,b'"),
            (Filter::State("Ss".into()), "STATE = Ss"),
            (Filter::Ppid(1), "PPID = 1"),
            (
                Filter::User {
                    uid: 0,
                    name: Some("root".into()),
                },
                "UID = 0 (root)",
            ),
            (
                Filter::User {
                    uid: 4242,
                    name: None,
                },
                "UID = 4242",
            ),
            (Filter::Vsz(100), "VSZ >= 100"),
            (Filter::Rss(200), "RSS >= 200"),
            (Filter::Pcpu(1.5), "PCPU >= 1.50"),
            (
                Filter::Exclude(vec!["a".into(), "b".into()], "a,b".into()),
                "exclude progs 'a,b'",
            ),
            (Filter::Cgroup("docker".into()), "cgroup 'docker'"),
        ];
        for (filter, text) in cases {
            assert_eq!(filter.description().as_deref(), Some(text));
        }
        assert_eq!(Filter::NoKernelThreads.description(), None);
        assert_eq!(Filter::FullCommand("x".into()).description(), None);
    }

    #[test]
    fn command_names_match_like_c_and_beyond_fifteen_bytes() {
        let bash = Filter::Command("bash".into());
        assert!(bash.matches(&process("bash")));
        assert!(!bash.matches(&process("bash5")));
        assert!(!Filter::Command("Bash".into()).matches(&process("bash")));
        // The C plugin's base name of the first word still matches.
        assert!(Filter::Command("R-rcu_g".into()).matches(&process("kworker/R-rcu_g")));
        // ... and so does the whole comm, which C never matched.
        assert!(Filter::Command("kworker/R-rcu_g".into()).matches(&process("kworker/R-rcu_g")));
        assert!(Filter::Command("tmux: server".into()).matches(&process("tmux: server")));

        let long = "averyveryverylongname_forty_characters__";
        let stages = Filter::command(long);
        assert_eq!(stages.len(), 2);
        let mut facts = process(&long[..15]);
        assert!(stages[0].matches(&facts));
        facts.argv = Some(vec![format!("/opt/bin/{long}"), "--serve".into()]);
        assert!(stages[1].matches(&facts));
        facts.argv = Some(vec!["/opt/bin/averyveryverylongname_other".into()]);
        assert!(!stages[1].matches(&facts));
        facts.exe_name = Some(long.to_owned());
        assert!(stages[1].matches(&facts));
        // Fifteen bytes exactly is one stage, as in C.
        assert_eq!(Filter::command("averyveryverylo").len(), 1);
    }

    #[test]
    fn state_flags_are_a_substring_of_ps_stat() {
        let mut facts = process("sshd");
        facts.stat = Some(ProcessStat {
            pid: 10,
            session: 10,
            state: 'S',
            tpgid: -1,
            ..ProcessStat::default()
        });
        assert!(Filter::State("S".into()).matches(&facts));
        assert!(Filter::State("Ss".into()).matches(&facts));
        assert!(Filter::State("s".into()).matches(&facts));
        assert!(!Filter::State("R".into()).matches(&facts));
        assert!(!Filter::State("sS".into()).matches(&facts));
        assert_eq!(Filter::State("Z".into()).needs(), Need::STAT);
        assert_eq!(
            Filter::State("Ss".into()).needs(),
            Need::STAT | Need::LOCKED
        );
    }

    #[test]
    fn sizes_and_cpu_compare_greater_or_equal() {
        let mut facts = process("java");
        facts.memory = Some(Memory {
            vsz_kib: 1000,
            rss_kib: 500,
        });
        facts.cpu_percent = Some(1.5);
        assert!(Filter::Rss(500).matches(&facts));
        assert!(!Filter::Rss(501).matches(&facts));
        assert!(Filter::Vsz(1000).matches(&facts));
        assert!(Filter::Vsz(-1).matches(&facts));
        assert!(Filter::Pcpu(1.5).matches(&facts));
        assert!(!Filter::Pcpu(1.6).matches(&facts));
    }

    #[test]
    fn excluded_programs_and_missing_facts_fail() {
        let exclude = Filter::Exclude(vec!["bash".into(), "sshd".into()], "bash,sshd".into());
        assert!(!exclude.matches(&process("bash")));
        assert!(exclude.matches(&process("nginx")));
        // A fact that was never read never passes.
        assert!(!Filter::Ppid(1).matches(&process("x")));
        assert!(!Filter::Args("x".into()).matches(&process("x")));
        assert!(!Filter::User { uid: 0, name: None }.matches(&process("x")));
    }
}
