//! Hostile input, in one place: for each case the issue lists (a slowloris server, an
//! endless body, a 2 GiB Content-Length, a stalled TLS handshake, a Docker socket that
//! never answers, a 1 GB heartbeat, 100,000 levels of JSON, PID -1, a `|` in an argument,
//! shell metacharacters in a service name, ...) a test that the run ends by its deadline
//! with the documented state and one clear line, in bounded memory where the issue asks,
//! and that nothing the user had is read or changed that should not be.
//!
//! Where another module already pins a case's exact message, the test here adds what that
//! one leaves out (the deadline, the memory, the variants) rather than repeating it.
//! Everything is loopback or a temp dir; every server stops by itself.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::fake_engine::{FakeEngine, Framing, Reply};
use crate::support::http_server::{Route, StalledHandshake, TestServer};
use crate::support::measure::{CRASH_MARKERS, HARD_LIMIT, Measured, measure};
use crate::support::{Run, as_unprivileged, bin, heartbeat_file, run_bounded, shared_tempdir};

/// The `-t` of every run here that has to end by its deadline.
const DEADLINE: Duration = Duration::from_secs(2);
/// For runs that must not wait for anything: they end within the start-up margin.
const AT_ONCE: Duration = Duration::ZERO;

/// A plugin's command with `args`, no proxy and no Docker host from our environment.
fn plugin<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Command {
    let mut command = Command::new(bin(name));
    command.args(args);
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "DOCKER_HOST",
        "DOCKER_API_VERSION",
    ] {
        command.env_remove(var);
    }
    command
}

/// `-t` for [`DEADLINE`].
fn deadline_arg() -> String {
    DEADLINE.as_secs().to_string()
}

// ---------------------------------------------------------------------------------------
// HTTP: check_http_health against misbehaving servers on 127.0.0.1.
// ---------------------------------------------------------------------------------------

fn http(url: &str, extra: &[&str]) -> Measured {
    let t = deadline_arg();
    let mut args = vec![url, "-t", &t];
    args.extend_from_slice(extra);
    measure(&mut plugin("check_http_health", &args))
}

fn http_timed_out() -> String {
    format!(
        "HTTP CRITICAL: timed out after {} seconds",
        DEADLINE.as_secs()
    )
}

#[test]
fn http_slowloris_headers_one_byte_a_second_time_out_by_the_deadline() {
    let server = TestServer::http(vec![("*", Route::SlowHeaders)]);
    http(&server.url("/health"), &[])
        .assert_line(2, &http_timed_out())
        .assert_by(DEADLINE)
        .assert_small();
}

/// The status is already covered by check_http_health's
/// `unreachable_and_hostile_servers_fail_in_plain_words_by_the_deadline`; this adds the
/// line and the memory, also with a --max-body far above the default.
#[test]
fn http_an_endless_body_is_cut_at_max_body_in_bounded_memory() {
    let server = TestServer::http(vec![("*", Route::EndlessBody)]);
    for (extra, read) in [(&[][..], 1 << 20), (&["--max-body", "16MB"][..], 16 << 20)] {
        http(&server.url("/endless"), extra)
            .assert_line(
                1,
                &format!(
                    "HTTP WARNING: HTTP/1.1 200 OK - body larger than --max-body ({read} bytes \
                     read) - "
                ),
            )
            .assert_by(DEADLINE)
            .assert_small();
    }
}

#[test]
fn http_ten_thousand_response_headers_are_a_malformed_answer_in_bounded_memory() {
    let server = TestServer::http(vec![("*", Route::ManyHeaders(10_000))]);
    http(&server.url("/many"), &[])
        .assert_line(
            2,
            "HTTP CRITICAL: malformed response: http parse resulted in too many headers",
        )
        .assert_by(DEADLINE)
        .assert_small();
}

#[test]
fn http_invalid_chunked_framing_is_critical_at_once() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
    let cases: [(&str, String, &str); 5] = [
        (
            "/not-hex",
            format!("{head}zz\r\nabc\r\n0\r\n\r\n"),
            "protocol: chunk length cannot be read as a number",
        ),
        (
            "/overflow",
            format!("{head}fffffffffffffffffffff\r\nabc\r\n"),
            "protocol: chunk expected crlf as next character",
        ),
        (
            "/longer",
            format!("{head}3\r\nabcdef\r\n0\r\n\r\n"),
            "protocol: chunk expected crlf as next character",
        ),
        (
            "/cut-short",
            format!("{head}7fffffff\r\nabc"),
            "malformed response: the connection closed in the middle of the answer",
        ),
        (
            "/endless-size-line",
            format!("{head}{}", "1".repeat(200_000)),
            "body data reading stalled",
        ),
    ];
    let server = TestServer::http(
        cases
            .iter()
            .map(|(path, bytes, _)| (*path, Route::Raw(bytes.clone().into_bytes())))
            .collect(),
    );
    // ureq's words (it is pinned exactly): terse, but one line and the right state.
    for (path, _, expected) in &cases {
        http(&server.url(path), &[])
            .assert_line(2, &format!("HTTP CRITICAL: {expected}"))
            .assert_by(DEADLINE)
            .assert_small();
    }
}

