//! Verdicts on plain values: a service's prior state and what was seen in, the verdict
//! and the next state out.

use super::*;
use crate::config::{Format, parse};

fn service() -> Service {
    let text = r#"
        [services.app]
        check = { command = ["/bin/true"] }
        consecutive_failures = 2
        start_grace = "30s"
        budget = { max = 2, window = "1h", cooldown = "2h" }
        depends_on = ["db"]
        [services.db]
        check = { command = ["/bin/true"] }
    "#;
    let config = parse(text, Format::Toml, "test.toml").expect("config");
    config
        .services
        .into_iter()
        .find(|s| s.name == "app")
        .expect("app")
}

fn db_healthy(_: &str) -> Option<ServiceStatus> {
    Some(ServiceStatus::Healthy)
}

#[test]
fn failures_count_up_to_the_threshold_then_remediate_and_reset() {
    let app = service();
    let (v, s) = decide(
        &app,
        &ServiceState::default(),
        Seen::check(State::Critical),
        &db_healthy,
        1000.0,
    );
    assert_eq!(
        v,
        Verdict::Failing {
            count: 1,
            threshold: 2
        }
    );
    let (v, s) = decide(&app, &s, Seen::check(State::Critical), &db_healthy, 1060.0);
    assert_eq!(v, Verdict::Remediate { attempt: 1 });
    assert_eq!(
        (s.consecutive_failures, s.status, s.last_run),
        (0, ServiceStatus::Remediating, Some(1060.0))
    );
    // Warning is not a failure state by default: healthy, and it recovered.
    let (v, s) = decide(&app, &s, Seen::check(State::Warning), &db_healthy, 1200.0);
    assert_eq!(v, Verdict::Healthy { recovered: true });
    assert_eq!(s.consecutive_failures, 0);
}

#[test]
fn grace_dependencies_backoff_and_the_budget_hold_the_pipeline_back() {
    let app = service();
    let mut prior = ServiceState {
        consecutive_failures: 1,
        grace_until: Some(1030.0),
        ..ServiceState::default()
    };
    let (v, _) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1010.0,
    );
    assert_eq!(v, Verdict::InGrace { until: 1030.0 });
    prior.grace_until = None;
    let db_down = |_: &str| Some(ServiceStatus::Failing);
    let (v, _) = decide(&app, &prior, Seen::check(State::Critical), &db_down, 1010.0);
    assert_eq!(
        v,
        Verdict::DependencyDown {
            dependency: "db".into()
        }
    );
    // One attempt made 10 s ago: the next waits 2 x 30 s after it.
    prior.recent_runs = vec![1000.0];
    prior.last_run = Some(1000.0);
    let (v, _) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1010.0,
    );
    assert_eq!(v, Verdict::Backoff { until: 1060.0 });
    let (v, _) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1061.0,
    );
    assert_eq!(v, Verdict::Remediate { attempt: 2 });
    // Two attempts in the window spend the budget of 2: exhausted for the cooldown.
    prior.recent_runs = vec![1000.0, 1100.0];
    prior.last_run = Some(1100.0);
    let (v, s) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1500.0,
    );
    assert_eq!(
        v,
        Verdict::Exhausted {
            until: 1500.0 + 7200.0,
            newly: true
        }
    );
    let (v, _) = decide(&app, &s, Seen::check(State::Critical), &db_healthy, 1600.0);
    assert_eq!(
        v,
        Verdict::Exhausted {
            until: 8700.0,
            newly: false
        }
    );
    // Outside the window the old attempts no longer count.
    let (v, _) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1100.0 + 3600.0,
    );
    assert_eq!(v, Verdict::Remediate { attempt: 1 });
}

#[test]
fn maintenance_and_a_busy_lock_hold_back_and_problems_are_told_once() {
    let app = service();
    let prior = ServiceState {
        consecutive_failures: 1,
        ..ServiceState::default()
    };
    let seen = Seen {
        state: State::Critical,
        maintenance_until: Some(5000.0),
        busy: false,
        refused: None,
    };
    let (v, s) = decide(&app, &prior, seen, &db_healthy, 1000.0);
    assert_eq!(v, Verdict::Maintenance { until: 5000.0 });
    assert_eq!(
        (s.status, s.consecutive_failures),
        (ServiceStatus::Maintenance, 0)
    );
    let busy = Seen {
        busy: true,
        ..Seen::check(State::Critical)
    };
    let (v, s) = decide(&app, &prior, busy, &db_healthy, 1000.0);
    assert_eq!(v, Verdict::BeingRemediated);
    assert_eq!(s.consecutive_failures, 1);
    // DOWN when the threshold is reached, once; RECOVERED when healthy again.
    let (v, down) = decide(
        &app,
        &prior,
        Seen::check(State::Critical),
        &db_healthy,
        1000.0,
    );
    assert_eq!(notifications(&prior, &down, &v), [NotificationKind::Down]);
    let (v, again) = decide(
        &app,
        &down,
        Seen::check(State::Critical),
        &db_healthy,
        1100.0,
    );
    assert!(notifications(&down, &again, &v).is_empty());
    let (v, up) = decide(&app, &again, Seen::check(State::Ok), &db_healthy, 1200.0);
    assert_eq!(
        notifications(&again, &up, &v),
        [NotificationKind::Recovered]
    );
}

