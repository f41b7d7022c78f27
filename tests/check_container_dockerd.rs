//! check_container against a real dockerd (Debian's docker.io) that the test starts on a
//! private socket and data root, with real containers in every state a check meets:
//! healthy, unhealthy, starting, exited 0 and 3, OOM-killed, restarting, paused, created
//! and a CPU-capped busy loop (`scripts/dockerd-sandbox` makes them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use triage_docker::{DockerClient, EngineAddress, EngineError};

use crate::support::{Run, bin, run_bounded};

/// A private dockerd, stopped (by its PID, with its containers) when dropped.
struct Sandbox {
    dir: tempfile::TempDir,
    host: String,
}

fn sandbox_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dockerd-sandbox")
}

impl Sandbox {
    /// Starts the daemon and the standard containers; fails (never skips) with the
    /// daemon's log when it cannot.
    fn start() -> Sandbox {
        // Short: containerd's sockets live under it and Unix socket paths are short.
        let dir = tempfile::Builder::new()
            .prefix("tdk")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let started = script(&["start"], dir.path(), Duration::from_secs(90));
        let sandbox = Sandbox {
            host: started.stdout.lines().last().unwrap_or("").to_owned(),
            dir,
        };
        assert!(
            started.code == 0 && sandbox.host.starts_with("unix://"),
            "dockerd did not start (install docker.io and busybox-static; .ci/run does):\n{}{}",
            started.stdout,
            started.stderr
        );
        let made = script(&["containers"], sandbox.dir.path(), Duration::from_secs(90));
        assert_eq!(
            made.code, 0,
            "the test containers were not created:\n{}{}",
            made.stdout, made.stderr
        );
        sandbox
    }

    fn check(&self, args: &[&str]) -> Run {
        let mut command = Command::new(bin("check_container"));
        command
            .args(args)
            .env("DOCKER_HOST", &self.host)
            .env_remove("DOCKER_API_VERSION");
        run_bounded(&mut command, Duration::from_secs(30))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let stopped = script(&["stop"], self.dir.path(), Duration::from_secs(90));
        if stopped.code != 0 {
            eprintln!(
                "dockerd-sandbox stop failed:\n{}{}",
                stopped.stdout, stopped.stderr
            );
        }
    }
}

fn script(verb: &[&str], dir: &Path, limit: Duration) -> Run {
    let mut command = Command::new(sandbox_script());
    command.args(verb).arg(dir);
    run_bounded(&mut command, limit)
}

/// The long-output line of `name`.
fn line<'a>(out: &'a Run, name: &str) -> &'a str {
    let prefix = format!("] {name}: ");
    out.stdout
        .lines()
        .find(|l| l.starts_with("\\_[") && l.contains(&prefix))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{}", out.stdout))
}

/// The value of perfdata `label` in `out`.
fn metric(out: &Run, label: &str) -> f64 {
    let key = format!(" {label}=");
    let text = format!(" {}", out.stdout.replace('\n', " "));
    let at = text
        .find(&key)
        .unwrap_or_else(|| panic!("no {label} in {}", out.stdout))
        + key.len();
    let value: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    value
        .parse()
        .unwrap_or_else(|_| panic!("{label} is not a number in {}", out.stdout))
}

