//! The steady clock's anchor and the wall clock's offset at the last pass, so every
//! process of one boot counts deadlines alike and a wall-clock step between passes shows.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::Failure;
use crate::model::Anchor;

/// The anchor kept for the current (or an earlier) boot.
pub(super) fn stored_anchor(conn: &Connection) -> Result<Option<Anchor>, Failure> {
    Ok(conn
        .prepare_cached("SELECT boot_id, boot, steady FROM clock WHERE id = 1")?
        .query_row([], |row| {
            Ok(Anchor {
                boot_id: row.get(0)?,
                boot: row.get(1)?,
                steady: row.get(2)?,
            })
        })
        .optional()?)
}

/// Keeps `anchor` as the one for this boot; the last pass's offset belonged to the old one.
pub(super) fn keep_anchor(conn: &Connection, anchor: &Anchor) -> Result<(), Failure> {
    conn.prepare_cached(
        "INSERT INTO clock (id, boot_id, boot, steady, wall_offset) VALUES (1, ?1, ?2, ?3, NULL) \
         ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, boot = excluded.boot, \
         steady = excluded.steady, wall_offset = NULL",
    )?
    .execute(params![anchor.boot_id, anchor.boot, anchor.steady])?;
    Ok(())
}

/// The wall clock's lead over the steady clock at the last pass of this boot.
pub(super) fn last_wall_offset(conn: &Connection) -> Result<Option<f64>, Failure> {
    Ok(conn
        .prepare_cached("SELECT wall_offset FROM clock WHERE id = 1")?
        .query_row([], |row| row.get(0))
        .optional()?
        .flatten())
}

/// Keeps the wall clock's lead as a pass measured it.
pub(super) fn keep_wall_offset(conn: &Connection, offset: f64) -> Result<(), Failure> {
    conn.prepare_cached("UPDATE clock SET wall_offset = ?1 WHERE id = 1")?
        .execute([offset])?;
    Ok(())
}
