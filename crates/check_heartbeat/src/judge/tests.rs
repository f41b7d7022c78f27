//! Exact verdicts for hand-made facts: every row of the detection table, without I/O.

use std::path::PathBuf;

use triage_core::{Range, State};
use triage_heartbeat::{Heartbeat, Timestamp};
use triage_proc::{Liveness, ProcessStat};

use super::*;
use crate::facts::{Found, HeartbeatFacts, HostFacts, ProcessFacts, SourceFacts, StallFact};

const NOW: f64 = 1_000_000.0;
const BOOT: &str = "4f0d7a52-1111-2222-3333-444455556666";

fn host() -> HostFacts {
    HostFacts {
        now: NOW,
        boot_id: Some(BOOT.into()),
        boot_clock: 500.0,
    }
}

fn policy() -> Policy {
    Policy {
        warning: None,
        critical: None,
        max_skew: 60.0,
        missing_state: State::Critical,
        invalid_state: State::Unknown,
        allow_stopped: false,
        mtime: false,
        stall_warning: None,
        stall_critical: None,
    }
}

fn heartbeat(age: f64) -> Heartbeat {
    let mut hb = Heartbeat::at(Timestamp(NOW - age));
    hb.process_key = Some("my_server".into());
    hb
}

fn alive(pid: i64, state: char, start_ticks: u64) -> ProcessFacts {
    ProcessFacts {
        pid,
        liveness: Ok(Liveness::Alive),
        stat: Some(ProcessStat {
            pid: pid as i32,
            comm: "server".into(),
            state,
            ppid: 1,
            start_ticks,
            ..ProcessStat::default()
        }),
    }
}

fn facts(hb: Heartbeat, process: Option<ProcessFacts>, stall: StallFact) -> SourceFacts {
    SourceFacts {
        path: PathBuf::from("/run/app/my_server.json"),
        found: Found::Heartbeat(Box::new(HeartbeatFacts {
            heartbeat: hb,
            owner: triage_heartbeat::FileOwner { uid: 0, gid: 0 },
            process,
            stall,
        })),
    }
}

fn verdict_of(facts: &SourceFacts, policy: &Policy) -> (State, String) {
    let verdict = judge(facts, &host(), policy);
    (verdict.state, verdict.text)
}

#[test]
fn a_fresh_heartbeat_with_its_process_is_alive() {
    let mut hb = heartbeat(4.0);
    hb.pid = Some(12345);
    hb.iteration = Some(42);
    hb.pid_start_ticks = Some(777);
    hb.boot_id = Some(BOOT.into());
    let f = facts(hb, Some(alive(12345, 'S', 777)), StallFact::NotTracked);
    assert_eq!(
        verdict_of(&f, &policy()),
        (
            State::Ok,
            "my_server alive, beat 4s ago (pid 12345, iteration 42)".into()
        )
    );
}

#[test]
fn stale_heartbeats_name_age_and_limit() {
    let f = facts(heartbeat(412.0), None, StallFact::NotTracked);
    let mut p = policy();
    p.warning = Range::parse_duration("60").ok();
    p.critical = Range::parse_duration("90").ok();
    assert_eq!(
        verdict_of(&f, &p),
        (
            State::Critical,
            "my_server stale, last beat 412s ago (limit 90s)".into()
        )
    );
    let f = facts(heartbeat(75.0), None, StallFact::NotTracked);
    assert_eq!(
        verdict_of(&f, &p),
        (
            State::Warning,
            "my_server stale, last beat 75s ago (limit 60s)".into()
        )
    );
}

#[test]
fn default_thresholds_come_from_the_interval_else_two_and_five_minutes() {
    let mut hb = heartbeat(65.0);
    hb.interval_s = Some(30.0);
    let verdict = judge(&facts(hb, None, StallFact::NotTracked), &host(), &policy());
    assert_eq!(verdict.state, State::Warning);
    assert_eq!(
        verdict.thresholds.warning.map(|r| r.to_string()),
        Some("60".into())
    );
    assert_eq!(
        verdict.thresholds.critical.map(|r| r.to_string()),
        Some("90".into())
    );
    let verdict = judge(
        &facts(heartbeat(119.0), None, StallFact::NotTracked),
        &host(),
        &policy(),
    );
    assert_eq!(verdict.state, State::Ok);
    assert_eq!(
        verdict.thresholds.critical.map(|r| r.to_string()),
        Some("300".into())
    );
}

