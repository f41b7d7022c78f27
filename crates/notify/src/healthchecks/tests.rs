use std::time::Duration;

use super::*;
use crate::test_server::{Behaviour, TestServer};

fn is_canonical_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && id
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

#[test]
fn run_id_is_a_canonical_version_4_uuid() {
    let id = run_id();
    assert!(is_canonical_v4(&id), "{id}");
    assert_ne!(run_id(), id);
}

#[test]
fn uuid_version_and_variant_bits_are_set() {
    assert_eq!(
        format_uuid_v4([0; 16]),
        "00000000-0000-4000-8000-000000000000"
    );
    assert_eq!(
        format_uuid_v4([0xff; 16]),
        "ffffffff-ffff-4fff-bfff-ffffffffffff"
    );
    assert_eq!(
        format_uuid_v4(*b"\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef"),
        "01234567-89ab-4def-8123-456789abcdef"
    );
}

#[test]
fn fallback_bytes_still_make_distinct_ids() {
    let first = format_uuid_v4(fallback_bytes());
    assert!(is_canonical_v4(&first), "{first}");
    assert_ne!(format_uuid_v4(fallback_bytes()), first);
}

#[test]
fn ping_urls_append_the_endpoint_and_rid() {
    let rid = "0f8e3a4c-8d2b-4e57-9c1a-1b2c3d4e5f60";
    assert_eq!(
        ping_url("https://hc-ping.com/abc", "start", rid),
        format!("https://hc-ping.com/abc/start?rid={rid}")
    );
    assert_eq!(
        ping_url("https://hc-ping.com/abc/", "0", rid),
        format!("https://hc-ping.com/abc/0?rid={rid}")
    );
}

#[test]
fn ping_urls_keep_the_base_query() {
    assert_eq!(
        ping_url("https://hc-ping.com/key/backup?create=1", "fail", "r"),
        "https://hc-ping.com/key/backup/fail?create=1&rid=r"
    );
    assert_eq!(
        ping_url("https://hc-ping.com/key/backup/?create=1", "start", "r"),
        "https://hc-ping.com/key/backup/start?create=1&rid=r"
    );
    assert_eq!(
        ping_url("https://hc-ping.com/abc?", "0", "r"),
        "https://hc-ping.com/abc/0?rid=r"
    );
}

#[test]
fn logs_within_the_limit_are_kept_whole() {
    assert_eq!(truncate_log("all is well", 100), "all is well");
    assert_eq!(truncate_log("12345", 5), "12345");
    assert_eq!(truncate_log("", 0), "");
}

#[test]
fn long_logs_keep_their_head_and_say_how_long_they_were() {
    let log = "x".repeat(5000);
    let cut = truncate_log(&log, 100);
    let marker = "\n[truncated: 5000 bytes in all]";
    assert_eq!(cut.len(), 100);
    assert_eq!(cut, format!("{}{marker}", "x".repeat(100 - marker.len())));
}

#[test]
fn truncation_cuts_between_characters() {
    // Two-byte characters: the cut at an odd offset must move back one byte.
    let log = "é".repeat(100);
    let marker = "\n[truncated: 200 bytes in all]";
    for limit in [50, 51, 52, 53] {
        let cut = truncate_log(&log, limit);
        assert!(cut.len() <= limit, "{limit}: {} bytes", cut.len());
        assert!(cut.ends_with(marker), "{limit}: {cut}");
        assert!(cut.trim_end_matches(marker).chars().all(|c| c == 'é'));
    }
}

#[test]
fn a_limit_smaller_than_the_marker_keeps_only_text() {
    assert_eq!(truncate_log(&"ab".repeat(50), 5), "ababa");
    assert_eq!(truncate_log("éé", 3), "é");
}

#[test]
fn start_and_end_arrive_in_order_with_the_same_rid_and_the_announced_limit() {
    let server = TestServer::start(
        Behaviour::Answer {
            status: 200,
            headers: vec![("Ping-Body-Limit".to_owned(), "100".to_owned())],
        },
        2,
    );
    let outbox = Outbox::new(Duration::from_secs(2));
    let pinger = Pinger::new(&server.url("/ping/check-id"), &outbox);
    let rid = run_id();
    pinger.start(&rid);
    pinger.finish(&rid, true, &"log line\n".repeat(555));
    assert_eq!(outbox.finish(Duration::from_secs(5)), Vec::<String>::new());

    let received = server.requests();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0].method, "GET");
    assert_eq!(
        received[0].target,
        format!("/ping/check-id/start?rid={rid}")
    );
    assert_eq!(received[1].method, "POST");
    assert_eq!(received[1].target, format!("/ping/check-id/0?rid={rid}"));
    assert_eq!(
        received[1].header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let body = received[1].body_text();
    assert!(body.len() <= 100, "{} bytes", body.len());
    assert!(body.starts_with("log line\n"), "{body}");
    assert!(body.ends_with("\n[truncated: 4995 bytes in all]"), "{body}");
}

#[test]
fn failure_goes_to_fail_with_the_default_limit_until_one_is_announced() {
    let server = TestServer::start(Behaviour::status(200), 1);
    let outbox = Outbox::new(Duration::from_secs(2));
    let pinger = Pinger::new(&server.url("/ping/check-id/"), &outbox);
    pinger.finish("r1", false, &"y".repeat(20_000));
    assert_eq!(outbox.finish(Duration::from_secs(5)), Vec::<String>::new());

    let received = server.requests();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].target, "/ping/check-id/fail?rid=r1");
    assert_eq!(received[0].body.len(), DEFAULT_BODY_LIMIT);
    assert!(
        received[0]
            .body_text()
            .ends_with("\n[truncated: 20000 bytes in all]")
    );
}

#[test]
fn failed_pings_name_the_ping_and_hide_the_check_url() {
    let server = TestServer::start(Behaviour::status(404), 1);
    let outbox = Outbox::new(Duration::from_secs(2));
    let pinger = Pinger::new(&server.url("/ping/SECRET"), &outbox);
    pinger.start("r1");
    assert_eq!(
        outbox.finish(Duration::from_secs(5)),
        [format!(
            "start ping http://127.0.0.1:{}/… failed: HTTP 404",
            server.port
        )]
    );
}
