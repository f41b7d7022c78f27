//! Reading the record back (`remediate history`) and pruning it by age.

use std::collections::HashMap;

use rusqlite::types::Type;
use rusqlite::{Connection, TransactionBehavior, params};

use super::audit::window_from_row;
use super::error::Failure;
use super::services::invalid;
use crate::model::{
    Decision, HistoryEntry, RunProgress, Source, StateType, StepOutcome, StepRecord,
    state_from_code,
};

/// Runs shown for `since`: started or ended since then, or still running.
const RUN_FILTER: &str = "(started >= ?1 OR finished >= ?1 OR outcome = 'running') \
    AND (?2 IS NULL OR service = ?2)";

/// State changes, runs with their steps and on/off events since `since`, newest first.
pub(super) fn history(
    conn: &Connection,
    service: Option<&str>,
    since: f64,
    now: f64,
) -> Result<Vec<HistoryEntry>, Failure> {
    // One read transaction: the tables are read from the same snapshot.
    let tx = conn.unchecked_transaction()?;
    // (time, rank for ties, row id, entry). At the same time a run or a toggle is listed
    // above the check that led to it.
    let mut listed: Vec<(f64, u8, i64, HistoryEntry)> = Vec::new();

    let mut checks = tx.prepare(
        "SELECT id, service, at, state, summary FROM checks \
         WHERE changed AND at >= ?1 AND (?2 IS NULL OR service = ?2)",
    )?;
    let rows = checks.query_map(params![since, service], |row| {
        let code: i64 = row.get(3)?;
        let state =
            state_from_code(code).ok_or_else(|| invalid(3, Type::Integer, "not a state code"))?;
        let at = row.get(2)?;
        let entry = HistoryEntry::Check {
            service: row.get(1)?,
            at,
            state,
            summary: row.get(4)?,
        };
        Ok((at, 0, row.get(0)?, entry))
    })?;
    for row in rows {
        listed.push(row?);
    }

    let mut steps = steps_of_runs(&tx, service, since)?;
    let mut runs = tx.prepare(&format!(
        "SELECT id, service, started, finished, outcome, reason, dry_run, source FROM runs \
         WHERE {RUN_FILTER}"
    ))?;
    let rows = runs.query_map(params![since, service], |row| {
        let id: i64 = row.get(0)?;
        let started = row.get(2)?;
        let outcome: String = row.get(4)?;
        let source: String = row.get(7)?;
        let entry = HistoryEntry::Run {
            id,
            service: row.get(1)?,
            started,
            finished: row.get(3)?,
            outcome: RunProgress::from_name(&outcome)
                .ok_or_else(|| invalid(4, Type::Text, "not a run outcome"))?,
            reason: row.get(5)?,
            dry_run: row.get(6)?,
            source: Source::from_name(&source)
                .ok_or_else(|| invalid(7, Type::Text, "not a run source"))?,
            steps: Vec::new(),
        };
        Ok((started, 2, id, entry))
    })?;
    for row in rows {
        let (at, rank, id, mut entry) = row?;
        if let HistoryEntry::Run { steps: slot, .. } = &mut entry {
            *slot = steps.remove(&id).unwrap_or_default();
        }
        listed.push((at, rank, id, entry));
    }

    let mut toggles = tx.prepare(
        "SELECT id, service, at, enabled FROM toggles \
         WHERE at >= ?1 AND (?2 IS NULL OR service = ?2)",
    )?;
    let rows = toggles.query_map(params![since, service], |row| {
        let at = row.get(2)?;
        let entry = HistoryEntry::Toggle {
            service: row.get(1)?,
            at,
            enabled: row.get(3)?,
        };
        Ok((at, 1, row.get(0)?, entry))
    })?;
    for row in rows {
        listed.push(row?);
    }

    let mut decisions = tx.prepare(
        "SELECT id, service, at, source, state, state_type, attempt, decision, run \
         FROM decisions WHERE at >= ?1 AND (?2 IS NULL OR service = ?2)",
    )?;
    let rows = decisions.query_map(params![since, service], |row| {
        let source: String = row.get(3)?;
        let state = row
            .get::<_, Option<i64>>(4)?
            .map(|code| {
                state_from_code(code).ok_or_else(|| invalid(4, Type::Integer, "not a state code"))
            })
            .transpose()?;
        let decision = Decision {
            service: row.get(1)?,
            at: row.get(2)?,
            source: Source::from_name(&source)
                .ok_or_else(|| invalid(3, Type::Text, "not a decision source"))?,
            state,
            state_type: row
                .get::<_, Option<String>>(5)?
                .map(|text| {
                    text.parse::<StateType>()
                        .map_err(|_| invalid(5, Type::Text, "not a state type"))
                })
                .transpose()?,
            attempt: row.get(6)?,
            decision: row.get(7)?,
            run: row.get(8)?,
        };
        Ok((
            decision.at,
            3,
            row.get(0)?,
            HistoryEntry::Decision { decision },
        ))
    })?;
    for row in rows {
        listed.push(row?);
    }

    // A window is listed when it began, and again when it ended (by hand or by itself).
    let mut windows = tx.prepare(
        "SELECT service, started, until, ended, reason, by, id FROM maintenance \
         WHERE coalesce(ended, until) >= ?1 AND (?2 IS NULL OR service = ?2)",
    )?;
    let rows = windows.query_map(params![since, service], |row| {
        Ok((window_from_row(row)?, row.get::<_, i64>(6)?))
    })?;
    for row in rows {
        let (window, id) = row?;
        let end = window.ended.unwrap_or(window.until);
        if end <= now {
            listed.push((
                end,
                1,
                id,
                HistoryEntry::MaintenanceEnded {
                    service: window.service.clone(),
                    at: end,
                    expired: window.ended.is_none(),
                },
            ));
        }
        if window.started >= since {
            listed.push((
                window.started,
                1,
                id,
                HistoryEntry::MaintenanceStarted { window },
            ));
        }
    }

    listed.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    Ok(listed.into_iter().map(|(.., entry)| entry).collect())
}

