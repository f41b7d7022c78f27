use clap::Parser;
use triage_docker::ContainerInspect;

use super::*;

/// 2026-11-22T12:45:00Z: a few minutes after the last recording was made.
const NOW: f64 = 1_795_351_500.0;

fn inspect(name: &str) -> ContainerInspect {
    let path = format!(
        "{}/../../../shared/fixtures/docker-api/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let raw = std::fs::read_to_string(&path)
        .expect("fixture")
        .replace("\r\n", "\n");
    let body = raw.split_once("\n\n").expect("head and body").1;
    serde_json::from_str(body).expect("inspect json")
}

fn policy(argv: &[&str]) -> Policy {
    let args = Args::try_parse_from([&["check_container", "--all"], argv].concat()).expect("args");
    Policy::from_args(&args)
}

fn run(podman: bool) -> RunFacts {
    RunFacts {
        now: NOW,
        engine: "test".into(),
        podman,
    }
}

fn verdict_with(
    name: &str,
    argv: &[&str],
    restarts: RestartHistory,
    usage: Option<Usage>,
) -> Verdict {
    let inspect = inspect(name);
    let facts = ContainerFacts {
        name: inspect.plain_name().to_owned(),
        inspect: Ok(inspect),
        restarts,
        usage: usage.map(Ok),
    };
    judge(&facts, &run(name.starts_with("podman")), &policy(argv))
}

fn verdict(name: &str, argv: &[&str]) -> Verdict {
    verdict_with(name, argv, RestartHistory::NotTracked, None)
}

fn summary(v: &Verdict) -> (State, String) {
    (v.state, v.line())
}

const DOCKER: &str = "docker-20.10.24";

#[test]
fn each_recorded_docker_state_reads_as_an_operator_expects() {
    let cases: [(&str, State, &str); 10] = [
        ("inspect_c_healthy", State::Ok, "running 961s, healthy"),
        ("inspect_c_plain", State::Ok, "running 977s"),
        (
            "inspect_c_starting",
            State::Warning,
            "running 961s, health still starting after 961s (grace 60s)",
        ),
        (
            "inspect_c_unhealthy",
            State::Critical,
            "running 961s, unhealthy, 34 failed probes",
        ),
        ("inspect_c_exited", State::Critical, "exited 3 961s ago"),
        (
            "inspect_c_oom",
            State::Critical,
            "exited 137 961s ago, OOM killed",
        ),
        (
            "inspect_c_created",
            State::Critical,
            "created, never started",
        ),
        ("inspect_c_paused", State::Warning, "paused"),
        (
            "inspect_c_restarting",
            State::Ok,
            "running 925s, restarts 8",
        ),
        // A stopped container reads "unhealthy"; health is not judged when not running.
        (
            "inspect_stopped_had_healthcheck",
            State::Critical,
            "exited 137 188s ago",
        ),
    ];
    for (name, state, line) in cases {
        let v = verdict(&format!("{DOCKER}/{name}.http"), &[]);
        assert_eq!(summary(&v), (state, line.to_owned()), "{name}");
    }
}

#[test]
fn podman_states_read_the_same_and_exit_137_is_explained_not_guessed() {
    let cases: [(&str, State, &str); 5] = [
        ("inspect_p_h", State::Ok, "running 769s, healthy"),
        (
            "inspect_p_u",
            State::Critical,
            "running 757s, unhealthy, 2 failed probes",
        ),
        // Podman's empty Health.Status means no healthcheck.
        ("inspect_p_cpu", State::Ok, "running 757s"),
        ("inspect_p_oom", State::Critical, "exited 137 757s ago"),
        (
            "inspect_p_rs",
            State::Critical,
            "exited 2 757s ago, restarts 3",
        ),
    ];
    for (name, state, line) in cases {
        let v = verdict(&format!("podman-4.3.1-compat/{name}.http"), &[]);
        assert_eq!(summary(&v), (state, line.to_owned()), "{name}");
    }
    let oom = verdict("podman-4.3.1-compat/inspect_p_oom.http", &[]);
    let note = oom
        .aspects
        .iter()
        .find(|a| a.verbose_only && a.text.contains("137"))
        .expect("note");
    assert_eq!(
        note.text,
        "exit 137 is SIGKILL: an OOM kill or a stop timeout (Podman does not report OOM kills)"
    );
}

#[test]
fn one_shot_jobs_pass_with_an_allowed_exit_code_only() {
    let exited = format!("{DOCKER}/inspect_c_exited.http");
    let allowed = verdict(&exited, &["--allow-exited", "--expect-exit", "0,3"]);
    assert_eq!(summary(&allowed), (State::Ok, "exited 3 961s ago".into()));
    let refused = verdict(&exited, &["--allow-exited"]);
    assert_eq!(
        summary(&refused),
        (
            State::Critical,
            "exited 3 961s ago (expected exit 0)".into()
        )
    );
    // OOM stays critical whatever the exit code list says.
    let oom = verdict(
        &format!("{DOCKER}/inspect_c_oom.http"),
        &["--allow-exited", "--expect-exit", "137"],
    );
    assert_eq!(oom.state, State::Critical);
    assert_eq!(oom.problems(), "OOM killed");
    // --expect-status widens what is OK.
    let paused = verdict(
        &format!("{DOCKER}/inspect_c_paused.http"),
        &["--expect-status", "running,paused"],
    );
    assert_eq!(paused.state, State::Ok);
}

#[test]
fn health_grace_no_health_and_the_last_failed_probe() {
    let starting = format!("{DOCKER}/inspect_c_starting.http");
    assert_eq!(
        verdict(&starting, &["--start-grace", "20m"]).state,
        State::Ok
    );
    assert_eq!(
        verdict(&starting, &["--start-grace", "20m"]).line(),
        "running 961s, health starting (961s of 20m00s grace)"
    );
    let unhealthy = format!("{DOCKER}/inspect_c_unhealthy.http");
    assert_eq!(
        summary(&verdict(&unhealthy, &["--no-health"])),
        (State::Ok, "running 961s".into())
    );
    // A probe that printed something is quoted, flattened to one line and bounded.
    let mut inspect = inspect(&unhealthy);
    let health = inspect.state.health.as_mut().expect("health");
    health.log.last_mut().expect("probe").output =
        "curl: (7) Failed to connect\nto port 80 | x".into();
    health.failing_streak = 1;
    let facts = ContainerFacts {
        name: "api".into(),
        inspect: Ok(inspect),
        restarts: RestartHistory::NotTracked,
        usage: None,
    };
    let v = judge(&facts, &run(false), &policy(&[]));
    assert_eq!(
        v.problems(),
        "unhealthy, 1 failed probe: \"curl: (7) Failed to connect to port 80 | x\""
    );
}

#[test]
fn restarts_are_judged_on_the_engine_count_and_since_the_last_check() {
    let restarting = format!("{DOCKER}/inspect_c_restarting.http");
    let v = verdict(
        &restarting,
        &[
            "--restart-count-warning",
            "5",
            "--restart-count-critical",
            "10",
        ],
    );
    assert_eq!(
        summary(&v),
        (State::Warning, "running 925s, restarts 8".into())
    );
    let since = RestartHistory::Since {
        restarts: 4,
        recreated: false,
    };
    let v = verdict_with(
        &restarting,
        &["--restarts-warning", "0", "--restarts-critical", "3"],
        since,
        None,
    );
    assert_eq!(
        summary(&v),
        (
            State::Critical,
            "running 925s, restarts 8 (4 since the last check)".into()
        )
    );
    assert!(
        v.perfdata
            .iter()
            .any(|p| p.to_string() == "c_restarting_new_restarts=4;0;3;0;")
    );
    let recreated = RestartHistory::Since {
        restarts: 1,
        recreated: true,
    };
    let v = verdict_with(
        &format!("{DOCKER}/inspect_c_plain.http"),
        &["--restarts-warning", "0"],
        recreated,
        None,
    );
    assert_eq!(
        summary(&v),
        (
            State::Warning,
            "running 977s, restarts 0 (1 since the last check, re-created)".into()
        )
    );
}

#[test]
fn uptime_ranges_say_which_way_they_failed() {
    let plain = format!("{DOCKER}/inspect_c_plain.http");
    let young = verdict(&plain, &["--uptime-warning", "30m:"]);
    assert_eq!(
        summary(&young),
        (
            State::Warning,
            "running 977s, up only 977s, less than 30m00s".into()
        )
    );
    let old = verdict(&plain, &["--uptime-critical", "~:10m"]);
    assert_eq!(old.state, State::Critical);
    assert_eq!(old.problems(), "up 977s, more than 600s");
    assert!(
        old.perfdata
            .iter()
            .any(|p| p.to_string() == "c_plain_up=977s;;~:600;0;")
    );
    // Exited one-shot jobs are not judged on uptime.
    let job = verdict(
        &format!("{DOCKER}/inspect_c_exited.http"),
        &[
            "--allow-exited",
            "--expect-exit",
            "3",
            "--uptime-warning",
            "1h:",
        ],
    );
    assert_eq!(job.state, State::Ok);
}

#[test]
fn cpu_and_memory_are_judged_against_their_ranges_with_limits_in_perfdata() {
    let usage = Usage {
        cpu_percent: Some(50.245),
        memory: Some(triage_docker::MemoryUse {
            used: 400 * 1024 * 1024,
            limit: 512 * 1024 * 1024,
        }),
        online_cpus: Some(2),
    };
    let cpu = format!("{DOCKER}/inspect_c_cpu.http");
    let v = verdict_with(
        &cpu,
        &["--cpu-warning", "40", "--memory-critical", "75%"],
        RestartHistory::NotTracked,
        Some(usage),
    );
    assert_eq!(v.state, State::Critical);
    assert_eq!(
        v.problems(),
        "cpu 50.2% (limit 0.5 CPU), memory 400MiB (78.1% of 512MiB host memory, no limit)"
    );
    let perf: Vec<String> = v.perfdata.iter().map(|p| p.to_string()).collect();
    assert!(
        perf.contains(&"c_cpu_cpu=50.25%;40;;0;50".to_owned()),
        "{perf:?}"
    );
    assert!(
        perf.contains(&"c_cpu_mem_pct=78.13%;;75;0;100".to_owned()),
        "{perf:?}"
    );
    assert!(
        perf.contains(&"c_cpu_mem=419430400B;;;0;536870912".to_owned()),
        "{perf:?}"
    );
    let v = verdict_with(
        &cpu,
        &["--memory-warning", "300MB"],
        RestartHistory::NotTracked,
        Some(usage),
    );
    assert_eq!(v.state, State::Warning);
    assert!(
        v.perfdata
            .iter()
            .any(|p| p.to_string() == "c_cpu_mem=419430400B;314572800;;0;536870912")
    );
}

#[test]
fn missing_containers_take_the_missing_state() {
    let v = judge_missing(
        &Missing::Named("db".into()),
        &policy(&["--missing-state", "warning"]),
    );
    assert_eq!(summary(&v), (State::Warning, "no such container".into()));
}
