//! When the database fails: corruption found and set aside, state found lost, and a copy
//! in memory that a pass works on while the database cannot be written (a full disk, a
//! read-only remount, an I/O error), written back as soon as it can be. Healing never
//! waits for the audit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::error::Failure;
use super::{Store, StoreError};
use crate::model::{Loss, StatusFile, now};

/// How often `PRAGMA quick_check` reads the whole database: hourly, so a cron run every
/// minute does not read a large file sixty times an hour.
const QUICK_CHECK_EVERY: f64 = 3600.0;

const LAST_QUICK_CHECK: &str = "last_quick_check";

/// Runs `PRAGMA quick_check` when the last one is older than an hour (or never ran);
/// damage is [`Failure::Corrupt`]. Keeping the time is best effort: a full disk must not
/// stop the opening.
pub(super) fn quick_check_when_due(conn: &Connection) -> Result<(), Failure> {
    let at = now();
    let last: Option<f64> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([LAST_QUICK_CHECK], |row| row.get(0))
        .optional()?;
    if last.is_some_and(|last| (0.0..QUICK_CHECK_EVERY).contains(&(at - last))) {
        return Ok(());
    }
    quick_check(conn)?;
    let _ = conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![LAST_QUICK_CHECK, at],
    );
    Ok(())
}

/// `PRAGMA quick_check`; damage is [`Failure::Corrupt`].
fn quick_check(conn: &Connection) -> Result<(), Failure> {
    let found: Vec<String> = conn
        .prepare("PRAGMA quick_check")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if found != ["ok"] {
        let said: String = found.join("; ").chars().take(300).collect();
        return Err(Failure::Corrupt(format!("quick_check: {said}")));
    }
    Ok(())
}

/// Renames a corrupt database (with its WAL and shared-memory files) to
/// `<name>.corrupt-<unix time>`: kept for whoever wants to look, out of the way of a new one.
pub(super) fn set_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = crate::model::wall_now().floor() as i64;
    let aside = |path: &Path| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".corrupt-{stamp}"));
        PathBuf::from(name)
    };
    let kept = aside(path);
    std::fs::rename(path, &kept).map_err(|error| StoreError::Open {
        path: path.to_path_buf(),
        reason: format!(
            "it is corrupt and cannot be set aside: {}",
            triage_core::describe_io(&error)
        ),
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        let companion = PathBuf::from(companion);
        if companion.exists() {
            let _ = std::fs::rename(&companion, aside(&companion));
        }
    }
    Ok(kept)
}

/// The bytes of the database file at `path` as the database of `conn` (in memory).
fn load_file(conn: &mut Connection, path: &Path) -> Result<(), Failure> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = Vec::new();
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map_err(|error| Failure::Corrupt(triage_core::describe_io(&error)))?;
    // Bytes 18 and 19 say WAL (2); in memory there is no WAL, so rollback (1).
    if bytes.len() >= 100 {
        bytes[18] = 1;
        bytes[19] = 1;
    }
    let length = bytes.len();
    conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes.as_slice(), length, false)?;
    Ok(())
}

/// The passes the status snapshot beside the database shows, if it shows any: a new
/// database there means the old one was lost.
pub(super) fn passes_the_snapshot_shows(db_path: &Path) -> Option<u64> {
    let text = std::fs::read(crate::model::status_file_path(db_path)).ok()?;
    let snapshot: StatusFile = serde_json::from_slice(&text).ok()?;
    (snapshot.passes > 0).then_some(snapshot.passes)
}

pub(super) fn record_loss(conn: &Connection, at: f64, reason: &str) -> Result<(), Failure> {
    conn.prepare_cached("INSERT INTO losses (at, reason) VALUES (?1, ?2)")?
        .execute(params![at, reason])?;
    Ok(())
}

