//! Decisions with their source, maintenance windows, pass bookkeeping, counters, and the
//! migration from a version 1 database.

use super::*;

fn open_temp() -> (TempDir, Store) {
    let (dir, path) = temp_db();
    let store = Store::open(&path).expect("open");
    (dir, store)
}

#[test]
fn maintenance_windows_open_replace_end_and_expire_in_the_history() {
    let (_dir, mut store) = open_temp();
    let window = |started: f64, until: f64, reason: &str| Maintenance {
        service: "api".into(),
        started,
        until,
        ended: None,
        reason: reason.into(),
        by: "alice".into(),
    };
    store
        .start_maintenance(&window(100.0, 200.0, "disk"))
        .expect("start");
    assert_eq!(store.active_maintenance(150.0).expect("active").len(), 1);
    assert!(store.active_maintenance(200.0).expect("active").is_empty());
    // A second window replaces the first (ended by hand at its start).
    store
        .start_maintenance(&window(150.0, 400.0, "kernel"))
        .expect("start");
    let active = store.active_maintenance(160.0).expect("active");
    assert_eq!((active.len(), active[0].reason.as_str()), (1, "kernel"));
    assert!(store.end_maintenance("api", 300.0).expect("end"));
    assert!(!store.end_maintenance("api", 310.0).expect("end again"));
    store
        .start_maintenance(&window(500.0, 600.0, "expires"))
        .expect("start");
    let lines: Vec<String> = store
        .history(None, 0.0, 1000.0)
        .expect("history")
        .iter()
        .filter_map(|entry| match entry {
            HistoryEntry::MaintenanceStarted { window } => {
                Some(format!("{} start {}", window.started, window.reason))
            }
            HistoryEntry::MaintenanceEnded { at, expired, .. } => {
                Some(format!("{at} end expired={expired}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        [
            "600 end expired=true",
            "500 start expires",
            "300 end expired=false",
            "150 start kernel",
            "150 end expired=false",
            "100 start disk",
        ]
    );
    // Before its end, a window has no end entry.
    let before_end = store.history(None, 0.0, 550.0).expect("history");
    assert!(
        !before_end
            .iter()
            .any(|e| matches!(e, HistoryEntry::MaintenanceEnded { at, .. } if *at == 600.0))
    );
}

#[test]
fn decisions_keep_their_source_and_event_details() {
    let (_dir, mut store) = open_temp();
    store
        .record_decision(&Decision {
            service: "api".into(),
            at: 100.0,
            source: Source::Icinga,
            state: Some(State::Critical),
            state_type: Some(StateType::Soft),
            attempt: Some(2),
            decision: "ignored: SOFT attempt 2 (acting on HARD)".into(),
            run: None,
        })
        .expect("decision");
    let history = store.history(Some("api"), 0.0, 200.0).expect("history");
    let json = serde_json::to_value(&history).expect("json");
    assert_eq!(json[0]["kind"], "decision");
    assert_eq!(json[0]["source"], "icinga");
    assert_eq!(json[0]["state"], "CRITICAL");
    assert_eq!(json[0]["state_type"], "SOFT");
    assert_eq!(json[0]["attempt"], 2);
}

#[test]
fn counters_only_grow_and_survive_saves_and_pruning() {
    let (_dir, mut store) = open_temp();
    let first = store
        .begin_run("api", "x", Source::Watch, false, 100.0)
        .expect("begin");
    store
        .finish_run(first, RunOutcome::Aborted, 101.0)
        .expect("finish");
    let dry = store
        .begin_run("api", "x", Source::Cli, true, 102.0)
        .expect("begin");
    store
        .finish_run(dry, RunOutcome::DryRun, 103.0)
        .expect("finish");
    let second = store
        .begin_run("api", "x", Source::Nagios, false, 104.0)
        .expect("begin");
    store
        .finish_run(second, RunOutcome::Succeeded, 105.0)
        .expect("finish");
    // A state loaded before and saved after does not undo the counting.
    let mut pass = store.pass().expect("pass");
    pass.save_service("api", &ServiceState::default())
        .expect("save");
    pass.commit().expect("commit");
    store.prune(1000.0).expect("prune");
    let state = store.service("api").expect("state");
    assert_eq!((state.runs_total, state.failed_runs_total), (2, 1));
}

#[test]
fn passes_are_counted_with_their_times() {
    let (_dir, mut store) = open_temp();
    assert_eq!(store.pass_record().expect("record"), PassRecord::default());
    store.record_pass(10.0, 12.0, true, 0.0).expect("pass");
    let record = store.record_pass(20.0, 21.5, false, 0.0).expect("pass");
    assert_eq!(
        record,
        PassRecord {
            passes: 2,
            last_started: Some(20.0),
            last_finished: Some(21.5),
            last_ok: Some(false),
        }
    );
}

#[test]
fn a_version_1_database_is_migrated_keeping_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("remediate.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(super::super::schema::V1_FOR_TESTS)
            .expect("v1");
        conn.execute_batch(
            "PRAGMA application_id = 1416778349; PRAGMA user_version = 1;
             INSERT INTO services (name, enabled, status, consecutive_failures, recent_runs)
             VALUES ('api', 1, 'failing', 2, '[]');
             INSERT INTO runs (service, reason, dry_run, started, finished, outcome, owner_pid)
             VALUES ('api', 'old', 0, 5.0, 6.0, 'succeeded', 1);",
        )
        .expect("rows");
    }
    let store = Store::open(&path).expect("migrated");
    let state = store.service("api").expect("state");
    assert_eq!(
        (state.status, state.consecutive_failures, state.runs_total),
        (ServiceStatus::Failing, 2, 0)
    );
    let history = store.history(None, 0.0, 100.0).expect("history");
    assert!(matches!(
        &history[0],
        HistoryEntry::Run { source, .. } if source.as_str() == "cron"
    ));
}

#[test]
fn processes_opening_a_brand_new_database_at_once_all_get_in() {
    // Creation, WAL switch and migration race here; open must settle them, whoever wins.
    for _ in 0..20 {
        let (_dir, path) = temp_db();
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path).map(|_| ()))
            })
            .collect();
        for opener in openers {
            opener.join().expect("thread").expect("open");
        }
    }
}
