//! Service rows (state between passes), check results and on/off events.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use triage_core::State;

use super::error::Failure;
use crate::model::{ServiceState, ServiceStatus, state_from_code};

const SELECT_ONE: &str = "SELECT enabled, status, consecutive_failures, last_state, \
    last_summary, last_check, last_run, grace_until, exhausted_until, recent_runs, pid, \
    pid_start_ticks, problem_since, problem_run, runs_total, failed_runs_total, cgroup \
    FROM services WHERE name = ?1";

const SELECT_ALL: &str = "SELECT enabled, status, consecutive_failures, last_state, \
    last_summary, last_check, last_run, grace_until, exhausted_until, recent_runs, pid, \
    pid_start_ticks, problem_since, problem_run, runs_total, failed_runs_total, cgroup, \
    name FROM services ORDER BY name";

const UPSERT: &str = "INSERT INTO services (name, enabled, status, consecutive_failures, \
    last_state, last_summary, last_check, last_run, grace_until, exhausted_until, \
    recent_runs, pid, pid_start_ticks, problem_since, problem_run, cgroup) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
    ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, status = excluded.status, \
    consecutive_failures = excluded.consecutive_failures, last_state = excluded.last_state, \
    last_summary = excluded.last_summary, last_check = excluded.last_check, \
    last_run = excluded.last_run, grace_until = excluded.grace_until, \
    exhausted_until = excluded.exhausted_until, recent_runs = excluded.recent_runs, \
    pid = excluded.pid, pid_start_ticks = excluded.pid_start_ticks, \
    problem_since = excluded.problem_since, problem_run = excluded.problem_run, \
    cgroup = excluded.cgroup";

// The counters are never written from a loaded state (another process may have counted
// meanwhile): only added to, here.
const COUNT_RUN: &str = "INSERT INTO services (name, enabled, status, consecutive_failures, \
    recent_runs, runs_total) VALUES (?1, 1, 'unknown', 0, '[]', 1) \
    ON CONFLICT (name) DO UPDATE SET runs_total = runs_total + 1";
const COUNT_FAILED_RUN: &str = "UPDATE services SET failed_runs_total = failed_runs_total + 1 \
    WHERE name = ?1";

/// The service's state; the defaults for a service never saved.
pub(super) fn load(conn: &Connection, name: &str) -> Result<ServiceState, Failure> {
    let state = conn
        .prepare_cached(SELECT_ONE)?
        .query_row([name], from_row)
        .optional()?;
    Ok(state.unwrap_or_default())
}

/// Every saved service, by name.
pub(super) fn list(conn: &Connection) -> Result<Vec<(String, ServiceState)>, Failure> {
    let mut statement = conn.prepare_cached(SELECT_ALL)?;
    let rows = statement.query_map([], |row| Ok((row.get(17)?, from_row(row)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces the service's row.
pub(super) fn save(conn: &Connection, name: &str, state: &ServiceState) -> Result<(), Failure> {
    let recent_runs = serde_json::to_string(&state.recent_runs)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
    let ticks = state
        .pid_start_ticks
        .map(i64::try_from)
        .transpose()
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
    conn.prepare_cached(UPSERT)?.execute(params![
        name,
        state.enabled,
        state.status.as_str(),
        state.consecutive_failures,
        state.last_state.map(|state| state.code()),
        state.last_summary,
        state.last_check,
        state.last_run,
        state.grace_until,
        state.exhausted_until,
        recent_runs,
        state.pid,
        ticks,
        state.problem_since,
        state.problem_run,
        state.cgroup,
    ])?;
    Ok(())
}

/// Counts a pipeline started for `name` (or one that failed).
pub(super) fn count_run(conn: &Connection, name: &str, failed: bool) -> Result<(), Failure> {
    let statement = if failed { COUNT_FAILED_RUN } else { COUNT_RUN };
    conn.prepare_cached(statement)?.execute([name])?;
    Ok(())
}

/// Keeps a check result, marking whether its state differs from the service's previous
/// check (history lists only those).
pub(super) fn record_check(
    conn: &Connection,
    service: &str,
    state: State,
    summary: &str,
    now: f64,
) -> Result<(), Failure> {
    // By id, not time: the previous check is the one recorded before, even if the clock
    // stepped back in between.
    let previous: Option<i32> = conn
        .prepare_cached("SELECT state FROM checks WHERE service = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([service], |row| row.get(0))
        .optional()?;
    conn.prepare_cached(
        "INSERT INTO checks (service, at, state, summary, changed) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        service,
        now,
        state.code(),
        summary,
        previous != Some(state.code())
    ])?;
    Ok(())
}

/// Switches a service on or off and records the event, in one transaction. The status
/// follows: off is `disabled`; on again starts from `unknown` (nothing is known about it).
pub(super) fn set_enabled(
    conn: &mut Connection,
    name: &str,
    enabled: bool,
    now: f64,
) -> Result<(), Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut state = load(&tx, name)?;
    state.enabled = enabled;
    if !enabled {
        state.status = ServiceStatus::Disabled;
    } else if state.status == ServiceStatus::Disabled {
        state.status = ServiceStatus::Unknown;
    }
    save(&tx, name, &state)?;
    tx.execute(
        "INSERT INTO toggles (service, at, enabled) VALUES (?1, ?2, ?3)",
        params![name, now, enabled],
    )?;
    tx.commit()?;
    Ok(())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ServiceState> {
    let status: String = row.get(1)?;
    let last_state = row
        .get::<_, Option<i64>>(3)?
        .map(|code| {
            state_from_code(code).ok_or_else(|| invalid(3, Type::Integer, "not a state code"))
        })
        .transpose()?;
    let recent_runs: String = row.get(9)?;
    Ok(ServiceState {
        enabled: row.get(0)?,
        status: status.parse().map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(error))
        })?,
        consecutive_failures: row.get(2)?,
        last_state,
        last_summary: row.get(4)?,
        last_check: row.get(5)?,
        last_run: row.get(6)?,
        grace_until: row.get(7)?,
        exhausted_until: row.get(8)?,
        recent_runs: serde_json::from_str(&recent_runs).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(9, Type::Text, Box::new(error))
        })?,
        pid: row.get(10)?,
        pid_start_ticks: row
            .get::<_, Option<i64>>(11)?
            .map(u64::try_from)
            .transpose()
            .map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(11, Type::Integer, Box::new(error))
            })?,
        problem_since: row.get(12)?,
        problem_run: row.get(13)?,
        runs_total: counter(row, 14)?,
        failed_runs_total: counter(row, 15)?,
        cgroup: row.get(16)?,
    })
}

fn counter(row: &Row<'_>, column: usize) -> rusqlite::Result<u64> {
    u64::try_from(row.get::<_, i64>(column)?)
        .map_err(|_| invalid(column, Type::Integer, "a negative counter"))
}

/// A column whose value this build cannot read back.
pub(super) fn invalid(column: usize, kind: Type, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, kind, what.to_owned().into())
}