#[test]
fn a_dead_pid_is_critical() {
    let mut hb = heartbeat(3.0);
    hb.pid = Some(4242);
    let dead = ProcessFacts {
        pid: 4242,
        liveness: Ok(Liveness::Gone),
        stat: None,
    };
    assert_eq!(
        verdict_of(&facts(hb, Some(dead), StallFact::NotTracked), &policy()),
        (
            State::Critical,
            "my_server: pid 4242 is not running (heartbeat 3s old)".into()
        )
    );
}

#[test]
fn a_zombie_pid_is_critical() {
    let mut hb = heartbeat(3.0);
    hb.pid = Some(4242);
    let (state, text) = verdict_of(
        &facts(hb, Some(alive(4242, 'Z', 1)), StallFact::NotTracked),
        &policy(),
    );
    assert_eq!(state, State::Critical);
    assert_eq!(
        text,
        "my_server: pid 4242 is a zombie, exited but not reaped (heartbeat 3s old)"
    );
}

#[test]
fn a_reused_pid_is_critical() {
    let mut hb = heartbeat(3.0);
    hb.pid = Some(4242);
    hb.pid_start_ticks = Some(100);
    let (state, text) = verdict_of(
        &facts(hb, Some(alive(4242, 'S', 999)), StallFact::NotTracked),
        &policy(),
    );
    assert_eq!(state, State::Critical);
    assert_eq!(
        text,
        "my_server: pid 4242 now belongs to another process ('server', started at tick 999 not 100)"
    );
}

#[test]
fn a_heartbeat_from_before_a_reboot_is_critical_and_its_pid_is_not_consulted() {
    let mut hb = heartbeat(3.0);
    hb.pid = Some(4242);
    hb.boot_id = Some("00000000-dead-beef-0000-000000000000".into());
    let verdict = judge(
        &facts(hb, Some(alive(4242, 'S', 1)), StallFact::NotTracked),
        &host(),
        &policy(),
    );
    assert_eq!(verdict.state, State::Critical);
    assert_eq!(
        verdict.text,
        "my_server: heartbeat is from before the last reboot (boot id differs)"
    );
    assert!(
        verdict
            .findings
            .iter()
            .all(|f| !f.text.contains("pid 4242"))
    );
}

#[test]
fn a_timestamp_from_the_future_is_unknown_clock_skew() {
    let f = facts(heartbeat(-300.0), None, StallFact::NotTracked);
    assert_eq!(
        verdict_of(&f, &policy()),
        (
            State::Unknown,
            "my_server: timestamp is 300s in the future (max skew 60s); check the clocks".into()
        )
    );
    let within = facts(heartbeat(-30.0), None, StallFact::NotTracked);
    assert_eq!(verdict_of(&within, &policy()).0, State::Ok);
}

#[test]
fn self_reported_statuses_map_to_states() {
    let with_status = |status: &str| {
        let mut hb = heartbeat(1.0);
        hb.status = Some(status.into());
        facts(hb, None, StallFact::NotTracked)
    };
    assert_eq!(verdict_of(&with_status("running"), &policy()).0, State::Ok);
    assert_eq!(
        verdict_of(&with_status("degraded"), &policy()),
        (State::Warning, "my_server reports status 'degraded'".into())
    );
    assert_eq!(
        verdict_of(&with_status("error"), &policy()).0,
        State::Critical
    );
    assert_eq!(
        verdict_of(&with_status("stopped"), &policy()),
        (
            State::Critical,
            "my_server stopped (status 'stopped')".into()
        )
    );
    let mut allowing = policy();
    allowing.allow_stopped = true;
    assert_eq!(
        verdict_of(&with_status("stopping"), &allowing),
        (
            State::Ok,
            "my_server stopped on purpose, last beat 1s ago".into()
        )
    );
}

