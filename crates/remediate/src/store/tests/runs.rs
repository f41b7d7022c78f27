//! Pipeline runs: crash recovery on open, ownership, and ending exactly once.

use std::process::Command;

use super::super::owner::Owner;
use super::super::*;
use super::{run_ids, step, temp_db};
use crate::model::*;

#[test]
fn a_run_left_running_by_a_dead_pid_is_marked_interrupted_on_open_once() {
    let (_dir, path) = temp_db();
    let run = {
        let mut store = Store::open(&path).expect("open");
        let dead = Owner {
            pid: 999_999_999,
            ..Owner::current()
        };
        let run = store.begin_run_owned_by(&dead, "worker", 100.0);
        store
            .record_step(run, &step(0, "kill", 101.0, StepOutcome::Ok))
            .expect("step");
        run
    };

    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.interrupted_on_open(),
        [RunSummary {
            id: run,
            service: "worker".to_owned(),
            started: 100.0,
            reason: "test".to_owned(),
        }]
    );
    let history = store.history(None, 0.0, 1e12).expect("history");
    let HistoryEntry::Run {
        outcome,
        finished,
        steps,
        ..
    } = &history[0]
    else {
        panic!("not a run: {history:?}");
    };
    assert_eq!(outcome.as_str(), "interrupted");
    assert_eq!(
        *finished,
        Some(102.5),
        "its last sign of life: the end of its step"
    );
    assert_eq!(steps.len(), 1);

    let again = Store::open(&path).expect("reopen again");
    assert!(
        again.interrupted_on_open().is_empty(),
        "reported once, never again"
    );
}

#[test]
fn a_run_from_another_boot_is_interrupted_even_though_its_pid_is_alive() {
    let (_dir, path) = temp_db();
    let run = {
        let mut store = Store::open(&path).expect("open");
        let before_reboot = Owner {
            boot_id: Some("00000000-0000-0000-0000-000000000000".to_owned()),
            ..Owner::current()
        };
        store.begin_run_owned_by(&before_reboot, "worker", 100.0)
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.interrupted_on_open().len(), 1);
    assert_eq!(store.outcome_of(run), "interrupted");
}

#[test]
fn a_run_whose_pid_was_reused_by_another_process_is_interrupted() {
    let (_dir, path) = temp_db();
    let run = {
        let mut store = Store::open(&path).expect("open");
        let mut reused = Owner::current();
        reused.start_ticks = reused.start_ticks.map(|ticks| ticks + 1);
        store.begin_run_owned_by(&reused, "worker", 100.0)
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.outcome_of(run), "interrupted");
}

#[test]
fn a_run_whose_owner_is_alive_is_left_running_and_can_be_finished() {
    let (_dir, path) = temp_db();
    let mut first = Store::open(&path).expect("open");
    let run = first
        .begin_run("worker", "2 failures", Source::Cron, false, 100.0)
        .expect("begin");
    let second = Store::open(&path).expect("open while running");
    assert!(second.interrupted_on_open().is_empty());
    assert_eq!(second.outcome_of(run), "running");
    first
        .finish_run(run, RunOutcome::Succeeded, 110.0)
        .expect("finish");
    assert_eq!(second.outcome_of(run), "succeeded");
}

#[test]
fn a_run_whose_owner_was_killed_with_sigkill_is_interrupted_on_reopen() {
    let (_dir, path) = temp_db();
    let mut child = Command::new("/bin/sh")
        .args(["-c", "sleep 30"])
        .spawn()
        .expect("spawn /bin/sh (install dash or bash)");
    let owner = Owner::of(child.id());
    assert!(owner.start_ticks.is_some(), "child visible in /proc");
    let run = {
        let mut store = Store::open(&path).expect("open");
        store.begin_run_owned_by(&owner, "worker", 100.0)
    };
    let while_alive = Store::open(&path).expect("reopen while the owner runs");
    assert!(while_alive.interrupted_on_open().is_empty());

    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let store = Store::open(&path).expect("reopen after the kill");
    assert_eq!(
        store
            .interrupted_on_open()
            .iter()
            .map(|summary| summary.id)
            .collect::<Vec<_>>(),
        [run]
    );
    assert_eq!(
        run_ids(&store.history(Some("worker"), 0.0, 1e12).expect("history")),
        [(run, "interrupted".to_owned())]
    );
}

#[test]
fn an_ended_run_takes_no_more_steps_and_does_not_end_twice() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let run = store
        .begin_run("worker", "manual", Source::Cron, true, 100.0)
        .expect("begin");
    store
        .finish_run(run, RunOutcome::DryRun, 101.0)
        .expect("finish");
    let again = store
        .finish_run(run, RunOutcome::Failed, 102.0)
        .expect_err("twice");
    assert_eq!(
        again.to_string(),
        format!("{}: run {run} has already ended (dry_run)", path.display())
    );
    let late_step = store
        .record_step(run, &step(0, "start", 103.0, StepOutcome::Ok))
        .expect_err("step after the end");
    assert!(
        matches!(late_step, StoreError::RunEnded { .. }),
        "{late_step}"
    );
    let missing = store
        .finish_run(run + 1, RunOutcome::Failed, 104.0)
        .expect_err("no run");
    assert_eq!(
        missing.to_string(),
        format!("{}: there is no run {}", path.display(), run + 1)
    );
}

#[test]
fn an_adopted_run_belongs_to_the_adopting_process() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let gone = Owner {
        pid: 999_999_999,
        ..Owner::current()
    };
    let run = store.begin_run_owned_by(&gone, "worker", 100.0);
    store.adopt_run(run).expect("adopt");
    let reopened = Store::open(&path).expect("reopen");
    assert!(reopened.interrupted_on_open().is_empty());
    assert_eq!(reopened.outcome_of(run), "running");
}

#[test]
fn long_step_output_keeps_its_last_4_kib_on_a_character_boundary() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    let run = store
        .begin_run("worker", "test", Source::Cron, false, 1.0)
        .expect("begin");
    let mut long = step(0, "start", 1.0, StepOutcome::Failed);
    long.output_tail = format!("{}é{}", "x".repeat(5000), "y".repeat(4095));
    store.record_step(run, &long).expect("step");
    let history = store.history(None, 0.0, 1e12).expect("history");
    let HistoryEntry::Run { steps, .. } = &history[0] else {
        panic!("not a run");
    };
    assert_eq!(steps[0].output_tail, "y".repeat(4095));
}