#[test]
fn http_a_tls_handshake_stalled_half_way_times_out_by_the_deadline() {
    let server = StalledHandshake::start();
    let url = format!("https://127.0.0.1:{}/health", server.port());
    http(&url, &[])
        .assert_line(2, &http_timed_out())
        .assert_by(DEADLINE)
        .assert_small();
}

/// The message is already covered by check_http_health's
/// `status_codes_expectations_and_redirects` (`--max-redirects 3`); this adds the default
/// limit, the deadline and the memory.
#[test]
fn http_a_redirect_loop_ends_at_the_redirect_limit_in_bounded_memory() {
    let server = TestServer::http(vec![(
        "*",
        Route::Redirect {
            status: 302,
            location: "/loop".into(),
        },
    )]);
    http(&server.url("/loop"), &["-f", "follow"])
        .assert_line(2, "HTTP CRITICAL: more than 5 redirects (a redirect loop?)")
        .assert_by(DEADLINE)
        .assert_small();
    assert_eq!(
        server.requests().len(),
        6,
        "the first request and 5 redirects"
    );
}

#[test]
fn http_a_2_gib_content_length_without_a_body_times_out_in_bounded_memory() {
    let server = TestServer::http(vec![("*", Route::HugeContentLength)]);
    http(&server.url("/huge"), &[])
        .assert_line(2, &http_timed_out())
        .assert_by(DEADLINE)
        .assert_small();
}

// ---------------------------------------------------------------------------------------
// Docker API: check_container against a fake engine on a Unix socket in a temp dir.
// ---------------------------------------------------------------------------------------

fn container(host: &str) -> Measured {
    let t = deadline_arg();
    let mut command = plugin("check_container", &["web", "-t", &t]);
    command.env("DOCKER_HOST", host);
    measure(&mut command)
}

fn engine(dir: &Path, name: &str, reply: Reply) -> FakeEngine {
    FakeEngine::start(
        &dir.join(name),
        vec![("GET /_ping", Reply::ping("1.41")), ("*", reply)],
    )
}

