//! remediate end to end: real services (children writing real heartbeats through the
//! `heartbeat` writer), real kills and starts, a real SQLite database, real concurrency.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Run, bin, run_bounded};

/// A directory with a config for one heartbeat service `demo` whose start command runs
/// `sleep` under `heartbeat run`. Shared with `remediate_operation`.
pub(super) struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    pub(super) fn new(extra: &str) -> Setup {
        Setup::with_globals("", extra)
    }

    /// `globals`: top-level keys before the services; `extra`: more keys of `demo`, then
    /// other tables.
    pub(super) fn with_globals(globals: &str, extra: &str) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let setup = Setup { dir };
        let heartbeat = bin("heartbeat");
        let config = format!(
            r#"db_path = "{db}"
consecutive_failures = 2
{globals}
[services.demo]
check = {{ heartbeat = "{hb}", max_age = "3s" }}
commands = {{ start = "exec {writer} run --file {hb} --interval 1s -- sleep 300", cleanup = "echo cleaning; exit 0" }}
recovery = ["kill", "cleanup", "start"]
start_grace = "2s"
budget = {{ max = 3, window = "1h", cooldown = "1h" }}
{extra}
"#,
            db = setup.path("state/remediate.db").display(),
            hb = setup.heartbeat().display(),
            writer = heartbeat.display(),
        );
        std::fs::write(setup.config(), config).expect("config");
        setup
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn config(&self) -> PathBuf {
        self.path("remediate.toml")
    }

    pub(super) fn heartbeat(&self) -> PathBuf {
        self.path("demo.json")
    }

    pub(super) fn remediate(&self, args: &[&str]) -> Run {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(self.config()).args(args);
        run_bounded(&mut command, Duration::from_secs(60))
    }

    /// The PID in the heartbeat, once a fresh one is there.
    pub(super) fn wait_for_beat(&self) -> i32 {
        self.wait_for_beat_after(None)
    }

    /// The PID in the heartbeat, once a fresh one naming another process than `old` is there.
    pub(super) fn wait_for_beat_after(&self, old: Option<i32>) -> i32 {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(text) = std::fs::read_to_string(self.heartbeat())
                && let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
                && let Some(pid) = doc["pid"].as_i64()
                && doc["status"] != "stopped"
                && Some(pid as i32) != old
            {
                return pid as i32;
            }
            assert!(
                Instant::now() < until,
                "no heartbeat from a process other than {old:?} appeared at {}",
                self.heartbeat().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        // Stop whatever the tests started (its PID is in the heartbeat).
        if let Ok(text) = std::fs::read_to_string(self.heartbeat())
            && let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(pid) = doc["pid"].as_i64()
            && pid > 1
        {
            // The sleeper's parent is the heartbeat writer; killing the group ends both.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

pub(super) fn alive(pid: i32) -> bool {
    triage_proc::read_stat(pid).is_ok_and(|stat| !stat.is_zombie())
}

#[test]
fn a_dead_service_is_started_after_two_failures_and_recovers() {
    let setup = Setup::new("");
    let first = setup.remediate(&["check"]);
    assert_eq!(first.code, 1, "{}{}", first.stdout, first.stderr);
    assert!(
        first.stdout.starts_with("demo: CRITICAL "),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains(" -> failing 1/2"), "{}", first.stdout);
    let second = setup.remediate(&["check"]);
    assert!(
        second.stdout.contains(
            " -> remediating (attempt 1): run 1 succeeded (kill ok, cleanup ok, start ok)"
        ),
        "{}",
        second.stdout
    );
    let pid = setup.wait_for_beat();
    assert!(alive(pid));
    std::thread::sleep(Duration::from_millis(2200));
    let third = setup.remediate(&["check"]);
    assert_eq!(third.code, 0, "{}", third.stdout);
    assert!(third.stdout.contains(" -> recovered"), "{}", third.stdout);

    // Killed: the next two passes bring it back with a new PID, and the old one is gone.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let until = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = setup.remediate(&["check"]);
    assert!(out.stdout.contains(" -> failing 1/2"), "{}", out.stdout);
    // The second attempt in the window waits twice the start grace after the first.
    let out = setup.remediate(&["check"]);
    assert!(
        out.stdout.contains(" -> next attempt not before "),
        "{}",
        out.stdout
    );
    std::thread::sleep(Duration::from_millis(2000));
    let out = setup.remediate(&["check"]);
    assert!(
        out.stdout
            .contains(" -> remediating (attempt 2): run 2 succeeded"),
        "{}",
        out.stdout
    );
    let new_pid = setup.wait_for_beat();
    assert_ne!(new_pid, pid);

    // The history says what happened, and the JSON is one object per line.
    let history = setup.remediate(&["history", "demo"]);
    assert!(
        history.stdout.contains("demo: run 2 succeeded"),
        "{}",
        history.stdout
    );
    assert!(
        history.stdout.contains("1. kill: ok, "),
        "{}",
        history.stdout
    );
    let json = setup.remediate(&["history", "--json"]);
    for line in json.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a JSON object per line");
    }
    let status = setup.remediate(&["status"]);
    assert!(
        status
            .stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("demo ")),
        "{}",
        status.stdout
    );
}

#[test]
fn a_reused_pid_is_never_killed() {
    let setup = Setup::new("");
    // An unrelated live process, named by a heartbeat with someone else's start time.
    let mut bystander = Command::new("sleep").arg("300").spawn().expect("bystander");
    let pid = bystander.id();
    let stale = format!(
        r#"{{"process_key":"demo","pid":{pid},"pid_start_ticks":1,"timestamp":"2000-01-01T00:00:00Z"}}"#
    );
    std::fs::write(setup.heartbeat(), stale).expect("heartbeat");
    let out = setup.remediate(&["run", "demo"]);
    assert!(
        out.stdout.contains(&format!(
            "1. kill: nothing to kill: pid {pid} now belongs to another process"
        )),
        "{}",
        out.stdout
    );
    assert!(alive(pid as i32), "the bystander was killed");
    let _ = bystander.kill();
    let _ = bystander.wait();
}

#[test]
fn a_dry_run_says_what_it_would_do_and_changes_nothing() {
    let setup = Setup::new("");
    let out = setup.remediate(&["run", "demo", "--dry-run"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("demo: would run 3 steps (run 1, dry run)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  3. start: would run: exec "),
        "{}",
        out.stdout
    );
    assert!(!setup.heartbeat().exists(), "a dry run started the service");
}

#[test]
fn ten_overlapping_checks_act_exactly_once() {
    let setup = Setup::new("");
    // One failing pass first, so that the next one is due.
    setup.remediate(&["check"]);
    let children: Vec<_> = (0..10)
        .map(|_| {
            Command::new(bin("remediate"))
                .arg("-c")
                .arg(setup.config())
                .arg("check")
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|child| {
            String::from_utf8_lossy(&child.wait_with_output().expect("wait").stdout).into_owned()
        })
        .collect();
    let runs = outputs.iter().filter(|o| o.contains("remediating")).count();
    let skipped = outputs
        .iter()
        .filter(|o| o.contains("nothing done"))
        .count();
    let later = outputs
        .iter()
        .filter(|o| o.contains("starting up") || o.contains("recovered") || o.contains("OK"))
        .count();
    assert_eq!(runs, 1, "{outputs:#?}");
    assert_eq!(runs + skipped + later, 10, "{outputs:#?}");
    setup.wait_for_beat();
}

#[test]
fn a_crash_mid_pipeline_is_recorded_as_interrupted() {
    let setup = Setup::new("");
    let config = std::fs::read_to_string(setup.config()).expect("config");
    std::fs::write(
        setup.config(),
        config.replace("echo cleaning; exit 0", "sleep 30"),
    )
    .expect("config");
    let mut child = Command::new(bin("remediate"))
        .arg("-c")
        .arg(setup.config())
        .args(["run", "demo"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the slow step has begun (its sleep is running), then kill -9 remediate.
    let until = Instant::now() + Duration::from_secs(10);
    while !sleeping_child_of(child.id()) {
        assert!(Instant::now() < until, "the slow step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let out = setup.remediate(&["check"]);
    assert!(
        out.stdout.starts_with("demo: run 1 was interrupted"),
        "{}",
        out.stdout
    );
    let history = setup.remediate(&["history", "demo"]);
    assert!(
        history.stdout.contains("run 1 interrupted"),
        "{}",
        history.stdout
    );
    let db = rusqlite_free_integrity(&setup.path("state/remediate.db"));
    assert_eq!(db, "ok");
}

/// True when `parent` has a child (its step's shell or sleep) running `sleep`.
fn sleeping_child_of(parent: u32) -> bool {
    !descendants_named(parent, "sleep").is_empty()
}

/// The processes called `comm` whose parent or grandparent is `ancestor` (a step's command
/// runs under `sh -c`, which may or may not exec it).
pub(super) fn descendants_named(ancestor: u32, comm: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|&pid| {
            pid > 0
                && triage_proc::read_stat(pid).is_ok_and(|stat| {
                    stat.comm == comm
                        && (stat.ppid as u32 == ancestor
                            || triage_proc::read_stat(stat.ppid)
                                .is_ok_and(|p| p.ppid as u32 == ancestor))
                })
        })
        .collect()
}

/// `PRAGMA integrity_check` through the sqlite3 shell-free path: remediate's own store.
pub(super) fn rusqlite_free_integrity(db: &Path) -> String {
    triage_remediate::store::Store::open(db)
        .expect("open")
        .integrity_check()
        .expect("integrity")
}

#[test]
fn the_seed_watchdog_config_and_broken_configs_validate_with_clear_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The seed's own example config.json, as the Watchdog's users have it.
    let seed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packaging/remediate/watchdog-config.example.json");
    let run = |path: &Path, args: &[&str]| {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(path).args(args);
        run_bounded(&mut command, Duration::from_secs(20))
    };
    let out = run(&seed, &["validate"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, format!("{}: OK, 1 service\n", seed.display()).as_str()),
        "{}",
        out.stderr
    );
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[services.a]\ncheck = { command = [\"/bin/true\"] }\nrecovery = [\"kill\", \"nope\"]\nbogus = 1\n").expect("broken");
    let out = run(&broken, &["validate"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.starts_with("remediate: "), "{}", out.stderr);
    let out = run(&dir.path().join("missing.toml"), &["check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
    let out = run(&seed, &["run", "nosuch"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "remediate: no service named 'nosuch' in the configuration\n"
        )
    );
}

#[test]
fn the_readme_configuration_example_validates() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let section = &readme[readme.find("## remediate").expect("remediate section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").expect("block end")];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("remediate.toml");
    std::fs::write(&path, example).expect("write");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&path).arg("validate");
    let out = run_bounded(&mut command, Duration::from_secs(20));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, format!("{}: OK, 1 service\n", path.display()).as_str()),
        "{}",
        out.stderr
    );
}

#[test]
fn off_stops_and_disables_on_enables_and_starts() {
    let setup = Setup::new("");
    let out = setup.remediate(&["on", "demo"]);
    assert!(
        out.stdout
            .starts_with("demo: on, run 1 succeeded (start: started pid "),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let pid = setup.wait_for_beat();
    let out = setup.remediate(&["off", "demo"]);
    assert!(
        out.stdout.starts_with(&format!(
            "demo: off, run 2 succeeded (kill: pid {pid} exited after SIGTERM)"
        )),
        "{}",
        out.stdout
    );
    assert!(!alive(pid));
    let out = setup.remediate(&["check"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "demo: not checked (disabled)\n")
    );
    let out = setup.remediate(&["start-all"]);
    assert!(
        out.stdout.starts_with("demo: on, run 3 succeeded"),
        "{}",
        out.stdout
    );
    setup.wait_for_beat();
    let out = setup.remediate(&["stop-all"]);
    assert!(
        out.stdout
            .starts_with("demo: off, run 4 succeeded (kill: pid "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_failing_start_aborts_and_the_budget_runs_out() {
    let setup = Setup::new("");
    let config = std::fs::read_to_string(setup.config()).expect("config");
    let config = config
        .replace("exec ", "echo no such binary >&2; exit 3; exec ")
        .replace("consecutive_failures = 2", "consecutive_failures = 1")
        .replace("start_grace = \"2s\"", "start_grace = \"1s\"")
        .replace("max = 3, window = \"1h\"", "max = 1, window = \"1h\"");
    std::fs::write(setup.config(), config).expect("config");
    let out = setup.remediate(&["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains(": run 1 aborted (kill ok, cleanup ok, start failed)"),
        "{}",
        out.stdout
    );
    let history = setup.remediate(&["history", "demo"]);
    assert!(
        history
            .stdout
            .contains("3. start: failed, cannot start: the start command exited 3 at once (see "),
        "{}",
        history.stdout
    );
    // One attempt per hour allowed: the next failing check exhausts the budget.
    let out = setup.remediate(&["check"]);
    assert!(
        out.stdout.contains(" -> EXHAUSTED: no action before "),
        "{}",
        out.stdout
    );
    let status = setup.remediate(&["status"]);
    assert_eq!(status.code, 1);
    assert!(
        status.stdout.contains("demo                 exhausted"),
        "{}",
        status.stdout
    );
    // Checking the checker: a Nagios plugin that goes CRITICAL on an exhausted service.
    let nagios = setup.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(nagios.code, 2, "{}", nagios.stdout);
    assert_eq!(
        nagios.first_line(),
        "REMEDIATE CRITICAL: demo: EXHAUSTED: out of restart budget"
    );
}

#[test]
fn a_failing_cleanup_step_continues_and_a_down_dependency_holds_remediation_back() {
    let setup = Setup::new(
        r#"[services.db]
check = { command = ["/bin/sh", "-c", "echo db down; exit 2"] }
"#,
    );
    let config = std::fs::read_to_string(setup.config()).expect("config");
    std::fs::write(
        setup.config(),
        config.replace("echo cleaning; exit 0", "echo cleanup broke; exit 5"),
    )
    .expect("config");
    let out = setup.remediate(&["run", "demo"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout
            .starts_with("demo: ran 3 steps (run 1, finished with failed steps)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  2. cleanup: exit 5\n"),
        "{}",
        out.stdout
    );
    setup.wait_for_beat();
    // With a dependency that is down, a failing demo is not remediated.
    let config = std::fs::read_to_string(setup.config()).expect("config");
    std::fs::write(
        setup.config(),
        config.replace(
            "start_grace = \"2s\"",
            "start_grace = \"2s\"\ndepends_on = [\"db\"]\nconsecutive_failures = 1",
        ),
    )
    .expect("config");
    let pid = setup.wait_for_beat();
    unsafe { libc::kill(pid, libc::SIGKILL) };
    std::thread::sleep(Duration::from_millis(2500));
    let out = setup.remediate(&["check"]);
    assert!(
        out.stdout.contains("db: CRITICAL db down"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(" -> not remediated: db is down"),
        "{}",
        out.stdout
    );
}

#[test]
fn http_and_procs_checks_run_in_process_with_the_plugins_own_arguments() {
    use crate::support::http_server::{Route, TestServer};
    let server = TestServer::http(vec![
        ("/up", Route::json(200, r#"{"status":"UP"}"#)),
        (
            "/down",
            Route::json(
                503,
                r#"{"status":"DOWN","components":{"db":{"status":"DOWN"}}}"#,
            ),
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("fixed");
    let config = format!(
        r#"db_path = "{db}"
consecutive_failures = 1

[services.api]
check = {{ http = ["{down}", "-t", "5"] }}
commands = {{ fix = "touch {marker}" }}
recovery = ["fix"]

[services.web]
check = {{ http = ["{up}"] }}
commands = {{ fix = "true" }}
recovery = ["fix"]

[services.init]
check = {{ procs = ["-p", "0", "-c", "1:"] }}
commands = {{ fix = "true" }}
recovery = ["fix"]
"#,
        db = dir.path().join("remediate.db").display(),
        down = server.url("/down"),
        up = server.url("/up"),
        marker = marker.display(),
    );
    let path = dir.path().join("remediate.toml");
    std::fs::write(&path, config).expect("config");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&path).arg("check");
    let out = run_bounded(&mut command, Duration::from_secs(60));
    assert!(
        out.stdout.contains(
            "api: CRITICAL HTTP/1.1 503 Service Unavailable - 1 of 1 components down: db - "
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(": run 1 succeeded (fix ok)"),
        "{}",
        out.stdout
    );
    assert!(marker.exists(), "the fix command did not run");
    assert!(
        out.stdout
            .contains("web: OK HTTP/1.1 200 OK - Spring Boot UP, 0 components - "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("init: OK ") && l.ends_with(" with PPID = 0")),
        "{}",
        out.stdout
    );
}

#[test]
fn a_hung_service_that_still_beats_is_killed_and_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = dir.path().join("worker.json");
    let writer = bin("heartbeat");
    // Beats every 0.2 s, never making progress (iteration stays 1): hung, not dead.
    let hung = format!(
        "while :; do {w} beat --file {hb} --iteration 1; sleep 0.2; done",
        w = writer.display(),
        hb = hb.display()
    );
    // The healthy replacement increments its iteration on every beat.
    let healthy = format!(
        "exec {w} run --file {hb} --interval 1s -- sleep 300",
        w = writer.display(),
        hb = hb.display()
    );
    let config = format!(
        r#"db_path = "{db}"
consecutive_failures = 1

[services.worker]
check = {{ heartbeat = "{hb}", max_age = "30s", stall = "1s" }}
commands = {{ start = "{healthy}" }}
recovery = ["kill", "start"]
start_grace = "1s"
"#,
        db = dir.path().join("remediate.db").display(),
        hb = hb.display(),
    );
    let path = dir.path().join("remediate.toml");
    std::fs::write(&path, config).expect("config");
    let loop_shell = Command::new("/bin/sh")
        .arg("-c")
        .arg(&hung)
        .spawn()
        .expect("hung service");
    let shell_pid = loop_shell.id() as i32;
    // Whatever happens, the loop does not outlive the test.
    let mut loop_shell = KillOnDrop(loop_shell);
    let check = || {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(&path).arg("check");
        run_bounded(&mut command, Duration::from_secs(60))
    };
    let until = Instant::now() + Duration::from_secs(10);
    while !hb.exists() {
        assert!(Instant::now() < until, "the hung service never beat");
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = check();
    assert!(first.stdout.starts_with("worker: OK "), "{}", first.stdout);
    std::thread::sleep(Duration::from_millis(1500));
    let second = check();
    assert!(
        second
            .stdout
            .contains(" -> remediating (attempt 1): run 1 succeeded (kill ok, start ok)"),
        "{}",
        second.stdout
    );
    // The hung shell was the PID in the heartbeat, verified and killed.
    let _ = loop_shell.0.wait();
    assert!(!alive(shell_pid));
    let history = {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(&path).args(["history", "worker"]);
        run_bounded(&mut command, Duration::from_secs(20))
    };
    assert!(
        history.stdout.contains(&format!(
            "1. kill: ok, pid {shell_pid} exited after SIGTERM"
        )),
        "{}",
        history.stdout
    );
    // Clean up the replacement: its sleep's PID is in the heartbeat now.
    std::thread::sleep(Duration::from_millis(300));
    if let Ok(text) = std::fs::read_to_string(&hb)
        && let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(pid) = doc["pid"].as_i64()
    {
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
}

/// A child killed and reaped when the test ends, even by a failed assertion.
pub(super) struct KillOnDrop(pub(super) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// remediate with this configuration text, in a directory of its own.
fn remediate_with(dir: &Path, config: &str, args: &[&str]) -> Run {
    let path = dir.join("remediate.toml");
    std::fs::write(&path, config).expect("config");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&path).args(args);
    run_bounded(&mut command, Duration::from_secs(30))
}

#[test]
fn status_as_a_plugin_says_why_on_stdout_and_exits_3_when_it_cannot_read_its_inputs() {
    let mut command = Command::new(bin("remediate"));
    command.args([
        "-c",
        "/nonexistent/remediate.toml",
        "status",
        "--output-format",
        "nagios",
    ]);
    let missing = run_bounded(&mut command, Duration::from_secs(10));
    assert_eq!(missing.code, 3, "{}{}", missing.stdout, missing.stderr);
    assert!(
        missing
            .stdout
            .starts_with("REMEDIATE UNKNOWN: cannot read /nonexistent/remediate.toml"),
        "{}",
        missing.stdout
    );
    assert_eq!(missing.stdout.lines().count(), 1, "{}", missing.stdout);

    let dir = tempfile::tempdir().expect("tempdir");
    let broken = remediate_with(
        dir.path(),
        "[services.web]\ncheck = { http = [\"http://127.0.0.1/\"] }\nrecovery = [\"flush\"]\n",
        &["status", "--output-format", "nagios"],
    );
    assert_eq!(broken.code, 3, "{}{}", broken.stdout, broken.stderr);
    assert!(
        broken.stdout.starts_with("REMEDIATE UNKNOWN: ") && broken.stdout.contains("1 problem"),
        "{}",
        broken.stdout
    );
    assert_eq!(broken.stdout.lines().count(), 1, "{}", broken.stdout);

    let db = dir.path().join("not-ours.db");
    std::fs::write(&db, "not a database at all, just text that fills a page").expect("db");
    let not_ours = remediate_with(
        dir.path(),
        &format!(
            "db_path = \"{}\"\n[services.web]\ncheck = {{ http = [\"http://127.0.0.1/\"] }}\n",
            db.display()
        ),
        &["status", "--output-format", "nagios"],
    );
    assert_eq!(not_ours.code, 3, "{}{}", not_ours.stdout, not_ours.stderr);
    assert!(
        not_ours.stdout.starts_with("REMEDIATE UNKNOWN: ")
            && not_ours.stdout.contains("is not a remediate database"),
        "{}",
        not_ours.stdout
    );
}

#[test]
fn validate_reports_plugin_arguments_the_plugin_would_refuse_with_their_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = remediate_with(
        dir.path(),
        "[services.db]\ncheck = { procs = [\"-C\", \"postgres\", \"--no-such-option\"] }\n\
         [services.web]\ncheck = { http = [\"http://127.0.0.1/\", \"-w\", \"soon\"] }\n",
        &["validate"],
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("2 problems")
            && run
                .stderr
                .contains("services.db.check.procs: check_procs: ")
            && run.stderr.contains("--no-such-option")
            && run
                .stderr
                .contains("services.web.check.http: check_http_health: "),
        "{}",
        run.stderr
    );
}

#[test]
fn a_dry_run_changes_nothing_stall_detection_keeps_and_a_pass_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = dir.path().join("worker.json");
    let now = triage_heartbeat::Timestamp::now().to_rfc3339();
    std::fs::write(
        &hb,
        format!(r#"{{"timestamp":"{now}","iteration":7,"interval_s":10}}"#),
    )
    .expect("heartbeat");
    let config = format!(
        "db_path = \"{db}\"\n[services.worker]\n\
         check = {{ heartbeat = \"{hb}\", max_age = \"5m\", stall = \"10m\" }}\n\
         commands = {{ start = \"true\" }}\nrecovery = [\"kill\", \"start\"]\n",
        db = dir.path().join("state/remediate.db").display(),
        hb = hb.display()
    );
    let stall = dir.path().join("state/stall");
    let dry = remediate_with(dir.path(), &config, &["run", "worker", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("would run 2 steps"), "{}", dry.stdout);
    assert!(!stall.exists(), "the dry run wrote stall state");
    let pass = remediate_with(dir.path(), &config, &["check"]);
    assert_eq!(pass.code, 0, "{}{}", pass.stdout, pass.stderr);
    assert!(stall.exists(), "a pass records what stall detection saw");
}

#[test]
fn an_unreadable_heartbeat_fails_kill_so_start_never_launches_a_second_copy() {
    let setup = Setup::new("");
    std::fs::write(setup.heartbeat(), "{\"timestamp\": ").expect("torn heartbeat");
    let run = setup.remediate(&["run", "demo"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("demo: ran 1 steps (run 1, aborted)\n")
            && run
                .stdout
                .contains("1. kill: cannot tell which process to kill: "),
        "{}",
        run.stdout
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        std::fs::read_to_string(setup.heartbeat()).expect("heartbeat"),
        "{\"timestamp\": ",
        "start ran: a second copy now writes the heartbeat"
    );
}

#[test]
fn a_hung_health_endpoint_is_critical_at_the_plugins_own_timeout_and_is_healed() {
    // Accepts and never answers: a service stuck in a deadlock.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    // Holds every connection, answering none, for at most 15 s.
    let held = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(15);
        let mut open = Vec::new();
        while Instant::now() < until {
            match listener.accept() {
                Ok((stream, _)) => open.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let healed = dir.path().join("healed");
    let config = format!(
        "db_path = \"{db}\"\nconsecutive_failures = 1\n[services.web]\n\
         check = {{ http = [\"http://127.0.0.1:{port}/health\", \"-t\", \"1\"] }}\n\
         commands = {{ heal = \"touch {healed}\" }}\nrecovery = [\"heal\"]\n",
        db = dir.path().join("state/remediate.db").display(),
        healed = healed.display()
    );
    let began = Instant::now();
    let run = remediate_with(dir.path(), &config, &["check"]);
    let took = began.elapsed();
    assert!(
        run.stdout.starts_with(
            "web: CRITICAL timed out after 1 seconds -> remediating (attempt 1): run 1 succeeded"
        ),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(healed.exists(), "the pipeline did not run");
    // Bounded, not timed: check_timeout (30 s) would be reached otherwise.
    assert!(
        took < Duration::from_secs(20),
        "the pass waited {took:?}, not the plugin's 1 s"
    );
    drop(held);
}

/// A heartbeat as the Watchdog's writer (and the README's sh snippet) writes it: a PID and
/// a time, no start ticks.
fn watchdog_heartbeat(path: &Path, pid: u32, at: f64) {
    let at = triage_heartbeat::Timestamp(at).to_rfc3339();
    std::fs::write(path, format!(r#"{{"timestamp":"{at}","pid":{pid}}}"#)).expect("heartbeat");
}

fn kill_only_config(dir: &Path, hb: &Path) -> String {
    format!(
        "db_path = \"{db}\"\nconsecutive_failures = 1\n[services.worker]\n\
         check = {{ heartbeat = \"{hb}\", max_age = \"1s\" }}\nrecovery = [\"kill\"]\n",
        db = dir.join("state/remediate.db").display(),
        hb = hb.display()
    )
}

#[test]
fn a_hung_worker_whose_heartbeat_has_no_start_ticks_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = dir.path().join("worker.json");
    let worker = KillOnDrop(Command::new("sleep").arg("300").spawn().expect("worker"));
    let pid = worker.0.id();
    std::thread::sleep(Duration::from_millis(100));
    watchdog_heartbeat(&hb, pid, triage_heartbeat::now_unix());
    // It stops beating: stale after max_age.
    std::thread::sleep(Duration::from_millis(1500));
    let run = remediate_with(dir.path(), &kill_only_config(dir.path(), &hb), &["check"]);
    assert!(
        run.stdout.contains("run 1 succeeded (kill ok)"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let history = remediate_with(dir.path(), &kill_only_config(dir.path(), &hb), &["history"]);
    assert!(
        history
            .stdout
            .contains(&format!("1. kill: ok, pid {pid} exited after SIGTERM")),
        "{}",
        history.stdout
    );
    assert!(!alive(pid as i32), "the hung worker is still there");
}

#[test]
fn a_pid_started_after_its_heartbeat_was_written_is_never_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = dir.path().join("worker.json");
    let stranger = KillOnDrop(Command::new("sleep").arg("300").spawn().expect("stranger"));
    let pid = stranger.0.id();
    // The worker wrote this ten minutes ago and died; its PID now belongs to a stranger.
    watchdog_heartbeat(&hb, pid, triage_heartbeat::now_unix() - 600.0);
    let run = remediate_with(dir.path(), &kill_only_config(dir.path(), &hb), &["check"]);
    assert!(
        run.stdout.contains("run 1 succeeded (kill ok)"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let history = remediate_with(dir.path(), &kill_only_config(dir.path(), &hb), &["history"]);
    assert!(
        history.stdout.contains(&format!(
            "1. kill: ok, nothing to kill: pid {pid} started 600s after its heartbeat was written"
        )),
        "{}",
        history.stdout
    );
    assert!(
        alive(pid as i32),
        "a process that is not the worker was killed"
    );
}

#[test]
fn off_ends_what_a_started_service_forked_out_of_its_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let escaped = dir.path().join("escaped.pid");
    let config = format!(
        "db_path = \"{db}\"\n[services.app]\n\
         check = {{ command = [\"/bin/sh\", \"-c\", \"exit 2\"] }}\n\
         commands = {{ start = \"setsid sleep 300 & echo $! > {escaped}; exec sleep 300\" }}\n",
        db = dir.path().join("state/remediate.db").display(),
        escaped = escaped.display()
    );
    let on = remediate_with(dir.path(), &config, &["on", "app"]);
    assert_eq!(on.code, 0, "{}{}", on.stdout, on.stderr);
    let status = remediate_with(dir.path(), &config, &["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    let service = doc["app"]["pid"].as_i64().expect("the started pid") as i32;
    assert!(
        doc["app"]["cgroup"]
            .as_str()
            .is_some_and(|c| c.contains("/triage.app.")),
        "the service got no cgroup of its own: {doc}"
    );
    let mut escapee = None;
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&escaped)
            && let Ok(pid) = text.trim().parse::<i32>()
        {
            escapee = Some(pid);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let escapee = escapee.expect("the service forked its escapee");
    let session = |pid: i32| triage_proc::read_stat(pid).map(|s| s.session).ok();
    assert_ne!(session(escapee), session(service), "it left the session");
    let off = remediate_with(dir.path(), &config, &["off", "app"]);
    assert_eq!(off.code, 0, "{}{}", off.stdout, off.stderr);
    for _ in 0..100 {
        if !alive(service) && !alive(escapee) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(service), "the service outlived off");
    assert!(
        !alive(escapee),
        "what it forked out of its session outlived off"
    );
}
