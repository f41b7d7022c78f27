//! The state and audit store: one SQLite file (WAL) holding each service's state between
//! passes, every check result, pipeline runs with their steps, and on/off events.
//!
//! Crash consistency: a run is committed as `running` before its first step, each step
//! is committed when it ends, and [`Store::open`] marks `interrupted` every run whose
//! process is gone, so a `kill -9` at any point leaves the run visible, never lost and
//! never resumed or repeated.

mod audit;
mod clock;
mod error;
mod history;
mod owner;
mod recovery;
mod runs;
mod schema;
mod services;
#[cfg(test)]
mod tests;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use triage_core::{State, describe_io};

use crate::model::{
    Anchor, Decision, HistoryEntry, LOSS_SHOWN_FOR, Maintenance, PassRecord, RunId, RunOutcome,
    RunSummary, ServiceState, Snapshot, Source, StepRecord,
};

pub use error::StoreError;
pub use recovery::Keeper;

use error::Failure;
use owner::Owner;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open state database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    owner: Owner,
    interrupted: Vec<RunSummary>,
    /// Set on a copy in memory standing in for a database that cannot be used: why.
    degraded: Option<String>,
}

impl Store {
    /// Opens (creating the directory 0711 and the file 0600) and migrates the database,
    /// checks it (`PRAGMA quick_check`, at most hourly), then marks `interrupted` the runs
    /// whose process is gone. A corrupt database is set aside (kept, renamed) and a new
    /// one made; that, and a new one made where the status snapshot shows there was
    /// state, are recorded as losses, which the self-check says.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        match Store::open_file(path, Expect::EarlierState) {
            Err(StoreError::Corrupt { reason, .. }) => Store::replace_corrupt(path, &reason),
            other => other,
        }
    }

    /// Sets the corrupt database at `path` aside (kept, renamed) and makes a new one,
    /// recording the loss.
    pub(crate) fn replace_corrupt(path: &Path, reason: &str) -> Result<Store, StoreError> {
        let kept = recovery::set_aside(path)?;
        let mut store = Store::open_file(path, Expect::Nothing)?;
        store.record_loss(&format!(
            "the database was corrupt ({reason}); it is kept as {}, and budgets, counters \
             and history start again",
            kept.display()
        ))?;
        Ok(store)
    }

    fn open_file(path: &Path, expect: Expect) -> Result<Store, StoreError> {
        create_file(path)?;
        // No SQLITE_OPEN_URI: a path is a path, even one starting with "file:".
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|error| StoreError::from_sqlite(path, &error))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            owner: Owner::current(),
            interrupted: Vec::new(),
            degraded: None,
        };
        // Two processes opening a brand-new file at once (`watch` creating it, `status`
        // reading it) can get SQLITE_BUSY without the busy handler being asked: while one
        // switches the file to WAL or recovers the WAL index. That settles in
        // milliseconds, so the opening is tried again, within the same busy timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let created = loop {
            match store.prepare() {
                Err(failure) if failure.is_busy() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other.map_err(|failure| failure.at(path))?,
            }
        };
        if created == schema::Created::Yes
            && expect == Expect::EarlierState
            && let Some(passes) = recovery::passes_the_snapshot_shows(path)
        {
            store.record_loss(&format!(
                "the database was empty (deleted or truncated?) though the status snapshot \
                 shows {passes} passes: budgets, counters and history start again"
            ))?;
        }
        recovery::quick_check_when_due(&store.conn).map_err(|failure| failure.at(path))?;
        Ok(store)
    }

    /// A database in memory, for tests of what uses the store (the engine's): the same
    /// schema and behaviour, no file.
    #[cfg(test)]
    pub(crate) fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let mut store = Store::in_memory_at(&path)?;
        store.prepare().map_err(|failure| failure.at(&path))?;
        Ok(store)
    }

    /// An empty database in memory, not yet prepared, that names `path` in its errors.
    fn in_memory_at(path: &Path) -> Result<Store, StoreError> {
        let conn =
            Connection::open_in_memory().map_err(|error| StoreError::from_sqlite(path, &error))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            owner: Owner::current(),
            interrupted: Vec::new(),
            degraded: None,
        })
    }

    /// Settings, schema, the steady clock, and the runs abandoned by dead processes.
    fn prepare(&mut self) -> Result<schema::Created, Failure> {
        self.configure()?;
        let created = schema::prepare(&mut self.conn)?;
        self.adopt_clock()?;
        self.interrupted =
            runs::interrupt_orphans(&mut self.conn, self.owner.boot_id.as_deref(), None)?;
        Ok(created)
    }

    /// Records a loss of state, said on stderr now and by the self-check for a day.
    fn record_loss(&mut self, reason: &str) -> Result<(), StoreError> {
        eprintln!("remediate: {}: {reason}", self.path.display());
        recovery::record_loss(&self.conn, crate::model::now(), reason)
            .map_err(|failure| failure.at(&self.path))
    }

    /// Why this is a copy in memory standing in for the database, if it is.
    pub fn degraded(&self) -> Option<&str> {
        self.degraded.as_deref()
    }

    /// Counts on the steady clock this boot's earlier processes counted on; the first
    /// process of a boot keeps its own anchor for the others. A failure to keep it (a
    /// full disk) is no reason not to work: the next process tries again.
    fn adopt_clock(&mut self) -> Result<(), Failure> {
        let stored = clock::stored_anchor(&self.conn)?;
        let anchor: Anchor = crate::model::adopt_anchor(stored.clone());
        if stored.as_ref() != Some(&anchor) {
            let _ = clock::keep_anchor(&self.conn, &anchor);
        }
        Ok(())
    }

    /// The wall clock's lead over the steady clock at the last pass of this boot, to tell
    /// a step since.
    pub fn last_wall_offset(&self) -> Result<Option<f64>, StoreError> {
        clock::last_wall_offset(&self.conn).map_err(|failure| failure.at(&self.path))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs that `open` found abandoned by a dead process and marked `interrupted`.
    pub fn interrupted_on_open(&self) -> &[RunSummary] {
        &self.interrupted
    }

    /// Starts a pass: everything written through it is committed together, or not at all
    /// if it is dropped uncommitted. Waits up to 5 s for another process's pass.
    pub fn pass(&mut self) -> Result<Pass<'_>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| StoreError::from_sqlite(&self.path, &error))?;
        Ok(Pass {
            tx,
            path: &self.path,
        })
    }

    /// A service's state; the defaults (enabled, unknown) for one never saved.
    pub fn service(&self, name: &str) -> Result<ServiceState, StoreError> {
        services::load(&self.conn, name).map_err(|failure| failure.at(&self.path))
    }

    /// Every saved service with its state, by name.
    pub fn services(&self) -> Result<Vec<(String, ServiceState)>, StoreError> {
        services::list(&self.conn).map_err(|failure| failure.at(&self.path))
    }

    /// The states of the services `names` (in that order; the defaults for one never
    /// saved), the windows open at `now` and the passes' record, from one snapshot.
    pub fn snapshot(&self, names: &[&str], now: f64) -> Result<Snapshot, StoreError> {
        let read = || -> Result<Snapshot, Failure> {
            let tx = self.conn.unchecked_transaction()?;
            let mut stored = services::list(&tx)?;
            let services = names
                .iter()
                .map(|name| {
                    let state = stored
                        .iter()
                        .position(|(stored, _)| stored == name)
                        .map(|at| stored.swap_remove(at).1)
                        .unwrap_or_default();
                    ((*name).to_owned(), state)
                })
                .collect();
            Ok(Snapshot {
                services,
                windows: audit::active_maintenance(&tx, now)?,
                record: audit::pass_record(&tx)?,
                losses: recovery::losses_since(&tx, now - LOSS_SHOWN_FOR)?,
                degraded: self.degraded.clone(),
            })
        };
        read().map_err(|failure| failure.at(&self.path))
    }

    /// Switches a service on or off, recorded as an event in the history.
    pub fn set_enabled(&mut self, name: &str, enabled: bool, now: f64) -> Result<(), StoreError> {
        services::set_enabled(&mut self.conn, name, enabled, now)
            .map_err(|failure| failure.at(&self.path))
    }

    /// Records a pipeline run as `running`, owned by this process, and commits it before
    /// any step runs; returns its id.
    pub fn begin_run(
        &mut self,
        service: &str,
        reason: &str,
        source: Source,
        dry_run: bool,
        now: f64,
    ) -> Result<RunId, StoreError> {
        runs::begin(
            &mut self.conn,
            &self.owner,
            service,
            reason,
            source,
            dry_run,
            now,
        )
        .map_err(|failure| failure.at(&self.path))
    }

    /// Appends a decision to the audit log.
    pub fn record_decision(&mut self, decision: &Decision) -> Result<(), StoreError> {
        audit::record_decision(&self.conn, decision).map_err(|failure| failure.at(&self.path))
    }

    /// Starts a maintenance window, replacing the service's open one.
    pub fn start_maintenance(&mut self, window: &Maintenance) -> Result<(), StoreError> {
        audit::start_maintenance(&mut self.conn, window).map_err(|failure| failure.at(&self.path))
    }

    /// Ends the service's open window now; false when it had none.
    pub fn end_maintenance(&mut self, service: &str, now: f64) -> Result<bool, StoreError> {
        audit::end_maintenance(&self.conn, service, now).map_err(|failure| failure.at(&self.path))
    }

    /// The maintenance windows open at `now`.
    pub fn active_maintenance(&self, now: f64) -> Result<Vec<Maintenance>, StoreError> {
        audit::active_maintenance(&self.conn, now).map_err(|failure| failure.at(&self.path))
    }

    /// Counts a finished pass, with the wall clock's lead it measured, and returns the
    /// updated bookkeeping.
    pub fn record_pass(
        &mut self,
        started: f64,
        finished: f64,
        ok: bool,
        wall_offset: f64,
    ) -> Result<PassRecord, StoreError> {
        clock::keep_wall_offset(&self.conn, wall_offset)
            .and_then(|()| audit::record_pass(&mut self.conn, started, finished, ok))
            .map_err(|failure| failure.at(&self.path))
    }

    /// The passes' bookkeeping.
    pub fn pass_record(&self) -> Result<PassRecord, StoreError> {
        audit::pass_record(&self.conn).map_err(|failure| failure.at(&self.path))
    }

    /// Makes this process the owner of a running run (a detached child continuing what an
    /// event handler began), so the run is not taken as abandoned when the handler exits.
    pub fn adopt_run(&mut self, run: RunId) -> Result<(), StoreError> {
        runs::adopt(&self.conn, &self.owner, run).map_err(|failure| failure.at(&self.path))
    }

    /// Makes process `pid` (an event handler's detached child) the owner of a running run.
    /// The handler calls it before it exits: until then it owns the run itself, so no
    /// remediate opening the store in between (the child included) takes the run for
    /// abandoned.
    pub fn hand_over_run(&mut self, run: RunId, pid: u32) -> Result<(), StoreError> {
        runs::adopt(&self.conn, &Owner::of(pid), run).map_err(|failure| failure.at(&self.path))
    }

    /// The service a run is for, and who started it.
    pub fn run_origin(&self, run: RunId) -> Result<(String, Source), StoreError> {
        runs::origin(&self.conn, run).map_err(|failure| failure.at(&self.path))
    }

    /// Records a step that has ended, committed at once; refused for a run that ended.
    pub fn record_step(&mut self, run: RunId, step: &StepRecord) -> Result<(), StoreError> {
        runs::record_step(&mut self.conn, run, step).map_err(|failure| failure.at(&self.path))
    }

    /// Ends a running run with its outcome, committed at once; refused for a run that
    /// already ended (including one marked interrupted).
    pub fn finish_run(
        &mut self,
        run: RunId,
        outcome: RunOutcome,
        now: f64,
    ) -> Result<(), StoreError> {
        runs::finish(&mut self.conn, run, outcome, now).map_err(|failure| failure.at(&self.path))
    }

    /// Check state changes, runs with their steps, decisions, maintenance windows and
    /// on/off events since `since` (of one service or all), newest first, as of `now`.
    pub fn history(
        &self,
        service: Option<&str>,
        since: f64,
        now: f64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        history::history(&self.conn, service, since, now).map_err(|failure| failure.at(&self.path))
    }

    /// Deletes check results, ended runs with their steps, and on/off events older than
    /// `older_than`; returns the number of rows deleted.
    pub fn prune(&mut self, older_than: f64) -> Result<usize, StoreError> {
        history::prune(&mut self.conn, older_than).map_err(|failure| failure.at(&self.path))
    }

    /// SQLite's own consistency check: "ok", or the problems found, one per line.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let check = || -> rusqlite::Result<String> {
            let mut statement = self.conn.prepare("PRAGMA integrity_check")?;
            let lines = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(lines.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
        };
        check().map_err(|error| StoreError::from_sqlite(&self.path, &error))
    }

    fn configure(&self) -> Result<(), Failure> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: `status` and `history` read while a pass writes. NORMAL is safe with WAL: a
        // power cut may lose the last commits, never consistency.
        let _mode: String =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        Ok(())
    }
}

