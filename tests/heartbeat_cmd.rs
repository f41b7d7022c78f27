//! The `heartbeat` writer: beat, run (with a real child), stop, and its refusals.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{bin, check, run, run_bounded};

fn read(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read heartbeat")).expect("valid JSON")
}

#[test]
fn beat_writes_identity_of_the_caller_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("job.json");
    let file_arg = file.to_str().expect("utf8");
    let out = run(
        &bin("heartbeat"),
        &[
            "beat",
            "-f",
            file_arg,
            "--increment",
            "--interval",
            "30s",
            "-m",
            "started",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let hb = read(&file);
    assert_eq!(hb["process_key"], "job");
    // The caller is this test process: `heartbeat beat` vouches for its parent.
    assert_eq!(hb["pid"], std::process::id());
    assert_eq!(hb["iteration"], 1);
    assert_eq!(hb["interval_s"], 30.0);
    assert_eq!(hb["status"], "running");
    assert_eq!(hb["message"], "started");
    assert_eq!(hb["boot_id"], triage_proc::boot_id().expect("boot id"));
    assert_eq!(
        hb["pid_start_ticks"],
        triage_proc::read_stat(std::process::id() as i32)
            .expect("stat")
            .start_ticks
    );
    run(
        &bin("heartbeat"),
        &["beat", "-f", file_arg, "--increment", "--key", "nightly"],
    );
    let hb = read(&file);
    assert_eq!(
        (hb["iteration"].as_u64(), hb["process_key"].as_str()),
        (Some(2), Some("nightly"))
    );
    let out = check(&["-f", file_arg]);
    assert_eq!(out.code, 0, "{out:?}");
    run(
        &bin("heartbeat"),
        &[
            "beat", "-f", file_arg, "--no-pid", "--status", "degraded", "-i", "40",
        ],
    );
    let hb = read(&file);
    assert!(hb.get("pid").is_none());
    assert_eq!(hb["iteration"], 40);
    assert_eq!(check(&["-f", file_arg]).code, 1);
}

#[test]
fn run_beats_with_the_childs_pid_and_passes_its_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("worker.json");
    let file_arg = file.to_str().expect("utf8");
    let mut wrapper = Command::new(bin("heartbeat"))
        .args([
            "run",
            "-f",
            file_arg,
            "--interval",
            "0.2s",
            "--",
            "sh",
            "-c",
            "sleep 1; exit 3",
        ])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let first = read(&file);
    let child_pid = first["pid"].as_i64().expect("pid");
    assert_ne!(
        child_pid,
        i64::from(wrapper.id()),
        "the heartbeat names the child, not the wrapper"
    );
    assert_eq!(first["status"], "running");
    assert_eq!(check(&["-f", file_arg]).code, 0);
    std::thread::sleep(Duration::from_millis(500));
    let later = read(&file);
    assert!(
        later["timestamp"].as_str() > first["timestamp"].as_str(),
        "still beating while the child runs: {first} then {later}"
    );
    let status = wrapper.wait().expect("wait");
    assert_eq!(status.code(), Some(3));
    let last = read(&file);
    assert_eq!(last["status"], "failed");
    assert_eq!(last["exit_code"], 3);
    assert_eq!(last["message"], "exited with code 3");
    let out = check(&["-f", file_arg]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.first_line(),
        "HEARTBEAT CRITICAL: worker reports status 'failed', exit code 3: exited with code 3 | age=0s;0.4;0.6;0;"
    );
}

#[test]
fn run_forwards_sigterm_to_the_child_and_records_a_clean_stop() {
    forwards(libc::SIGTERM, "SIGTERM");
}

#[test]
fn run_forwards_sigint_to_the_child_and_records_a_clean_stop() {
    forwards(libc::SIGINT, "SIGINT");
}

