//! remediate across wall-clock steps: the real binary under libfaketime (Debian's
//! `faketime`), which moves the wall clock of the process it runs and, with
//! FAKETIME_DONT_FAKE_MONOTONIC=1, leaves the boot clock alone, as an NTP step or an
//! operator's `date -s` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Run, bin, line_of, run_bounded};

/// A directory with one service whose heartbeat never appears, recovered by a step that
/// only echoes; the status of nothing else on the machine is touched.
struct Clocked {
    dir: tempfile::TempDir,
}

impl Clocked {
    fn new() -> Clocked {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = format!(
            r#"db_path = "{db}"
consecutive_failures = 2
[services.demo]
check = {{ heartbeat = "{hb}", max_age = "3s" }}
commands = {{ cleanup = "echo cleaning" }}
recovery = ["cleanup"]
start_grace = "2s"
budget = {{ max = 5, window = "1h", cooldown = "1h" }}
"#,
            db = dir.path().join("state/remediate.db").display(),
            hb = dir.path().join("demo.json").display(),
        );
        std::fs::write(dir.path().join("remediate.toml"), config).expect("config");
        Clocked { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("remediate.toml")
    }

    /// remediate on the real clock.
    fn remediate(&self, args: &[&str]) -> Run {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(self.config()).args(args);
        run_bounded(&mut command, Duration::from_secs(60))
    }

    /// remediate with its wall clock moved by `offset` (faketime's form: `+2h`, `-1h`).
    fn remediate_at(&self, offset: &str, args: &[&str]) -> Run {
        let mut command = Command::new(faketime());
        command
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", offset])
            .arg(bin("remediate"))
            .arg("-c")
            .arg(self.config())
            .args(args);
        run_bounded(&mut command, Duration::from_secs(60))
    }
}

fn faketime() -> &'static Path {
    let path = Path::new("/usr/bin/faketime");
    assert!(
        path.exists(),
        "these tests need libfaketime: apt-get install faketime"
    );
    path
}

fn ok(run: Run) -> Run {
    assert!(run.code <= 1, "{run:?}");
    run
}

#[test]
fn the_faked_clock_is_really_another_wall_clock() {
    // Without this, the tests below could pass on a faketime that does nothing.
    let run = run_bounded(
        Command::new(faketime())
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", "+2h", "date", "+%s"]),
        Duration::from_secs(10),
    );
    let faked: f64 = run.stdout.trim().parse().expect("date +%s");
    let real = triage_heartbeat::now_unix();
    assert!((faked - real - 7200.0).abs() < 60.0, "{faked} vs {real}");
}

#[test]
fn a_forward_step_takes_no_verdict_and_does_not_end_a_maintenance_window() {
    let setup = Clocked::new();
    ok(setup.remediate(&["maint", "demo", "--for", "1h", "--reason", "disk swap"]));
    let first = ok(setup.remediate(&["check"]));
    assert!(
        line_of(&first, "demo").contains("in maintenance until"),
        "{first:?}"
    );

    let stepped = ok(setup.remediate_at("+2h", &["check"]));
    assert!(
        stepped
            .stdout
            .contains("the wall clock stepped +7200s since the last pass"),
        "{stepped:?}"
    );
    assert!(
        line_of(&stepped, "demo").contains("no verdict"),
        "{stepped:?}"
    );

    // Two hours on by the wall clock, seconds by the boot clock: still in maintenance, and
    // the window ends an hour from the (new) wall clock's now.
    let after = ok(setup.remediate_at("+2h", &["check"]));
    assert!(!after.stdout.contains("stepped"), "{after:?}");
    let line = line_of(&after, "demo");
    assert!(line.contains("in maintenance until"), "{after:?}");
    let list = ok(setup.remediate_at("+2h", &["maint", "--list"]));
    assert!(list.stdout.contains("disk swap"), "{list:?}");
    let history = ok(setup.remediate(&["history"]));
    assert!(
        history
            .stdout
            .contains("no verdict: the wall clock stepped +7200s"),
        "{history:?}"
    );
}

#[test]
fn a_backward_step_neither_counts_a_failure_nor_stretches_the_grace_after_a_run() {
    let setup = Clocked::new();
    let first = ok(setup.remediate(&["check"]));
    assert!(line_of(&first, "demo").contains("failing 1/2"), "{first:?}");
    let second = ok(setup.remediate(&["check"]));
    assert!(
        line_of(&second, "demo").contains("run 1 succeeded"),
        "{second:?}"
    );

    // The grace (2 s) ends by the boot clock; an hour's step back must not stretch it.
    std::thread::sleep(Duration::from_millis(2500));
    let stepped = ok(setup.remediate_at("-1h", &["check"]));
    assert!(
        stepped
            .stdout
            .contains("the wall clock stepped -3600s since the last pass"),
        "{stepped:?}"
    );
    let after = ok(setup.remediate_at("-1h", &["check"]));
    let line = line_of(&after, "demo");
    assert!(!line.contains("starting up"), "{after:?}");
    assert!(line.contains("failing 1/2"), "{after:?}");
    let status = ok(setup.remediate_at("-1h", &["status"]));
    assert!(status.stdout.contains("failing"), "{status:?}");
}

#[test]
fn the_self_check_counts_the_last_pass_on_the_clock_it_was_stored_on() {
    let setup = Clocked::new();
    ok(setup.remediate(&["check"]));
    // An hour's step back: the last pass is seconds old, not an hour in the future.
    let back = setup.remediate_at("-1h", &["status", "--output-format", "nagios"]);
    assert!(!back.stdout.contains("clock trouble"), "{back:?}");
    assert!(last_pass_age(&back) < 60.0, "{back:?}");
    // The same for the monitoring user, who reads the snapshot instead of the database.
    use std::os::unix::fs::PermissionsExt;
    let readable = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    readable(setup.dir.path(), 0o755);
    readable(&setup.config(), 0o644);
    let nobody = run_bounded(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(faketime())
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", "-1h"])
            .arg(bin("remediate"))
            .arg("-c")
            .arg(setup.config())
            .args(["status", "--output-format", "nagios"]),
        Duration::from_secs(30),
    );
    assert!(!nobody.stdout.contains("clock trouble"), "{nobody:?}");
    assert!(last_pass_age(&nobody) < 60.0, "{nobody:?}");
}

/// The `last_pass_age` perfdata of a self-check, in seconds.
fn last_pass_age(run: &Run) -> f64 {
    let value = run
        .stdout
        .split_whitespace()
        .find_map(|item| item.strip_prefix("last_pass_age="))
        .unwrap_or_else(|| panic!("no last_pass_age: {run:?}"));
    value
        .split(';')
        .next()
        .and_then(|v| v.trim_end_matches('s').parse().ok())
        .unwrap_or_else(|| panic!("unreadable last_pass_age {value}"))
}
