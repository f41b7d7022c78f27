//! Store errors: one line each, naming the database file.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;
use rusqlite::ffi::code_to_str;

/// Why the state database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its directory could not be opened or created.
    #[error("cannot open {path}: {reason}")]
    Open {
        /// Database file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// Another process held the write lock for longer than the busy timeout (5 s).
    #[error("{path} is locked by another process")]
    Locked {
        /// Database file.
        path: PathBuf,
    },
    /// Not SQLite, another program's SQLite file, or damaged.
    #[error("{path} is not a remediate database (or is corrupt)")]
    NotOurs {
        /// Database file.
        path: PathBuf,
    },
    /// SQLite found the file damaged (on open, or by `PRAGMA quick_check`).
    #[error("{path} is corrupt: {reason}")]
    Corrupt {
        /// Database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// Written by a newer remediate whose layout this one does not know.
    #[error(
        "{path} was written by a newer remediate (schema version {found}, this one knows up to {known})"
    )]
    TooNew {
        /// Database file.
        path: PathBuf,
        /// Version found in the file.
        found: i32,
        /// Newest version this build knows.
        known: i32,
    },
    /// A run id that is not in the database (or was pruned).
    #[error("{path}: there is no run {id}")]
    NoSuchRun {
        /// Database file.
        path: PathBuf,
        /// The run asked for.
        id: i64,
    },
    /// A run that has already ended cannot take steps or end again.
    #[error("{path}: run {id} has already ended ({outcome})")]
    RunEnded {
        /// Database file.
        path: PathBuf,
        /// The run asked for.
        id: i64,
        /// How it ended.
        outcome: String,
    },
    /// Any other SQLite failure (disk full, I/O error, ...).
    #[error("{path}: {reason}")]
    Database {
        /// Database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
}

impl StoreError {
    /// A fault of the disk or the file (full, read-only, I/O error, corrupt, cannot be
    /// opened): healing goes on without the database. Not one of a file that is another
    /// program's or a newer remediate's, nor a lock another process holds.
    pub fn is_storage_fault(&self) -> bool {
        matches!(
            self,
            StoreError::Open { .. } | StoreError::Database { .. } | StoreError::Corrupt { .. }
        )
    }

    /// Classifies a SQLite error so the user reads what to do about it.
    pub(super) fn from_sqlite(path: &Path, error: &rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path }
            }
            // No SQLite header: more likely a wrong `db_path` than damage, so refused
            // untouched rather than set aside.
            Some(ErrorCode::NotADatabase) => StoreError::NotOurs { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                reason: error.to_string(),
            },
            // SQLite's own words, without the path rusqlite appends to open errors.
            Some(ErrorCode::CannotOpen) => StoreError::Open {
                path,
                reason: error
                    .sqlite_extended_error_code()
                    .map_or_else(|| error.to_string(), |code| code_to_str(code).to_owned()),
            },
            _ => StoreError::Database {
                path,
                reason: error.to_string(),
            },
        }
    }
}

/// A failure inside the store, before the database path is attached.
#[derive(Debug)]
pub(super) enum Failure {
    Sql(rusqlite::Error),
    NotOurs,
    TooNew { found: i32, known: i32 },
    NoSuchRun(i64),
    RunEnded(i64, String),
    Corrupt(String),
}

impl Failure {
    /// SQLite said another connection holds a lock.
    pub(super) fn is_busy(&self) -> bool {
        matches!(
            self,
            Failure::Sql(error) if matches!(
                error.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            )
        )
    }

    /// The user-facing error for the database at `path`.
    pub(super) fn at(self, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        match self {
            Failure::Sql(error) => StoreError::from_sqlite(&path, &error),
            Failure::NotOurs => StoreError::NotOurs { path },
            Failure::TooNew { found, known } => StoreError::TooNew { path, found, known },
            Failure::NoSuchRun(id) => StoreError::NoSuchRun { path, id },
            Failure::RunEnded(id, outcome) => StoreError::RunEnded { path, id, outcome },
            Failure::Corrupt(reason) => StoreError::Corrupt { path, reason },
        }
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Failure::Sql(error)
    }
}
