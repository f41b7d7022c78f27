//! Reading a heartbeat or a file's age without trusting the file: no symlinks unless
//! asked, regular files only, bounded size, one retry for a torn write.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::document::Heartbeat;
use triage_os::describe_io as describe;

/// Heartbeats are a few hundred bytes; anything past this is not one.
pub const MAX_HEARTBEAT_BYTES: u64 = 1024 * 1024;

/// How long to wait before re-reading invalid JSON: a writer rewriting in place is done
/// well within it.
pub const TORN_READ_RETRY: Duration = Duration::from_millis(50);

/// How cautious a read is.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Follow a symbolic link at the final path component.
    pub follow_symlinks: bool,
    /// Refuse files larger than this.
    pub max_bytes: u64,
    /// Wait before the one retry after invalid JSON (a writer mid-rewrite).
    pub retry_delay: Duration,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            follow_symlinks: false,
            max_bytes: MAX_HEARTBEAT_BYTES,
            retry_delay: TORN_READ_RETRY,
        }
    }
}

/// Why a heartbeat could not be read; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file does not exist.
    #[error("{}: no such file", .0.display())]
    Missing(PathBuf),
    /// A symbolic link where a file was expected, and following was not allowed.
    #[error("{}: is a symbolic link, not followed", .0.display())]
    Symlink(PathBuf),
    /// A directory, FIFO, device or socket.
    #[error("{}: not a regular file ({})", .0.display(), .1)]
    NotRegular(PathBuf, &'static str),
    /// Bigger than any heartbeat.
    #[error("{}: too large for a heartbeat ({} bytes, limit {})", .0.display(), .1, .2)]
    TooLarge(PathBuf, u64, u64),
    /// Not JSON, or JSON without a usable `timestamp`.
    #[error("{}: {}", .0.display(), .1)]
    Invalid(PathBuf, String),
    /// Permission denied and other operating system errors.
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, String),
}

/// Reads and parses a heartbeat; invalid JSON is retried once after `retry_delay`, since
/// a writer that rewrites in place can be caught mid-write.
pub fn read_heartbeat(path: &Path, options: &ReadOptions) -> Result<Heartbeat, ReadError> {
    match read_heartbeat_once(path, options) {
        Err(ReadError::Invalid(..)) => {
            std::thread::sleep(options.retry_delay);
            read_heartbeat_once(path, options)
        }
        other => other,
    }
}

/// Reads and parses a heartbeat with no retry, for callers that read many files and retry
/// the invalid ones together after one [`TORN_READ_RETRY`].
pub fn read_heartbeat_once(path: &Path, options: &ReadOptions) -> Result<Heartbeat, ReadError> {
    read_owned_heartbeat(path, options).map(|(heartbeat, _)| heartbeat)
}

/// Who owns a file, from `fstat` on the descriptor that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOwner {
    /// The owning uid.
    pub uid: u32,
    /// The owning gid.
    pub gid: u32,
}

/// [`read_heartbeat_once`], with the owner of the very file that was parsed: who wrote
/// it, for a caller that acts on what it says.
pub fn read_owned_heartbeat(
    path: &Path,
    options: &ReadOptions,
) -> Result<(Heartbeat, FileOwner), ReadError> {
    use std::os::unix::fs::MetadataExt;
    let (file, metadata) = open_checked(path, options.follow_symlinks)?;
    let owner = FileOwner {
        uid: metadata.uid(),
        gid: metadata.gid(),
    };
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(path.to_owned(), file_kind(&metadata)));
    }
    if metadata.len() > options.max_bytes {
        return Err(ReadError::TooLarge(
            path.to_owned(),
            metadata.len(),
            options.max_bytes,
        ));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize + 1);
    // The file may grow between fstat and read; never read more than the limit.
    file.take(options.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io(path.to_owned(), describe(&e)))?;
    if bytes.len() as u64 > options.max_bytes {
        return Err(ReadError::TooLarge(
            path.to_owned(),
            bytes.len() as u64,
            options.max_bytes,
        ));
    }
    let heartbeat = serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "not a heartbeat",
            _ => "not valid JSON",
        };
        ReadError::Invalid(path.to_owned(), format!("{what}: {e}"))
    })?;
    Ok((heartbeat, owner))
}

/// A file's (or directory's) modification time as Unix seconds, with the same symlink
/// rule as heartbeats.
pub fn file_mtime(path: &Path, follow_symlinks: bool) -> Result<f64, ReadError> {
    let (_, metadata) = open_checked(path, follow_symlinks)?;
    if !metadata.is_file() && !metadata.is_dir() {
        return Err(ReadError::NotRegular(path.to_owned(), file_kind(&metadata)));
    }
    Ok(metadata.mtime() as f64 + metadata.mtime_nsec() as f64 / 1e9)
}