#[test]
fn a_refused_read_is_failing_never_acted_on_and_audited() {
    let app = service();
    let prior = ServiceState {
        consecutive_failures: 5,
        ..ServiceState::default()
    };
    let refused = Seen {
        refused: Some("the heartbeat is owned by uid 4242".into()),
        ..Seen::check(State::Critical)
    };
    let (v, s) = decide(&app, &prior, refused.clone(), &db_healthy, 1000.0);
    assert_eq!(
        v,
        Verdict::Refused {
            why: "the heartbeat is owned by uid 4242".into()
        }
    );
    assert_eq!((s.status, s.recent_runs.len()), (ServiceStatus::Failing, 0));
    assert_eq!(
        v.audit_line().as_deref(),
        Some("refused: the heartbeat is owned by uid 4242")
    );
    // A passing check is healthy whoever wrote it: nothing to act on anyway.
    let fine = Seen {
        state: State::Ok,
        ..refused
    };
    assert!(matches!(
        decide(&app, &prior, fine, &db_healthy, 1000.0).0,
        Verdict::Healthy { .. }
    ));
}

fn event(state: State, hard: bool, attempt: u32) -> EventSeen {
    EventSeen {
        state,
        hard,
        attempt,
        maintenance_until: None,
        busy: false,
    }
}

#[test]
fn events_act_on_critical_hard_once_per_problem_within_cooldown_and_budget() {
    let mut app = service();
    let fresh = ServiceState::default();
    let ignored = |v: &EventVerdict| matches!(v, EventVerdict::Ignored(_));
    let (v, _) = decide_event(&app, &fresh, event(State::Critical, false, 1), 1000.0);
    assert_eq!(v.to_string(), "ignored: SOFT attempt 1 (acting on HARD)");
    let (v, _) = decide_event(&app, &fresh, event(State::Warning, true, 3), 1000.0);
    assert!(ignored(&v));
    let (v, acted) = decide_event(&app, &fresh, event(State::Critical, true, 3), 1000.0);
    assert_eq!(v, EventVerdict::Remediate { attempt: 1 });
    assert_eq!(acted.problem_since, Some(1000.0));
    // The handler records its run; a repeat of the problem does nothing.
    let acted = ServiceState {
        problem_run: Some(7),
        ..acted
    };
    let (v, _) = decide_event(&app, &acted, event(State::Critical, true, 3), 1001.0);
    assert_eq!(
        v.to_string(),
        "ignored: already acted on this problem (run 7); waiting for OK"
    );
    // OK clears the problem; within the cooldown a new one still waits.
    let (v, ok) = decide_event(&app, &acted, event(State::Ok, true, 1), 1100.0);
    assert_eq!(v, EventVerdict::Recovered);
    assert_eq!((ok.problem_run, ok.problem_since), (None, None));
    let (v, _) = decide_event(&app, &ok, event(State::Critical, true, 3), 1200.0);
    assert_eq!(
        v.to_string(),
        "ignored: the last pipeline started 200s ago (cooldown 300s)"
    );
    // SOFT at attempt 3 when configured; the budget of 2 then runs out.
    app.event.soft_attempt = Some(3);
    let (v, second) = decide_event(&app, &ok, event(State::Critical, false, 3), 1400.0);
    assert_eq!(v, EventVerdict::Remediate { attempt: 2 });
    let (_, clear) = decide_event(&app, &second, event(State::Ok, true, 1), 1500.0);
    let (v, _) = decide_event(&app, &clear, event(State::Critical, true, 3), 1800.0);
    assert_eq!(
        v,
        EventVerdict::Exhausted {
            until: 1800.0 + 7200.0,
            newly: true
        }
    );
    let busy = EventSeen {
        busy: true,
        ..event(State::Critical, true, 3)
    };
    assert!(ignored(&decide_event(&app, &fresh, busy, 1000.0).0));
}
