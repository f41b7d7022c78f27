//! check_container against a fake engine replaying answers recorded from real Docker
//! 20.10 and Podman 4.3.1 daemons, plus broken engines. The real-daemon suite is in
//! `check_container_dockerd`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::fake_engine::{FakeEngine, Framing, Reply};
use crate::support::{Run, bin, run_bounded};

const DOCKER: &str = "docker-20.10.24";
const PODMAN: &str = "podman-4.3.1-compat";

/// The recorded containers: (id, inspect fixture).
const DOCKER_CONTAINERS: [(&str, &str); 10] = [
    (
        "a0488851ed3a799c6fe1f78e6763cd690f97c1f0898580ecb563dc03e1eb50c6",
        "inspect_c_cpu",
    ),
    (
        "a63808bb93a8f980f5e324ef6227b2ecd1dabed5c6d938eef230ddc63cea5d45",
        "inspect_c_created",
    ),
    (
        "f916bdcb743c657966d7a8aea20a453456943468d45767fcaf45c121f670baed",
        "inspect_c_paused",
    ),
    (
        "1a4be655c7524d648453bb8773b469b3ea7d4b27b93645269ad76821eda69874",
        "inspect_c_oom",
    ),
    (
        "b993f95b9794e4a998a7b2a093e525eee0769082ae14fccdbb4b054caae91f15",
        "inspect_c_restarting",
    ),
    (
        "a8ebb797225a152c6d9e77a4edfb7c0508db641a0742e878aa21f9bfd5e60e1e",
        "inspect_c_exited",
    ),
    (
        "25aeba040f08aadfe6ebd2fc06c61fc35c1d0d1a1d2ae6ea20b665d4ce508892",
        "inspect_c_starting",
    ),
    (
        "2c8ff03ab3098ca1efdfc820ef44bffb7ebffd8447155d8128dd8fb0b201ec0c",
        "inspect_c_unhealthy",
    ),
    (
        "82117c07cd6863ba1f0a8f6a7886ebec5919d8c7e03c2ad3144868dab1c236d7",
        "inspect_c_healthy",
    ),
    (
        "1476da2c548df584d2d8f8105f713559616ab8295e5afaf27867a3d9c7ab746d",
        "inspect_c_plain",
    ),
];

const PODMAN_CONTAINERS: [(&str, &str); 6] = [
    (
        "050bbfed8bd9eeea6ad530523d1fbe133b3398b0527a4e62298522cfbb13d6b2",
        "inspect_p_oom",
    ),
    (
        "3d0bb35b1234a31eb58e39e9d06772b6576f230fe8f052e369ef29258ac8a786",
        "inspect_p_u",
    ),
    (
        "4bea9bc26bd84fb23d2fcf8b1c2d3da71252c409752644e64a054835d47647fd",
        "inspect_p_h",
    ),
    (
        "820d81a077d4d99536f25aed39d47ae752e188bcd13ddb62d7c1d876e29807fc",
        "inspect_p_rs",
    ),
    (
        "bf12e4ed569fc5810e2ec79e1fba683d651ef25e5ffe12f2bb0a8dfbbcdc4a00",
        "inspect_p_exit",
    ),
    (
        "f38ce46c784cc4c179be2a0e3ba3cb2c59ecfa81960df9b92c2ca4109c013f79",
        "inspect_p_cpu",
    ),
];

/// A fake engine serving one recorded set, with any `extra` routes.
fn recorded_engine(dir: &Path, set: &str, extra: Vec<(String, Reply)>) -> FakeEngine {
    let containers: &[(&str, &str)] = if set == DOCKER {
        &DOCKER_CONTAINERS
    } else {
        &PODMAN_CONTAINERS
    };
    FakeEngine::recorded(&dir.join("engine.sock"), set, containers, extra)
}

