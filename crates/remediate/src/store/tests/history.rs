//! Reading the record back and pruning it.

use triage_core::State;

use super::super::*;
use super::{run_ids, step, temp_db};
use crate::model::*;

#[test]
fn history_is_newest_first_with_runs_steps_toggles_and_only_state_changes() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let mut pass = store.pass().expect("pass");
    for (at, state) in [
        (100.0, State::Ok),
        (110.0, State::Ok),
        (120.0, State::Critical),
        (130.0, State::Critical),
        (140.0, State::Ok),
    ] {
        pass.record_check("worker", state, &format!("{} at {at}", state.label()), at)
            .expect("check");
    }
    pass.record_check("web", State::Warning, "slow", 125.0)
        .expect("check");
    pass.commit().expect("commit");
    let run = store
        .begin_run(
            "worker",
            "2 consecutive failures",
            Source::Cron,
            false,
            130.0,
        )
        .expect("begin");
    store
        .record_step(run, &step(0, "kill", 130.5, StepOutcome::Ok))
        .expect("step");
    let mut failed = step(1, "clear_db", 132.0, StepOutcome::TimedOut);
    failed.exit_code = None;
    failed.note = "killed after 30 s".to_owned();
    store.record_step(run, &failed).expect("step");
    store
        .finish_run(run, RunOutcome::Failed, 135.0)
        .expect("finish");
    store.set_enabled("worker", false, 150.0).expect("off");
    assert_eq!(
        store.service("worker").expect("read").status,
        ServiceStatus::Disabled
    );
    store.set_enabled("worker", true, 160.0).expect("on");
    assert_eq!(
        store.service("worker").expect("read").status,
        ServiceStatus::Unknown
    );

    let history = store.history(None, 0.0, 1e12).expect("history");
    let described: Vec<String> = history
        .iter()
        .map(|entry| match entry {
            HistoryEntry::Check {
                service, at, state, ..
            } => format!("{at} {service} {state}"),
            HistoryEntry::Run {
                service,
                started,
                outcome,
                steps,
                ..
            } => {
                format!("{started} {service} run {outcome} {} steps", steps.len())
            }
            HistoryEntry::Toggle {
                service,
                at,
                enabled,
            } => format!("{at} {service} on={enabled}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        described,
        [
            "160 worker on=true",
            "150 worker on=false",
            "140 worker OK",
            "130 worker run failed 2 steps",
            "125 web WARNING",
            "120 worker CRITICAL",
            "100 worker OK",
        ]
    );
    let HistoryEntry::Run {
        steps,
        finished,
        dry_run,
        reason,
        ..
    } = &history[3]
    else {
        panic!("not a run: {:?}", history[3]);
    };
    assert_eq!(steps[0], step(0, "kill", 130.5, StepOutcome::Ok));
    assert_eq!(steps[1], failed);
    assert_eq!(*finished, Some(135.0));
    assert!(!dry_run);
    assert_eq!(reason, "2 consecutive failures");
}

#[test]
fn history_since_and_service_filters_keep_collapsing_across_the_boundary() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let mut pass = store.pass().expect("pass");
    pass.record_check("worker", State::Critical, "down", 100.0)
        .expect("check");
    pass.record_check("worker", State::Critical, "still down", 200.0)
        .expect("check");
    pass.record_check("web", State::Ok, "fine", 210.0)
        .expect("check");
    pass.commit().expect("commit");
    let old = store
        .begin_run("worker", "old", Source::Cron, false, 50.0)
        .expect("begin");
    store
        .finish_run(old, RunOutcome::Succeeded, 60.0)
        .expect("finish");
    let long = store
        .begin_run("worker", "long", Source::Cron, false, 140.0)
        .expect("begin");
    store
        .finish_run(long, RunOutcome::Aborted, 160.0)
        .expect("finish");
    let current = store
        .begin_run("web", "now", Source::Cron, false, 90.0)
        .expect("begin");

    let since = store.history(None, 150.0, 1e12).expect("history");
    assert_eq!(
        run_ids(&since),
        [
            (long, "aborted".to_owned()),
            (current, "running".to_owned())
        ],
        "runs that ended since, and running ones"
    );
    assert!(
        !since.iter().any(
            |entry| matches!(entry, HistoryEntry::Check { service, .. } if service == "worker")
        ),
        "the 200 s check repeats the 100 s state: {since:?}"
    );
    let web = store.history(Some("web"), 0.0, 1e12).expect("history");
    assert!(web.iter().all(|entry| entry.service() == "web"), "{web:?}");
    assert_eq!(web.len(), 2);
}

#[test]
fn history_serializes_with_kinds_labels_and_numeric_times() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let mut pass = store.pass().expect("pass");
    pass.record_check("worker", State::Critical, "down", 100.5)
        .expect("check");
    pass.commit().expect("commit");
    let run = store
        .begin_run("worker", "down", Source::Cron, true, 101.0)
        .expect("begin");
    store
        .record_step(run, &step(0, "kill", 101.0, StepOutcome::Skipped))
        .expect("step");
    let json =
        serde_json::to_value(store.history(None, 0.0, 1e12).expect("history")).expect("json");
    assert_eq!(
        json,
        serde_json::json!([
            {"kind": "run", "id": run, "service": "worker", "started": 101.0, "finished": null,
             "outcome": "running", "reason": "down", "dry_run": true, "source": "cron",
             "steps": [{"index": 0, "action": "kill", "started": 101.0, "duration": 1.5,
                        "exit_code": 0, "outcome": "skipped", "output_tail": "kill done\n",
                        "note": ""}]},
            {"kind": "check", "service": "worker", "at": 100.5, "state": "CRITICAL",
             "summary": "down"},
        ])
    );
}

#[test]
fn prune_deletes_old_checks_ended_runs_and_steps_but_keeps_running_runs() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let mut pass = store.pass().expect("pass");
    pass.record_check("worker", State::Ok, "fine", 100.0)
        .expect("check");
    pass.record_check("worker", State::Critical, "down", 200.0)
        .expect("check");
    pass.record_check("worker", State::Critical, "down", 300.0)
        .expect("check");
    pass.commit().expect("commit");
    let old = store
        .begin_run("worker", "old", Source::Cron, false, 150.0)
        .expect("begin");
    store
        .record_step(old, &step(0, "kill", 151.0, StepOutcome::Ok))
        .expect("step");
    store
        .record_step(old, &step(1, "start", 152.0, StepOutcome::Ok))
        .expect("step");
    store
        .finish_run(old, RunOutcome::Succeeded, 160.0)
        .expect("finish");
    let running = store
        .begin_run("worker", "stuck", Source::Cron, false, 170.0)
        .expect("begin");
    store.set_enabled("worker", false, 180.0).expect("off");

    // 2 checks + 2 steps + 1 run + 1 toggle.
    assert_eq!(store.prune(250.0).expect("prune"), 6);
    assert_eq!(store.count("checks"), 1);
    assert_eq!(store.count("steps"), 0);
    assert_eq!(store.count("toggles"), 0);
    assert_eq!(
        run_ids(&store.history(None, 0.0, 1e12).expect("history")),
        [(running, "running".to_owned())]
    );
    assert_eq!(store.prune(250.0).expect("prune again"), 0);
    assert_eq!(store.integrity_check().expect("check"), "ok");
}
