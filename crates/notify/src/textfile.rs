//! Prometheus metrics for node_exporter's textfile collector, which reads every `*.prom`
//! file in its directory at each scrape, possibly while we write one: the file is replaced
//! by a rename, so a scrape sees the old version or the new one, never half of one.

mod exposition;

use std::ffi::OsString;
use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use triage_os::describe_io;

pub use exposition::{Exposition, ExpositionError, Family, MetricKind};

/// node_exporter usually runs as another user: the file must be readable by everyone.
const MODE: u32 = 0o644;

/// Tells apart the temporary files of one process's writes.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` (which must end in `.prom`) with `text`, atomically for readers.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let Some(file_name) = path
        .file_name()
        .filter(|name| name.as_bytes().ends_with(b".prom"))
    else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: the textfile collector reads only files named *.prom; \
                 refusing to write a file it would ignore",
                path.display()
            ),
        ));
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let (temporary, mut file) = create_temporary(directory, file_name)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| with_path("cannot write", &temporary, &error));
    drop(file);
    let replaced = written.and_then(|()| {
        std::fs::rename(&temporary, path).map_err(|error| {
            with_path(
                &format!("cannot rename {} to", temporary.display()),
                path,
                &error,
            )
        })
    });
    if replaced.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    replaced
}

/// A new file `.<file_name>.<pid>.<counter>.tmp` beside the target: it does not end in
/// `.prom`, so the collector never reads it.
fn create_temporary(directory: &Path, file_name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    let mut last_error = None;
    // A name can be taken only by a crashed earlier process with the same pid: a few tries.
    for _ in 0..8 {
        let mut name = OsString::from(".");
        name.push(file_name);
        name.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed)
        ));
        let temporary = directory.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(MODE)
            .open(&temporary)
        {
            Ok(file) => {
                // The mode given to open(2) is cut by the umask; fchmod is not.
                if let Err(error) = file.set_permissions(Permissions::from_mode(MODE)) {
                    drop(file);
                    let _ = std::fs::remove_file(&temporary);
                    return Err(with_path("cannot set the mode of", &temporary, &error));
                }
                return Ok((temporary, file));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                last_error = Some(error);
            }
            Err(error) => return Err(with_path("cannot create", &temporary, &error)),
        }
    }
    let error = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(with_path(
        "cannot create a temporary file in",
        directory,
        &error,
    ))
}

/// The error, same kind, with what we were doing and where.
fn with_path(doing: &str, path: &Path, error: &io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{doing} {}: {}", path.display(), describe_io(error)),
    )
}

#[cfg(test)]
mod tests;