/// What a database being opened should hold: the state the status snapshot shows, or
/// nothing (one made to replace a corrupt one, whose loss is recorded already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    EarlierState,
    Nothing,
}

/// One pass's writes, committed together by [`Pass::commit`]; dropped, it writes nothing.
#[derive(Debug)]
pub struct Pass<'a> {
    tx: Transaction<'a>,
    path: &'a Path,
}

impl Pass<'_> {
    /// Keeps a check result (every one, until pruned).
    pub fn record_check(
        &mut self,
        service: &str,
        state: State,
        summary: &str,
        now: f64,
    ) -> Result<(), StoreError> {
        services::record_check(&self.tx, service, state, summary, now)
            .map_err(|failure| failure.at(self.path))
    }

    /// A service's state as this pass sees it (its own writes included).
    pub fn service(&self, name: &str) -> Result<ServiceState, StoreError> {
        services::load(&self.tx, name).map_err(|failure| failure.at(self.path))
    }

    /// Replaces a service's state.
    pub fn save_service(&mut self, name: &str, state: &ServiceState) -> Result<(), StoreError> {
        services::save(&self.tx, name, state).map_err(|failure| failure.at(self.path))
    }

    /// Appends a decision to the audit log, with the pass.
    pub fn record_decision(&mut self, decision: &Decision) -> Result<(), StoreError> {
        audit::record_decision(&self.tx, decision).map_err(|failure| failure.at(self.path))
    }

    /// Commits everything the pass wrote.
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        self.tx
            .commit()
            .map_err(|error| StoreError::from_sqlite(path, &error))
    }
}

/// Creates the directory (0711) and an empty file (0600) before SQLite does, so the
/// database is never readable by others, not even for a moment. As root, the directory
/// must be root's alone, and the file a regular one of root's with one link: a database
/// someone else planted (or linked) would steer what root kills.
fn create_file(path: &Path) -> Result<(), StoreError> {
    let cannot = |reason: String| StoreError::Open {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        triage_os::private_dir(dir).map_err(|e| cannot(e.to_string()))?;
    }
    match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(cannot("it is a symlink: refused".to_owned()));
        }
        // A directory or garbage is left for SQLite to refuse in its own words.
        Ok(meta) if !meta.is_file() => return Ok(()),
        Ok(meta) => {
            return triage_os::check_private_file(path, &meta).map_err(|e| cannot(e.to_string()));
        }
        Err(_) => {}
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(cannot(describe_io(&error))),
    }
}