fn check(engine: &FakeEngine, args: &[&str]) -> Run {
    let mut command = Command::new(bin("check_container"));
    command
        .args(args)
        .env("DOCKER_HOST", engine.host())
        .env_remove("DOCKER_API_VERSION");
    run_bounded(&mut command, Duration::from_secs(20))
}

fn check_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(bin("check_container"));
    command
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_API_VERSION");
    for (key, value) in env {
        command.env(key, value);
    }
    run_bounded(&mut command, Duration::from_secs(20))
}

#[test]
fn every_recorded_docker_state_is_judged_and_the_worst_named_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = recorded_engine(dir.path(), DOCKER, Vec::new());
    let out = check(&engine, &["--all"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let first = out.first_line();
    assert!(
        first.starts_with("CONTAINER CRITICAL: 6 of 10 containers unhealthy: c_created (created, never started), c_oom (exited 137 "),
        "{first}"
    );
    assert!(
        first.contains(" ago, OOM killed), c_exited (exited 3 "),
        "{first}"
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    // Problems first: CRITICAL, then WARNING, then OK; one line per container.
    let states: Vec<&str> = lines[1..11]
        .iter()
        .map(|l| l.split(']').next().unwrap_or(""))
        .collect();
    assert_eq!(
        states,
        [
            "\\_[CRITICAL",
            "\\_[CRITICAL",
            "\\_[CRITICAL",
            "\\_[CRITICAL",
            "\\_[WARNING",
            "\\_[WARNING",
            "\\_[OK",
            "\\_[OK",
            "\\_[OK",
            "\\_[OK"
        ]
    );
    assert!(
        out.stdout.contains("\\_[CRITICAL] c_unhealthy: running "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(", unhealthy, 34 failed probes\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\_[WARNING] c_paused: paused\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\_[OK] c_restarting: running "),
        "{}",
        out.stdout
    );
    let perfdata = lines.last().expect("perfdata line");
    assert!(perfdata.starts_with("| "), "{perfdata}");
    assert!(
        perfdata.contains(" c_restarting_restarts=8;;;0; "),
        "{perfdata}"
    );
    assert!(
        perfdata.contains(" c_unhealthy_failing_streak=34;;;0; "),
        "{perfdata}"
    );
    // The version came from the ping, and every later request used it.
    let requests = engine.requests();
    assert_eq!(requests[0], "GET /_ping");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.starts_with("GET /v1.41/containers/")),
        "{requests:?}"
    );
    assert_eq!(
        requests.len(),
        12,
        "one list and one inspect each: {requests:?}"
    );
}

#[test]
fn one_named_container_is_one_line_with_its_perfdata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = recorded_engine(dir.path(), DOCKER, Vec::new());
    let out = check(&engine, &["c_healthy"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with("CONTAINER OK: c_healthy: running "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(", healthy | c_healthy_failing_streak=0;;;0; c_healthy_up="),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("s;;;0; c_healthy_restarts=0;;;0;\n"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().count(), 1);
    // Only that container was inspected, by id.
    assert_eq!(
        engine.requests().last().map(String::as_str),
        Some(
            "GET /v1.41/containers/82117c07cd6863ba1f0a8f6a7886ebec5919d8c7e03c2ad3144868dab1c236d7/json"
        )
    );
}

#[test]
fn selectors_names_ids_patterns_labels_and_exclusions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = recorded_engine(dir.path(), DOCKER, Vec::new());
    // An id prefix selects; a missing name is CRITICAL by default, --missing-state changes it.
    let out = check(&engine, &["82117c07", "nosuch"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.first_line(),
        "CONTAINER CRITICAL: 1 of 2 containers unhealthy: nosuch (no such container)"
    );
    let out = check(
        &engine,
        &["c_healthy", "nosuch", "--missing-state", "warning"],
    );
    assert_eq!(out.code, 1);
    // Names are never prefixes: "c_health" is not "c_healthy".
    let out = check(&engine, &["c_health"]);
    assert_eq!(
        out.first_line(),
        "CONTAINER CRITICAL: c_health: no such container"
    );
    // --name is anchored; --exclude removes.
    let out = check(&engine, &["--name", "c_(healthy|plain)"]);
    assert_eq!(out.first_line(), "CONTAINER OK: all 2 containers OK");
    let out = check(
        &engine,
        &[
            "--name",
            "c_.*",
            "--exclude",
            "c_(created|oom|exited|unhealthy|paused|starting)",
        ],
    );
    assert_eq!(out.first_line(), "CONTAINER OK: all 4 containers OK");
    let out = check(&engine, &["--name", "web.*"]);
    assert_eq!(
        out.first_line(),
        "CONTAINER CRITICAL: --name 'web.*': no container matches"
    );
    // The recorded containers have no labels.
    let out = check(&engine, &["--label", "tier=web"]);
    assert_eq!(
        out.first_line(),
        "CONTAINER CRITICAL: --label 'tier=web': no container matches"
    );
}

#[test]
fn one_shot_jobs_and_expected_statuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = recorded_engine(dir.path(), DOCKER, Vec::new());
    let out = check(
        &engine,
        &["c_exited", "--allow-exited", "--expect-exit", "0,3"],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.first_line()
            .starts_with("CONTAINER OK: c_exited: exited 3 "),
        "{}",
        out.stdout
    );
    let out = check(&engine, &["c_exited", "--allow-exited"]);
    assert_eq!(out.code, 2);
    assert!(
        out.first_line()
            .split(" |")
            .next()
            .is_some_and(|text| text.ends_with(" ago (expected exit 0)")),
        "{}",
        out.stdout
    );
    let out = check(&engine, &["c_paused", "--expect-status", "running,paused"]);
    assert_eq!(
        out.first_line().split(" |").next(),
        Some("CONTAINER OK: c_paused: paused")
    );
}

#[test]
fn docker_stats_give_cpu_as_docker_stats_shows_it_and_memory_without_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = DOCKER_CONTAINERS[0].0;
    let engine = recorded_engine(
        dir.path(),
        DOCKER,
        vec![(
            format!("GET /containers/{id}/stats?stream=false"),
            Reply::recorded(&format!("{DOCKER}/stats_c_cpu.http")),
        )],
    );
    let out = check(
        &engine,
        &["c_cpu", "--cpu-warning", "40", "--memory-critical", "90%"],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.first_line()
            .contains(", cpu 50.2% (limit 0.5 CPU), memory "),
        "{}",
        out.stdout
    );
    assert!(
        out.first_line().contains(" c_cpu_cpu=50.25%;40;;0;50 "),
        "{}",
        out.stdout
    );
}

#[test]
fn podman_is_recognised_and_its_cpu_comes_from_two_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = PODMAN_CONTAINERS[5].0;
    let engine = recorded_engine(
        dir.path(),
        PODMAN,
        vec![
            (
                format!("GET /containers/{id}/stats?stream=false"),
                Reply::recorded(&format!("{PODMAN}/stats_p_cpu.http")),
            ),
            (
                format!("GET /containers/{id}/stats?stream=false&one-shot=true"),
                Reply::recorded(&format!("{PODMAN}/stats_p_cpu_oneshot.http")),
            ),
        ],
    );
    let out = check(&engine, &["--all", "-v"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("\\_[OK] engine: Podman 4.3.1, API 1.41, unix://"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\_[CRITICAL] p_u: running "),
        "{}",
        out.stdout
    );
    // Podman never sets OOMKilled: exit 137 is explained at -v, not called an OOM kill.
    assert!(
        out.stdout.contains("\\_[CRITICAL] p_oom: exited 137 "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\\_[OK] exit 137 is SIGKILL: an OOM kill or a stop timeout (Podman does not report OOM kills)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("OOM killed"), "{}", out.stdout);
    let out = check(&engine, &["p_cpu", "--stats"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.first_line().contains(", cpu "), "{}", out.stdout);
    assert!(out.first_line().contains(" p_cpu_cpu="), "{}", out.stdout);
}

#[test]
fn a_tcp_engine_on_loopback_is_asked_the_same_way() {
    let id = DOCKER_CONTAINERS[8].0;
    let engine = FakeEngine::start_tcp(vec![
        (
            "GET /_ping",
            Reply::recorded(&format!("{DOCKER}/ping.http")),
        ),
        (
            "GET /containers/json",
            Reply::recorded_framed(
                &format!("{DOCKER}/containers_json_all.http"),
                Framing::Chunked(333),
            ),
        ),
        (
            &format!("GET /containers/{id}/json"),
            Reply::recorded(&format!("{DOCKER}/inspect_c_healthy.http")),
        ),
    ]);
    let out = check_env(&["--host", &engine.host(), "c_healthy"], &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("CONTAINER OK: c_healthy: running "),
        "{}",
        out.stdout
    );
    assert!(engine.host().starts_with("tcp://127.0.0.1:"));
}

#[test]
fn engines_that_cannot_be_used_are_unknown_with_the_reason() {
    let out = check_env(
        &["web"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "CONTAINER UNKNOWN: cannot connect to unix:///nonexistent/docker.sock: no such socket \
         (is the Docker or Podman service running?)\n"
    );
    let out = check_env(&["web", "--host", "ssh://me@host"], &[]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("'ssh' is not supported"),
        "{}",
        out.stdout
    );
    let out = check_env(
        &["web"],
        &[
            ("DOCKER_HOST", "unix:///x.sock"),
            ("DOCKER_API_VERSION", "new"),
        ],
    );
    assert_eq!(
        out.stdout,
        "CONTAINER UNKNOWN: bad API version 'new': expected MAJOR.MINOR such as 1.41\n"
    );
    // A refused TCP port (bound, then closed) on loopback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = check_env(&["web", "--host", &format!("tcp://127.0.0.1:{port}")], &[]);
    assert_eq!(
        out.stdout,
        format!(
            "CONTAINER UNKNOWN: cannot connect to tcp://127.0.0.1:{port}: connection refused\n"
        )
    );
}

#[test]
fn a_socket_the_user_may_not_open_says_to_join_the_docker_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = recorded_engine(dir.path(), DOCKER, Vec::new());
    // The temp dir must be traversable by nobody; the socket itself stays root-only.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod dir");
    std::fs::set_permissions(
        &engine.socket,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod socket");
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bin("check_container"))
        .args(["--host", &engine.host(), "c_healthy"]);
    let out = run_bounded(&mut command, Duration::from_secs(20));
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "CONTAINER UNKNOWN: cannot connect to {}: permission denied (is this user in the docker group?)\n",
            engine.host()
        )
    );
}

#[test]
fn daemon_errors_are_quoted_and_version_refusals_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("old.sock");
    let engine = FakeEngine::start(
        &socket,
        vec![
            ("GET /_ping", Reply::ping("1.41")),
            (
                "*",
                Reply::recorded(&format!("{DOCKER}/error_400_too_old_textplain.http")),
            ),
        ],
    );
    let out = check(&engine, &["web", "--api-version", "1.11"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "CONTAINER UNKNOWN: client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade \
         your client to a newer version (set --api-version or DOCKER_API_VERSION to one it supports)\n"
    );
    assert_eq!(engine.requests()[1], "GET /v1.11/containers/json?all=1");
    drop(engine);
    let engine = FakeEngine::start(
        &dir.path().join("new.sock"),
        vec![
            ("GET /_ping", Reply::ping("1.41")),
            (
                "*",
                Reply::recorded(&format!("{DOCKER}/error_400_too_new_json.http")),
            ),
        ],
    );
    let out = check(&engine, &["web", "--api-version", "1.99"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "CONTAINER UNKNOWN: client version 1.99 is too new. Maximum supported API version is 1.41 \
         (set --api-version or DOCKER_API_VERSION to one it supports)\n"
    );
    drop(engine);
    // A container removed between the list and its inspect.
    let engine = FakeEngine::start(
        &dir.path().join("gone.sock"),
        vec![
            ("GET /_ping", Reply::ping("1.52")),
            (
                "GET /containers/json",
                Reply::json(
                    200,
                    r#"[{"Id":"abcdef","Names":["/gone"],"State":"running"}]"#,
                ),
            ),
            (
                "GET /containers/abcdef/json",
                Reply::recorded(&format!("{DOCKER}/error_404_no_such_container.http")),
            ),
        ],
    );
    let out = check(&engine, &["gone"]);
    assert_eq!(
        out.stdout,
        "CONTAINER UNKNOWN: gone: cannot inspect: removed while being checked\n"
    );
    // Our newest version, not the daemon's newer one.
    assert_eq!(engine.requests()[1], "GET /v1.47/containers/json?all=1");
}

#[test]
fn broken_and_hostile_engines_end_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = FakeEngine::start(
        &dir.path().join("g.sock"),
        vec![("*", Reply::Raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()))],
    );
    let out = check(&garbage, &["web"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "CONTAINER UNKNOWN: {}: GET /_ping: not an HTTP answer: 'SSH-2.0-OpenSSH_9.2'\n",
            garbage.host()
        )
    );
    // A truncated JSON list.
    let truncated = FakeEngine::start(
        &dir.path().join("t.sock"),
        vec![
            ("GET /_ping", Reply::ping("1.41")),
            ("GET /containers/json", Reply::json(200, r#"[{"Id":"ab"#)),
        ],
    );
    let out = check(&truncated, &["web"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.starts_with("CONTAINER UNKNOWN: GET /containers/json: the answer is not the JSON expected: EOF while parsing"),
        "{}",
        out.stdout
    );
    // A list far larger than any real one.
    let huge = format!("[{}]", vec![r#"{"Id":"x"}"#; 4_000_000].join(","));
    let flood = FakeEngine::start(
        &dir.path().join("f.sock"),
        vec![
            ("GET /_ping", Reply::ping("1.41")),
            ("GET /containers/json", Reply::json(200, &huge)),
        ],
    );
    let out = check(&flood, &["web"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "CONTAINER UNKNOWN: {}: GET /v1.41/containers/json: the answer is larger than 33554432 bytes\n",
            flood.host()
        )
    );
    // An engine that accepts and never answers: the deadline ends the run with the
    // timeout state the user chose.
    let silent = FakeEngine::start(&dir.path().join("s.sock"), vec![("*", Reply::Silence)]);
    let out = check(&silent, &["web", "-t", "1"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (2, "CONTAINER CRITICAL: timed out after 1 seconds\n")
    );
    let out = check(&silent, &["web", "-t", "1:unknown"]);
    assert_eq!(out.code, 3);
}

#[test]
fn usage_errors_are_one_line_and_unknown() {
    let cases: [(&[&str], &str); 6] = [
        (
            &[],
            "CONTAINER UNKNOWN: name a container, or select with --all, --label or --name (see check_container --help)\n",
        ),
        (
            &["--name", "("],
            "check_container: --name: '(' is not a valid extended regex: Unmatched ( or \\(\n",
        ),
        (
            &["web", "--memory-warning", "90x"],
            "check_container: --memory-warning: '90x' is not a valid range: not a number",
        ),
        (
            &["web", "--expect-status", "up"],
            "check_container: --expect-status: 'up' is not a container status",
        ),
        (
            &["web", "--uptime-warning", "5x:"],
            "check_container: --uptime-warning: '5x:' is not a valid range",
        ),
        (
            &["web", "--expect-exit", "0"],
            "check_container: the following required arguments were not provided: --allow-exited",
        ),
    ];
    for (args, expected) in cases {
        let out = check_env(args, &[("DOCKER_HOST", "unix:///nonexistent.sock")]);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stdout);
        assert!(out.stdout.starts_with(expected), "{args:?}: {}", out.stdout);
    }
}
