//! The store against real SQLite files in temporary directories: opening, passes, errors
//! and several handles on one file.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use tempfile::TempDir;
use triage_core::State;

use super::owner::Owner;
use super::*;
use crate::model::*;

mod history;
mod operation;
mod runs;

pub(super) fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state").join("remediate.db");
    (dir, path)
}

pub(super) fn step(index: u32, action: &str, started: f64, outcome: StepOutcome) -> StepRecord {
    StepRecord {
        index,
        action: action.to_owned(),
        started,
        duration: 1.5,
        exit_code: Some(0),
        outcome,
        output_tail: format!("{action} done\n"),
        note: String::new(),
    }
}

impl Store {
    /// A run owned by another process, as that process would have begun it.
    fn begin_run_owned_by(&mut self, owner: &Owner, service: &str, now: f64) -> i64 {
        super::runs::begin(
            &mut self.conn,
            owner,
            service,
            "test",
            super::Source::Cron,
            false,
            now,
        )
        .expect("begin run")
    }

    fn set_busy_timeout(&self, timeout: Duration) {
        self.conn.busy_timeout(timeout).expect("busy timeout");
    }

    fn outcome_of(&self, run: i64) -> String {
        self.conn
            .query_row("SELECT outcome FROM runs WHERE id = ?1", [run], |row| {
                row.get(0)
            })
            .expect("run row")
    }

    fn count(&self, table: &str) -> i64 {
        self.conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .expect("count")
    }
}

pub(super) fn run_ids(entries: &[HistoryEntry]) -> Vec<(i64, String)> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            HistoryEntry::Run { id, outcome, .. } => Some((*id, outcome.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_store_is_private_and_keeps_service_state_across_reopening() {
    let (_dir, path) = temp_db();
    let saved = ServiceState {
        status: ServiceStatus::Grace,
        consecutive_failures: 2,
        last_state: Some(State::Critical),
        last_summary: Some("heartbeat 95 s old".to_owned()),
        last_check: Some(1_700_000_000.25),
        last_run: Some(1_700_000_001.5),
        grace_until: Some(1_700_000_031.5),
        recent_runs: vec![1_699_999_000.0, 1_700_000_001.5],
        pid: Some(4242),
        pid_start_ticks: Some(123_456_789),
        ..ServiceState::default()
    };
    {
        let mut store = Store::open(&path).expect("open");
        assert_eq!(
            store.service("worker").expect("read"),
            ServiceState::default()
        );
        assert!(store.service("worker").expect("read").enabled);
        let mut pass = store.pass().expect("pass");
        pass.save_service("worker", &saved).expect("save");
        assert_eq!(pass.service("worker").expect("read in pass"), saved);
        pass.commit().expect("commit");
    }
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    // Reachable by name (the status snapshot), not listable; the database stays 0600.
    assert_eq!(mode(path.parent().expect("parent")), 0o711);

    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.service("worker").expect("read"), saved);
    assert_eq!(
        store.services().expect("list"),
        vec![("worker".to_owned(), saved)]
    );
    assert!(store.interrupted_on_open().is_empty());
    let journal: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal mode");
    assert_eq!(journal, "wal");
    let foreign_keys: bool = store
        .conn
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .expect("foreign keys");
    assert!(foreign_keys);
    let synchronous: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .expect("synchronous");
    assert_eq!(synchronous, 1, "NORMAL");
}

#[test]
fn a_pass_dropped_without_commit_writes_nothing() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).expect("open");
    {
        let mut pass = store.pass().expect("pass");
        pass.record_check("worker", State::Critical, "down", 100.0)
            .expect("check");
        let state = ServiceState {
            consecutive_failures: 1,
            ..ServiceState::default()
        };
        pass.save_service("worker", &state).expect("save");
    }
    assert_eq!(store.count("checks"), 0);
    assert_eq!(store.services().expect("list"), []);
    let reopened = Store::open(&path).expect("reopen");
    assert_eq!(reopened.history(None, 0.0, 1e12).expect("history"), []);
}

#[test]
fn integrity_check_of_a_fresh_store_is_ok() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).expect("open");
    assert_eq!(store.integrity_check().expect("check"), "ok");
}

#[test]
fn a_file_that_is_not_sqlite_is_not_a_remediate_database() {
    let (dir, _) = temp_db();
    let path = dir.path().join("remediate.db");
    std::fs::write(&path, "this is not a database, just some text ".repeat(100)).expect("write");
    let error = Store::open(&path).expect_err("garbage");
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not a remediate database (or is corrupt)",
            path.display()
        )
    );
}

