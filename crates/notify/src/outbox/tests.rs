use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::test_server::{Behaviour, TestServer};

/// A port nothing listens on: bound, then let go.
fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test port");
    listener.local_addr().expect("the test port").port()
}

fn token_header() -> Vec<(String, String)> {
    vec![("X-Token".to_owned(), "abc".to_owned())]
}

#[test]
fn webhooks_reach_two_targets_in_order_with_their_headers() {
    let first = TestServer::start(Behaviour::status(200), 3);
    let second = TestServer::start(Behaviour::status(204), 2);
    let outbox = Outbox::new(Duration::from_secs(2));
    for n in 1..=3 {
        outbox.post_json(&first.url("/hooks/a"), &token_header(), &json!({ "n": n }));
        if n <= 2 {
            outbox.post_json(&second.url("/hooks/b"), &[], &json!({ "text": n }));
        }
    }
    assert_eq!(outbox.finish(Duration::from_secs(5)), Vec::<String>::new());

    let received = first.requests();
    let bodies: Vec<serde_json::Value> = received
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect();
    assert_eq!(bodies, [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/hooks/a");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("x-token"), Some("abc"));
    }
    let texts: Vec<String> = second.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(texts, [r#"{"text":1}"#, r#"{"text":2}"#]);
}

#[test]
fn error_answers_and_refused_ports_become_failure_lines_with_redacted_urls() {
    let failing = TestServer::start(Behaviour::status(500), 1);
    let refused = refused_port();
    let outbox = Outbox::new(Duration::from_secs(2));
    outbox.post_json(&failing.url("/hooks/SECRET?token=SECRET"), &[], &json!({}));
    outbox.post_json(
        &format!("http://127.0.0.1:{refused}/hooks/SECRET"),
        &[],
        &json!({}),
    );
    let mut lines = outbox.finish(Duration::from_secs(5));
    lines.sort();
    let mut expected = vec![
        format!(
            "webhook http://127.0.0.1:{}/… failed: HTTP 500",
            failing.port
        ),
        format!("webhook http://127.0.0.1:{refused}/… failed: connection refused"),
    ];
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn failures_are_taken_once() {
    let outbox = Outbox::new(Duration::from_secs(2));
    outbox.post_json(
        &format!("http://127.0.0.1:{}/x", refused_port()),
        &[],
        &json!({}),
    );
    let started = Instant::now();
    while outbox.pending() > 0 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(outbox.take_failures().len(), 1);
    assert_eq!(outbox.take_failures(), Vec::<String>::new());
    assert_eq!(outbox.finish(Duration::from_secs(1)), Vec::<String>::new());
}

#[test]
fn silent_server_holds_up_neither_the_caller_nor_other_targets() {
    let silent = TestServer::start(Behaviour::Silent(Duration::from_secs(4)), 1);
    let good = TestServer::start(Behaviour::status(200), 1);
    let timeout = Duration::from_secs(1);
    let outbox = Outbox::new(timeout);

    let started = Instant::now();
    outbox.post_json(&silent.url("/hooks/SECRET"), &[], &json!({"to": "silent"}));
    outbox.post_json(&good.url("/hooks/good"), &[], &json!({"to": "good"}));
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "queueing took {:?}",
        started.elapsed()
    );

    let lines = outbox.finish(Duration::from_secs(5));
    assert!(
        started.elapsed() < timeout + Duration::from_secs(2),
        "finish took {:?}",
        started.elapsed()
    );
    assert_eq!(
        lines,
        [format!(
            "webhook http://127.0.0.1:{}/… failed: timed out after 1 s",
            silent.port
        )]
    );
    let delivered: Vec<String> = good.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(delivered, [r#"{"to":"good"}"#]);
}

#[test]
fn finish_gives_up_after_its_wait_and_counts_what_was_left() {
    let silent = TestServer::start(Behaviour::Silent(Duration::from_secs(4)), 1);
    let outbox = Outbox::new(Duration::from_secs(3));
    outbox.post_json(&silent.url("/hooks/SECRET"), &[], &json!({"n": 1}));
    outbox.post_json(&silent.url("/hooks/SECRET"), &[], &json!({"n": 2}));
    assert_eq!(outbox.pending(), 2);

    let started = Instant::now();
    let lines = outbox.finish(Duration::from_millis(300));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "finish took {:?}",
        started.elapsed()
    );
    assert_eq!(
        lines,
        [format!(
            "2 messages to http://127.0.0.1:{}/… not delivered: gave up after 0.3 s",
            silent.port
        )]
    );
}

#[test]
fn outbox_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Outbox>();
}
