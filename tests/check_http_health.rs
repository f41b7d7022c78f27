//! check_http_health against real HTTP and HTTPS servers on loopback, started by the tests
//! (tests/support/http_server.rs), with certificates made at test time.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::http_server::{Route, TestCa, TestServer};
use crate::support::{Run, bin, run_bounded};

fn http(args: &[&str]) -> Run {
    http_env(args, &[])
}

fn http_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(bin("check_http_health"));
    command
        .args(args)
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
    for (key, value) in env {
        command.env(key, value);
    }
    run_bounded(&mut command, Duration::from_secs(30))
}

/// The first line without perfdata, the varying figures replaced: `in T second`.
fn shape(out: &Run) -> String {
    let line = out.first_line().split(" | ").next().unwrap_or("");
    let mut shaped = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(at);
        shaped.push_str(before);
        let end = from
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(from.len());
        let (number, after) = from.split_at(end);
        let timed = after.starts_with(" second") || after.starts_with("s ");
        shaped.push_str(if timed && number.contains('.') {
            "T"
        } else {
            number
        });
        rest = after;
    }
    shaped.push_str(rest);
    shaped
}

/// Runs each case (a path on `server`, then options) and checks its exit code and shaped
/// first line.
fn assert_cases(server: &TestServer, cases: &[(&[&str], i32, &str)]) {
    for (args, code, line) in cases {
        let (path, rest) = args.split_first().expect("path");
        let out = http(&[&[server.url(path).as_str()], rest].concat());
        assert_eq!(
            (out.code, shape(&out)),
            (*code, (*line).to_owned()),
            "{args:?}: {}",
            out.stdout
        );
    }
}

const SPRING_UP: &str = r#"{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL"}},"diskSpace":{"status":"UP"}}}"#;
const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"Connection refused"}},"diskSpace":{"status":"UP"},"redis":{"status":"DOWN"}}}"#;
const IETF_WARN: &str = r#"{"status":"warn","checks":{"db:responseTime":[{"componentId":"db1","status":"warn","observedValue":250,"observedUnit":"ms","output":"slow"}],"uptime":[{"status":"pass","observedValue":1209600,"observedUnit":"s"}]}}"#;
const MICROPROFILE_DOWN: &str = r#"{"status":"DOWN","checks":[{"name":"ping","status":"UP"},{"name":"database","status":"DOWN","data":{"reason":"timeout"}}]}"#;
const ASPNET_DEGRADED: &str = r#"{"status":"Degraded","totalDuration":"00:00:00.0123","entries":{"sql":{"status":"Healthy","duration":"00:00:00.01"},"queue":{"status":"Degraded","description":"backlog 900"}}}"#;
const K8S_FAILED: &str =
    "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nlivez check failed\n";

fn server() -> TestServer {
    TestServer::http(vec![
        ("/health", Route::json(200, SPRING_UP)),
        ("/health-down", Route::json(503, SPRING_DOWN)),
        (
            "/ietf",
            Route::json(200, IETF_WARN).with_header("Content-Type", "application/health+json"),
        ),
        ("/mp", Route::json(503, MICROPROFILE_DOWN)),
        ("/aspnet", Route::json(200, ASPNET_DEGRADED)),
        ("/livez", Route::text(500, K8S_FAILED)),
        ("/plain", Route::text(200, "all good")),
        (
            "/data",
            Route::json(
                200,
                r#"{"status":"ok","queue":{"depth":150},"version":"1.2","ready":true}"#,
            ),
        ),
        (
            "/slow",
            Route::Delay(
                Duration::from_millis(1200),
                Box::new(Route::text(200, "late")),
            ),
        ),
        (
            "/redirect",
            Route::Redirect {
                status: 302,
                location: "/health".into(),
            },
        ),
        (
            "/loop",
            Route::Redirect {
                status: 302,
                location: "/loop".into(),
            },
        ),
        ("/missing", Route::text(404, "not here")),
        ("/broken", Route::text(500, "oops")),
        ("/huge", Route::text(200, &"x".repeat(3 * 1024 * 1024))),
        ("/endless", Route::EndlessBody),
        ("/hang", Route::NeverAnswer),
        ("/garbage", Route::Raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec())),
        ("/echo", Route::Echo),
        (
            "/chunked",
            Route::Chunked {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                chunks: vec![b"{\"status\":".to_vec(), b"\"UP\"}".to_vec()],
            },
        ),
    ])
}

