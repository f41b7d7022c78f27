//! Pipeline runs and their steps, committed as they happen so a crash leaves them visible.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::error::Failure;
use super::owner::Owner;
use super::services::count_run;
use crate::model::{RunOutcome, RunSummary, Source, StepRecord};

/// The most of a step's output that is kept: its end, where the error usually is.
const OUTPUT_TAIL_LIMIT: usize = 4096;

/// Inserts a `running` run owned by `owner`; autocommit, so it is on disk before any step.
pub(super) fn begin(
    conn: &mut Connection,
    owner: &Owner,
    service: &str,
    reason: &str,
    source: Source,
    dry_run: bool,
    now: f64,
) -> Result<i64, Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = tx.query_row(
        "INSERT INTO runs (service, reason, dry_run, started, outcome, owner_pid, \
         owner_start_ticks, owner_boot_id, source) \
         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8) RETURNING id",
        params![
            service,
            reason,
            dry_run,
            now,
            owner.pid,
            owner
                .start_ticks
                .and_then(|ticks| i64::try_from(ticks).ok()),
            owner.boot_id,
            source.as_str(),
        ],
        |row| row.get(0),
    )?;
    if !dry_run {
        count_run(&tx, service, false)?;
    }
    tx.commit()?;
    Ok(id)
}

/// Makes `owner` the process running `run` (a detached child taking over from the event
/// handler that began it).
pub(super) fn adopt(conn: &Connection, owner: &Owner, run: i64) -> Result<(), Failure> {
    let changed = conn.execute(
        "UPDATE runs SET owner_pid = ?2, owner_start_ticks = ?3, owner_boot_id = ?4 \
         WHERE id = ?1 AND outcome = 'running'",
        params![
            run,
            owner.pid,
            owner
                .start_ticks
                .and_then(|ticks| i64::try_from(ticks).ok()),
            owner.boot_id,
        ],
    )?;
    if changed == 0 {
        require_running(conn, run)?;
    }
    Ok(())
}

/// Adds a finished step to a running run, in its own transaction.
pub(super) fn record_step(
    conn: &mut Connection,
    run: i64,
    step: &StepRecord,
) -> Result<(), Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    require_running(&tx, run)?;
    tx.execute(
        "INSERT INTO steps (run, idx, action, started, duration, exit_code, outcome, \
         output_tail, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            run,
            step.index,
            step.action,
            step.started,
            step.duration,
            step.exit_code,
            step.outcome.as_str(),
            tail(&step.output_tail),
            step.note,
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Ends a running run; a run that has already ended is refused, so no run ends twice.
pub(super) fn finish(
    conn: &mut Connection,
    run: i64,
    outcome: RunOutcome,
    now: f64,
) -> Result<(), Failure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let service: Option<String> = tx
        .query_row(
            "UPDATE runs SET outcome = ?2, finished = ?3 WHERE id = ?1 AND outcome = 'running' \
             RETURNING service",
            params![run, outcome.as_str(), now],
            |row| row.get(0),
        )
        .optional()?;
    let Some(service) = service else {
        return require_running(&tx, run);
    };
    if matches!(
        outcome,
        RunOutcome::Failed | RunOutcome::Aborted | RunOutcome::Interrupted
    ) {
        count_run(&tx, &service, true)?;
    }
    tx.commit()?;
    Ok(())
}

/// Marks `interrupted` every running run whose owner is gone (dead, or from another boot),
/// and returns them. Their end time is their last sign of life: the end of their last
/// step, or their start.
pub(super) fn interrupt_orphans(
    conn: &mut Connection,
    current_boot: Option<&str>,
    abandoned_by: Option<&Owner>,
) -> Result<Vec<RunSummary>, Failure> {
    let running = {
        let mut statement = conn.prepare(
            "SELECT id, service, started, reason, owner_pid, owner_start_ticks, owner_boot_id \
             FROM runs WHERE outcome = 'running' ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            let summary = RunSummary {
                id: row.get(0)?,
                service: row.get(1)?,
                started: row.get(2)?,
                reason: row.get(3)?,
            };
            let owner = Owner {
                pid: row.get(4)?,
                start_ticks: row
                    .get::<_, Option<i64>>(5)?
                    .and_then(|ticks| u64::try_from(ticks).ok()),
                boot_id: row.get(6)?,
            };
            Ok((summary, owner))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let orphans: Vec<RunSummary> = running
        .into_iter()
        .filter(|(_, owner)| !owner.is_alive(current_boot) || Some(owner) == abandoned_by)
        .map(|(summary, _)| summary)
        .collect();
    if orphans.is_empty() {
        return Ok(orphans);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut interrupted = Vec::with_capacity(orphans.len());
    for run in orphans {
        // Another process opening at the same time may have marked it first.
        let changed = tx.execute(
            "UPDATE runs SET outcome = 'interrupted', finished = max(started, coalesce(\
             (SELECT max(s.started + s.duration) FROM steps s WHERE s.run = runs.id), started)) \
             WHERE id = ?1 AND outcome = 'running'",
            [run.id],
        )?;
        if changed == 1 {
            count_run(&tx, &run.service, true)?;
            interrupted.push(run);
        }
    }
    tx.commit()?;
    Ok(interrupted)
}

/// The service and source of `run`.
pub(super) fn origin(conn: &Connection, run: i64) -> Result<(String, Source), Failure> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT service, source FROM runs WHERE id = ?1",
            [run],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (service, source) = row.ok_or(Failure::NoSuchRun(run))?;
    Ok((service, Source::from_name(&source).unwrap_or(Source::Cli)))
}

/// Ok when `run` exists and is running; otherwise the error saying which it is not.
fn require_running(conn: &Connection, run: i64) -> Result<(), Failure> {
    let outcome: Option<String> = conn
        .query_row("SELECT outcome FROM runs WHERE id = ?1", [run], |row| {
            row.get(0)
        })
        .optional()?;
    match outcome {
        None => Err(Failure::NoSuchRun(run)),
        Some(outcome) if outcome == "running" => Ok(()),
        Some(outcome) => Err(Failure::RunEnded(run, outcome)),
    }
}

/// The last `OUTPUT_TAIL_LIMIT` bytes of `text`, cut at a character boundary.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(OUTPUT_TAIL_LIMIT);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
