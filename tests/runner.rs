//! The core runner in a real process: panics, deadlines, usage errors, help and version
//! all end in one line on stdout and an exit code from 0 to 3.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{example, run, run_bounded};

fn probe(args: &[&str]) -> crate::support::Run {
    run(&example("runner_probe"), args)
}

#[test]
fn a_panic_is_one_unknown_line_and_exit_3() {
    let out = probe(&["--panic"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.starts_with(
            "PROBE UNKNOWN: internal error: probe asked to panic at examples/runner_probe.rs:"
        ),
        "{out:?}"
    );
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(!out.stderr.contains("stack backtrace"), "{out:?}");
}

#[test]
fn a_panic_in_another_thread_is_also_unknown() {
    let out = probe(&["--panic-in-thread"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout
            .starts_with("PROBE UNKNOWN: internal error: probe thread panicked"),
        "{out:?}"
    );
}

#[test]
fn the_deadline_fires_while_blocked_in_a_syscall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("never-written");
    let c_path = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstring");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().expect("utf8");

    let started = Instant::now();
    let out = run_bounded(
        Command::new(example("runner_probe")).args(["--block-on", fifo, "-t", "1"]),
        Duration::from_secs(10),
    );
    assert_eq!(out.stdout, "PROBE CRITICAL: timed out after 1 seconds\n");
    assert_eq!(out.code, 2);
    assert!(started.elapsed() >= Duration::from_secs(1));

    let out = probe(&["--block-on", fifo, "-t", "0.5:UNKNOWN"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "PROBE UNKNOWN: timed out after 0.5 seconds\n")
    );

    let out = probe(&[
        "--block-on",
        fifo,
        "-t",
        "0.5:critical",
        "--timeout-result",
        "warning",
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (1, "PROBE WARNING: timed out after 0.5 seconds\n")
    );

    let out = probe(&["--block-on", fifo, "-t", "0.5", "--service-name", "MY APP"]);
    assert_eq!(out.stdout, "MY APP CRITICAL: timed out after 0.5 seconds\n");
}

#[test]
fn errors_become_unknown_with_the_message() {
    let out = probe(&["--fail", "cannot reach /run/app"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "PROBE UNKNOWN: cannot reach /run/app\n")
    );
}

#[test]
fn help_and_version_exit_3_on_stdout() {
    let out = probe(&["--version"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        format!(
            "runner_probe v{0} (triage {0})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let out = probe(&["--help"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("--timeout <SECONDS[:STATE]>"),
        "{out:?}"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn usage_errors_exit_3_with_name_message_and_usage() {
    let out = probe(&["--bogus"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stdout,
        "runner_probe: unexpected argument '--bogus' found\nUsage: runner_probe [OPTIONS] (see runner_probe --help)\n"
    );
    let out = probe(&["-t", "soon"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.first_line(),
        "runner_probe: --timeout: 'soon' is not a timeout: expected SECONDS[:STATE] with 0 to 86400 seconds"
    );
    let out = probe(&["--output-format", "xml"]);
    assert_eq!(out.code, 3);
    assert!(
        out.first_line()
            .starts_with("runner_probe: invalid value 'xml' for '--output-format <FORMAT>'"),
        "{out:?}"
    );
}

#[test]
fn runs_with_an_empty_environment() {
    let out = run_bounded(
        Command::new(example("runner_probe")).env_clear(),
        Duration::from_secs(10),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "PROBE OK: probe finished\n")
    );
}