/// A truncated list is already covered by check_container's
/// `broken_and_hostile_engines_end_cleanly`; this adds the deadline and answers cut
/// short in their framing (fewer bytes than Content-Length, a chunk cut off).
#[test]
fn docker_truncated_answers_are_unknown_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "json.sock",
            Reply::json(200, r#"[{"Id":"ab"#),
            "GET /containers/json: the answer is not the JSON expected: EOF while parsing a \
             string at line 1 column 10",
        ),
        (
            "length.sock",
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n[{\"Id\":\"ab".to_vec()),
            "GET /v1.41/containers/json: the answer ended after 10 of 5000 bytes",
        ),
        (
            "chunk.sock",
            Reply::Raw(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n[{\"Id\"".to_vec(),
            ),
            "GET /v1.41/containers/json: the connection closed in the middle of a chunk",
        ),
    ];
    for (name, reply, why) in cases {
        let engine = engine(dir.path(), name, reply);
        let out = container(&engine.host());
        out.assert_line(3, "CONTAINER UNKNOWN: ")
            .assert_by(AT_ONCE)
            .assert_small();
        assert!(out.stdout.ends_with(&format!("{why}\n")), "{out:#?}");
    }
}

/// Already covered with `-t 1` by check_container's
/// `broken_and_hostile_engines_end_cleanly` (code and line); this adds the wall time, and
/// a socket whose listener never even accepts.
#[test]
fn docker_a_socket_that_never_answers_times_out_by_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let silent = FakeEngine::start(&dir.path().join("silent.sock"), vec![("*", Reply::Silence)]);
    let expected = format!(
        "CONTAINER CRITICAL: timed out after {} seconds",
        DEADLINE.as_secs()
    );
    container(&silent.host())
        .assert_line(2, &expected)
        .assert_by(DEADLINE)
        .assert_small();
    let backlog = dir.path().join("backlog.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&backlog).expect("bind");
    container(&format!("unix://{}", backlog.display()))
        .assert_line(2, &expected)
        .assert_by(DEADLINE)
        .assert_small();
}

/// A Content-Length answer over the limit is already covered (refused before reading) by
/// check_container's `broken_and_hostile_engines_end_cleanly`; here 100 MB arrive
/// streamed, chunked and close-delimited, where the size is only known by reading.
#[test]
fn docker_a_100_mb_answer_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, framing) in [
        ("chunked.sock", Framing::Chunked(64 << 10)),
        ("close.sock", Framing::Close),
        ("length.sock", Framing::Length),
    ] {
        let engine = engine(
            dir.path(),
            name,
            Reply::Flood {
                bytes: 100_000_000,
                framing,
            },
        );
        let out = container(&engine.host());
        out.assert_line(3, "CONTAINER UNKNOWN: ")
            .assert_by(DEADLINE)
            .assert_small();
        assert!(
            out.stdout
                .ends_with(": the answer is larger than 33554432 bytes\n"),
            "{framing:?}: {out:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Heartbeats: check_heartbeat on files that are not what they claim.
// ---------------------------------------------------------------------------------------

fn heartbeat<S: AsRef<OsStr>>(args: &[S]) -> Measured {
    let mut command = plugin("check_heartbeat", args);
    command.args(["-t", &deadline_arg()]);
    measure(&mut command)
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

#[test]
fn heartbeat_symlink_to_etc_shadow_is_refused_and_never_quoted() {
    let shadow = Path::new("/etc/shadow");
    assert!(
        shadow.exists(),
        "/etc/shadow is missing: install the passwd package (apt-get install passwd)"
    );
    let dir = shared_tempdir();
    let link = dir.path().join("shadow.json");
    std::os::unix::fs::symlink(shadow, &link).expect("symlink");
    let link = utf8(&link);
    heartbeat(&["-f", link])
        .assert_line(
            3,
            &format!(
                "HEARTBEAT UNKNOWN: {link}: is a symbolic link, not followed (use \
                 --follow-symlinks to allow)"
            ),
        )
        .assert_by(DEADLINE);
    // In a directory the link is refused the same way.
    let out = heartbeat(&["--dir", utf8(dir.path())]);
    out.assert_no_crash();
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stdout.contains("is a symbolic link"), "{out:#?}");
    // Followed on request: as nobody the kernel refuses; as root the file is read but its
    // text never reaches the output (serde_json's errors give positions only).
    let mut command = as_unprivileged(&bin("check_heartbeat"));
    command.args(["-f", link, "--follow-symlinks", "-t", &deadline_arg()]);
    measure(&mut command).assert_line(3, &format!("HEARTBEAT UNKNOWN: {link}: Permission denied"));
    let out = heartbeat(&["-f", link, "--follow-symlinks"]);
    out.assert_line(3, &format!("HEARTBEAT UNKNOWN: {link}: not valid JSON: "));
    // Whatever password hashes the machine has are nowhere in the output.
    let secret = std::fs::read_to_string(shadow).expect("read /etc/shadow as root");
    for hash in secret
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .filter(|hash| hash.len() >= 4)
    {
        assert!(
            !out.stdout.contains(hash),
            "a password hash leaked: {out:#?}"
        );
    }
}

/// The exact message for one FIFO is covered by check_heartbeat's
/// `directories_fifos_and_devices_are_not_heartbeats`; this adds the deadline, and a FIFO
/// in a directory of heartbeats (where a blocking open would hang the whole scan).
#[test]
fn heartbeat_fifo_never_blocks_alone_or_in_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.json");
    let c_path = std::ffi::CString::new(utf8(&fifo)).expect("cstring");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    heartbeat(&["-f", utf8(&fifo)])
        .assert_line(
            3,
            &format!(
                "HEARTBEAT UNKNOWN: {}: not a regular file (a FIFO)",
                fifo.display()
            ),
        )
        .assert_by(AT_ONCE);
    heartbeat_file(dir.path(), "good.json", 1.0, "");
    let out = heartbeat(&["--dir", utf8(dir.path())]);
    out.assert_by(AT_ONCE);
    out.assert_no_crash();
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stdout.starts_with("HEARTBEAT UNKNOWN: "), "{out:#?}");
    assert!(
        out.stdout.contains("not a regular file (a FIFO)"),
        "{out:#?}"
    );
}

