//! Decisions with their source, maintenance windows, and the passes' bookkeeping.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::error::Failure;
use crate::model::{Decision, Maintenance, PassRecord, StateType};

/// Appends a decision to the audit log.
pub(super) fn record_decision(conn: &Connection, decision: &Decision) -> Result<(), Failure> {
    conn.prepare_cached(
        "INSERT INTO decisions (service, at, source, state, state_type, attempt, decision, run) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        decision.service,
        decision.at,
        decision.source.as_str(),
        decision.state.map(|state| state.code()),
        decision.state_type.map(StateType::as_str),
        decision.attempt,
        decision.decision,
        decision.run,
    ])?;
    Ok(())
}

/// Starts a window for `window.service`, ending (by hand, now) any window still open:
/// a new `maint` replaces the old one.
pub(super) fn start_maintenance(
    conn: &mut Connection,
    window: &Maintenance,
) -> Result<(), Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    end_open(&tx, &window.service, window.started)?;
    tx.execute(
        "INSERT INTO maintenance (service, started, until, reason, by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            window.service,
            window.started,
            window.until,
            window.reason,
            window.by
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Ends `service`'s open window now; false when there was none.
pub(super) fn end_maintenance(conn: &Connection, service: &str, now: f64) -> Result<bool, Failure> {
    Ok(end_open(conn, service, now)? > 0)
}

fn end_open(conn: &Connection, service: &str, now: f64) -> Result<usize, Failure> {
    Ok(conn.execute(
        "UPDATE maintenance SET ended = ?2 WHERE service = ?1 AND ended IS NULL AND until > ?2",
        params![service, now],
    )?)
}

/// The windows open at `now`, by service.
pub(super) fn active_maintenance(conn: &Connection, now: f64) -> Result<Vec<Maintenance>, Failure> {
    let mut statement = conn.prepare_cached(
        "SELECT service, started, until, ended, reason, by FROM maintenance \
         WHERE ended IS NULL AND started <= ?1 AND until > ?1 ORDER BY service, id",
    )?;
    let rows = statement.query_map([now], window_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn window_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Maintenance> {
    Ok(Maintenance {
        service: row.get(0)?,
        started: row.get(1)?,
        until: row.get(2)?,
        ended: row.get(3)?,
        reason: row.get(4)?,
        by: row.get(5)?,
    })
}

const PASSES: &str = "passes";
const LAST_STARTED: &str = "last_pass_started";
const LAST_FINISHED: &str = "last_pass_finished";
const LAST_OK: &str = "last_pass_ok";

/// Counts a finished pass.
pub(super) fn record_pass(
    conn: &mut Connection,
    started: f64,
    finished: f64,
    ok: bool,
) -> Result<PassRecord, Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let passes = meta(&tx, PASSES)?.unwrap_or(0.0) + 1.0;
    for (key, value) in [
        (PASSES, passes),
        (LAST_STARTED, started),
        (LAST_FINISHED, finished),
        (LAST_OK, if ok { 1.0 } else { 0.0 }),
    ] {
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![key, value])?;
    }
    tx.commit()?;
    pass_record(conn)
}

/// The passes' bookkeeping as stored.
pub(super) fn pass_record(conn: &Connection) -> Result<PassRecord, Failure> {
    Ok(PassRecord {
        passes: meta(conn, PASSES)?.map_or(0, |n| n as u64),
        last_started: meta(conn, LAST_STARTED)?,
        last_finished: meta(conn, LAST_FINISHED)?,
        last_ok: meta(conn, LAST_OK)?.map(|v| v != 0.0),
    })
}

fn meta(conn: &Connection, key: &str) -> Result<Option<f64>, Failure> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}
