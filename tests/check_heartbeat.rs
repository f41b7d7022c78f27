//! check_heartbeat against real files and real processes: one test per row of the spec's
//! detection table, plus the many-heartbeat and output-format paths.

use std::fs::{File, FileTimes};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::support::{
    Sleeper, Zombie, as_unprivileged, bin, check, dead_pid, heartbeat_file, run_bounded,
    shared_tempdir, timestamp, write,
};

fn boot_id() -> String {
    triage_proc::boot_id().expect("boot id")
}

fn start_ticks(pid: i32) -> u64 {
    triage_proc::read_stat(pid).expect("stat").start_ticks
}

#[test]
fn fresh_heartbeat_with_live_pid_is_ok_with_perfdata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sleeper = Sleeper::start();
    let pid = sleeper.pid();
    let hb = heartbeat_file(
        dir.path(),
        "my_server.json",
        4.0,
        &format!(
            r#""process_key":"my_server","pid":{pid},"status":"running","iteration":42,"pid_start_ticks":{},"boot_id":"{}""#,
            start_ticks(pid),
            boot_id()
        ),
    );
    let out = check(&["-f", hb.to_str().expect("utf8"), "-w", "60", "-c", "90"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT OK: my_server alive, beat 4s ago (pid {pid}, iteration 42) | age=4s;60;90;0; iteration=42c\n"
        )
    );
}

#[test]
fn missing_file_is_critical_no_heartbeat_and_missing_state_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("worker.json");
    let path = path.to_str().expect("utf8");
    let out = check(&["-f", path]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        format!("HEARTBEAT CRITICAL: worker: no heartbeat file at {path}\n")
    );
    let out = check(&["-f", path, "--missing-state", "ok"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.first_line(),
        format!("HEARTBEAT OK: worker: no heartbeat file at {path}")
    );
    let out = check(&["--mtime", "-f", path]);
    assert_eq!(
        out.stdout,
        format!("HEARTBEAT CRITICAL: worker: no file at {path}\n")
    );
    let out = check(&["-f", path, "-f", path]);
    assert_eq!(
        out.stdout,
        format!("HEARTBEAT CRITICAL: worker: no heartbeat file at {path}\n"),
        "named twice, checked once"
    );
}

#[test]
fn unreadable_file_is_unknown() {
    use std::os::unix::fs::PermissionsExt;
    let dir = shared_tempdir();
    let path = heartbeat_file(dir.path(), "secret.json", 1.0, "");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = run_bounded(
        as_unprivileged(&bin("check_heartbeat")).args(["-f", path.to_str().expect("utf8")]),
        Duration::from_secs(20),
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.stdout,
        format!("HEARTBEAT UNKNOWN: {}: Permission denied\n", path.display())
    );
}

#[test]
fn directories_fifos_and_devices_are_not_heartbeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = check(&["-f", dir.path().to_str().expect("utf8")]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {}: not a regular file (a directory)\n",
            dir.path().display()
        )
    );
    let fifo = dir.path().join("fifo.json");
    let c_path = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstring");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let out = check(&["-f", fifo.to_str().expect("utf8")]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {}: not a regular file (a FIFO)\n",
            fifo.display()
        )
    );
    let out = check(&["-f", "/dev/zero"]);
    assert_eq!(
        out.stdout,
        "HEARTBEAT UNKNOWN: /dev/zero: not a regular file (a device)\n"
    );
}

#[test]
fn symlinks_are_refused_unless_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = heartbeat_file(dir.path(), "real.json", 2.0, "");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let link = link.to_str().expect("utf8");
    let out = check(&["-f", link]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {link}: is a symbolic link, not followed (use --follow-symlinks to allow)\n"
        )
    );
    let out = check(&["-f", link, "--follow-symlinks"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("HEARTBEAT OK: link alive, beat 2s ago | age=2s;120;300;0;"),
        "{out:?}"
    );
}

#[test]
fn files_over_one_mib_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.json");
    let mut text = format!(r#"{{"timestamp":"{}","message":""#, timestamp(1.0));
    text.push_str(&"x".repeat(1024 * 1024));
    text.push_str("\"}");
    std::fs::write(&big, &text).expect("write");
    let out = check(&["-f", big.to_str().expect("utf8")]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {}: too large for a heartbeat ({} bytes, limit 1048576)\n",
            big.display(),
            text.len()
        )
    );
}

