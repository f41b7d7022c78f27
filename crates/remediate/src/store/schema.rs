//! The database layout and its migrations: `PRAGMA user_version` counts the migrations
//! applied, `PRAGMA application_id` marks the file as ours.

use rusqlite::{Connection, TransactionBehavior};

use super::error::Failure;

/// "TrRm" in ASCII: another program's SQLite file is refused instead of written into.
pub(super) const APPLICATION_ID: i32 = 0x5472_526d;

/// Migrations in order; a database at `user_version` N has had the first N applied.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// The version this build creates and understands.
pub(super) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

// STRICT tables: a REAL column never silently holds text. `checks.changed` is decided at
// insert time (against the service's previous check), so history reads only the changes
// and pruning old rows never turns a repeat into a change.
const V1: &str = "
CREATE TABLE services (
    name TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    status TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_state INTEGER,
    last_summary TEXT,
    last_check REAL,
    last_run REAL,
    grace_until REAL,
    exhausted_until REAL,
    recent_runs TEXT NOT NULL,
    pid INTEGER,
    pid_start_ticks INTEGER
) STRICT;

CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    at REAL NOT NULL,
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    summary TEXT NOT NULL,
    changed INTEGER NOT NULL
) STRICT;
CREATE INDEX checks_by_service ON checks (service);
CREATE INDEX checks_by_time ON checks (at);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    reason TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    outcome TEXT NOT NULL CHECK (outcome IN
        ('running', 'succeeded', 'failed', 'aborted', 'dry_run', 'interrupted')),
    owner_pid INTEGER NOT NULL,
    owner_start_ticks INTEGER,
    owner_boot_id TEXT
) STRICT;
CREATE INDEX runs_by_start ON runs (started);
CREATE INDEX runs_running ON runs (outcome) WHERE outcome = 'running';

CREATE TABLE steps (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    action TEXT NOT NULL,
    started REAL NOT NULL,
    duration REAL NOT NULL,
    exit_code INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'timed_out', 'skipped')),
    output_tail TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (run, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE toggles (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    at REAL NOT NULL,
    enabled INTEGER NOT NULL
) STRICT;
CREATE INDEX toggles_by_time ON toggles (at);
";

/// The first layout, for the migration test.
#[cfg(test)]
pub(super) const V1_FOR_TESTS: &str = V1;

// remediate in operation: where a run came from, every decision with its source (cron,
// watch, nagios, icinga, cli), maintenance windows, pass bookkeeping, and per-service
// counters that only ever grow (Prometheus counters must not drop when old runs are
// pruned).
const V2: &str = "
ALTER TABLE services ADD COLUMN problem_since REAL;
ALTER TABLE services ADD COLUMN problem_run INTEGER;
ALTER TABLE services ADD COLUMN runs_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN failed_runs_total INTEGER NOT NULL DEFAULT 0;

ALTER TABLE runs ADD COLUMN source TEXT NOT NULL DEFAULT 'cron';

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    state INTEGER CHECK (state BETWEEN 0 AND 3),
    state_type TEXT,
    attempt INTEGER,
    decision TEXT NOT NULL,
    run INTEGER
) STRICT;
CREATE INDEX decisions_by_time ON decisions (at);

CREATE TABLE maintenance (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    started REAL NOT NULL,
    until REAL NOT NULL,
    ended REAL,
    reason TEXT NOT NULL,
    by TEXT NOT NULL
) STRICT;
CREATE INDEX maintenance_by_service ON maintenance (service);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value REAL NOT NULL
) STRICT;
";

// The cgroup a started service was put in, so `kill` ends what left its process group.
const V3: &str = "
ALTER TABLE services ADD COLUMN cgroup TEXT;
";

// `losses`: state that was lost (a corrupt database set aside, an empty one where a
// status snapshot shows passes), said loudly by the self-check for a day.
// The steady clock's anchor for the current boot (see `model::time`), one row: every
// process of one boot measures deadlines on the same clock. `wall_offset` is the wall
// clock's lead at the last pass of this boot, to see a step between passes.
const V4: &str = "
CREATE TABLE clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    boot_id TEXT NOT NULL,
    boot REAL NOT NULL,
    steady REAL NOT NULL,
    wall_offset REAL
) STRICT;

CREATE TABLE losses (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    reason TEXT NOT NULL
) STRICT;
";

/// Creates or migrates the schema. An up-to-date database is only read, so opening never
/// waits for another process's pass.
pub(super) fn prepare(conn: &mut Connection) -> Result<Created, Failure> {
    if marks(conn)? == (APPLICATION_ID, SCHEMA_VERSION) {
        return Ok(Created::No);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (application_id, version) = marks(&tx)?;
    let empty: bool = tx.query_row("SELECT count(*) = 0 FROM sqlite_schema", [], |row| {
        row.get(0)
    })?;
    let fresh = application_id == 0 && version == 0 && empty;
    if application_id != APPLICATION_ID && !fresh {
        return Err(Failure::NotOurs);
    }
    if version > SCHEMA_VERSION {
        return Err(Failure::TooNew {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS
        .iter()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(if fresh { Created::Yes } else { Created::No })
}

/// Whether opening made the database: an empty file where state was expected means it
/// was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Created {
    Yes,
    No,
}

fn marks(conn: &Connection) -> rusqlite::Result<(i32, i32)> {
    let application_id = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let version = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    Ok((application_id, version))
}