/// Opens without following a final symlink (unless asked) and without blocking on a FIFO,
/// then takes the metadata of what was actually opened (no stat-then-open race).
fn open_checked(path: &Path, follow_symlinks: bool) -> Result<(File, Metadata), ReadError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow_symlinks {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) => ReadError::Missing(path.to_owned()),
            Some(libc::ELOOP) if !follow_symlinks => ReadError::Symlink(path.to_owned()),
            _ => ReadError::Io(path.to_owned(), describe(&e)),
        })?;
    let metadata = file
        .metadata()
        .map_err(|e| ReadError::Io(path.to_owned(), describe(&e)))?;
    Ok((file, metadata))
}

fn file_kind(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ReadOptions {
        ReadOptions {
            retry_delay: Duration::from_millis(1),
            ..ReadOptions::default()
        }
    }

    #[test]
    fn a_valid_heartbeat_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hb.json");
        std::fs::write(&path, r#"{"timestamp":"2026-02-05T06:17:29Z","pid":7}"#).expect("write");
        let hb = read_heartbeat(&path, &options()).expect("reads");
        assert_eq!(hb.pid, Some(7));
    }

    #[test]
    fn each_refusal_names_the_file_and_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path();
        let missing = base.join("missing.json");
        assert_eq!(
            read_heartbeat(&missing, &options())
                .expect_err("missing")
                .to_string(),
            format!("{}: no such file", missing.display())
        );

        let target = base.join("real.json");
        std::fs::write(&target, r#"{"timestamp":1}"#).expect("write");
        let link = base.join("link.json");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert_eq!(
            read_heartbeat(&link, &options())
                .expect_err("symlink")
                .to_string(),
            format!("{}: is a symbolic link, not followed", link.display())
        );
        let followed = ReadOptions {
            follow_symlinks: true,
            ..options()
        };
        assert!(read_heartbeat(&link, &followed).is_ok());

        assert_eq!(
            read_heartbeat(base, &options())
                .expect_err("dir")
                .to_string(),
            format!("{}: not a regular file (a directory)", base.display())
        );

        let torn = base.join("torn.json");
        std::fs::write(&torn, r#"{"timestamp": "2026-02"#).expect("write");
        assert_eq!(
            read_heartbeat(&torn, &options())
                .expect_err("torn")
                .to_string(),
            format!(
                "{}: not valid JSON: EOF while parsing a string at line 1 column 22",
                torn.display()
            )
        );

        let big = base.join("big.json");
        std::fs::write(&big, vec![b' '; 2 * 1024 * 1024]).expect("write");
        assert_eq!(
            read_heartbeat(&big, &options())
                .expect_err("big")
                .to_string(),
            format!(
                "{}: too large for a heartbeat (2097152 bytes, limit 1048576)",
                big.display()
            )
        );
    }

    #[test]
    fn a_torn_read_is_retried_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hb.json");
        std::fs::write(&path, r#"{"timestamp": "2026-0"#).expect("write torn");
        let fixed = path.clone();
        // The writer finishes its rewrite while the reader waits before its retry.
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            let temp = fixed.with_extension("tmp");
            std::fs::write(&temp, r#"{"timestamp":"2026-02-05T06:17:29Z"}"#).expect("write");
            std::fs::rename(&temp, &fixed).expect("rename");
        });
        let patient = ReadOptions {
            retry_delay: Duration::from_millis(400),
            ..ReadOptions::default()
        };
        let read = read_heartbeat(&path, &patient);
        writer.join().expect("writer");
        assert!(read.is_ok(), "{read:?}");
    }

    #[test]
    fn atomic_rewrites_are_never_read_torn() {
        use crate::timestamp::Timestamp;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hb.json");
        crate::write_atomic(&path, &Heartbeat::at(Timestamp(0.0))).expect("first write");
        let target = path.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..2000 {
                let mut hb = Heartbeat::at(Timestamp(f64::from(i)));
                hb.message = Some("x".repeat(i as usize % 700));
                crate::write_atomic(&target, &hb).expect("write");
            }
        });
        let no_retry = ReadOptions {
            retry_delay: Duration::ZERO,
            ..ReadOptions::default()
        };
        let mut reads = 0;
        while !writer.is_finished() {
            read_heartbeat_once(&path, &no_retry).expect("never torn");
            reads += 1;
        }
        writer.join().expect("writer");
        assert!(reads > 0);
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo.json");
        let c_path = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstring");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_heartbeat(&fifo, &options()),
            Err(ReadError::NotRegular(_, "a FIFO"))
        ));
    }
}
