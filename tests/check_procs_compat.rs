//! Side by side with Debian's C check_procs (monitoring-plugins-basic): on filters that
//! select this test's own processes the first lines and exit codes must be identical; on
//! the whole table the counts may differ only by the C plugin's own `ps` child.

use std::path::Path;
use std::process::Command;

use crate::check_procs::{Children, NamedProgram, wait_for_comm, wait_until};
use crate::support::{Run, bin, run};

const C_PLUGIN: &str = "/usr/lib/nagios/plugins/check_procs";

fn c_plugin() -> &'static Path {
    let path = Path::new(C_PLUGIN);
    assert!(
        path.exists(),
        "{C_PLUGIN} is missing: install it with `apt-get install monitoring-plugins-basic`"
    );
    path
}

fn both(args: &[&str]) -> (Run, Run) {
    (run(c_plugin(), args), run(&bin("check_procs"), args))
}

/// The count in a first line such as `PROCS OK: 61 processes | ...`.
fn count(line: &str) -> i64 {
    let after_colon = line.split_once(": ").map(|(_, rest)| rest).unwrap_or("");
    let words: Vec<&str> = after_colon.split_whitespace().collect();
    // `N warn out of N processes` / `N crit, N warn out of N processes` / `N processes`
    let at = words
        .iter()
        .position(|w| w.starts_with("process"))
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    words[at - 1]
        .parse()
        .unwrap_or_else(|_| panic!("no count in {line:?}"))
}

#[test]
fn first_lines_equal_the_c_plugin_on_our_own_processes() {
    let program = NamedProgram::copy("/bin/sleep", "tp_compat");
    let mut children = Children::default();
    for pid in children.sleepers(&program.path, 3) {
        wait_for_comm(pid, "tp_compat");
    }
    let zombie_program = NamedProgram::copy("/bin/true", "tp_compat_z");
    let zombie = children.spawn(&mut Command::new(&zombie_program.path));
    wait_until("the zombie", || {
        triage_proc::read_stat(zombie).is_ok_and(|s| s.is_zombie())
    });
    let me = std::process::id().to_string();
    let path = program.path.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["-C", "tp_compat"],
        vec!["-c", "1:", "-C", "tp_compat"],
        vec!["-w", "1:1", "-c", "1:", "-C", "tp_compat"],
        vec!["-w", "2:2", "-c", "2:1024", "-C", "tp_compat_absent"],
        vec!["-w", "@5:10", "-c", "@0:4", "-C", "tp_compat"],
        vec!["-w", "1.5", "-c", "2.5", "-C", "tp_compat"],
        vec!["-w", "10:", "-C", "tp_compat"],
        vec!["-a", "tp_compat"],
        vec!["-a", &path, "-p", &me],
        vec!["--ereg-argument-array=tp_compat( 300|_z)", "-w", "0"],
        vec!["-C", "tp_compat", "-s", "S"],
        vec!["-s", "Z", "-C", "tp_compat_z"],
        vec!["-p", &me, "-C", "tp_compat"],
        vec!["-u", "root", "-C", "tp_compat"],
        vec!["-u", "0", "-a", "tp_compat"],
        vec!["-z", "1", "-C", "tp_compat"],
        vec!["-r", "1", "-a", "tp_compat"],
        vec!["-P", "0", "-C", "tp_compat"],
        vec!["-k", "-C", "tp_compat"],
        vec!["-C", "tp_compat", "10", "20", "S"],
        vec![
            "-m",
            "RSS",
            "-w",
            "100000",
            "-c",
            "200000",
            "-C",
            "tp_compat",
        ],
        vec!["-m", "VSZ", "-w", "1", "-C", "tp_compat", "-v"],
        vec!["-m", "VSZ", "-c", "1", "-w", "1", "-C", "tp_compat"],
        vec!["-m", "CPU", "-w", "50", "-c", "90", "-C", "tp_compat"],
        vec![
            "-m",
            "ELAPSED",
            "-w",
            "3600",
            "-c",
            "86400",
            "-C",
            "tp_compat",
        ],
        vec!["-m", "ELAPSED", "-c", "@0:3600", "-C", "tp_compat", "-v"],
    ];
    for args in cases {
        let (c, ours) = both(&args);
        assert_eq!(ours.first_line(), c.first_line(), "check_procs {args:?}");
        assert_eq!(ours.code, c.code, "check_procs {args:?}");
    }
}

#[test]
fn whole_table_counts_differ_only_by_the_c_plugins_ps_child() {
    let cases: [&[&str]; 6] = [
        &[],
        &["-k"],
        &["-u", "root"],
        &["-s", "S"],
        &["-m", "RSS", "-w", "10000000"],
        &["-w", "100000", "-c", "100000"],
    ];
    let _quiet = crate::support::whole_system_lock();
    for args in cases {
        // Other tests start and stop processes meanwhile: agree within a few tries.
        let mut last = String::new();
        let agreed = (0..10).any(|_| {
            let (c, ours) = both(args);
            let extra = count(c.first_line()) - count(ours.first_line());
            last = format!("C: {}\nours: {}", c.stdout, ours.stdout);
            (0..=1).contains(&extra) && c.code == ours.code
        });
        assert!(agreed, "check_procs {args:?} never agreed:\n{last}");
    }
}