#[test]
fn invalid_json_is_unknown_with_position_and_invalid_state_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let torn = write(
        dir.path(),
        "torn.json",
        r#"{"process_key":"a","timestamp":"#,
    );
    let torn = torn.to_str().expect("utf8");
    let out = check(&["-f", torn]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {torn}: not valid JSON: EOF while parsing a value at line 1 column 31\n"
        )
    );
    let out = check(&["-f", torn, "--invalid-state", "critical"]);
    assert_eq!(out.code, 2);
    let no_timestamp = write(dir.path(), "nots.json", r#"{"pid": 1}"#);
    let out = check(&["-f", no_timestamp.to_str().expect("utf8")]);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT UNKNOWN: {}: not a heartbeat: missing field `timestamp` at line 1 column 10\n",
            no_timestamp.display()
        )
    );
}

#[test]
fn stale_heartbeat_is_critical_with_age_and_limit_in_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(
        dir.path(),
        "s.json",
        412.0,
        r#""process_key":"my_server","iteration":42"#,
    );
    let hb = hb.to_str().expect("utf8");
    let out = check(&["-f", hb, "-w", "60", "-c", "90"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        "HEARTBEAT CRITICAL: my_server stale, last beat 412s ago (limit 90s) | age=412s;60;90;0; iteration=42c\n"
    );
    let out = check(&["-f", hb, "-w", "5m", "-c", "1h"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.first_line(),
        "HEARTBEAT WARNING: my_server stale, last beat 412s ago (limit 300s) | age=412s;300;3600;0; iteration=42c"
    );
}

#[test]
fn interval_s_sets_default_thresholds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(
        dir.path(),
        "i.json",
        25.0,
        r#""process_key":"fast","interval_s":10"#,
    );
    let out = check(&["-f", hb.to_str().expect("utf8")]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "HEARTBEAT WARNING: fast stale, last beat 25s ago (limit 20s) | age=25s;20;30;0;\n"
    );
}