fn forwards(signal: i32, name: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("svc.json");
    let file_arg = file.to_str().expect("utf8");
    let mut wrapper = Command::new(bin("heartbeat"))
        .args(["run", "-f", file_arg, "--", "sleep", "300"])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let child_pid = read(&file)["pid"].as_i64().expect("pid") as i32;
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(wrapper.id() as i32, signal) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = wrapper.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "wrapper did not stop"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(128 + signal));
    assert_eq!(
        triage_proc::liveness(i64::from(child_pid)).expect("kill"),
        triage_proc::Liveness::Gone
    );
    let last = read(&file);
    assert_eq!(last["status"], "stopped");
    assert_eq!(
        last["message"],
        format!("stopped by {name}; killed by signal {signal} ({name})")
    );
    assert_eq!(check(&["-f", file_arg, "--allow-stopped"]).code, 0);
}

#[test]
fn run_of_a_missing_command_exits_127_and_says_so_in_the_heartbeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("x.json");
    let out = run(
        &bin("heartbeat"),
        &[
            "run",
            "-f",
            file.to_str().expect("utf8"),
            "--",
            "/nonexistent/cmd",
        ],
    );
    assert_eq!(out.code, 127);
    assert_eq!(
        out.stderr,
        "heartbeat: cannot start /nonexistent/cmd: No such file or directory\n"
    );
    let hb = read(&file);
    assert_eq!(hb["status"], "failed");
    assert_eq!(
        hb["message"],
        "cannot start /nonexistent/cmd: No such file or directory"
    );
}

#[test]
fn arguments_from_the_heartbeat_never_reach_a_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.json");
    let marker = dir.path().join("pwned");
    let out = run(
        &bin("heartbeat"),
        &[
            "run",
            "-f",
            file.to_str().expect("utf8"),
            "--",
            "echo",
            &format!("; touch {}", marker.display()),
        ],
    );
    assert_eq!(out.code, 0);
    assert!(!marker.exists());
}

#[test]
fn stop_marks_a_clean_stop_or_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.json");
    let file_arg = file.to_str().expect("utf8");
    run(&bin("heartbeat"), &["beat", "-f", file_arg, "-i", "5"]);
    let out = run(
        &bin("heartbeat"),
        &["stop", "-f", file_arg, "-m", "maintenance"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let hb = read(&file);
    assert_eq!(
        (hb["status"].as_str(), hb["iteration"].as_u64()),
        (Some("stopped"), Some(5))
    );
    assert_eq!(hb["message"], "maintenance");
    assert_eq!(check(&["-f", file_arg]).code, 2);
    assert_eq!(check(&["-f", file_arg, "--allow-stopped"]).code, 0);
    assert_eq!(
        run(&bin("heartbeat"), &["stop", "-f", file_arg, "--remove"]).code,
        0
    );
    assert!(!file.exists());
    assert_eq!(
        run(&bin("heartbeat"), &["stop", "-f", file_arg, "--remove"]).code,
        0
    );
}

#[test]
fn writer_errors_and_bad_arguments_are_clear() {
    let out = run(
        &bin("heartbeat"),
        &["beat", "-f", "/nonexistent/dir/hb.json"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "heartbeat: cannot write /nonexistent/dir/hb.json: No such file or directory\n"
    );
    let out = run(
        &bin("heartbeat"),
        &["beat", "-f", "/tmp/x.json", "--pid", "0"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("heartbeat: --pid: 0 is not in 1..="),
        "{out:?}"
    );
    let out = run(
        &bin("heartbeat"),
        &["run", "-f", "/tmp/x.json", "--interval", "0", "--", "true"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("heartbeat: --interval: '0' is not an interval"),
        "{out:?}"
    );
    let out = run_bounded(
        Command::new(bin("heartbeat")).arg("--version"),
        Duration::from_secs(10),
    );
    assert_eq!(
        out.stdout,
        format!("heartbeat v{0} (triage {0})\n", env!("CARGO_PKG_VERSION"))
    );
}
