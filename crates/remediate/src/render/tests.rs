//! The views on plain values, with exact expected text.

use std::time::Duration;

use triage_core::State;

use super::*;
use crate::act::StepReport;
use crate::decide::IgnoreReason;
use crate::engine::Skipped;
use crate::model::{
    Decision, RunOutcome, RunProgress, ServiceStatus, Source, StateType, StepOutcome, StepRecord,
};

/// 2026-11-18 11:06:40 UTC.
const AT: f64 = 1_795_000_000.0;

fn step(action: &str, status: StepOutcome, note: &str) -> StepReport {
    StepReport {
        action: action.into(),
        status,
        exit_code: None,
        duration: Duration::from_millis(5),
        output_tail: String::new(),
        note: note.into(),
        started: None,
    }
}

fn checked(verdict: Verdict) -> ServiceReport {
    ServiceReport {
        service: "api".into(),
        check: Some((State::Critical, "heartbeat 400s old".into())),
        verdict: Some(verdict),
        run: None,
        skipped: None,
    }
}

#[test]
fn a_pass_line_says_the_check_the_verdict_and_the_run() {
    let mut report = checked(Verdict::Remediate { attempt: 2 });
    report.run = Some(RunReport {
        id: 7,
        outcome: RunOutcome::Aborted,
        steps: vec![
            step("kill", StepOutcome::Ok, "pid 4 exited after SIGTERM"),
            step("start", StepOutcome::TimedOut, "killed after 60s"),
        ],
    });
    assert_eq!(
        pass_line(&report),
        "api: CRITICAL heartbeat 400s old -> remediating (attempt 2): run 7 aborted \
         (kill ok, start timed out)"
    );
    assert_eq!(
        pass_line(&checked(Verdict::Failing {
            count: 1,
            threshold: 3
        })),
        "api: CRITICAL heartbeat 400s old -> failing 1/3"
    );
    assert_eq!(
        pass_line(&checked(Verdict::Exhausted {
            until: AT,
            newly: true
        })),
        "api: CRITICAL heartbeat 400s old -> EXHAUSTED: no action before 2026-11-18 11:06:40 UTC"
    );
    let mut busy = checked(Verdict::Remediate { attempt: 1 });
    busy.skipped = Some(Skipped::LockBusy);
    assert_eq!(
        pass_line(&busy),
        "api: CRITICAL heartbeat 400s old -> remediating (attempt 1): pipeline not run: \
         another remediate is running it"
    );
    let off = ServiceReport {
        service: "db".into(),
        check: None,
        verdict: None,
        run: None,
        skipped: Some(Skipped::Disabled),
    };
    assert_eq!(pass_line(&off), "db: not checked (disabled)");
}

#[test]
fn event_lines_say_what_was_done_or_would_be() {
    let started = EventVerdict::Remediate { attempt: 1 };
    assert_eq!(
        event_line("api", &started, Some(12), false),
        "api: remediation started, run-id=12 (attempt 1)"
    );
    assert_eq!(
        event_line("api", &started, None, true),
        "api: would remediate (attempt 1)"
    );
    let ignored = EventVerdict::Ignored(IgnoreReason::Soft {
        attempt: 2,
        acting_at: Some(3),
    });
    assert_eq!(
        event_line("api", &ignored, None, false),
        "api: nothing done: SOFT attempt 2 (acting on HARD, or SOFT at attempt 3)"
    );
}

#[test]
fn a_run_in_history_lists_its_steps_by_their_stored_names() {
    let entry = HistoryEntry::Run {
        id: 3,
        service: "api".into(),
        started: AT,
        finished: Some(AT + 2.0),
        outcome: RunProgress::Ended(RunOutcome::Failed),
        reason: "CRITICAL for 2 checks in a row: down".into(),
        dry_run: false,
        source: Source::Watch,
        steps: vec![StepRecord {
            index: 0,
            action: "clear_db".into(),
            started: AT,
            duration: 1.0,
            exit_code: None,
            outcome: StepOutcome::TimedOut,
            output_tail: String::new(),
            note: "killed after 60s".into(),
        }],
    };
    assert_eq!(
        history_entry(&entry),
        "2026-11-18 11:06:40 UTC  api: run 3 failed (CRITICAL for 2 checks in a row: down; \
         from watch)\n    1. clear_db: timed_out, killed after 60s"
    );
    let json: serde_json::Value = serde_json::from_str(&history_json(&entry)).expect("json");
    assert_eq!(
        (&json["kind"], &json["outcome"], &json["source"]),
        (&"run".into(), &"failed".into(), &"watch".into())
    );
    let decision = HistoryEntry::Decision {
        decision: Decision {
            service: "api".into(),
            at: AT,
            source: Source::Nagios,
            state: Some(State::Critical),
            state_type: Some(StateType::Hard),
            attempt: Some(3),
            decision: "remediate (attempt 1)".into(),
            run: Some(3),
        },
    };
    assert_eq!(
        history_entry(&decision),
        "2026-11-18 11:06:40 UTC  api: nagios on CRITICAL HARD attempt 3: remediate (attempt 1)"
    );
}

#[test]
fn the_status_table_lines_up_services_windows_and_the_last_pass() {
    let states = [(
        "api",
        ServiceState {
            status: ServiceStatus::Failing,
            consecutive_failures: 2,
            last_state: Some(State::Critical),
            last_summary: Some("down".into()),
            ..ServiceState::default()
        },
    )];
    let windows = [Maintenance {
        service: "api".into(),
        started: AT,
        until: AT + 3600.0,
        ended: None,
        reason: "disk swap".into(),
        by: "alice".into(),
    }];
    let record = PassRecord {
        passes: 4,
        last_started: Some(AT),
        last_finished: Some(AT + 1.0),
        last_ok: Some(false),
    };
    assert_eq!(
        status_table(&states, &windows, &record),
        [
            "SERVICE              STATUS       FAILURES  LAST RUN               LAST CHECK",
            "api                  failing             2  -                      CRITICAL down",
            "api: in maintenance until 2026-11-18 12:06:40 UTC (by alice: disk swap)",
            "last pass: 2026-11-18 11:06:41 UTC (4 passes)",
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&status_json(&states, &windows)).expect("json");
    assert_eq!(json["api"]["status"], "failing");
    assert_eq!(json["api"]["maintenance"]["by"], "alice");
}