#[test]
fn a_real_dockerd_in_every_container_state() {
    // Containers start and stop processes all the time: keep whole-system process counts
    // (the check_procs compat test) out of this window.
    let _quiet = crate::support::whole_system_lock();
    let sandbox = Sandbox::start();

    let out = sandbox.check(&["--label", "triage.test=1", "--restart-count-warning", "1"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.first_line().starts_with("CONTAINER CRITICAL: "),
        "{}",
        out.stdout
    );
    let expect = |name: &str, state: &str, words: &[&str]| {
        let text = line(&out, name);
        assert!(
            text.starts_with(&format!("\\_[{state}] {name}: ")),
            "{text}"
        );
        for word in words {
            assert!(text.contains(word), "{name}: expected '{word}' in: {text}");
        }
    };
    expect("t_healthy", "OK", &["running ", ", healthy"]);
    expect("t_plain", "OK", &["running "]);
    expect("t_starting", "OK", &["health starting (", " of 60s grace)"]);
    expect(
        "t_unhealthy",
        "CRITICAL",
        &["unhealthy, ", " failed probe", ": \"probe failed\""],
    );
    expect("t_exit0", "CRITICAL", &["exited 0 ", " ago"]);
    expect("t_exit3", "CRITICAL", &["exited 3 ", " ago"]);
    expect("t_oom", "CRITICAL", &["exited 137 ", ", OOM killed"]);
    expect("t_paused", "WARNING", &["paused"]);
    expect("t_created", "CRITICAL", &["created, never started"]);
    assert!(
        metric(&out, "t_restarting_restarts") >= 2.0,
        "{}",
        out.stdout
    );
    assert!(
        line(&out, "t_restarting").starts_with("\\_[WARNING] t_restarting: "),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("\\_[")).count(),
        11
    );

    // One-shot jobs, a stricter grace, the label filter.
    let out = sandbox.check(&["t_exit0", "t_exit3", "--allow-exited", "--expect-exit", "0"]);
    assert_eq!(out.code, 2);
    assert!(
        out.first_line()
            .starts_with("CONTAINER CRITICAL: 1 of 2 containers unhealthy: t_exit3 (exited 3 "),
        "{}",
        out.stdout
    );
    let out = sandbox.check(&["t_starting", "--start-grace", "0"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.first_line().contains(", health still starting after "),
        "{}",
        out.stdout
    );
    let out = sandbox.check(&["--label", "tier=web"]);
    assert!(
        out.first_line()
            .starts_with("CONTAINER CRITICAL: 1 of 2 containers unhealthy: t_unhealthy ("),
        "{}",
        out.stdout
    );

    // CPU and memory as docker stats shows them: the busy loop is capped at half a CPU.
    let out = sandbox.check(&["t_cpu", "--cpu-warning", "20", "--memory-critical", "1KB"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let cpu = metric(&out, "t_cpu_cpu");
    assert!(
        (30.0..=60.0).contains(&cpu),
        "cpu {cpu}% for a 0.5-CPU busy loop: {}",
        out.stdout
    );
    assert!(
        out.first_line().contains("% (limit 0.5 CPU), memory "),
        "{}",
        out.stdout
    );
    assert!(metric(&out, "t_cpu_mem") > 1024.0, "{}", out.stdout);

    // Restarts since the last check survive RestartCount's resets and are counted by us.
    let state = tempfile::tempdir().expect("state dir");
    let state_dir = state.path().to_str().expect("utf-8 path");
    let args = [
        "t_restarting",
        "--restarts-warning",
        "0",
        "--state-dir",
        state_dir,
    ];
    let first = sandbox.check(&args);
    assert!(
        !first.stdout.contains("since the last check"),
        "{}",
        first.stdout
    );
    std::thread::sleep(Duration::from_millis(2500));
    let second = sandbox.check(&args);
    assert_eq!(second.code, 1, "{}", second.stdout);
    assert!(
        second.first_line().contains(" since the last check)"),
        "{}",
        second.stdout
    );
    assert!(
        metric(&second, "t_restarting_new_restarts") >= 1.0,
        "{}",
        second.stdout
    );

    // A manual restart through the client (remediate's container_restart) resets the
    // engine's RestartCount; our count since the last check still sees it.
    let args = [
        "t_plain",
        "--restarts-warning",
        "0",
        "--state-dir",
        state_dir,
    ];
    assert_eq!(sandbox.check(&args).code, 0);
    let address = EngineAddress::parse(&sandbox.host).expect("address");
    let client = DockerClient::connect(address, Instant::now() + Duration::from_secs(30), None)
        .expect("connect");
    let before = client.inspect("t_plain").expect("inspect");
    client
        .restart("t_plain", Duration::from_secs(1))
        .expect("restart");
    let after = client.inspect("t_plain").expect("inspect");
    assert_ne!(before.state.started_at, after.state.started_at);
    assert_eq!(after.state.status, "running");
    let out = sandbox.check(&args);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.first_line()
            .contains("restarts 0 (1 since the last check)"),
        "{}",
        out.stdout
    );
    match client.restart("t_nonexistent", Duration::from_secs(1)) {
        Err(EngineError::NotFound { message }) => {
            assert_eq!(message, "No such container: t_nonexistent")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }

    // remediate's container_restart step, through the same client, on a failing check.
    let before = client.inspect("t_exit3").expect("inspect");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("remediate.toml");
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}\"\nconsecutive_failures = 1\n\n[services.job]\n\
             check = {{ container = [\"t_exit3\"] }}\n\
             recovery = [{{ action = \"container_restart\", container = \"t_exit3\", timeout = \"30s\" }}]\n",
            dir.path().join("remediate.db").display()
        ),
    )
    .expect("config");
    let mut remediate = Command::new(bin("remediate"));
    remediate
        .arg("-c")
        .arg(&config)
        .arg("check")
        .env("DOCKER_HOST", &sandbox.host);
    let out = run_bounded(&mut remediate, Duration::from_secs(60));
    assert!(
        out.stdout.starts_with("job: CRITICAL t_exit3: exited 3 "),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout
            .contains(": run 1 succeeded (container_restart t_exit3 ok)"),
        "{}",
        out.stdout
    );
    let after = client.inspect("t_exit3").expect("inspect");
    assert_ne!(before.state.started_at, after.state.started_at);

    // JSON for scripts: one object per container, with its aspects.
    let out = sandbox.check(&["t_oom", "t_healthy", "--output-format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(doc["state"], "CRITICAL");
    let oom = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "t_oom")
        .expect("t_oom");
    assert!(
        oom["checks"]
            .as_array()
            .expect("aspects")
            .iter()
            .any(|a| a["name"] == "oom" && a["state"] == "CRITICAL")
    );
}
