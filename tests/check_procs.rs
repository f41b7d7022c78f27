//! check_procs against real processes the tests start. Tests run in parallel, so every
//! test gives its processes a name of its own (a copy of `sleep` or `sh` under that name)
//! and filters on it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::support::fake_engine::{FakeEngine, Reply};
use crate::support::{Run, bin, run};

/// Runs our check_procs.
fn procs(args: &[&str]) -> Run {
    run(&bin("check_procs"), args)
}

/// A copy of a system binary under a name of the test's choosing, so the kernel's `comm`
/// and the argument list carry that name.
pub struct NamedProgram {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl NamedProgram {
    pub fn copy(system_binary: &str, name: &str) -> NamedProgram {
        let dir = crate::support::shared_tempdir();
        let path = dir.path().join(name);
        std::fs::copy(system_binary, &path).expect("copy program");
        NamedProgram { _dir: dir, path }
    }
}

/// Processes started by a test; killed and reaped on drop.
#[derive(Default)]
pub struct Children(Vec<Child>);

impl Children {
    pub fn spawn(&mut self, command: &mut Command) -> i32 {
        // A program copied a moment ago is "busy" while another test thread's fork still
        // holds the copy's write descriptor (until that child execs): retry briefly.
        let mut tries = 0;
        let child = loop {
            match command.spawn() {
                Err(error)
                    if error.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 200 =>
                {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => break other.expect("spawn"),
            }
        };
        let pid = child.id() as i32;
        self.0.push(child);
        pid
    }

    /// `count` copies of `program` sleeping for five minutes.
    pub fn sleepers(&mut self, program: &Path, count: usize) -> Vec<i32> {
        (0..count)
            .map(|_| self.spawn(Command::new(program).arg("300")))
            .collect()
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until `done` holds (bounded), so a test never races a child's exec or exit.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `pid` has exec'd into a program whose comm is `comm` and whose arguments
/// are in place: the kernel sets the new comm before it sets up the argument pages, so
/// for a moment `/proc/PID/cmdline` is still empty.
pub fn wait_for_comm(pid: i32, comm: &str) {
    wait_until(&format!("pid {pid} to become {comm}"), || {
        triage_proc::read_stat(pid).is_ok_and(|stat| stat.comm == comm)
            && std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|args| !args.is_empty())
    });
}

fn sleepers(name: &str, count: usize) -> (NamedProgram, Children) {
    let program = NamedProgram::copy("/bin/sleep", name);
    let mut children = Children::default();
    for pid in children.sleepers(&program.path, count) {
        wait_for_comm(pid, &name[..name.len().min(15)]);
    }
    (program, children)
}

#[test]
fn counts_processes_by_command_name_with_the_c_first_line() {
    let (_program, _children) = sleepers("tp_cmd_three", 3);
    let out = procs(&["-c", "1:", "-C", "tp_cmd_three"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 3 processes with command name 'tp_cmd_three' | procs=3;;1:;0;\n"
    );
    assert_eq!(out.code, 0);
    let out = procs(&["-w", "1:1", "-c", "1:", "-C", "tp_cmd_three"]);
    assert_eq!(
        out.stdout,
        "PROCS WARNING: 3 processes with command name 'tp_cmd_three' | procs=3;1:1;1:;0;\n"
    );
    assert_eq!(out.code, 1);
    let out = procs(&["-w", "2:2", "-c", "2:1024", "-C", "tp_cmd_absent"]);
    assert_eq!(
        out.stdout,
        "PROCS CRITICAL: 0 processes with command name 'tp_cmd_absent' | procs=0;2:2;2:1024;0;\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn singular_plural_and_positional_thresholds_and_state() {
    let (_program, _children) = sleepers("tp_positional", 1);
    let out = procs(&["-C", "tp_positional", "0", "5"]);
    assert_eq!(
        out.stdout,
        "PROCS WARNING: 1 process with command name 'tp_positional' | procs=1;0;5;0;\n"
    );
    assert_eq!(out.code, 1);
    // Third positional is STATUSFLAGS, described after the options.
    let out = procs(&["-C", "tp_positional", "10", "20", "S"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 1 process with command name 'tp_positional', STATE = S | procs=1;10;20;0;\n"
    );
    // -w given: the first positional is the critical range.
    let out = procs(&["-w", "5", "-C", "tp_positional", "0"]);
    assert_eq!(
        out.stdout,
        "PROCS CRITICAL: 1 process with command name 'tp_positional' | procs=1;5;0;0;\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn filters_are_described_in_command_line_order_and_and_together() {
    let (program, _children) = sleepers("tp_order", 2);
    let path = program.path.to_str().expect("utf-8");
    let out = procs(&["-a", path, "-s", "S", "-C", "tp_order", "-p", "1"]);
    assert_eq!(
        out.stdout,
        format!(
            "PROCS OK: 0 processes with args '{path}', STATE = S, command name 'tp_order', PPID = 1 | procs=0;;;0;\n"
        )
    );
    let me = std::process::id().to_string();
    let out = procs(&["-p", &me, "-C", "tp_order", "-a", path]);
    assert_eq!(
        out.stdout,
        format!(
            "PROCS OK: 2 processes with PPID = {me}, command name 'tp_order', args '{path}' | procs=2;;;0;\n"
        )
    );
    // The first -C wins, as in C; later ones are ignored.
    let out = procs(&["-C", "tp_order", "-C", "something_else"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 2 processes with command name 'tp_order' | procs=2;;;0;\n"
    );
}

#[test]
fn names_longer_than_fifteen_characters_match_in_full() {
    let name = "tp_a_forty_character_process_name_here__";
    assert_eq!(name.len(), 40);
    let (_program, _children) = sleepers(name, 1);
    let out = procs(&["-C", name]);
    assert_eq!(
        out.stdout,
        format!("PROCS OK: 1 process with command name '{name}' | procs=1;;;0;\n")
    );
    // What the C plugin could only find: the kernel's 15 characters.
    let out = procs(&["-C", &name[..15]]);
    assert_eq!(
        out.first_line(),
        format!(
            "PROCS OK: 1 process with command name '{}' | procs=1;;;0;",
            &name[..15]
        )
    );
    // Same first 15 characters, different name: not a match.
    let other = "tp_a_forty_character_process_name_there_";
    let out = procs(&["-C", other]);
    assert!(
        out.stdout.starts_with("PROCS OK: 0 processes"),
        "{}",
        out.stdout
    );
    // -a sees the whole path.
    let out = procs(&["-a", name]);
    assert!(
        out.stdout.starts_with("PROCS OK: 1 process with args"),
        "{}",
        out.stdout
    );
}

#[test]
fn state_flags_session_leaders_and_zombies() {
    let program = NamedProgram::copy("/bin/sleep", "tp_states");
    let mut children = Children::default();
    let plain = children.spawn(Command::new(&program.path).arg("300"));
    let mut leader_command = Command::new(&program.path);
    leader_command.arg("300");
    // SAFETY: setsid is async-signal-safe and touches only the child.
    unsafe {
        leader_command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let leader = children.spawn(&mut leader_command);
    wait_for_comm(plain, "tp_states");
    wait_for_comm(leader, "tp_states");
    // Just after exec a sleeper may still be running: wait until both sleep.
    for pid in [plain, leader] {
        wait_until("the sleepers to sleep", || {
            triage_proc::read_stat(pid).is_ok_and(|s| s.state == 'S')
        });
    }
    let count = |flags: &str| {
        let out = procs(&["-C", "tp_states", "-s", flags]);
        assert_eq!(out.code, 0, "{}", out.stdout);
        out.stdout
    };
    assert!(count("S").starts_with("PROCS OK: 2 processes"));
    assert!(count("Ss").starts_with("PROCS OK: 1 process with"));
    assert!(count("s").starts_with("PROCS OK: 1 process with"));
    assert!(count("R").starts_with("PROCS OK: 0 processes"));

    let zombie_program = NamedProgram::copy("/bin/true", "tp_zombie");
    let zombie = children.spawn(&mut Command::new(&zombie_program.path));
    wait_until("the zombie", || {
        triage_proc::read_stat(zombie).is_ok_and(|s| s.is_zombie())
    });
    let out = procs(&["-s", "Z", "-C", "tp_zombie", "-w", "0"]);
    assert_eq!(
        out.stdout,
        "PROCS WARNING: 1 process with STATE = Z, command name 'tp_zombie' | procs=1;0;;0;\n"
    );
    assert_eq!(out.code, 1);
    // ps shows a zombie's args as "[name] <defunct>".
    let out = procs(&["-a", "[tp_zombie] <defunct>"]);
    assert!(
        out.stdout.starts_with("PROCS OK: 1 process"),
        "{}",
        out.stdout
    );
}

#[test]
fn users_by_name_and_by_uid_without_a_passwd_entry() {
    let program = NamedProgram::copy("/bin/sleep", "tp_users");
    let mut children = Children::default();
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "this test starts processes as other users: run the suite as root"
    );
    for uid in ["65534", "4242"] {
        let pid = children.spawn(
            Command::new("/usr/bin/setpriv")
                .args([
                    &format!("--reuid={uid}"),
                    "--regid=65534",
                    "--clear-groups",
                    "--",
                ])
                .arg(&program.path)
                .arg("300"),
        );
        wait_for_comm(pid, "tp_users");
    }
    let out = procs(&["-u", "nobody", "-C", "tp_users"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 1 process with UID = 65534 (nobody), command name 'tp_users' | procs=1;;;0;\n"
    );
    let out = procs(&["-C", "tp_users", "-u", "4242"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 1 process with command name 'tp_users', UID = 4242 | procs=1;;;0;\n"
    );
    let out = procs(&["-u", "root", "-C", "tp_users"]);
    assert!(
        out.stdout
            .starts_with("PROCS OK: 0 processes with UID = 0 (root)"),
        "{}",
        out.stdout
    );
}

#[test]
fn regex_and_exclude_filters() {
    let (_a, _first) = sleepers("tp_rx_alpha", 2);
    let (_b, _second) = sleepers("tp_rx_beta", 1);
    let out = procs(&["--ereg-argument-array", "tp_rx_(alpha|beta) 300$"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 3 processes with regex args 'tp_rx_(alpha,beta) 300$' | procs=3;;;0;\n"
    );
    let out = procs(&["-a", "tp_rx_", "-X", "tp_rx_alpha,sshd"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 1 process with args 'tp_rx_', exclude progs 'tp_rx_alpha,sshd' | procs=1;;;0;\n"
    );
}

#[test]
fn per_process_metrics_count_warn_and_crit_and_list_names_at_v() {
    let (_program, _children) = sleepers("tp_metrics", 2);
    let out = procs(&[
        "-m",
        "RSS",
        "-w",
        "100000",
        "-c",
        "200000",
        "-C",
        "tp_metrics",
    ]);
    assert_eq!(
        out.stdout,
        "RSS OK: 2 processes with command name 'tp_metrics' | procs=2;;;0; procs_warn=0;;;0; procs_crit=0;;;0;\n"
    );
    let out = procs(&["-m", "VSZ", "-w", "1", "-C", "tp_metrics", "-v"]);
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "VSZ WARNING: 2 warn out of 2 processes with command name 'tp_metrics' [tp_metrics, tp_metrics] | procs=2;;;0; procs_warn=2;;;0; procs_crit=0;;;0;"
        )
    );
    let listed: Vec<&str> = lines.collect();
    assert_eq!(listed.len(), 2, "{}", out.stdout);
    assert!(
        listed
            .iter()
            .all(|l| l.starts_with("\\_[WARNING] pid ") && l.contains(" tp_metrics: VSZ "))
    );
    assert_eq!(out.code, 1);
    // Every sleeper is younger than an hour: inside @0:3600 is CRITICAL.
    let out = procs(&["-m", "ELAPSED", "-c", "@0:3600", "-C", "tp_metrics"]);
    assert_eq!(
        out.stdout,
        "ELAPSED CRITICAL: 2 crit, 0 warn out of 2 processes with command name 'tp_metrics' | procs=2;;;0; procs_warn=0;;;0; procs_crit=2;;;0;\n"
    );
    assert_eq!(out.code, 2);
}

#[test]
fn cpu_sample_sees_a_busy_process_that_the_lifetime_average_hides() {
    let busy = NamedProgram::copy("/bin/sh", "tpcpu_busy");
    let (_idle, _sleepers) = sleepers("tpcpu_idle", 1);
    let mut children = Children::default();
    let pid = children.spawn(Command::new(&busy.path).args(["-c", "while :; do :; done"]));
    wait_for_comm(pid, "tpcpu_busy");
    // Low thresholds: the suite keeps both cores busy, so a spinning child may get only a
    // small share of one; the idle sleeper's 0% still tells the two apart.
    let out = procs(&[
        "-m",
        "CPU",
        "-w",
        "2",
        "-c",
        "5",
        "--cpu-sample",
        "500ms",
        "-C",
        "tpcpu_busy",
    ]);
    assert_eq!(
        out.stdout,
        "CPU CRITICAL: 1 crit, 0 warn out of 1 process with command name 'tpcpu_busy' | procs=1;;;0; procs_warn=0;;;0; procs_crit=1;;;0;\n"
    );
    // A prefix no other test's process has in its arguments ("tp_" is in "check_http_").
    let out = procs(&["-P", "5", "--cpu-sample", "500ms", "-a", "tpcpu_"]);
    assert!(
        out.stdout
            .starts_with("PROCS OK: 1 process with PCPU >= 5.00, args 'tpcpu_'"),
        "{}",
        out.stdout
    );
    let out = procs(&["-P", "5", "--cpu-sample", "500ms", "-C", "tpcpu_idle"]);
    assert!(
        out.stdout.starts_with("PROCS OK: 0 processes"),
        "{}",
        out.stdout
    );
}

#[test]
fn json_lists_the_matched_processes() {
    let (program, children) = sleepers("tp_json", 2);
    let out = procs(&["-C", "tp_json", "-c", "1:", "--output-format", "json"]);
    assert_eq!(out.code, 0);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(value["state"], "OK");
    assert_eq!(value["summary"], "2 processes with command name 'tp_json'");
    let processes = value["processes"].as_array().expect("processes");
    let mut pids: Vec<i64> = processes
        .iter()
        .map(|p| p["pid"].as_i64().expect("pid"))
        .collect();
    pids.sort();
    let mut expected: Vec<i64> = children.0.iter().map(|c| i64::from(c.id())).collect();
    expected.sort();
    assert_eq!(pids, expected);
    let first = &processes[0];
    assert_eq!(first["command"], "tp_json");
    assert_eq!(first["args"], format!("{} 300", program.path.display()));
    assert_eq!(first["ppid"], std::process::id());
    assert!(first["rss"].as_u64().expect("rss") > 0);
    assert!(first["user"].is_string() && first["state"].is_string());
}

#[test]
fn never_counts_itself_or_its_parent() {
    // Its own args contain the marker: it must not count itself.
    let out = procs(&["-a", "tp_self_marker"]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 0 processes with args 'tp_self_marker' | procs=0;;;0;\n"
    );
    // The shell that runs the check carries the marker in its args; it is the parent.
    let script = format!(
        "{} -a tp_parent_marker; : tp_parent_marker",
        bin("check_procs").display()
    );
    let out = run(Path::new("/bin/sh"), &["-c", &script]);
    assert_eq!(
        out.stdout,
        "PROCS OK: 0 processes with args 'tp_parent_marker' | procs=0;;;0;\n"
    );
}

#[test]
fn processes_that_exit_mid_scan_are_skipped_not_errors() {
    let churn = NamedProgram::copy("/bin/sh", "tp_churn");
    let mut children = Children::default();
    children
        .spawn(Command::new(&churn.path).args(["-c", "while :; do /bin/true; /bin/true; done"]));
    for _ in 0..30 {
        for args in [
            &["-a", "true"][..],
            &["-m", "RSS", "-u", "root"],
            &["--output-format", "json"],
        ] {
            let out = procs(args);
            assert!(out.code == 0, "{args:?}: {}", out.stdout);
        }
    }
}

#[test]
fn bad_input_is_one_clear_line_and_unknown() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["-u", "no_such_user_tp"],
            "check_procs: --user: user name was not found - 'no_such_user_tp'",
        ),
        (
            &["--ereg-argument-array", "("],
            "check_procs: --ereg-argument-array: could not compile regular expression '(': Unmatched ( or \\(",
        ),
        (
            &["-m", "FOO"],
            "check_procs: --metric: metric must be one of PROCS, VSZ, RSS, CPU, ELAPSED (upper case), not 'FOO'",
        ),
        (
            &["-m", "rss"],
            "check_procs: --metric: metric must be one of PROCS, VSZ, RSS, CPU, ELAPSED (upper case), not 'rss'",
        ),
        (
            &["-w", "10:5"],
            "check_procs: --warning: '10:5' is not a valid range",
        ),
        (
            &["-p", "1x"],
            "check_procs: --ppid: parent process ID must be an integer, not '1x'",
        ),
        (
            &["--cpu-sample", "2m"],
            "check_procs: --cpu-sample: expected a duration from 1ms to 60s",
        ),
    ];
    for (args, first) in cases {
        let out = procs(args);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stdout);
        assert!(out.stdout.starts_with(first), "{args:?}: {}", out.stdout);
        assert!(out.stdout.lines().count() <= 2, "{args:?}: {}", out.stdout);
        assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr);
    }
    // A positional range is checked as strictly as -w.
    let out = procs(&["abc"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.starts_with(
            "check_procs: warning range (given without -w/-c): 'abc' is not a valid range"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn c_spellings_still_work() {
    let (_program, _children) = sleepers("tp_spelling", 1);
    // Abbreviated long options (getopt_long), --status, --traditional, -to, -k.
    for args in [
        &["--comm", "tp_spelling", "--crit", "1:"][..],
        &[
            "--command=tp_spelling",
            "--status",
            "S",
            "--traditional",
            "-c",
            "1:",
        ],
        &["-C", "tp_spelling", "-to", "5", "-k", "-c", "1:"],
        &["-C", "tp_spelling", "--no-kthreads", "-T", "-c", "1:"],
    ] {
        let out = procs(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stdout);
        assert!(
            out.stdout
                .starts_with("PROCS OK: 1 process with command name 'tp_spelling'"),
            "{args:?}: {}",
            out.stdout
        );
    }
    let out = procs(&["-V"]);
    assert_eq!(out.code, 3);
    assert!(out.stdout.starts_with("check_procs v"), "{}", out.stdout);
}

#[test]
fn kernel_threads_are_left_out_with_k() {
    let all = procs(&["-a", "[kthreadd]"]);
    assert!(
        all.stdout.starts_with("PROCS OK: 1 process"),
        "{}",
        all.stdout
    );
    let without = procs(&["-k", "-a", "[kthreadd]"]);
    assert!(
        without.stdout.starts_with("PROCS OK: 0 processes"),
        "{}",
        without.stdout
    );
}

/// A cgroup laid out the way Docker's cgroupfs driver does (`/docker/<id>`), in the first
/// hierarchy that lets us create one; removed on drop.
struct ContainerCgroup {
    dir: PathBuf,
}

impl ContainerCgroup {
    fn create(id: &str) -> ContainerCgroup {
        let candidates = [
            "/sys/fs/cgroup/pids",
            "/sys/fs/cgroup/unified",
            "/sys/fs/cgroup",
        ];
        for root in candidates {
            let dir = Path::new(root).join("docker").join(id);
            if std::fs::create_dir_all(&dir).is_ok() && dir.join("cgroup.procs").exists() {
                return ContainerCgroup { dir };
            }
        }
        panic!(
            "cannot create a cgroup under {candidates:?}: run the suite as root on Linux with cgroupfs mounted"
        );
    }

    fn add(&self, pid: i32) {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string()).expect("move into cgroup");
    }
}

impl Drop for ContainerCgroup {
    fn drop(&mut self) {
        // The members are killed first (Children drops earlier); an empty cgroup can go.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::remove_dir(&self.dir).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn container_and_cgroup_filters_count_the_processes_inside() {
    let id = format!("{:0>64}", format!("7a11{:x}", std::process::id()));
    let cgroup = ContainerCgroup::create(&id);
    let program = NamedProgram::copy("/bin/sleep", "tp_in_container");
    let mut children = Children::default();
    let pids = children.sleepers(&program.path, 3);
    for pid in &pids {
        wait_for_comm(*pid, "tp_in_container");
    }
    cgroup.add(pids[0]);
    cgroup.add(pids[1]);

    // By id prefix, straight from /proc/<pid>/cgroup (no engine needed for hex).
    let prefix = &id[..12];
    let out = run_env(
        &["-C", "tp_in_container", "--container", prefix],
        &[("DOCKER_HOST", "unix:///nonexistent.sock")],
    );
    assert_eq!(
        out.stdout,
        format!(
            "PROCS OK: 2 processes with command name 'tp_in_container', container '{prefix}' | procs=2;;;0;\n"
        )
    );
    let out = procs(&["--cgroup", &format!("/docker/{id}"), "-c", "3:"]);
    assert_eq!(
        out.stdout,
        format!("PROCS CRITICAL: 2 processes with cgroup '/docker/{id}' | procs=2;;3:;0;\n")
    );

    // By name, through the engine's socket.
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("docker.sock");
    let list = format!(
        r#"[{{"Id":"{id}","Names":["/tp-web-1"],"State":"running"}},{{"Id":"{}","Names":["/other"]}}]"#,
        "f".repeat(64)
    );
    let engine = FakeEngine::start(
        &socket,
        vec![
            ("GET /_ping", Reply::ping("1.41")),
            ("GET /containers/json", Reply::json(200, &list)),
        ],
    );
    let host = engine.host();
    let out = run_env(
        &["--container", "tp-web-1", "-c", "1:"],
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(
        out.stdout,
        "PROCS OK: 2 processes with container 'tp-web-1' | procs=2;;1:;0;\n"
    );
    // A name prefix selects it too; a container that is not running has no processes.
    let out = run_env(
        &["--container", "tp-web", "-C", "tp_in_container"],
        &[("DOCKER_HOST", &host)],
    );
    assert!(
        out.stdout.starts_with("PROCS OK: 2 processes"),
        "{}",
        out.stdout
    );
    let out = run_env(
        &["--container", "tp-db", "-c", "1:"],
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(
        out.stdout,
        "PROCS CRITICAL: 0 processes with container 'tp-db' | procs=0;;1:;0;\n"
    );
    assert_eq!(out.code, 2);
    // The version came from the ping: every list request used it.
    let requests = engine.requests();
    assert!(
        requests.contains(&"GET /v1.41/containers/json".to_owned()),
        "{requests:?}"
    );
    drop(engine);

    // A name with no engine to ask is UNKNOWN, saying why.
    let out = run_env(
        &["--container", "tp-web-1"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.starts_with(
            "PROCS UNKNOWN: cannot look up container 'tp-web-1': cannot connect to \
             unix:///nonexistent/docker.sock: no such socket"
        ),
        "{}",
        out.stdout
    );
    drop(children);
}

/// Runs check_procs with extra environment variables.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(bin("check_procs"));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    crate::support::run_bounded(&mut command, Duration::from_secs(20))
}