pub(super) fn losses_since(conn: &Connection, since: f64) -> Result<Vec<Loss>, Failure> {
    let mut statement =
        conn.prepare_cached("SELECT at, reason FROM losses WHERE at >= ?1 ORDER BY at")?;
    let rows = statement.query_map([since], |row| {
        Ok(Loss {
            at: row.get(0)?,
            reason: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// A copy in memory of the database at `path` (what of it can be read; nothing if
    /// none), standing in for it because of `why`.
    fn in_memory_copy(path: &Path, why: String) -> Result<Store, StoreError> {
        let mut copy = Store::in_memory_at(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let copied = Connection::open_with_flags(path, flags)
            .and_then(|file| {
                Backup::new(&file, &mut copy.conn)?.run_to_completion(256, Duration::ZERO, None)
            })
            .map_err(Failure::from)
            .and_then(|()| quick_check(&copy.conn));
        if copied.is_err() {
            // Opening a WAL database needs its shared-memory file, which a full disk
            // cannot take; the last connection to close checkpointed everything into the
            // file itself, so its bytes alone are the state.
            copy = Store::in_memory_at(path)?;
            if load_file(&mut copy.conn, path)
                .and_then(|()| quick_check(&copy.conn))
                .is_err()
            {
                copy = Store::in_memory_at(path)?;
            }
        }
        // The copy holds the file's schema (or a new one) and its runs: settle both. A run
        // this process began in the file belongs to the pass that failed: it is over.
        copy.prepare().map_err(|failure| failure.at(path))?;
        let owner = copy.owner.clone();
        let boot = owner.boot_id.clone();
        copy.interrupted.extend(
            super::runs::interrupt_orphans(&mut copy.conn, boot.as_deref(), Some(&owner))
                .map_err(|failure| failure.at(path))?,
        );
        copy.degraded = Some(why);
        Ok(copy)
    }

    /// Writes this copy in memory over the database `file`: everything it had, and what
    /// was recorded since.
    fn write_back(&self, file: &mut Store) -> Result<(), StoreError> {
        Backup::new(&self.conn, &mut file.conn)
            .and_then(|backup| backup.run_to_completion(256, Duration::ZERO, None))
            .map_err(|error| StoreError::from_sqlite(&file.path, &error))
    }
}

/// The store a pass works on: the database, or, while it cannot be used, a copy in
/// memory. `watch` keeps one for all its passes, so the copy carries counters and budgets
/// from pass to pass until the database can be written again; and after each pass the
/// copy is kept in `spare` (on another file system, /run), so the next cron run, or a
/// restarted `watch`, goes on from it.
#[derive(Debug)]
pub struct Keeper {
    path: PathBuf,
    spare: Option<PathBuf>,
    current: Option<Store>,
}

impl Keeper {
    /// For the database at `path`, with the spare copy at `spare`; nothing is opened yet.
    pub fn new(path: &Path, spare: Option<PathBuf>) -> Keeper {
        Keeper {
            path: path.to_path_buf(),
            spare,
            current: None,
        }
    }

    /// Keeps a copy in memory in the spare file, if there is one of both. What cannot be
    /// kept is said, never fatal: the copy in memory is still there for `watch`.
    pub fn keep(&mut self) -> Option<String> {
        let (Some(copy), Some(spare)) = (self.current.as_mut(), self.spare.as_ref()) else {
            return None;
        };
        copy.degraded.as_ref()?;
        let kept = spare
            .parent()
            .map_or(Ok(()), triage_os::private_dir)
            .map_err(|error| error.to_string())
            .and_then(|()| {
                let bytes = copy
                    .conn
                    .serialize(rusqlite::MAIN_DB)
                    .map_err(|e| e.to_string())?;
                triage_os::replace_file(spare, &bytes, 0o600, triage_os::Durability::Rename)
                    .map_err(|error| error.to_string())
            });
        kept.err()
            .map(|why| format!("cannot keep the record in {}: {why}", spare.display()))
    }

    /// The copy a run before this one kept in the spare file, if there is one. If the
    /// database changed after it (a `maint` or an event once the disk had room), the
    /// database wins and the spare is set aside as `.stale`, said in `notes`.
    fn kept_in_spare(&self, notes: &mut Vec<String>) -> Option<Store> {
        let spare = self.spare.as_ref()?;
        let kept_at = std::fs::symlink_metadata(spare).ok()?.modified().ok()?;
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        let changed_after = [self.path.clone(), PathBuf::from(wal)].iter().any(|file| {
            std::fs::metadata(file)
                .and_then(|meta| meta.modified())
                .is_ok_and(|at| at > kept_at)
        });
        if changed_after {
            let mut stale = spare.as_os_str().to_owned();
            stale.push(".stale");
            let _ = std::fs::rename(spare, &stale);
            notes.push(format!(
                "{} changed after the record kept in {} while it could not be written: \
                 the database is used, the spare copy is kept as {}",
                self.path.display(),
                spare.display(),
                PathBuf::from(&stale).display()
            ));
            return None;
        }
        let mut copy = Store::in_memory_at(&self.path).ok()?;
        load_file(&mut copy.conn, spare).ok()?;
        let meta = std::fs::symlink_metadata(spare).ok()?;
        triage_os::check_private_file(spare, &meta).ok()?;
        quick_check(&copy.conn).ok()?;
        copy.prepare().ok()?;
        copy.degraded = Some(format!(
            "{} could not be written; the record is kept in {}",
            self.path.display(),
            spare.display()
        ));
        Some(copy)
    }

    fn drop_spare(&self) {
        if let Some(spare) = &self.spare {
            let _ = std::fs::remove_file(spare);
        }
    }

    /// Opens the store for a pass and returns it with what is worth saying about it. A
    /// copy in memory is written back first if the database can take it. Errors that are
    /// not the disk's (another program's file, a newer remediate's) are returned.
    pub fn open(&mut self) -> Result<(&mut Store, Vec<String>), StoreError> {
        let mut notes = Vec::new();
        let current = self
            .current
            .take()
            .or_else(|| self.kept_in_spare(&mut notes));
        let next = match current {
            Some(copy) if copy.degraded.is_some() => {
                match Store::open(&self.path).and_then(|mut file| {
                    copy.write_back(&mut file)?;
                    Ok(file)
                }) {
                    Ok(file) => {
                        self.drop_spare();
                        notes.push(format!(
                            "{} can be written again: what was recorded meanwhile is in it",
                            self.path.display()
                        ));
                        file
                    }
                    Err(error) if error.is_storage_fault() => {
                        notes.push(still_degraded(&error));
                        copy
                    }
                    Err(error) => {
                        self.current = Some(copy);
                        return Err(error);
                    }
                }
            }
            _ => match Store::open(&self.path) {
                Ok(file) => file,
                Err(error) if error.is_storage_fault() => {
                    notes.push(still_degraded(&error));
                    Store::in_memory_copy(&self.path, error.to_string())?
                }
                Err(error) => return Err(error),
            },
        };
        Ok((self.current.insert(next), notes))
    }

    /// After a pass failed on the database with a storage fault: a corrupt database is
    /// set aside for a new one; otherwise a copy in memory from now on (the failed pass's
    /// writes were rolled back, so the copy has none of them).
    pub fn degrade(&mut self, error: &StoreError) -> Result<&mut Store, StoreError> {
        self.current = None;
        let next = match error {
            StoreError::Corrupt { reason, .. } => Store::replace_corrupt(&self.path, reason)
                .or_else(|_| Store::in_memory_copy(&self.path, error.to_string()))?,
            _ => Store::in_memory_copy(&self.path, error.to_string())?,
        };
        Ok(self.current.insert(next))
    }
}

fn still_degraded(error: &StoreError) -> String {
    format!(
        "{error}: healing goes on; this pass is recorded in memory and written to the \
         database when it can take it"
    )
}