/// Steps of the runs `history` lists, by run, in pipeline order.
fn steps_of_runs(
    conn: &Connection,
    service: Option<&str>,
    since: f64,
) -> Result<HashMap<i64, Vec<StepRecord>>, Failure> {
    let mut statement = conn.prepare(&format!(
        "SELECT run, idx, action, started, duration, exit_code, outcome, output_tail, note \
         FROM steps WHERE run IN (SELECT id FROM runs WHERE {RUN_FILTER}) ORDER BY run, idx"
    ))?;
    let rows = statement.query_map(params![since, service], |row| {
        let outcome: String = row.get(6)?;
        let step = StepRecord {
            index: row.get(1)?,
            action: row.get(2)?,
            started: row.get(3)?,
            duration: row.get(4)?,
            exit_code: row.get(5)?,
            outcome: StepOutcome::from_name(&outcome)
                .ok_or_else(|| invalid(6, Type::Text, "not a step outcome"))?,
            output_tail: row.get(7)?,
            note: row.get(8)?,
        };
        Ok((row.get::<_, i64>(0)?, step))
    })?;
    let mut by_run: HashMap<i64, Vec<StepRecord>> = HashMap::new();
    for row in rows {
        let (run, step) = row?;
        by_run.entry(run).or_default().push(step);
    }
    Ok(by_run)
}

/// Deletes check results, ended runs (with their steps), on/off events, decisions and
/// ended maintenance windows older than
/// `older_than`, in one transaction; returns how many rows went. Running runs stay
/// whatever their age.
pub(super) fn prune(conn: &mut Connection, older_than: f64) -> Result<usize, Failure> {
    const ENDED_BEFORE: &str = "outcome != 'running' AND coalesce(finished, started) < ?1";
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut deleted = tx.execute("DELETE FROM checks WHERE at < ?1", [older_than])?;
    // Counted here rather than left to ON DELETE CASCADE, which changes() does not count.
    deleted += tx.execute(
        &format!("DELETE FROM steps WHERE run IN (SELECT id FROM runs WHERE {ENDED_BEFORE})"),
        [older_than],
    )?;
    deleted += tx.execute(
        &format!("DELETE FROM runs WHERE {ENDED_BEFORE}"),
        [older_than],
    )?;
    deleted += tx.execute("DELETE FROM toggles WHERE at < ?1", [older_than])?;
    deleted += tx.execute("DELETE FROM decisions WHERE at < ?1", [older_than])?;
    deleted += tx.execute(
        "DELETE FROM maintenance WHERE coalesce(ended, until) < ?1",
        [older_than],
    )?;
    tx.commit()?;
    Ok(deleted)
}
