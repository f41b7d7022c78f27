//! remediate in operation, end to end: `watch` as a real background process and what
//! SIGTERM does to it mid-pass, the event handler called exactly as Nagios and Icinga call
//! it, webhooks and dead man's switch pings to a loopback server, the Prometheus textfile
//! under promtool, maintenance windows that end by themselves, and remediate checking
//! itself (its status as a plugin, its own heartbeat under check_heartbeat).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::remediate::{KillOnDrop, Setup, alive, descendants_named, rusqlite_free_integrity};
use crate::support::http_server::{Request, Route, TestServer};
use crate::support::{Run, Sleeper, bin, run, run_bounded, timestamp};

/// Whether `text` matches `pattern` from start to end, `*` standing for any text (none,
/// or several lines) and the rest literal.
fn matches(text: &str, pattern: &str) -> bool {
    let mut pieces = pattern.split('*');
    let Some(mut rest) = text.strip_prefix(pieces.next().unwrap_or("")) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[track_caller]
fn assert_matches(text: &str, pattern: &str) {
    assert!(
        matches(text, pattern),
        "expected text like\n{pattern}\n---- got ----\n{text}"
    );
}

/// Polls `done` every 50 ms; fails the test saying what did not happen within `limit`.
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < until,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Replaces `from`, which must be there, with `to` in the setup's configuration.
fn edit_config(setup: &Setup, from: &str, to: &str) {
    let config = std::fs::read_to_string(setup.config()).expect("config");
    assert!(
        config.contains(from),
        "{from:?} is not in the config:\n{config}"
    );
    std::fs::write(setup.config(), config.replace(from, to)).expect("config");
}

/// `remediate history --json`, newest first.
fn history(setup: &Setup) -> Vec<Value> {
    let out = setup.remediate(&["history", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect()
}

/// The history entries of one kind (`run`, `decision`...), newest first.
fn entries<'a>(history: &'a [Value], kind: &str) -> Vec<&'a Value> {
    history
        .iter()
        .filter(|entry| entry["kind"] == kind)
        .collect()
}

/// A run's (or a webhook's) steps: action and outcome, in order.
fn steps(run: &Value) -> Vec<(&str, &str)> {
    run["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| {
            (
                step["action"].as_str().unwrap_or(""),
                step["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// `remediate status --json`.
fn status_json(setup: &Setup) -> Value {
    let out = setup.remediate(&["status", "--json"]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|error| {
        panic!(
            "status --json is not one JSON object ({error}): exit {}, {}{}",
            out.code, out.stdout, out.stderr
        )
    })
}

/// Waits until run `id` has ended (the detached child of an event handler ends it) and
/// returns it.
fn wait_for_run_end(setup: &Setup, id: i64) -> Value {
    let mut found = Value::Null;
    wait_until(
        &format!("the end of run {id}"),
        Duration::from_secs(20),
        || {
            found = history(setup)
                .into_iter()
                .find(|entry| entry["kind"] == "run" && entry["id"] == id)
                .unwrap_or(Value::Null);
            !found.is_null() && found["outcome"] != "running"
        },
    );
    found
}

/// remediate's own heartbeat file (the default: the database's path with `.heartbeat`).
fn own_heartbeat(setup: &Setup) -> PathBuf {
    setup.path("state/remediate.heartbeat")
}

/// check_heartbeat on remediate's own heartbeat, with these extra arguments.
fn check_own_heartbeat(setup: &Setup, args: &[&str]) -> Run {
    let own = own_heartbeat(setup);
    let mut argv = vec!["-f", own.to_str().expect("a UTF-8 path")];
    argv.extend(args);
    run(&bin("check_heartbeat"), &argv)
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn integrity(setup: &Setup) -> String {
    rusqlite_free_integrity(&setup.path("state/remediate.db"))
}

/// `remediate watch` in the background, its output in files beside the configuration;
/// killed if the test ends before it does.
struct Watch {
    child: KillOnDrop,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Watch {
    fn start(setup: &Setup, args: &[&str]) -> Watch {
        let stdout = setup.path("watch.out");
        let stderr = setup.path("watch.err");
        let child = Command::new(bin("remediate"))
            .arg("-c")
            .arg(setup.config())
            .arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("watch.out"))
            .stderr(std::fs::File::create(&stderr).expect("watch.err"))
            .spawn()
            .expect("spawn remediate watch");
        Watch {
            child: KillOnDrop(child),
            stdout,
            stderr,
        }
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Sends SIGTERM and waits, at most `limit`, for watch to exit; returns what it
    /// printed and how long it took to exit.
    fn terminate(mut self, limit: Duration) -> (Run, Duration) {
        let sent = Instant::now();
        // SAFETY: a signal to our own child, which is not reaped yet.
        unsafe { libc::kill(self.pid() as i32, libc::SIGTERM) };
        let status = loop {
            if let Some(status) = self.child.0.try_wait().expect("wait") {
                break status;
            }
            assert!(
                sent.elapsed() < limit,
                "remediate watch did not exit within {limit:?} of SIGTERM; it printed:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = sent.elapsed();
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: self.output(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        };
        (run, took)
    }
}

#[test]
fn watch_in_the_background_restarts_a_killed_service_and_names_itself_in_its_heartbeat() {
    let setup = Setup::new("");
    let on = setup.remediate(&["on", "demo"]);
    assert_eq!(on.code, 0, "{}{}", on.stdout, on.stderr);
    let first = setup.wait_for_beat();
    let watch = Watch::start(&setup, &["--interval", "0.3s"]);
    let watch_pid = watch.pid();
    wait_until("watch's first pass", Duration::from_secs(10), || {
        read_json(&own_heartbeat(&setup)).is_some_and(|doc| doc["pid"] == watch_pid)
    });
    // Checking the checker: the running watch's heartbeat names it, alive.
    let checked = check_own_heartbeat(&setup, &["-w", "10", "-c", "20"]);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert_matches(
        &checked.stdout,
        &format!("HEARTBEAT OK: remediate alive, beat *s ago (pid {watch_pid}, iteration *"),
    );

    // SAFETY: the service's sleep, started for this test.
    unsafe { libc::kill(first, libc::SIGKILL) };
    let second = setup.wait_for_beat_after(Some(first));
    assert!(
        alive(second),
        "the restarted service {second} is not running"
    );
    let (out, _) = watch.terminate(Duration::from_secs(10));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_matches(
        &out.stdout,
        "remediate watch: 1 service every *\
         -> remediating (attempt 1): run 2 succeeded (kill ok, cleanup ok, start ok)\n\
         *remediate watch: stopped by SIGTERM after *\n",
    );

    let log = history(&setup);
    let restart = entries(&log, "run")
        .into_iter()
        .find(|run| run["id"] == 2)
        .unwrap_or_else(|| panic!("no run 2 in {log:#?}"));
    assert_eq!(
        ["outcome", "source"].map(|key| &restart[key]),
        ["succeeded", "watch"],
        "{restart:#}"
    );
    assert_matches(
        restart["reason"].as_str().unwrap_or(""),
        "CRITICAL for 2 checks in a row: demo reports status 'failed'*",
    );
    assert!(
        entries(&log, "decision")
            .iter()
            .any(|d| d["source"] == "watch" && d["decision"] == "remediate (attempt 1)"),
        "{log:#?}"
    );
    let status = status_json(&setup);
    assert!(
        ["grace", "healthy"].contains(&status["demo"]["status"].as_str().unwrap_or("")),
        "{status}"
    );
    assert_eq!(integrity(&setup), "ok");
}

#[test]
fn sigterm_during_a_slow_check_stops_watch_at_once_and_records_nothing_of_that_pass() {
    let flags = tempfile::tempdir().expect("tempdir");
    let slow = flags.path().join("slow");
    let setup = Setup::new(&format!(
        r#"enabled = false

[services.slow]
check = {{ command = ["/bin/sh", "-c", "[ -e {slow} ] && exec sleep 5; echo fine"] }}
"#,
        slow = slow.display()
    ));
    let watch = Watch::start(&setup, &["--interval", "0.2s"]);
    wait_until("a first pass of watch", Duration::from_secs(10), || {
        status_json(&setup)["slow"]["last_check"].is_number()
    });
    std::fs::write(&slow, "").expect("flag");
    let mut sleepers = Vec::new();
    wait_until("the slow check's sleep", Duration::from_secs(10), || {
        sleepers = descendants_named(watch.pid(), "sleep");
        !sleepers.is_empty()
    });
    // Mid-pass: the checks of this pass are out, nothing of it is in the store yet.
    let before = (
        setup.remediate(&["status", "--json"]).stdout,
        setup.remediate(&["status"]).stdout,
    );
    let (out, took) = watch.terminate(Duration::from_secs(10));
    // The abandoned check is still sleeping: watch did not wait for it. It would end by
    // itself, but not before this test does.
    let sleeping: Vec<i32> = sleepers
        .into_iter()
        .filter(|&pid| triage_proc::read_stat(pid).is_ok_and(|s| s.comm == "sleep"))
        .collect();
    for &pid in &sleeping {
        // SAFETY: the check's own sleep, found as watch's child above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        !sleeping.is_empty() && took < Duration::from_secs(3),
        "watch took {took:?} to stop; the check it abandoned sleeps 5 s"
    );
    assert_matches(
        &out.stdout,
        "remediate watch: 2 services every *\n\
         pass abandoned (SIGTERM): nothing recorded\n\
         remediate watch: stopped by SIGTERM after *\n",
    );
    let after = (
        setup.remediate(&["status", "--json"]).stdout,
        setup.remediate(&["status"]).stdout,
    );
    assert_eq!(before, after, "the abandoned pass changed the store");
    let nagios = setup.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(nagios.code, 0, "{}", nagios.stdout);
    assert_eq!(integrity(&setup), "ok");
}

#[test]
fn sigterm_during_a_pipeline_ends_it_after_the_current_step_as_aborted() {
    let setup = Setup::new("consecutive_failures = 1");
    edit_config(&setup, "echo cleaning; exit 0", "sleep 3");
    let watch = Watch::start(&setup, &["--interval", "0.3s"]);
    wait_until(
        "the pipeline's slow cleanup step",
        Duration::from_secs(10),
        || !descendants_named(watch.pid(), "sleep").is_empty(),
    );
    let (out, _) = watch.terminate(Duration::from_secs(10));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_matches(
        &out.stdout,
        "remediate watch: 1 service every *\n\
         demo: CRITICAL demo: no heartbeat file at * -> remediating (attempt 1): \
         run 1 aborted (kill ok, cleanup ok)\n\
         remediate watch: stopped by SIGTERM after 1 pass\n",
    );
    assert!(
        !setup.heartbeat().exists(),
        "the start step ran after SIGTERM"
    );
    // Ended on the record, not left running: this history's opening of the store would
    // otherwise have marked it interrupted.
    let log = history(&setup);
    let runs = entries(&log, "run");
    assert_eq!(runs.len(), 1, "{log:#?}");
    assert_eq!(runs[0]["outcome"], "aborted", "{log:#?}");
    assert_eq!(steps(runs[0]), [("kill", "ok"), ("cleanup", "ok")]);
    assert!(
        entries(&log, "decision").iter().any(|d| d["decision"]
            == "run 1 stopped by SIGTERM before step 3 (start)"
            && d["source"] == "watch"
            && d["run"] == 1),
        "{log:#?}"
    );
    assert_matches(
        &setup.remediate(&["history", "demo"]).stdout,
        "*  demo: watch: run 1 stopped by SIGTERM before step 3 (start)\n\
         *  demo: run 1 aborted (CRITICAL for 1 check: *",
    );
    assert_eq!(status_json(&setup)["demo"]["status"], "failing");
    assert_eq!(integrity(&setup), "ok");
}

#[test]
fn nagios_event_handler_returns_at_once_while_its_detached_pipeline_finishes() {
    let setup = Setup::new("");
    edit_config(&setup, "echo cleaning; exit 0", "sleep 3; echo cleaned");
    let event = |args: &[&str]| setup.remediate(&[&["event", "demo"], args].concat());

    // Environment macros only, as Nagios passes them with enable_environment_macros=1.
    let mut from_env = Command::new(bin("remediate"));
    from_env
        .arg("-c")
        .arg(setup.config())
        .args(["event", "demo"])
        .env("NAGIOS_SERVICESTATE", "CRITICAL")
        .env("NAGIOS_SERVICESTATETYPE", "SOFT")
        .env("NAGIOS_SERVICEATTEMPT", "1");
    let soft = run_bounded(&mut from_env, Duration::from_secs(20));
    assert_eq!(
        (soft.code, soft.stdout.as_str()),
        (0, "demo: nothing done: SOFT attempt 1 (acting on HARD)\n"),
        "{}",
        soft.stderr
    );

    let began = Instant::now();
    let hard = event(&["CRITICAL", "HARD", "3", "--output", "no heartbeat file"]);
    let took = began.elapsed();
    assert_eq!(hard.code, 0, "{}{}", hard.stdout, hard.stderr);
    assert_matches(
        &hard.stdout,
        "demo: remediation started, run-id=1 (attempt 1) (pid *)\n",
    );
    assert!(
        took < Duration::from_secs(5),
        "the handler took {took:?}; it must not wait for its pipeline (a 3 s step)"
    );
    // The pipeline holds the service's lock while it runs.
    let again = event(&["CRITICAL", "HARD", "3"]);
    assert_eq!(
        again.stdout,
        "demo: nothing done: already being remediated by another remediate\n"
    );

    let run = wait_for_run_end(&setup, 1);
    assert_eq!(
        ["outcome", "source", "reason"].map(|key| &run[key]),
        [
            "succeeded",
            "nagios",
            "CRITICAL HARD attempt 3 from nagios: no heartbeat file"
        ],
        "{run:#}"
    );
    assert_eq!(
        steps(&run),
        [("kill", "ok"), ("cleanup", "ok"), ("start", "ok")]
    );
    assert!(alive(setup.wait_for_beat()));
    let events_log = std::fs::read_to_string(setup.path("state/logs/remediate-events.log"))
        .expect("the detached pipeline's log");
    assert_matches(&events_log, "* UTC run 1 succeeded\n");

    let after = event(&["CRITICAL", "HARD", "4"]);
    assert_eq!(
        after.stdout,
        "demo: nothing done: already acted on this problem (run 1); waiting for OK\n"
    );
    let ok = event(&["OK", "HARD", "1"]);
    assert_eq!(
        (ok.code, ok.stdout.as_str()),
        (0, "demo: recovered: counters cleared\n")
    );
    let cooling = event(&["CRITICAL", "HARD", "3"]);
    assert_matches(
        &cooling.stdout,
        "demo: nothing done: the last pipeline started *s ago (cooldown 300s)\n",
    );

    let log = history(&setup);
    assert_eq!(entries(&log, "run").len(), 1, "{log:#?}");
    let decisions: Vec<&str> = entries(&log, "decision")
        .iter()
        .rev()
        .map(|d| {
            assert_eq!(d["source"], "nagios", "{d}");
            d["decision"].as_str().unwrap_or("")
        })
        .collect();
    assert_matches(
        &decisions.join("\n"),
        "ignored: SOFT attempt 1 (acting on HARD)\n\
         remediate (attempt 1)\n\
         ignored: already being remediated by another remediate\n\
         ignored: already acted on this problem (run 1); waiting for OK\n\
         recovered\n\
         ignored: the last pipeline started *s ago (cooldown 300s)",
    );
}

#[test]
fn icinga_event_handler_acts_as_the_services_event_policy_says() {
    let setup = Setup::new("event = { soft_attempt = 2 }");
    let event = |args: &[&str]| setup.remediate(&[&["event", "demo"], args].concat());
    let first = event(&["-s", "CRITICAL", "-t", "SOFT", "-a", "1"]);
    assert_eq!(
        (first.code, first.stdout.as_str()),
        (
            0,
            "demo: nothing done: SOFT attempt 1 (acting on HARD, or SOFT at attempt 2)\n"
        ),
        "{}",
        first.stderr
    );
    let dry = event(&["-s", "CRITICAL", "-t", "SOFT", "-a", "2", "--dry-run"]);
    assert_eq!(dry.stdout, "demo: would remediate (attempt 1)\n");
    let second = event(&["-s", "CRITICAL", "-t", "SOFT", "-a", "2"]);
    assert_matches(
        &second.stdout,
        "demo: remediation started, run-id=1 (attempt 1) (pid *)\n",
    );
    let run = wait_for_run_end(&setup, 1);
    assert_eq!(
        ["outcome", "source", "reason"].map(|key| &run[key]),
        ["succeeded", "icinga", "CRITICAL SOFT attempt 2 from icinga"],
        "{run:#}"
    );
    setup.wait_for_beat();
    let ok = event(&["-s", "OK", "-t", "HARD", "-a", "1"]);
    assert_eq!(ok.stdout, "demo: recovered: counters cleared\n");

    // The dry run left no trace; the rest is on the record as Icinga's.
    let log = history(&setup);
    let decisions = entries(&log, "decision");
    assert_eq!(decisions.len(), 3, "{log:#?}");
    assert!(
        decisions.iter().all(|d| d["source"] == "icinga"),
        "{log:#?}"
    );
    assert_matches(
        &setup.remediate(&["history", "demo"]).stdout,
        "*  demo: icinga on OK HARD attempt 1: recovered\n\
         *  demo: icinga on CRITICAL SOFT attempt 2: remediate (attempt 1)\n\
         *  demo: icinga on CRITICAL SOFT attempt 1: ignored: SOFT attempt 1 *",
    );
}

/// The JSON bodies the server received on paths under `/hooks/`, in order.
fn webhook_bodies(server: &TestServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/hooks/"))
        .map(|r| {
            assert_eq!(r.method, "POST");
            assert_eq!(r.header("authorization"), Some("Bearer s3cret"));
            assert!(
                r.header("content-type")
                    .is_some_and(|t| t.starts_with("application/json")),
                "{r:?}"
            );
            serde_json::from_slice(&r.body).expect("a webhook body is JSON")
        })
        .collect()
}

fn events(hooks: &[Value]) -> Vec<&str> {
    hooks
        .iter()
        .map(|hook| hook["event"].as_str().unwrap_or(""))
        .collect()
}

/// The pings the server received, in order.
fn pings(server: &TestServer) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/ping/"))
        .collect()
}

/// Asserts that `pair` is one pass's pings (`/start`, then `/<end>`, the same run id) and
/// returns the run id and the end's body.
fn ping_pair(pair: &[Request], end: &str) -> (String, String) {
    let base = "/ping/0d7c4a1e-secret";
    let [start, finish] = pair else {
        panic!("not a pair of pings: {pair:#?}");
    };
    assert_eq!(start.method, "GET");
    let rid = start
        .path
        .strip_prefix(&format!("{base}/start?rid="))
        .unwrap_or_else(|| panic!("not a start ping: {start:?}"));
    assert!(
        rid.len() == 36 && rid.bytes().filter(|&b| b == b'-').count() == 4,
        "not a UUID: {rid}"
    );
    assert_eq!(
        (finish.method.as_str(), finish.path.as_str()),
        ("POST", format!("{base}/{end}?rid={rid}").as_str())
    );
    (
        rid.to_owned(),
        String::from_utf8_lossy(&finish.body).into_owned(),
    )
}

#[test]
fn webhooks_hear_each_turn_of_a_problem_in_order_and_each_pass_pings_start_and_end() {
    // Made first so that it outlives the setup, whose drop kills what the heartbeat names:
    // the PID stays ours until this reaps it.
    let service = Sleeper::start();
    let server = TestServer::http(vec![(
        "*",
        Route::text(200, "OK").with_header("Ping-Body-Limit", "60"),
    )]);
    let setup = Setup::new(&format!(
        r#"consecutive_failures = 1

[notify]
timeout = "3s"
ping_url = "{ping}"

[[notify.webhooks]]
url = "{hook}"
headers = {{ Authorization = "Bearer s3cret" }}
"#,
        ping = server.url("/ping/0d7c4a1e-secret"),
        hook = server.url("/hooks/T000/B000/XXXXSECRET"),
    ));
    edit_config(&setup, "exec ", "echo no such binary >&2; exit 3; exec ");
    edit_config(&setup, "max = 3, window", "max = 1, window");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_owned();

    let failed = setup.remediate(&["check"]);
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    assert_matches(
        &failed.stdout,
        "demo: CRITICAL * -> remediating (attempt 1): \
         run 1 aborted (kill ok, cleanup ok, start failed)\n",
    );
    let hooks = webhook_bodies(&server);
    assert_eq!(
        events(&hooks),
        ["DOWN", "REMEDIATION_STARTED", "REMEDIATION_FAILED"]
    );
    for hook in &hooks {
        assert_eq!(
            ["service", "display_name", "state", "source", "host"].map(|key| &hook[key]),
            ["demo", "demo", "CRITICAL", "cron", host.as_str()],
            "{hook:#}"
        );
        assert!(hook["timestamp"].is_string(), "{hook:#}");
    }
    assert_eq!(
        [&hooks[0]["run_id"], &hooks[0]["attempt"]],
        [&Value::Null, &Value::Null]
    );
    for hook in &hooks[1..] {
        assert_eq!([&hook["run_id"], &hook["attempt"]], [1, 1], "{hook:#}");
    }
    assert!(steps(&hooks[1]).is_empty(), "{:#}", hooks[1]);
    assert_eq!(
        steps(&hooks[2]),
        [("kill", "ok"), ("cleanup", "ok"), ("start", "failed")]
    );
    assert_eq!(
        hooks[2]["text"],
        format!(
            "remediate@{host}: demo REMEDIATION_FAILED (run 1, attempt 1): \
             kill ok, cleanup ok, start failed"
        )
    );
    let (first_rid, body) = ping_pair(&pings(&server), "fail");
    // Cut to the limit the server announced in its answer to /start.
    assert!(body.len() <= 60, "{} bytes: {body:?}", body.len());
    assert_matches(&body, "demo: CRITICAL *\n[truncated: * bytes in all]");

    let exhausted = setup.remediate(&["check"]);
    assert_matches(
        &exhausted.stdout,
        "demo: CRITICAL * -> EXHAUSTED: no action before * UTC\n",
    );
    let hooks = webhook_bodies(&server);
    assert_eq!(events(&hooks[3..]), ["EXHAUSTED"]);
    let (second_rid, _) = ping_pair(&pings(&server)[2..], "fail");
    assert_ne!(first_rid, second_rid);

    // Back: a fresh heartbeat from a live process.
    std::fs::write(
        setup.heartbeat(),
        format!(
            r#"{{"timestamp":"{}","process_key":"demo","pid":{}}}"#,
            timestamp(0.0),
            service.pid()
        ),
    )
    .expect("heartbeat");
    let recovered = setup.remediate(&["check"]);
    assert_eq!(recovered.code, 0, "{}", recovered.stdout);
    assert_matches(&recovered.stdout, "demo: OK demo alive, * -> recovered\n");
    let hooks = webhook_bodies(&server);
    assert_eq!(events(&hooks[4..]), ["RECOVERED"]);
    assert_eq!(hooks[4]["state"], "OK");
    let (_, body) = ping_pair(&pings(&server)[4..], "0");
    assert_matches(&body, "demo: OK demo alive*");
}

#[test]
fn a_hanging_webhook_delays_neither_the_pipeline_nor_the_exit_and_its_secret_stays_hidden() {
    let server = TestServer::http(vec![("*", Route::NeverAnswer)]);
    let setup = Setup::new(&format!(
        r#"consecutive_failures = 1

[notify]
timeout = "1s"

[[notify.webhooks]]
url = "{hook}"
"#,
        hook = server.url("/hooks/T000/B000/XXXXSECRET"),
    ));
    let began = Instant::now();
    let out = setup.remediate(&["check"]);
    let took = began.elapsed();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_matches(
        &out.stdout,
        "demo: CRITICAL * -> remediating (attempt 1): \
         run 1 succeeded (kill ok, cleanup ok, start ok)\n",
    );
    setup.wait_for_beat();
    assert!(
        took < Duration::from_secs(6),
        "check took {took:?} with a webhook that never answers and a 1 s delivery timeout"
    );
    assert!(!server.requests().is_empty(), "the webhook was never tried");
    assert_matches(
        &out.stderr,
        &format!("remediate: *http://127.0.0.1:{}/…*", server.port()),
    );
    assert!(
        !format!("{}{}", out.stdout, out.stderr).contains("XXXXSECRET"),
        "the webhook's secret was printed: {}",
        out.stderr
    );
}

/// `promtool check metrics` on `path`: Prometheus's own parser and linter for the text
/// exposition format.
fn promtool_check(path: &Path) {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        found.is_ok(),
        "promtool is missing: apt-get install prometheus (it checks the textfile's format)"
    );
    // It reads only stdin, which run_bounded closes.
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg("exec promtool check metrics < \"$0\"")
        .arg(path);
    let out = run_bounded(&mut command, Duration::from_secs(30));
    assert_eq!(
        out.code,
        0,
        "promtool check metrics {}:\n{}{}",
        path.display(),
        out.stdout,
        out.stderr
    );
}

#[test]
fn the_prometheus_textfile_passes_promtool_and_is_never_seen_half_written() {
    let collector = tempfile::tempdir().expect("tempdir");
    let textfile = collector.path().join("remediate.prom");
    let setup = Setup::with_globals(
        &format!("prometheus_textfile = \"{}\"\n", textfile.display()),
        "",
    );
    setup.remediate(&["check"]);
    let acted = setup.remediate(&["check"]);
    assert_matches(
        &acted.stdout,
        "*: run 1 succeeded (kill ok, cleanup ok, start ok)\n",
    );
    setup.wait_for_beat();
    let healthy = setup.remediate(&["check"]);
    assert_matches(&healthy.stdout, "demo: OK * -> recovered\n");
    promtool_check(&textfile);
    let text = std::fs::read_to_string(&textfile).expect("textfile");
    for series in [
        r#"remediate_remediations_total{service="demo"} 1"#,
        r#"remediate_remediation_failures_total{service="demo"} 0"#,
        r#"remediate_service_status{service="demo",status="healthy"} 1"#,
        r#"remediate_service_status{service="demo",status="failing"} 0"#,
        r#"remediate_service_check_state{service="demo"} 0"#,
        r#"remediate_service_consecutive_failures{service="demo"} 0"#,
        r#"remediate_service_maintenance{service="demo"} 0"#,
        "remediate_passes_total 3",
    ] {
        assert!(text.lines().any(|l| l == series), "no {series} in:\n{text}");
    }

    // Rewritten after every pass while we read it: always whole, never a stray *.prom.
    let watch = Watch::start(&setup, &["--interval", "0.2s"]);
    let mut versions = HashSet::new();
    for _ in 0..300 {
        let text = std::fs::read_to_string(&textfile)
            .unwrap_or_else(|e| panic!("{} while watch rewrites it: {e}", textfile.display()));
        // The last family render writes, complete with its sample line.
        assert_matches(
            &text,
            "# HELP remediate_service_status *\
             \n# TYPE remediate_last_pass_duration_seconds gauge\
             \nremediate_last_pass_duration_seconds *\n",
        );
        let strays: Vec<String> = std::fs::read_dir(collector.path())
            .expect("collector dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".prom") && name != "remediate.prom")
            .collect();
        assert!(strays.is_empty(), "the collector would read {strays:?}");
        versions.extend(
            text.lines()
                .find(|l| l.starts_with("remediate_passes_total "))
                .map(str::to_owned),
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (out, _) = watch.terminate(Duration::from_secs(10));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        versions.len() >= 3,
        "the textfile was hardly rewritten while it was read: {versions:?}"
    );
    promtool_check(&textfile);
}

#[test]
fn maintenance_holds_remediation_back_and_ends_by_itself() {
    let setup = Setup::new("consecutive_failures = 1");
    let began = Instant::now();
    let out = setup.remediate(&["maint", "demo", "--for", "2s", "--reason", "disk swap"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_matches(
        &out.stdout,
        "demo: in maintenance until * UTC (disk swap): no action until then\n",
    );
    assert_matches(
        &setup.remediate(&["maint", "--list"]).stdout,
        "demo: until * UTC (*s left), by *: disk swap\n",
    );
    // Down (no heartbeat at all) and one failure is the threshold: still not acted on.
    let held = setup.remediate(&["check"]);
    assert_eq!(held.code, 0, "{}", held.stdout);
    assert_matches(
        &held.stdout,
        "demo: CRITICAL demo: no heartbeat file at * -> in maintenance until * UTC: \
         not acted on\n",
    );
    assert_matches(
        &setup.remediate(&["status"]).stdout,
        "SERVICE *\ndemo                 maintenance         0  -  *\n\
         demo: in maintenance until * UTC (by *: disk swap)\nlast pass: *",
    );
    let nagios = setup.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(nagios.code, 0, "{}", nagios.stdout);
    assert_matches(
        &nagios.stdout,
        "REMEDIATE OK: 1 services, none failing, last pass *\n\
         \\_[OK] demo: in maintenance until * UTC (disk swap)\n*",
    );
    assert!(
        entries(&history(&setup), "run").is_empty(),
        "a run in maintenance"
    );

    std::thread::sleep(Duration::from_secs(2).saturating_sub(began.elapsed()));
    wait_until(
        "the end of the 2 s maintenance window",
        Duration::from_secs(10),
        || setup.remediate(&["maint", "--list"]).stdout == "no service is in maintenance\n",
    );
    let acted = setup.remediate(&["check"]);
    assert_matches(
        &acted.stdout,
        "demo: CRITICAL * -> remediating (attempt 1): \
         run 1 succeeded (kill ok, cleanup ok, start ok)\n",
    );
    setup.wait_for_beat();
    assert_matches(
        &setup.remediate(&["history", "demo"]).stdout,
        "*  demo: maintenance expired\n*  demo: maintenance until * UTC by *: disk swap\n*",
    );

    // Ended by hand.
    setup.remediate(&["maint", "demo", "--for", "1h", "--reason", "again"]);
    let end = setup.remediate(&["maint", "demo", "--end"]);
    assert_eq!(end.stdout, "demo: maintenance ended\n");
    let end = setup.remediate(&["maint", "demo", "--end"]);
    assert_eq!(end.stdout, "demo: was not in maintenance\n");
    assert_matches(
        &setup.remediate(&["history", "demo"]).stdout,
        "*  demo: maintenance ended by hand\n*",
    );
}

#[test]
fn remediate_checks_itself_as_a_plugin_and_through_its_own_heartbeat() {
    let setup = Setup::new(
        r#"enabled = false

[services.ok]
check = { command = ["/bin/echo", "all good"] }
"#,
    );
    let out = setup.remediate(&["check"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let checked = check_own_heartbeat(&setup, &[]);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert_matches(
        &checked.stdout,
        "HEARTBEAT OK: remediate alive, beat *s ago (iteration 1): cron pass 1 | *",
    );
    let nagios = setup.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(nagios.code, 0, "{}", nagios.stdout);
    assert_matches(
        nagios.first_line(),
        "REMEDIATE OK: 2 services, none failing, last pass *s ago",
    );
    std::thread::sleep(Duration::from_secs(2));
    let stale = setup.remediate(&[
        "status",
        "--output-format",
        "nagios",
        "--max-pass-age",
        "1s",
    ]);
    assert_eq!(stale.code, 2, "{}", stale.stdout);
    assert_matches(
        stale.first_line(),
        "REMEDIATE CRITICAL: last pass *s ago (cron or the timer stopped?)",
    );

    let watched = setup.remediate(&["watch", "--passes", "2", "--interval", "0.2s"]);
    assert_eq!(watched.code, 0, "{}{}", watched.stdout, watched.stderr);
    let doc = read_json(&own_heartbeat(&setup)).expect("remediate's heartbeat");
    assert_eq!(
        ["process_key", "message", "status"].map(|key| &doc[key]),
        ["remediate", "watch pass 3", "ok"],
        "{doc:#}"
    );
    assert_eq!(
        (&doc["iteration"], &doc["interval_s"]),
        (&Value::from(3), &Value::from(0.2))
    );
    // watch names its PID, so a watch that has exited (as this one has) is noticed.
    let pid = doc["pid"].as_i64().expect("watch's pid");
    let checked = check_own_heartbeat(&setup, &[]);
    assert_eq!(checked.code, 2, "{}", checked.stdout);
    assert_matches(
        &checked.stdout,
        &format!("HEARTBEAT CRITICAL: remediate: pid {pid} is not running *"),
    );
}