#[test]
fn another_programs_sqlite_file_is_refused_untouched() {
    let (dir, _) = temp_db();
    let path = dir.path().join("other.db");
    let other = Connection::open(&path).expect("create");
    other
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .expect("write");
    drop(other);
    let error = Store::open(&path).expect_err("not ours");
    assert!(matches!(error, StoreError::NotOurs { .. }), "{error}");
    let other = Connection::open(&path).expect("reopen");
    let tables: i64 = other
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .expect("schema");
    assert_eq!(tables, 1);
}

#[test]
fn a_database_from_a_newer_remediate_is_refused() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).expect("create"));
    Connection::open(&path)
        .expect("open")
        .pragma_update(None, "user_version", 99)
        .expect("bump");
    let error = Store::open(&path).expect_err("too new");
    assert_eq!(
        error.to_string(),
        format!(
            "{} was written by a newer remediate (schema version 99, this one knows up to {})",
            path.display(),
            super::schema::SCHEMA_VERSION
        )
    );
}

#[test]
fn a_directory_in_place_of_the_file_cannot_be_opened() {
    let (dir, _) = temp_db();
    // In a private directory: /tmp, where the temporary directory is, would be refused
    // for being writable by others before the file is even looked at.
    let in_place = dir.path().join("state").join("remediate.db");
    std::fs::create_dir_all(&in_place).expect("directory");
    let error = Store::open(&in_place).expect_err("directory");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot open {}: unable to open database file",
            in_place.display()
        )
    );
}

#[test]
fn a_directory_that_cannot_be_created_says_which() {
    let error =
        Store::open(Path::new("/proc/triage-cannot-exist/remediate.db")).expect_err("no directory");
    assert!(
        error.to_string().starts_with(
            "cannot open /proc/triage-cannot-exist/remediate.db: cannot create /proc/triage-cannot-exist: "
        ),
        "{error}"
    );
}

#[test]
fn a_pass_waits_for_another_processs_pass_then_reports_the_lock() {
    let (_dir, path) = temp_db();
    let mut holder = Store::open(&path).expect("open");
    let mut waiter = Store::open(&path).expect("open");
    waiter.set_busy_timeout(Duration::from_millis(100));
    let pass = holder.pass().expect("pass");
    let error = waiter.pass().expect_err("locked");
    assert_eq!(
        error.to_string(),
        format!("{} is locked by another process", path.display())
    );
    // Readers are not blocked by a writer (WAL), and neither is opening.
    assert_eq!(
        waiter.service("worker").expect("read"),
        ServiceState::default()
    );
    drop(Store::open(&path).expect("open during a pass"));
    pass.commit().expect("commit");
    waiter.pass().expect("free again").commit().expect("commit");
}

#[test]
fn two_handles_on_one_file_take_turns_without_corrupting_it() {
    let (_dir, path) = temp_db();
    let mut a = Store::open(&path).expect("open a");
    let mut b = Store::open(&path).expect("open b");
    for round in 0..20_u32 {
        let now = f64::from(round);
        for (store, name) in [(&mut a, "worker"), (&mut b, "web")] {
            let mut state = store.service(name).expect("read");
            state.consecutive_failures += 1;
            let mut pass = store.pass().expect("pass");
            pass.record_check(name, State::Critical, "down", now)
                .expect("check");
            pass.save_service(name, &state).expect("save");
            pass.commit().expect("commit");
        }
        let run = b
            .begin_run("worker", "from b", Source::Cron, false, now)
            .expect("begin");
        a.record_step(run, &step(0, "kill", now, StepOutcome::Ok))
            .expect("step via a");
        b.finish_run(run, RunOutcome::Succeeded, now + 1.0)
            .expect("finish");
    }
    assert_eq!(a.service("web").expect("read").consecutive_failures, 20);
    assert_eq!(b.service("worker").expect("read").consecutive_failures, 20);
    assert_eq!(a.count("checks"), 40);
    assert_eq!(b.count("steps"), 20);
    assert_eq!(a.integrity_check().expect("check"), "ok");
}

#[test]
fn concurrent_passes_from_two_threads_all_land() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).expect("create"));
    let writers: Vec<_> = ["worker", "web"]
        .into_iter()
        .map(|name| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).expect("open");
                for round in 0..50_u32 {
                    let mut pass = store.pass().expect("pass");
                    pass.record_check(name, State::Ok, "fine", f64::from(round))
                        .expect("check");
                    pass.commit().expect("commit");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer");
    }
    let store = Store::open(&path).expect("open");
    assert_eq!(store.count("checks"), 100);
    assert_eq!(store.integrity_check().expect("check"), "ok");
}

#[test]
fn service_statuses_round_trip_through_their_names() {
    for status in ServiceStatus::ALL {
        assert_eq!(status.as_str().parse(), Ok(status));
    }
    assert_eq!(
        "sleeping".parse::<ServiceStatus>(),
        Err(ServiceStatusParseError("sleeping".to_owned()))
    );
}