#[test]
fn health_documents_become_components_and_the_summary_names_the_failing_ones() {
    let server = server();
    let out = http(&[&server.url("/health")]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        shape(&out),
        "HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - 115 bytes in T second response time"
    );
    // All well: one line, as check_http prints; -v lists the components.
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let out = http(&[&server.url("/health"), "-v"]);
    assert!(
        out.stdout
            .contains("\\_[OK] db: UP (database=PostgreSQL)\n"),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/health-down")]);
    assert_eq!(out.code, 2);
    assert_eq!(
        shape(&out),
        "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 2 of 3 components down: db, redis - 150 bytes in T second response time"
    );
    assert!(
        out.stdout
            .contains("\\_[CRITICAL] db: DOWN (Connection refused)\n"),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/ietf")]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        shape(&out).starts_with(
            "HTTP WARNING: HTTP/1.1 200 OK - 1 of 2 components degraded: db:responseTime"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(" db:responseTime=250ms uptime=1209600s"),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/mp")]);
    assert!(
        shape(&out).starts_with(
            "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 1 of 2 components down: database"
        ),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/aspnet")]);
    assert_eq!(out.code, 1);
    assert!(
        shape(&out)
            .starts_with("HTTP WARNING: HTTP/1.1 200 OK - 1 of 2 components degraded: queue"),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/livez")]);
    assert!(
        shape(&out).starts_with(
            "HTTP CRITICAL: HTTP/1.1 500 Internal Server Error - 1 of 3 components down: etcd"
        ),
        "{}",
        out.stdout
    );
    // --health none: the body is not read as a document; a named format that does not fit is CRITICAL.
    let out = http(&[&server.url("/health-down"), "--health", "none", "-e", "503"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = http(&[&server.url("/plain"), "--health", "spring"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    // A chunked body reads whole.
    let out = http(&[&server.url("/chunked")]);
    assert!(
        shape(&out)
            .starts_with("HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 0 components - 15 bytes"),
        "{}",
        out.stdout
    );
}

#[test]
fn status_codes_expectations_and_redirects() {
    let server = server();
    let port = server.port().to_string();
    let cases: [(&[&str], i32, &str); 10] = [
        (
            &["/missing"],
            1,
            "HTTP WARNING: HTTP/1.1 404 Not Found - 8 bytes in T second response time",
        ),
        (
            &["/broken"],
            2,
            "HTTP CRITICAL: HTTP/1.1 500 Internal Server Error - 4 bytes in T second response time",
        ),
        (
            &["/missing", "-e", "404"],
            0,
            "HTTP OK: HTTP/1.1 404 Not Found - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-e", "204,3xx"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - status 200 is not one of 204,3xx - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-e", "2xx"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - 8 bytes in T second response time",
        ),
        (
            &["/redirect"],
            0,
            "HTTP OK: HTTP/1.1 302 Found - 0 bytes in T second response time",
        ),
        (
            &["/redirect", "-f", "warning"],
            1,
            "HTTP WARNING: HTTP/1.1 302 Found - 0 bytes in T second response time",
        ),
        (
            &["/redirect", "-f", "critical"],
            2,
            "HTTP CRITICAL: HTTP/1.1 302 Found - 0 bytes in T second response time",
        ),
        (
            &["/redirect", "-f", "follow"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - 115 bytes in T second response time",
        ),
        (
            &["/loop", "-f", "follow", "--max-redirects", "3"],
            2,
            "HTTP CRITICAL: more than 3 redirects (a redirect loop?)",
        ),
    ];
    assert_cases(&server, &cases);
    // check_http style: -H/-I/-p/-u.
    let out = http(&[
        "-H",
        "localhost",
        "-I",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "/plain",
    ]);
    assert_eq!(
        shape(&out),
        "HTTP OK: HTTP/1.1 200 OK - 8 bytes in T second response time",
        "{}",
        out.stdout
    );
}

#[test]
fn response_time_body_text_and_regex() {
    let server = server();
    let cases: [(&[&str], i32, &str); 8] = [
        (
            &["/slow", "-w", "0.5", "-c", "5"],
            1,
            "HTTP WARNING: HTTP/1.1 200 OK - response time Ts outside 0.5 - 4 bytes in T second response time",
        ),
        (
            &["/slow", "-w", "0.5", "-c", "1"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - response time Ts outside 1 - 4 bytes in T second response time",
        ),
        (
            &["/plain", "-s", "good"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-s", "DOWN"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - string 'DOWN' not found - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-s", "good", "--invert-regex"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - string 'good' found - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-r", "^all (good|fine)$"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - 8 bytes in T second response time",
        ),
        (
            &["/plain", "-r", "bad|worse"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - pattern 'bad¦worse' not found - 8 bytes in T second response time",
        ),
        (
            &["/huge", "--max-body", "64KB"],
            1,
            "HTTP WARNING: HTTP/1.1 200 OK - body larger than --max-body (65536 bytes read) - 65536 bytes in T second response time",
        ),
    ];
    assert_cases(&server, &cases);
    let out = http(&[&server.url("/slow"), "-w", "0.5", "-c", "5"]);
    assert!(out.stdout.contains(" | time="), "{}", out.stdout);
    assert!(
        out.stdout.contains("s;0.5;5;0; size=4B;;;0;"),
        "{}",
        out.stdout
    );
}

#[test]
fn json_pointers_assert_and_measure() {
    let server = server();
    let url = server.url("/data");
    let out = http(&[
        &url,
        "--json-eq",
        "/status=ok",
        "--json-eq",
        "/ready=true",
        "--json-metric",
        "queue=/queue/depth",
        "--json-warning",
        "100",
        "--json-critical",
        "1000",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        shape(&out).starts_with("HTTP WARNING: HTTP/1.1 200 OK - queue is 150 - "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(" queue=150;100;1000"), "{}", out.stdout);
    let out = http(&[&url, "--json-eq", "/version=2.0", "--json-eq", "/nope=1"]);
    assert_eq!(out.code, 2);
    assert!(
        shape(&out).starts_with("HTTP CRITICAL: HTTP/1.1 200 OK - /version is '1.2', expected '2.0' - /nope not found in the JSON - "),
        "{}",
        out.stdout
    );
    let out = http(&[&server.url("/plain"), "--json-eq", "/status=UP"]);
    assert_eq!(out.code, 2);
    assert!(shape(&out).starts_with("HTTP CRITICAL: HTTP/1.1 200 OK - the body is not JSON (expected value at line 1 column 1) - "), "{}", out.stdout);
}

#[test]
fn requests_carry_method_headers_body_and_credentials_without_argv_secrets() {
    let server = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = dir.path().join("auth");
    std::fs::write(&auth, "monitor:s3cret\n").expect("auth file");
    let data = dir.path().join("body.json");
    std::fs::write(&data, r#"{"probe":true}"#).expect("data file");
    let out = http_env(
        &[
            &server.url("/echo"),
            "--auth-file",
            auth.to_str().expect("utf-8"),
            "-k",
            "X-Trace: 1",
            "--header-env",
            "X-Api-Key: API_KEY",
            "--data-file",
            data.to_str().expect("utf-8"),
            "-T",
            "application/json",
            "-j",
            "PUT",
        ],
        &[("API_KEY", "k-123")],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let request = server.requests().into_iter().last().expect("a request");
    assert_eq!(request.method, "PUT");
    assert_eq!(
        request.header("authorization"),
        Some("Basic bW9uaXRvcjpzM2NyZXQ=")
    );
    assert_eq!(request.header("x-api-key"), Some("k-123"));
    assert_eq!(request.header("x-trace"), Some("1"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, br#"{"probe":true}"#);
    let out = http_env(
        &[&server.url("/echo"), "--bearer-env", "TOKEN"],
        &[("TOKEN", "t0k")],
    );
    assert_eq!(out.code, 0);
    let request = server.requests().into_iter().last().expect("a request");
    assert_eq!(request.header("authorization"), Some("Bearer t0k"));
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("check_http_health/"))
    );
    let out = http(&[
        &server.url("/echo"),
        "--bearer-env",
        "NO_SUCH_VAR_FOR_TRIAGE",
    ]);
    assert_eq!(
        out.stdout,
        "HTTP UNKNOWN: --bearer-env: the environment variable NO_SUCH_VAR_FOR_TRIAGE is not set\n"
    );
}

#[test]
fn unreachable_and_hostile_servers_fail_in_plain_words_by_the_deadline() {
    let server = server();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = http(&[&format!("http://127.0.0.1:{closed}/health")]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            2,
            format!("HTTP CRITICAL: connection refused by 127.0.0.1:{closed}\n").as_str()
        )
    );
    let out = http(&["http://no-such-host.invalid/health"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (2, "HTTP CRITICAL: cannot resolve no-such-host.invalid\n")
    );
    let out = http(&[&server.url("/garbage")]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout
            .starts_with("HTTP CRITICAL: malformed response: "),
        "{}",
        out.stdout
    );
    for path in ["/hang", "/endless"] {
        let started = Instant::now();
        let out = http(&[&server.url(path), "-t", "1"]);
        let took = started.elapsed();
        if path == "/hang" {
            assert_eq!(
                (out.code, out.stdout.as_str()),
                (2, "HTTP CRITICAL: timed out after 1 seconds\n")
            );
        } else {
            // An endless body is cut at --max-body, long before the deadline.
            assert_eq!(out.code, 1, "{}", out.stdout);
        }
        assert!(took < Duration::from_secs(5), "{path} took {took:?}");
    }
}

#[test]
fn tls_is_verified_and_certificate_expiry_is_judged() {
    let ca = TestCa::new("triage-test");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = ca.write_pem(dir.path());
    let ca_arg = ca_file.to_str().expect("utf-8");
    let routes = || vec![("/health", Route::json(200, SPRING_UP))];
    let good = TestServer::https(routes(), &ca.server_cert(&["localhost"], -1, 90));
    let out = http(&[&good.url("/health"), "--ca-file", ca_arg]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(" cert_days=89;14:;7:"),
        "{}",
        out.stdout
    );
    // Without our CA the system's roots do not know it.
    let out = http(&[&good.url("/health")]);
    assert_eq!(
        out.stdout,
        "HTTP CRITICAL: TLS: the certificate is signed by an unknown CA\n"
    );
    let out = http(&[&good.url("/health"), "--insecure"]);
    assert_eq!(
        shape(&out),
        "HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - 115 bytes in T second response time"
    );
    // Expiring soon: WARNING, then CRITICAL, as the thresholds say.
    let soon = TestServer::https(routes(), &ca.server_cert(&["localhost"], -1, 10));
    let out = http(&[&soon.url("/health"), "--ca-file", ca_arg]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        shape(&out).contains(" - certificate 'localhost' expires in 9 days - "),
        "{}",
        out.stdout
    );
    let out = http(&[
        &soon.url("/health"),
        "--ca-file",
        ca_arg,
        "--cert-critical",
        "20",
        "--cert-warning",
        "30",
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let expired = TestServer::https(routes(), &ca.server_cert(&["localhost"], -30, -2));
    let out = http(&[&expired.url("/health"), "--ca-file", ca_arg]);
    assert_eq!(
        out.stdout,
        "HTTP CRITICAL: TLS: the certificate has expired\n"
    );
    let wrong_host = TestServer::https(routes(), &ca.server_cert(&["api.example.com"], -1, 90));
    let out = http(&[&wrong_host.url("/health"), "--ca-file", ca_arg]);
    assert_eq!(
        out.stdout,
        "HTTP CRITICAL: TLS: the certificate is not valid for this host name\n"
    );
    // A client certificate for a server that demands one.
    let client_ca = TestCa::new("clients");
    let mutual = TestServer::https_client_auth(
        routes(),
        &ca.server_cert(&["localhost"], -1, 90),
        &client_ca,
    );
    let (cert, key) = client_ca.client_cert("monitor").write(dir.path());
    let out = http(&[
        &mutual.url("/health"),
        "--ca-file",
        ca_arg,
        "--client-cert",
        cert.to_str().expect("utf-8"),
        "--client-key",
        key.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = http(&[&mutual.url("/health"), "--ca-file", ca_arg]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("HTTP CRITICAL: TLS: "),
        "{}",
        out.stdout
    );
}

#[test]
fn ipv6_and_pinned_addresses() {
    let server = TestServer::http_v6(vec![("/health", Route::json(200, SPRING_UP))]);
    let out = http(&[&server.url("/health"), "-6"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let port = server.port();
    let out = http(&[
        &format!("http://svc.example:{port}/health"),
        "--resolve",
        &format!("svc.example:{port}:[::1]"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = http(&[&server.url("/health"), "-4"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            2,
            "HTTP CRITICAL: cannot resolve ::1 to an IPv4 address (-4)\n"
        )
    );
}

#[test]
fn bad_arguments_are_one_line_and_unknown() {
    let cases: [(&[&str], &str); 7] = [
        (
            &[],
            "HTTP UNKNOWN: give a URL, or -H HOST / -I ADDRESS (see check_http_health --help)\n",
        ),
        (
            &["ftp://x/"],
            "HTTP UNKNOWN: 'ftp://x/' is not a usable URL: the scheme 'ftp' is not http or https\n",
        ),
        (
            &["http://h/", "-e", "20"],
            "check_http_health: --expect: '20' is not a status code (100-599) or class (2xx)\n",
        ),
        (
            &["http://h/", "-r", "("],
            "check_http_health: --regex: '(' is not a valid extended regex: Unmatched ( or \\(\n",
        ),
        (
            &["http://h/", "--json-eq", "status=UP"],
            "check_http_health: --json-eq: 'status' is not a JSON Pointer",
        ),
        (
            &["http://h/", "-w", "abc"],
            "check_http_health: --warning: 'abc' is not a valid range",
        ),
        (
            &["http://h/", "--ca-file", "/nonexistent.pem"],
            "HTTP UNKNOWN: --ca-file: cannot read /nonexistent.pem: No such file or directory\n",
        ),
    ];
    for (args, expected) in cases {
        let out = http(args);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stdout);
        assert!(out.stdout.starts_with(expected), "{args:?}: {}", out.stdout);
    }
}

/// A stand-in CONNECT proxy on loopback: it tunnels every CONNECT to `to` (whatever host
/// was asked for), serves one tunnel at a time and records the CONNECT lines. It stops by
/// itself after a few seconds.
fn connect_proxy(to: std::net::SocketAddr) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let Ok((client, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let _ = client.set_nonblocking(false);
            let _ = client.set_read_timeout(Some(Duration::from_secs(2)));
            let mut reader = BufReader::new(client.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            log.lock().expect("log").push(line.trim_end().to_owned());
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let Ok(upstream) = std::net::TcpStream::connect(to) else {
                continue;
            };
            let mut client_out = client.try_clone().expect("clone");
            let _ = client_out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            let _ = upstream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut up_in = upstream.try_clone().expect("clone");
            let forward = std::thread::spawn(move || {
                let _ = std::io::copy(&mut reader, &mut up_in);
            });
            let mut up_out = upstream;
            let _ = std::io::copy(&mut up_out, &mut client_out);
            let _ = forward.join();
        }
    });
    (port, seen)
}

#[test]
fn proxies_from_the_environment_and_no_proxy() {
    let server = server();
    let (port, seen) = connect_proxy(server.addr());
    let proxy = format!("http://127.0.0.1:{port}");
    let out = http_env(&["http://svc.example/health"], &[("http_proxy", &proxy)]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        seen.lock().expect("log").first().map(String::as_str),
        Some("CONNECT svc.example:80 HTTP/1.1")
    );
    let out = http_env(
        &["http://svc.example/health", "--no-proxy"],
        &[("http_proxy", &proxy)],
    );
    assert_eq!(out.stdout, "HTTP CRITICAL: cannot resolve svc.example\n");
    let out = http_env(
        &["http://svc.example/health"],
        &[("ALL_PROXY", "socks5://127.0.0.1:1080")],
    );
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("is a SOCKS proxy, which is not supported"),
        "{}",
        out.stdout
    );
}

#[test]
fn check_http_spellings_sni_extended_perfdata_and_the_unreachable_state() {
    let server = server();
    let port = server.port().to_string();
    // -U, -a (Basic auth on argv, accepted for compatibility), --data (POST).
    let out = http(&["-U", &server.url("/echo"), "-a", "u:p", "--data", "ping"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let request = server.requests().into_iter().last().expect("request");
    assert_eq!(
        (request.method.as_str(), request.body.as_slice()),
        ("POST", &b"ping"[..])
    );
    assert_eq!(request.header("authorization"), Some("Basic dTpw"));
    // -E: the phases in perfdata.
    let out = http(&[&server.url("/plain"), "-E"]);
    let perf = out.stdout.split(" | ").nth(1).unwrap_or("").to_owned();
    assert!(
        perf.contains(" time_connect=") && perf.contains(" time_firstbyte="),
        "{perf}"
    );
    assert!(!perf.contains("time_tls"), "{perf}");
    // A refused connection is CRITICAL unless --unreachable-state says otherwise.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = http(&[
        &format!("http://127.0.0.1:{closed}/"),
        "--unreachable-state",
        "warning",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    // HTTPS through -H/-I/-S and through --sni, with the phases.
    let ca = TestCa::new("sni-test");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = ca.write_pem(dir.path());
    let ca_arg = ca_file.to_str().expect("utf-8");
    let tls = TestServer::https(
        vec![("/health", Route::json(200, SPRING_UP))],
        &ca.server_cert(&["api.example.com"], -1, 60),
    );
    let tls_port = tls.port().to_string();
    let out = http(&[
        "-H",
        "api.example.com",
        "-I",
        "127.0.0.1",
        "-p",
        &tls_port,
        "-S",
        "-u",
        "/health",
        "--ca-file",
        ca_arg,
        "-E",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains(" time_tls="), "{}", out.stdout);
    let out = http(&[
        &format!("https://127.0.0.1:{tls_port}/health"),
        "--sni",
        "api.example.com",
        "--ca-file",
        ca_arg,
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(" cert_days=59;14:;7:"),
        "{}",
        out.stdout
    );
    let _ = port;
}

#[test]
fn every_health_format_reads_healthy_as_ok_with_its_own_words() {
    let ietf = r#"{"status":"pass","checks":{"db:responseTime":[{"status":"pass","observedValue":12,"observedUnit":"ms"}]}}"#;
    let microprofile = r#"{"status":"UP","checks":[{"name":"ping","status":"UP"},{"name":"database","status":"UP"}]}"#;
    let aspnet = r#"{"status":"Healthy","totalDuration":"00:00:00.0050","entries":{"sql":{"status":"Healthy"}}}"#;
    let k8s = "[+]ping ok\n[+]etcd ok\nlivez check passed\n";
    let server = TestServer::http(vec![
        ("/spring", Route::json(200, SPRING_UP)),
        (
            "/ietf",
            Route::json(200, ietf).with_header("Content-Type", "application/health+json"),
        ),
        ("/mp", Route::json(200, microprofile)),
        ("/aspnet", Route::json(200, aspnet)),
        ("/livez", Route::text(200, k8s)),
    ]);
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["/spring"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - 115 bytes in T second response time",
        ),
        (
            &["/ietf"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - IETF health+json pass, 1 component - 105 bytes in T second response time",
        ),
        (
            &["/mp"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - MicroProfile Health UP, 2 components - 90 bytes in T second response time",
        ),
        (
            &["/aspnet"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - ASP.NET Core Healthy, 1 component - 91 bytes in T second response time",
        ),
        (
            &["/livez"],
            0,
            "HTTP OK: HTTP/1.1 200 OK - Kubernetes passed, 2 components - 41 bytes in T second response time",
        ),
        (
            &["/livez", "--health", "ietf"],
            2,
            "HTTP CRITICAL: HTTP/1.1 200 OK - not valid JSON: expected value at line 1 column 2 - 41 bytes in T second response time",
        ),
    ];
    assert_cases(&server, &cases);
    // The observed value of a passing IETF check is still perfdata.
    let out = http(&[&server.url("/ietf")]);
    assert!(
        out.stdout.contains(" db:responseTime=12ms"),
        "{}",
        out.stdout
    );
}