#[test]
fn future_timestamp_is_unknown_clock_skew() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(dir.path(), "f.json", -600.0, r#""process_key":"f""#);
    let out = check(&["-f", hb.to_str().expect("utf8")]);
    assert_eq!(out.code, 3);
    assert!(
        out.first_line()
            .starts_with("HEARTBEAT UNKNOWN: f: timestamp is 600s in the future (max skew 60s)")
            || out.first_line().starts_with(
                "HEARTBEAT UNKNOWN: f: timestamp is 599s in the future (max skew 60s)"
            ),
        "{out:?}"
    );
    let out = check(&["-f", hb.to_str().expect("utf8"), "--max-skew", "15m"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn dead_pid_is_critical_stale_pid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid = dead_pid();
    let hb = heartbeat_file(
        dir.path(),
        "d.json",
        3.0,
        &format!(r#""process_key":"mailer","pid":{pid}"#),
    );
    let out = check(&["-f", hb.to_str().expect("utf8"), "-w", "60", "-c", "90"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT CRITICAL: mailer: pid {pid} is not running (heartbeat 3s old) | age=3s;60;90;0;\n"
        )
    );
}

#[test]
fn pid_owned_by_another_user_is_alive_eperm() {
    let dir = shared_tempdir();
    let hb = heartbeat_file(
        dir.path(),
        "init.json",
        1.0,
        r#""process_key":"init","pid":1"#,
    );
    std::fs::set_permissions(&hb, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .expect("chmod");
    let out = run_bounded(
        as_unprivileged(&bin("check_heartbeat")).args(["-f", hb.to_str().expect("utf8")]),
        Duration::from_secs(20),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("HEARTBEAT OK: init alive, beat 1s ago (pid 1)"),
        "{out:?}"
    );
}

#[test]
fn zombie_pid_is_critical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zombie = Zombie::make();
    let pid = zombie.pid();
    let hb = heartbeat_file(
        dir.path(),
        "z.json",
        2.0,
        &format!(r#""process_key":"z","pid":{pid}"#),
    );
    let out = check(&["-f", hb.to_str().expect("utf8")]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.first_line(),
        format!(
            "HEARTBEAT CRITICAL: z: pid {pid} is a zombie, exited but not reaped (heartbeat 2s old) | age=2s;120;300;0;"
        )
    );
}

#[test]
fn reused_pid_is_detected_by_start_ticks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sleeper = Sleeper::start();
    let pid = sleeper.pid();
    let ticks = start_ticks(pid);
    let hb = heartbeat_file(
        dir.path(),
        "r.json",
        1.0,
        &format!(
            r#""process_key":"r","pid":{pid},"pid_start_ticks":{}"#,
            ticks + 5000
        ),
    );
    let out = check(&["-f", hb.to_str().expect("utf8")]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.first_line(),
        format!(
            "HEARTBEAT CRITICAL: r: pid {pid} now belongs to another process ('sleep', started at tick {ticks} not {}) | age=1s;120;300;0;",
            ticks + 5000
        )
    );
}

#[test]
fn heartbeat_from_before_a_reboot_is_critical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sleeper = Sleeper::start();
    let hb = heartbeat_file(
        dir.path(),
        "b.json",
        1.0,
        &format!(
            r#""process_key":"b","pid":{},"boot_id":"00000000-0000-4000-8000-000000000000""#,
            sleeper.pid()
        ),
    );
    let out = check(&["-f", hb.to_str().expect("utf8")]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.first_line(),
        "HEARTBEAT CRITICAL: b: heartbeat is from before the last reboot (boot id differs) | age=1s;120;300;0;"
    );
}

#[test]
fn self_reported_status_maps_to_states() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("running", 0, "HEARTBEAT OK: app alive, beat 1s ago"),
        (
            "degraded",
            1,
            "HEARTBEAT WARNING: app reports status 'degraded': queue slow",
        ),
        (
            "failed",
            2,
            "HEARTBEAT CRITICAL: app reports status 'failed': queue slow",
        ),
        (
            "stopped",
            2,
            "HEARTBEAT CRITICAL: app stopped (status 'stopped'): queue slow",
        ),
    ];
    for (status, code, line) in cases {
        let hb = heartbeat_file(
            dir.path(),
            "app.json",
            1.0,
            &format!(r#""status":"{status}","message":"queue slow""#),
        );
        let out = check(&["-f", hb.to_str().expect("utf8")]);
        assert_eq!(out.code, code, "{status}: {out:?}");
        assert!(out.first_line().starts_with(line), "{status}: {out:?}");
    }
    let hb = dir.path().join("app.json");
    let out = check(&["-f", hb.to_str().expect("utf8"), "--allow-stopped"]);
    assert_eq!(out.code, 0);
    assert!(
        out.first_line()
            .starts_with("HEARTBEAT OK: app stopped on purpose, last beat 1s ago"),
        "{out:?}"
    );
}

#[test]
fn unchanged_iteration_is_hung_across_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let hb_path = dir.path().join("w.json");
    let beat = |iteration: u64| {
        std::fs::write(
            &hb_path,
            format!(
                r#"{{"process_key":"worker-3","timestamp":"{}","iteration":{iteration}}}"#,
                timestamp(0.0)
            ),
        )
        .expect("write")
    };
    let args = |extra: &[&str]| {
        let mut args = vec![
            "-f".to_owned(),
            hb_path.to_str().expect("utf8").to_owned(),
            "--state-dir".into(),
            state.to_str().expect("utf8").into(),
            "--stall-warning".into(),
            "1s".into(),
            "--stall-critical".into(),
            "1h".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    beat(7);
    let out = check(&args(&[]));
    assert_eq!(out.code, 0, "{out:?}");
    std::thread::sleep(Duration::from_millis(2100));
    beat(7);
    let out = check(&args(&[]));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.first_line().starts_with(
            "HEARTBEAT WARNING: worker-3 hung: iteration 7 unchanged for 2s (limit 1s)"
        ),
        "{out:?}"
    );
    beat(8);
    let out = check(&args(&["-v"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("\\_[OK] iteration 8 advanced since the last check"),
        "{out:?}"
    );
}

#[test]
fn unwritable_state_dir_skips_stall_detection_but_still_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(
        dir.path(),
        "w.json",
        1.0,
        r#""process_key":"w","iteration":1"#,
    );
    let out = check(&[
        "-f",
        hb.to_str().expect("utf8"),
        "--state-dir",
        "/proc/triage-no-such-dir",
        "--stall-warning",
        "1m",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("HEARTBEAT OK: w alive, beat 1s ago (iteration 1)\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("\\_[OK] stall detection skipped: cannot create /proc/triage-no-such-dir: "),
        "{out:?}"
    );
}

#[test]
fn many_heartbeats_name_the_unhealthy_ones_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sleeper = Sleeper::start();
    let dead = dead_pid();
    let live = sleeper.pid();
    heartbeat_file(
        dir.path(),
        "a-api.json",
        5.0,
        &format!(r#""process_key":"api","pid":{live}"#),
    );
    heartbeat_file(
        dir.path(),
        "b-mailer.json",
        3.0,
        &format!(r#""process_key":"mailer","pid":{dead}"#),
    );
    heartbeat_file(dir.path(), "c-cron.json", 200.0, r#""process_key":"cron""#);
    write(dir.path(), ".d-hidden.json", "not even json");
    write(dir.path(), "notes.txt", "ignored by the glob");
    let out = check(&[
        "--dir",
        dir.path().to_str().expect("utf8"),
        "-w",
        "60",
        "-c",
        "180",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "HEARTBEAT CRITICAL: 2 of 3 unhealthy: mailer (pid {dead} dead), cron (stale 200s)\n\
             \\_[OK] api alive, beat 5s ago (pid {live})\n\
             \\_[CRITICAL] mailer: pid {dead} is not running (heartbeat 3s old)\n\
             \\_[CRITICAL] cron stale, last beat 200s ago (limit 180s)\n\
             | api_age=5s;60;180;0; mailer_age=3s;60;180;0; cron_age=200s;60;180;0;\n"
        )
    );
    let out = check(&[
        "--dir",
        dir.path().to_str().expect("utf8"),
        "--glob",
        "a-*.json",
        "-f",
        dir.path().join("c-cron.json").to_str().expect("utf8"),
        "-w",
        "1h",
        "-c",
        "2h",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.first_line(),
        "HEARTBEAT OK: 2 heartbeats alive, oldest beat 200s ago (cron)"
    );
}

#[test]
fn an_empty_directory_is_missing_and_an_absent_one_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf8");
    let out = check(&["--dir", path]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        format!("HEARTBEAT CRITICAL: no heartbeat files matching '*.json' in {path}\n")
    );
    let out = check(&["--dir", "/nonexistent/heartbeats"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "HEARTBEAT UNKNOWN: cannot list /nonexistent/heartbeats: No such file or directory\n"
    );
}

#[test]
fn mtime_mode_judges_any_files_age() {
    let dir = tempfile::tempdir().expect("tempdir");
    let touched = dir.path().join("last-backup");
    File::create(&touched).expect("create");
    let out = check(&[
        "--mtime",
        "-f",
        touched.to_str().expect("utf8"),
        "-w",
        "25h",
        "-c",
        "49h",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "HEARTBEAT OK: last-backup modified 0s ago | age=0s;90000;176400;0;\n"
    );
    let old = SystemTime::now() - Duration::from_secs(2 * 86400);
    File::options()
        .write(true)
        .open(&touched)
        .expect("open")
        .set_times(FileTimes::new().set_modified(old))
        .expect("set mtime");
    let out = check(&[
        "--mtime",
        "-f",
        touched.to_str().expect("utf8"),
        "-w",
        "25h",
        "-c",
        "30h",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stdout,
        "HEARTBEAT CRITICAL: last-backup stale, modified 2d00h ago (limit 1d06h) | age=172800s;90000;108000;0;\n"
    );
}

#[test]
fn json_and_checkmk_formats_keep_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(
        dir.path(),
        "j.json",
        400.0,
        r#""process_key":"j","iteration":9"#,
    );
    let hb = hb.to_str().expect("utf8");
    let out = check(&["-f", hb, "--output-format", "json"]);
    assert_eq!(out.code, 2);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert_eq!(value["plugin"], "check_heartbeat");
    assert_eq!(value["state"], "CRITICAL");
    assert_eq!(value["code"], 2);
    assert_eq!(value["summary"], "j stale, last beat 400s ago (limit 300s)");
    assert_eq!(value["perfdata"][0]["label"], "age");
    assert_eq!(value["perfdata"][0]["value"], 400.0);
    assert_eq!(value["perfdata"][0]["crit"], "300");
    let out = check(&[
        "-f",
        hb,
        "--output-format",
        "checkmk",
        "--service-name",
        "Heartbeat j",
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        "2 \"Heartbeat j\" age=400;120;300;0;|iteration=9;;;; j stale, last beat 400s ago (limit 300s)\n"
    );
}

#[test]
fn bad_arguments_are_one_line_and_exit_3() {
    for (args, line) in [
        (
            vec!["-f", "x", "-w", "abc"],
            "check_heartbeat: --warning: 'abc' is not a valid range: not a number",
        ),
        (
            vec!["-f", "x", "-c", "10:5"],
            "check_heartbeat: --critical: '10:5' is not a valid range: the start is greater than the end",
        ),
        (
            vec!["-f", "x", "-w", "/root:10"],
            "check_heartbeat: --warning: '/root:10' is not a valid range: it starts with '/'",
        ),
        (
            vec!["-f", "x", "-w", ""],
            "check_heartbeat: --warning: '' is not a valid range: it is empty",
        ),
        (
            vec!["-f", "x", "--missing-state", "bad"],
            "check_heartbeat: --missing-state: 'bad' is not a state",
        ),
        (
            vec!["-f", "x", "--stall-warning", "soon"],
            "check_heartbeat: --stall-warning: 'soon' is not a duration",
        ),
        (
            vec![],
            "check_heartbeat: the following required arguments were not provided",
        ),
    ] {
        let out = check(&args);
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert!(out.first_line().starts_with(line), "{args:?}: {out:?}");
        assert!(
            out.stdout
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("Usage: check_heartbeat")),
            "{out:?}"
        );
    }
}

#[test]
fn works_with_an_empty_environment_and_honours_state_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("systemd-state");
    let hb = heartbeat_file(
        dir.path(),
        "e.json",
        1.0,
        r#""process_key":"e","iteration":1"#,
    );
    let out = run_bounded(
        Command::new(bin("check_heartbeat"))
            .env_clear()
            .args(["-f", hb.to_str().expect("utf8")]),
        Duration::from_secs(20),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.first_line()
            .starts_with("HEARTBEAT OK: e alive, beat 1s ago (iteration 1)"),
        "{out:?}"
    );
    let out = run_bounded(
        Command::new(bin("check_heartbeat"))
            .env_clear()
            .env("STATE_DIRECTORY", &state)
            .args(["-f", hb.to_str().expect("utf8"), "--stall-warning", "1m"]),
        Duration::from_secs(20),
    );
    assert_eq!(out.code, 0, "{out:?}");
    let records: Vec<_> = std::fs::read_dir(&state)
        .expect("state dir created")
        .collect();
    assert_eq!(records.len(), 1, "one stall record in $STATE_DIRECTORY");
}

#[test]
fn output_for_thousands_of_heartbeats_stays_within_64_kib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = timestamp(1.0);
    for i in 0..3000 {
        write(
            dir.path(),
            &format!("worker-{i:04}.json"),
            &format!(
                r#"{{"process_key":"worker-{i:04}","timestamp":"{now}","message":"processing a long queue of jobs for customer {i}"}}"#
            ),
        );
    }
    let out = check(&["--dir", dir.path().to_str().expect("utf8")]);
    assert_eq!(out.code, 0, "{}", out.first_line());
    assert!(out.stdout.len() <= 64 * 1024, "{} bytes", out.stdout.len());
    let first = out.first_line();
    assert!(
        first.starts_with("HEARTBEAT OK: 3000 heartbeats alive, oldest beat "),
        "{first}"
    );
    assert!(first.ends_with("s ago (worker-0000)"), "{first}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let marker = lines[lines.len() - 2];
    assert!(
        marker.starts_with("... ") && marker.ends_with(" more lines not shown"),
        "{marker}"
    );
    assert!(lines[lines.len() - 1].starts_with("| worker-0000_age="));

    let out = check(&[
        "--dir",
        dir.path().to_str().expect("utf8"),
        "--output-format",
        "json",
    ]);
    assert!(out.stdout.len() <= 64 * 1024, "{} bytes", out.stdout.len());
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    let kept = value["checks"].as_array().expect("checks").len();
    assert_eq!(value["omitted_checks"], 3000 - kept);
    let metrics = value["perfdata"].as_array().expect("perfdata").len();
    assert_eq!(value["omitted_perfdata"], 3000 - metrics);
}

#[test]
fn many_torn_files_are_retried_together_within_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..300 {
        write(dir.path(), &format!("w{i:03}.json"), r#"{"timestamp": "20"#);
    }
    let out = check(&["--dir", dir.path().to_str().expect("utf8"), "-t", "5"]);
    assert_eq!(out.code, 3, "{}", out.first_line());
    assert_eq!(
        out.first_line(),
        "HEARTBEAT UNKNOWN: 300 of 300 unhealthy: w000 (invalid), w001 (invalid), w002 (invalid), w003 (invalid), w004 (invalid), and 295 more"
    );
}