#[test]
fn stopped_on_purpose_still_goes_stale() {
    let mut hb = heartbeat(400.0);
    hb.status = Some("stopped".into());
    let mut allowing = policy();
    allowing.allow_stopped = true;
    assert_eq!(
        verdict_of(&facts(hb, None, StallFact::NotTracked), &allowing).0,
        State::Critical
    );
}

#[test]
fn an_unchanged_iteration_is_hung_past_the_stall_limits() {
    let mut hb = heartbeat(2.0);
    hb.iteration = Some(42);
    let mut p = policy();
    p.stall_warning = Some(120.0);
    p.stall_critical = Some(300.0);
    let f = |seconds: f64| facts(hb.clone(), None, StallFact::Unchanged(seconds));
    assert_eq!(verdict_of(&f(60.0), &p).0, State::Ok);
    assert_eq!(
        verdict_of(&f(150.0), &p),
        (
            State::Warning,
            "my_server hung: iteration 42 unchanged for 150s (limit 120s)".into()
        )
    );
    assert_eq!(
        verdict_of(&f(312.0), &p),
        (
            State::Critical,
            "my_server hung: iteration 42 unchanged for 312s (limit 300s)".into()
        )
    );
    assert_eq!(
        verdict_of(&facts(hb.clone(), None, StallFact::Progressed), &p).0,
        State::Ok
    );
}

#[test]
fn an_unusable_state_directory_is_a_note_not_a_failure() {
    let mut hb = heartbeat(2.0);
    hb.iteration = Some(1);
    let verdict = judge(
        &facts(
            hb,
            None,
            StallFact::Skipped("cannot create /x: Permission denied".into()),
        ),
        &host(),
        &policy(),
    );
    assert_eq!(verdict.state, State::Ok);
    assert!(
        verdict
            .findings
            .iter()
            .any(|f| f.text == "stall detection skipped: cannot create /x: Permission denied")
    );
}

#[test]
fn missing_invalid_and_refused_files_follow_their_options() {
    let at = |found: Found| SourceFacts {
        path: PathBuf::from("/run/app/gone.json"),
        found,
    };
    assert_eq!(
        verdict_of(&at(Found::Missing), &policy()),
        (
            State::Critical,
            "gone: no heartbeat file at /run/app/gone.json".into()
        )
    );
    let mut lenient = policy();
    lenient.missing_state = State::Ok;
    lenient.invalid_state = State::Warning;
    assert_eq!(verdict_of(&at(Found::Missing), &lenient).0, State::Ok);
    assert_eq!(
        verdict_of(&at(Found::Invalid("bad".into())), &policy()).0,
        State::Unknown
    );
    assert_eq!(
        verdict_of(&at(Found::Invalid("bad".into())), &lenient).0,
        State::Warning
    );
    assert_eq!(
        verdict_of(&at(Found::Refused("no".into())), &lenient).0,
        State::Unknown
    );
}

#[test]
fn several_problems_name_the_worst_first_and_list_the_rest() {
    let mut hb = heartbeat(400.0);
    hb.pid = Some(7);
    hb.status = Some("degraded".into());
    let dead = ProcessFacts {
        pid: 7,
        liveness: Ok(Liveness::Gone),
        stat: None,
    };
    let verdict = judge(
        &facts(hb, Some(dead), StallFact::NotTracked),
        &host(),
        &policy(),
    );
    assert_eq!(verdict.state, State::Critical);
    assert_eq!(
        verdict.text,
        "my_server: pid 7 is not running (heartbeat 400s old); also degraded, stale 400s"
    );
    assert_eq!(verdict.short, "pid 7 dead");
}

#[test]
fn mtime_mode_judges_age_only() {
    let f = SourceFacts {
        path: PathBuf::from("/var/backups/last-run"),
        found: Found::Modified(NOW - 30.0),
    };
    assert_eq!(
        verdict_of(&f, &policy()),
        (State::Ok, "last-run modified 30s ago".into())
    );
    let old = SourceFacts {
        path: PathBuf::from("/var/backups/last-run"),
        found: Found::Modified(NOW - 4000.0),
    };
    assert_eq!(
        verdict_of(&old, &policy()),
        (
            State::Critical,
            "last-run stale, modified 1h06m ago (limit 300s)".into()
        )
    );
}