/// check_heartbeat's `files_over_one_mib_are_refused` covers 1 MiB + a little; this is a
/// (sparse) gigabyte: refused from its size alone, unread, untouched, in little memory.
#[test]
fn heartbeat_of_one_gigabyte_is_refused_unread_and_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.json");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(1 << 30).expect("set_len");
    drop(file);
    let before = std::fs::metadata(&path).expect("metadata");
    for args in [vec!["-f", utf8(&path)], vec!["--dir", utf8(dir.path())]] {
        heartbeat(&args)
            .assert_line(
                3,
                &format!(
                    "HEARTBEAT UNKNOWN: {}: too large for a heartbeat (1073741824 bytes, limit \
                     1048576)",
                    path.display()
                ),
            )
            .assert_by(AT_ONCE)
            .assert_small();
    }
    let after = std::fs::metadata(&path).expect("metadata");
    assert_eq!(
        (after.len(), after.ino(), after.mtime(), after.mtime_nsec()),
        (
            before.len(),
            before.ino(),
            before.mtime(),
            before.mtime_nsec()
        ),
        "the file was changed"
    );
    // Still sparse: nothing wrote into it.
    assert_eq!(after.blocks(), before.blocks());
}

#[test]
fn heartbeat_with_invalid_utf8_is_unknown_and_the_output_stays_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = crate::support::timestamp(1.0);
    let mut in_string = format!(r#"{{"timestamp":"{fresh}","message":""#).into_bytes();
    in_string.extend_from_slice(b"\xff\xfe|\n\"}");
    let mut leading = b"\xef\xbb\xbf\xff".to_vec();
    leading.extend_from_slice(format!(r#"{{"timestamp":"{fresh}"}}"#).as_bytes());
    for (name, bytes) in [("string.json", in_string), ("leading.json", leading)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        heartbeat(&["-f", utf8(&path)])
            .assert_line(
                3,
                &format!("HEARTBEAT UNKNOWN: {}: not valid JSON: ", path.display()),
            )
            .assert_by(DEADLINE);
    }
    // A file name that is not UTF-8 (in a directory of its own) is named, replaced.
    let odd = tempfile::tempdir().expect("tempdir");
    let name = OsStr::from_bytes(b"w\xffker|\n.json");
    let path = odd.path().join(name);
    std::fs::write(&path, format!(r#"{{"timestamp":"{fresh}"}}"#)).expect("write");
    heartbeat(&[OsStr::new("-f"), path.as_os_str()])
        .assert_line(0, "HEARTBEAT OK: w\u{fffd}ker¦ ")
        .assert_by(DEADLINE);
    heartbeat(&[OsStr::new("--dir"), odd.path().as_os_str()])
        .assert_line(0, "HEARTBEAT OK: w\u{fffd}ker¦ ")
        .assert_by(DEADLINE);
}

#[test]
fn heartbeat_nested_100000_levels_deep_neither_overflows_nor_grows() {
    const DEPTH: usize = 100_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = crate::support::timestamp(1.0);
    let arrays = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH));
    let cases = [
        // The document itself, and the timestamp: not a heartbeat.
        ("top.json", arrays.clone(), 3, "HEARTBEAT UNKNOWN: "),
        (
            "timestamp.json",
            format!(r#"{{"timestamp":{arrays}}}"#),
            3,
            "HEARTBEAT UNKNOWN: ",
        ),
        // An unknown field is skipped without recursion: a valid, fresh heartbeat.
        (
            "extra.json",
            format!(r#"{{"timestamp":"{fresh}","x":{arrays}}}"#),
            0,
            "HEARTBEAT OK: extra alive, beat ",
        ),
        (
            "objects.json",
            format!(r#"{{"timestamp":"{fresh}","x":{objects}}}"#),
            0,
            "HEARTBEAT OK: objects alive, beat ",
        ),
    ];
    for (name, text, code, prefix) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        heartbeat(&["-f", utf8(&path)])
            .assert_line(code, prefix)
            .assert_by(DEADLINE)
            .assert_small();
    }
}

#[test]
fn heartbeat_pids_0_minus_1_and_2_pow_31_are_unknown_not_process_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    for pid in ["0", "-1", "2147483648"] {
        let path = heartbeat_file(dir.path(), "p.json", 1.0, &format!(r#""pid":{pid}"#));
        heartbeat(&["-f", utf8(&path)])
            .assert_line(
                3,
                &format!(
                    "HEARTBEAT UNKNOWN: p: cannot check pid: pid {pid} is not a process id \
                     (must be 1 to 2147483647) | "
                ),
            )
            .assert_by(DEADLINE);
    }
    // Past i64 it is not a number the document allows at all.
    let path = heartbeat_file(dir.path(), "p.json", 1.0, r#""pid":99999999999999999999"#);
    heartbeat(&["-f", utf8(&path)])
        .assert_line(
            3,
            &format!("HEARTBEAT UNKNOWN: {}: not a heartbeat: ", path.display()),
        )
        .assert_by(DEADLINE);
}

/// check_heartbeat's `future_timestamp_is_unknown_clock_skew` covers ten minutes ahead;
/// the year 9999 (and seconds past any calendar) must not overflow the arithmetic.
#[test]
fn heartbeat_from_the_year_9999_is_unknown_clock_skew() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, timestamp) in [
        ("text.json", r#""9999-12-31T23:59:59Z""#),
        ("seconds.json", "253402300799"),
        ("beyond.json", "1e300"),
    ] {
        let path =
            crate::support::write(dir.path(), name, &format!(r#"{{"timestamp":{timestamp}}}"#));
        let stem = name.trim_end_matches(".json");
        for extra in [&[][..], &["--max-skew", "100000d"][..]] {
            let mut args = vec!["-f", utf8(&path)];
            args.extend_from_slice(extra);
            let out = heartbeat(&args);
            out.assert_line(3, &format!("HEARTBEAT UNKNOWN: {stem}: timestamp is "))
                .assert_by(DEADLINE);
            assert!(out.stdout.contains(" in the future (max skew "), "{out:#?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ranges and options.
// ---------------------------------------------------------------------------------------

/// Range text that every range option of every plugin refuses.
fn malformed_ranges() -> Vec<String> {
    let mut forms: Vec<String> = [
        "abc", "~", "10:5", "", "/root:10", "@", "@@5", "1:2:3", "10::", "~:~", "@~", " 10", "10 ",
        "1..2", "0x10", "1e3", "1e400", "nan", "inf", "infinity", "NaN:5", "5:nan", "~:-inf", "-",
        "+-5", "-5:-10", "10 : 20", "1_000", "\t", "١٠", "１０", "5::5", ":~", "@:5:", "1\n2",
        "1|2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    forms.push("9".repeat(400));
    forms
}

#[test]
fn malformed_ranges_are_one_usage_error_in_every_plugin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(dir.path(), "ok.json", 1.0, "");
    let plugins: [(&str, Vec<&str>, &[&str]); 4] = [
        (
            "check_heartbeat",
            vec!["-f", utf8(&hb)],
            &["--warning", "--critical"],
        ),
        ("check_procs", vec![], &["--warning", "--critical"]),
        (
            "check_http_health",
            vec!["http://127.0.0.1:9/"],
            &[
                "--warning",
                "--critical",
                "--json-warning",
                "--json-critical",
            ],
        ),
        (
            "check_container",
            vec!["web"],
            &[
                "--restarts-warning",
                "--restart-count-critical",
                "--uptime-warning",
                "--cpu-critical",
                "--memory-warning",
            ],
        ),
    ];
    for (name, base, options) in &plugins {
        for option in *options {
            for form in malformed_ranges() {
                let mut args = base.clone();
                let arg = format!("{option}={form}");
                args.push(&arg);
                let mut command = plugin(name, &args);
                command.env("DOCKER_HOST", "unix:///nonexistent.sock");
                let out = measure(&mut command);
                out.assert_usage_error(name, option);
                assert!(
                    out.stdout.contains(" is not a valid range: "),
                    "{name} {option}={form:?}: {out:#?}"
                );
            }
        }
    }
}

#[test]
fn malformed_option_values_are_one_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(dir.path(), "ok.json", 1.0, "");
    let hb = utf8(&hb);
    let heartbeat_cases = [
        "abc",
        "-1",
        "1e9",
        "inf",
        "nan",
        "",
        "99999999999999999999",
        "1:bogus",
        "1:critical:x",
    ]
    .map(|t| ("--timeout", format!("--timeout={t}")));
    for (option, arg) in heartbeat_cases.iter().chain(&[
        ("--timeout-result", "--timeout-result=bogus".to_owned()),
        ("--missing-state", "--missing-state=9".to_owned()),
        ("--max-skew", "--max-skew=1e300s".to_owned()),
        ("--stall-warning", "--stall-warning=-1s".to_owned()),
    ]) {
        measure(&mut plugin("check_heartbeat", &["-f", hb, arg]))
            .assert_usage_error("check_heartbeat", option);
    }
    for (name, args, option) in [
        ("check_procs", vec!["--metric=BOGUS"], "--metric"),
        ("check_procs", vec!["--rss=abc"], "--rss"),
        (
            "check_http_health",
            vec!["http://h/", "--max-body=-1"],
            "--max-body",
        ),
        (
            "check_http_health",
            vec!["http://h/", "-p", "70000"],
            "--port",
        ),
        (
            "check_http_health",
            vec!["http://h/", "--max-redirects=99999999999"],
            "--max-redirects",
        ),
        (
            "check_http_health",
            vec!["http://h/", "-f", "sideways"],
            "--onredirect",
        ),
        (
            "check_http_health",
            vec!["http://h/", "--health=bogus"],
            "--health",
        ),
        (
            "check_http_health",
            vec!["http://h/", "-e", "999"],
            "--expect",
        ),
        (
            "check_container",
            vec!["web", "--expect-status=up"],
            "--expect-status",
        ),
    ] {
        measure(&mut plugin(name, &args)).assert_usage_error(name, option);
    }
    // clap's own refusals name the value in their words.
    let out = measure(&mut plugin(
        "check_heartbeat",
        &["-f", hb, "--output-format=bogus"],
    ));
    out.assert_no_crash();
    assert_eq!((out.code, out.stdout.lines().count()), (3, 2), "{out:#?}");
    assert!(
        out.first_line()
            .starts_with("check_heartbeat: invalid value 'bogus' for '--output-format "),
        "{out:#?}"
    );
}

#[test]
fn arguments_with_newlines_and_pipes_keep_the_first_line_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hb = heartbeat_file(dir.path(), "ok.json", 1.0, "");
    let hb = utf8(&hb);
    // Usage errors quote the bad text: on one line, without a `|`.
    for (name, args, option) in [
        (
            "check_heartbeat",
            vec!["-f", hb, "-w", "10\n|20"],
            "--warning",
        ),
        (
            "check_heartbeat",
            vec!["-f", hb, "--max-skew", "5m\n|x"],
            "--max-skew",
        ),
        ("check_procs", vec!["-c", "1|2\n3"], "--critical"),
        (
            "check_procs",
            vec!["5", "1|2\n3"],
            "critical range (given without -w/-c)",
        ),
        (
            "check_http_health",
            vec!["http://h/", "-e", "2xx\n|500"],
            "--expect",
        ),
        (
            "check_container",
            vec!["web", "--cpu-warning", "|\n"],
            "--cpu-warning",
        ),
        (
            "check_heartbeat",
            vec!["-f", hb, "-t", "1\n|2"],
            "--timeout",
        ),
    ] {
        measure(&mut plugin(name, &args)).assert_usage_error(name, option);
    }
    for (name, args) in [
        ("check_heartbeat", vec!["-f", hb, "--bogus\n|x"]),
        ("check_procs", vec!["--bogus\n|x"]),
    ] {
        let out = measure(&mut plugin(name, &args));
        out.assert_no_crash();
        assert_eq!(out.code, 3, "{out:#?}");
        let first = out.first_line();
        assert!(first.starts_with(&format!("{name}: ")), "{out:#?}");
        assert!(!first.contains('|'), "{out:#?}");
        assert_eq!(out.stdout.lines().count(), 2, "{out:#?}");
    }
    // Text that reaches a result is made one line as well.
    let odd = dir.path().join("a|b\nc.json");
    measure(&mut plugin("check_heartbeat", &["-f", utf8(&odd)]))
        .assert_line(2, "HEARTBEAT CRITICAL: a¦b c: no heartbeat file at ");
    measure(&mut plugin("check_procs", &["-C", "x\n|y"]))
        .assert_line(0, "PROCS OK: 0 processes with command name 'x ¦y'");
    measure(&mut plugin(
        "check_heartbeat",
        &["-f", hb, "--service-name", "MY|SVC\nX"],
    ))
    .assert_line(0, "MY¦SVC X OK: ");
    // ... including the watchdog's line when the deadline ends the run.
    let server = TestServer::http(vec![("*", Route::NeverAnswer)]);
    http(&server.url("/"), &["--service-name", "MY|SVC\nX"])
        .assert_line(2, &http_timed_out().replace("HTTP", "MY¦SVC X"))
        .assert_by(DEADLINE);
    // A header or a path with CR LF is refused, never sent as a second header.
    let echo = TestServer::http(vec![("*", Route::Echo)]);
    let port = echo.port().to_string();
    measure(&mut plugin(
        "check_http_health",
        &[&echo.url("/"), "-k", "X-A: 1\r\nX-Injected: yes"],
    ))
    .assert_line(3, "HTTP UNKNOWN: ");
    let out = measure(&mut plugin(
        "check_http_health",
        &[
            "-I",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "/a\r\nX-Injected: yes",
        ],
    ));
    out.assert_line(3, "HTTP UNKNOWN: ");
    assert!(
        echo.requests()
            .iter()
            .all(|r| r.header("x-injected").is_none()),
        "{:?}",
        echo.requests()
    );
}

#[test]
fn a_128_kib_argument_gives_a_bounded_usage_error() {
    // Linux takes at most 128 KiB in one argument (MAX_ARG_STRLEN).
    let huge = "9".repeat(128 * 1024 - 16);
    for (name, option) in [
        ("check_heartbeat", "--warning"),
        ("check_procs", "--critical"),
    ] {
        let arg = format!("{option}={huge}");
        let args = match name {
            "check_heartbeat" => vec!["-f", "x", arg.as_str()],
            _ => vec![arg.as_str()],
        };
        let out = measure(&mut plugin(name, &args));
        out.assert_usage_error(name, option);
        assert!(
            out.stdout.len() <= 4096,
            "{} bytes of output",
            out.stdout.len()
        );
    }
}

// ---------------------------------------------------------------------------------------
// remediate.
// ---------------------------------------------------------------------------------------

fn remediate(config: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(config).args(args);
    run_bounded(&mut command, HARD_LIMIT)
}

fn assert_no_crash(run: &Run) {
    for marker in CRASH_MARKERS.iter().filter(|m| **m != "Error: ") {
        assert!(
            !run.stdout.contains(marker) && !run.stderr.contains(marker),
            "{marker:?} in the output: {run:#?}"
        );
    }
}

#[test]
fn remediate_validate_refuses_service_names_with_shell_metacharacters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned");
    let names = [
        format!("web;touch {}", marker.display()),
        format!("$(touch {})", marker.display()),
        format!("`touch {}`", marker.display()),
        format!("web&&touch {}", marker.display()),
        "web|cat".to_owned(),
        "a b".to_owned(),
        "x>y<z".to_owned(),
        "*".to_owned(),
        "../etc".to_owned(),
        "-rf".to_owned(),
        "web\nevil".to_owned(),
        "'quoted'".to_owned(),
        String::new(),
    ];
    for name in &names {
        let config = dir.path().join("remediate.toml");
        let key = toml_quote(name);
        std::fs::write(
            &config,
            format!("[services.{key}]\ncheck = {{ http = [\"http://127.0.0.1:9/\"] }}\n"),
        )
        .expect("config");
        let out = remediate(&config, &["validate"]);
        assert_no_crash(&out);
        assert_eq!(out.code, 2, "{name:?}: {out:#?}");
        // The location is the key as written, quoted unless it is a bare TOML key.
        let bare = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        let location = if bare {
            name.clone()
        } else {
            format!("{name:?}")
        };
        assert_eq!(
            out.stderr,
            format!(
                "remediate: {}: 1 problem\n  services.{location}: is not a usable service name: \
                 use letters, digits, '-', '_' and '.', starting with a letter or digit (it \
                 names the service's log file)\n",
                config.display(),
            ),
            "{name:?}"
        );
        // `check` reads the same configuration and refuses it the same way.
        let out = remediate(&config, &["check"]);
        assert_eq!(out.code, 2, "{name:?}: {out:#?}");
    }
    // The JSON forms (native, and the Watchdog's config.json) are held to the same rule.
    for (file, text, location) in [
        (
            "remediate.json",
            r#"{"services":{"x;y":{"check":{"http":["http://127.0.0.1:9/"]}}}}"#,
            r#"services."x;y""#,
        ),
        (
            "config.json",
            r#"{"processes":{"x;y":{"heartbeat_path":"/run/w.json","timeout_seconds":5}}}"#,
            r#"processes."x;y""#,
        ),
    ] {
        let config = dir.path().join(file);
        std::fs::write(&config, text).expect("config");
        let out = remediate(&config, &["validate"]);
        assert_no_crash(&out);
        assert_eq!(out.code, 2, "{out:#?}");
        assert_eq!(
            out.stderr.lines().nth(1),
            Some(
                format!(
                    "  {location}: is not a usable service name: use letters, digits, '-', '_' \
                     and '.', starting with a letter or digit (it names the service's log file)"
                )
                .as_str()
            ),
            "{out:#?}"
        );
    }
    assert!(!marker.exists(), "a service name was run by a shell");
}

/// `name` as a TOML basic string.
fn toml_quote(name: &str) -> String {
    let mut quoted = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A configuration with one service `victim` checked by `dir/victim.json` and recovered by
/// a `kill` step only, so nothing else is ever started.
fn victim_config(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("remediate.toml");
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}\"\n[services.victim]\ncheck = {{ heartbeat = \"{}\", max_age = \
             \"3s\" }}\nrecovery = [\"kill\"]\n",
            dir.join("state/remediate.db").display(),
            dir.join("victim.json").display()
        ),
    )
    .expect("config");
    config
}

/// Field 22 of `/proc/<pid>/stat`.
fn start_ticks(pid: i32) -> u64 {
    triage_proc::read_stat(pid).expect("stat").start_ticks
}

fn boot_id() -> String {
    triage_proc::boot_id().expect("boot id")
}

/// The `run` line and the history both say the kill was refused, and why.
fn assert_kill_refused(config: &Path, run: &Run, run_id: u32, why: &str) {
    assert_no_crash(run);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(
        run.stdout,
        format!(
            "victim: ran 1 steps (run {run_id}, aborted)\n  1. kill: refused to signal: {why}\n"
        ),
        "{run:#?}"
    );
    let history = remediate(config, &["history", "victim"]);
    assert_eq!(history.code, 0, "{history:#?}");
    assert!(
        history.stdout.contains(&format!(
            "victim: run {run_id} aborted (run by hand; from cli)\n    1. kill: failed, \
             refused to signal: {why}\n"
        )),
        "{history:#?}"
    );
}

#[test]
fn remediate_never_signals_pid_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = victim_config(dir.path());
    let ticks = start_ticks(1);
    // Everything about PID 1 matches, as if it had written the heartbeat itself.
    std::fs::write(
        dir.path().join("victim.json"),
        format!(
            r#"{{"process_key":"victim","pid":1,"pid_start_ticks":{ticks},"boot_id":"{}","timestamp":"2000-01-01T00:00:00Z"}}"#,
            boot_id()
        ),
    )
    .expect("heartbeat");
    let run = remediate(&config, &["run", "victim"]);
    assert_kill_refused(&config, &run, 1, "pid 1 is init (PID 1)");
    assert_eq!(start_ticks(1), ticks, "PID 1 is not the same process");
}

#[test]
fn remediate_never_signals_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = victim_config(dir.path());
    let heartbeat = dir.path().join("victim.json");
    // The shell writes its own PID and start time, then execs remediate in its place.
    let script = r#"ticks=$(cut -d' ' -f22 /proc/$$/stat)
printf '{"process_key":"victim","pid":%s,"pid_start_ticks":%s,"timestamp":"2000-01-01T00:00:00Z"}' "$$" "$ticks" > "$1"
exec "$2" -c "$3" run victim"#;
    let mut command = Command::new("/bin/sh");
    command
        .args(["-c", script, "sh"])
        .arg(&heartbeat)
        .arg(bin("remediate"))
        .arg(&config);
    let run = run_bounded(&mut command, HARD_LIMIT);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&heartbeat).expect("heartbeat"))
            .expect("JSON");
    let pid = written["pid"].as_i64().expect("pid");
    assert_kill_refused(&config, &run, 1, &format!("pid {pid} is remediate itself"));
}

#[test]
fn remediate_refuses_heartbeat_pids_that_address_process_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = victim_config(dir.path());
    for (run_id, pid) in [(1, "0"), (2, "-1"), (3, "2147483648")] {
        std::fs::write(
            dir.path().join("victim.json"),
            format!(
                r#"{{"process_key":"victim","pid":{pid},"pid_start_ticks":1,"timestamp":"2000-01-01T00:00:00Z"}}"#
            ),
        )
        .expect("heartbeat");
        let run = remediate(&config, &["run", "victim"]);
        assert_kill_refused(
            &config,
            &run,
            run_id,
            &format!("pid {pid} is not a process id (must be 1 to 2147483647)"),
        );
    }
}

#[test]
fn remediate_refuses_a_config_symlinked_into_a_world_writable_directory() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid cannot fail.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test checks the rules that apply to root: run it as root (as .ci/run does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let open = dir.path().join("open");
    let safe = dir.path().join("safe");
    std::fs::create_dir(&open).expect("mkdir");
    std::fs::create_dir(&safe).expect("mkdir");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let text = "[services.web]\ncheck = { http = [\"http://127.0.0.1:9/\"] }\n";
    let in_open = open.join("remediate.toml");
    let in_safe = safe.join("real.toml");
    for path in [&in_open, &in_safe] {
        std::fs::write(path, text).expect("config");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let refusal = |config: &Path| {
        format!(
            "remediate: refusing {}: its directory {d} is writable by everyone without the \
             sticky bit (mode 0777); chmod o-w {d}\n",
            config.display(),
            d = open.display()
        )
    };
    // A link in a safe directory to a file in the open one; a link in the open directory
    // to a file in the safe one.
    let to_open = safe.join("remediate.toml");
    std::os::unix::fs::symlink(&in_open, &to_open).expect("symlink");
    let from_open = open.join("link.toml");
    std::os::unix::fs::symlink(&in_safe, &from_open).expect("symlink");
    for config in [&to_open, &from_open] {
        for args in [
            &["validate"][..],
            &["check"][..],
            &["run", "web", "--dry-run"][..],
        ] {
            let out = remediate(config, args);
            assert_no_crash(&out);
            assert_eq!(
                (out.code, out.stdout.as_str(), out.stderr.clone()),
                (2, "", refusal(config)),
                "{config:?} {args:?}"
            );
        }
    }
    // The same file through no open directory is fine.
    let out = remediate(&in_safe, &["validate"]);
    assert_eq!(out.code, 0, "{out:#?}");
}
