//! Replacing a file so readers see the old text or the new, never half, and so nobody who
//! can write the directory can aim the write elsewhere: the directory is opened once and
//! everything is done relative to it; the new text goes to a temporary file beside the
//! target, created with `O_EXCL | O_NOFOLLOW` under a name nobody can guess (a symlink or
//! a squatted name there cannot catch or block it), with the mode set by `fchmod` (not
//! cut by the umask), then renamed over the target (which replaces a symlink there
//! rather than following it).

use std::ffi::CString;
use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::describe_io;
use crate::private::{open_dir, split};

/// How a replacement is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Renamed without `fsync`: a file rewritten every few seconds (a heartbeat) loses at
    /// most its last text to a power cut, which readers then see as stale.
    Rename,
    /// `fsync` before the rename: what is read after a crash is whole and recent.
    Sync,
}

/// Why a replacement failed: what was being done, to which file, and the system's word.
#[derive(Debug, thiserror::Error)]
#[error("{doing} {}: {}", path.display(), describe_io(source))]
pub struct ReplaceError {
    /// `cannot create`, `cannot write`, `cannot rename X to`, ...
    pub doing: String,
    /// The file it was done to.
    pub path: PathBuf,
    /// What the system said.
    pub source: io::Error,
}

impl From<ReplaceError> for io::Error {
    fn from(error: ReplaceError) -> io::Error {
        io::Error::new(error.source.kind(), error.to_string())
    }
}

/// Replaces `path` with `bytes`, mode `mode`, relative to its directory, held open.
pub fn replace_file(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    durability: Durability,
) -> Result<(), ReplaceError> {
    let (directory, name) = split(path).map_err(|error| with_path("cannot write", path, error))?;
    let dir = open_dir(directory)
        .map_err(|error| with_path("cannot create a temporary file in", directory, error))?;
    let (temporary, mut file) = create_temporary(&dir, directory, name.as_bytes(), mode)?;
    let shown = directory.join(std::ffi::OsStr::from_bytes(temporary.as_bytes()));
    let written = file
        .write_all(bytes)
        .and_then(|()| match durability {
            Durability::Sync => file.sync_all(),
            Durability::Rename => Ok(()),
        })
        .map_err(|error| with_path("cannot write", &shown, error));
    drop(file);
    let replaced = written.and_then(|()| {
        // SAFETY: one directory descriptor we own and two NUL-terminated names in it.
        let renamed = unsafe {
            libc::renameat(
                dir.as_raw_fd(),
                temporary.as_ptr(),
                dir.as_raw_fd(),
                name.as_ptr(),
            )
        };
        if renamed == 0 {
            return Ok(());
        }
        Err(with_path(
            &format!("cannot rename {} to", shown.display()),
            path,
            io::Error::last_os_error(),
        ))
    });
    if replaced.is_err() {
        // SAFETY: as above.
        unsafe { libc::unlinkat(dir.as_raw_fd(), temporary.as_ptr(), 0) };
    }
    replaced
}

/// A new file `.<file_name>.<random>.tmp` in the directory `dir` (shown as `directory`):
/// hidden, and with an ending no reader globbing for the target's (`*.json`, `*.prom`)
/// picks up. Returns its name and the open file.
fn create_temporary(
    dir: &OwnedFd,
    directory: &Path,
    file_name: &[u8],
    mode: u32,
) -> Result<(CString, File), ReplaceError> {
    let mut last_error = None;
    // 64 random bits: a clash is a bug or an attack, not bad luck; a few tries at most.
    for _ in 0..4 {
        let random =
            random_u64().map_err(|error| with_path("cannot name a file in", directory, error))?;
        let mut name = b".".to_vec();
        name.extend_from_slice(file_name);
        name.extend_from_slice(format!(".{random:016x}.tmp").as_bytes());
        let shown = directory.join(std::ffi::OsStr::from_bytes(&name));
        let name = CString::new(name)
            .map_err(|_| with_path("cannot create", &shown, io::ErrorKind::InvalidInput.into()))?;
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: a directory descriptor we own and a NUL-terminated name.
        let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode) };
        if fd < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::AlreadyExists {
                last_error = Some(error);
                continue;
            }
            return Err(with_path("cannot create", &shown, error));
        }
        // SAFETY: the kernel just gave us this descriptor.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        // The mode given to open(2) is cut by the umask; fchmod is not.
        if let Err(error) = file.set_permissions(Permissions::from_mode(mode)) {
            drop(file);
            // SAFETY: as above.
            unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) };
            return Err(with_path("cannot set the mode of", &shown, error));
        }
        return Ok((name, file));
    }
    let error = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(with_path(
        "cannot create a temporary file in",
        directory,
        error,
    ))
}

/// 64 bits from the kernel's random pool (`getrandom(2)`).
pub fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: the pointer and length describe the unfilled part of `bytes`.
        let got = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if got < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        filled += got as usize;
    }
    Ok(u64::from_ne_bytes(bytes))
}

/// The error with what we were doing and where.
fn with_path(doing: &str, path: &Path, source: io::Error) -> ReplaceError {
    ReplaceError {
        doing: doing.to_owned(),
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_replacement_is_whole_has_its_mode_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        replace_file(&path, b"one", 0o640, Durability::Rename).expect("write");
        replace_file(&path, b"two", 0o600, Durability::Sync).expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        assert_eq!(
            std::fs::metadata(&path).expect("meta").mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").expect("victim");
        let path = dir.path().join("state.json");
        std::os::unix::fs::symlink(&victim, &path).expect("symlink");
        replace_file(&path, b"new", 0o600, Durability::Rename).expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
        assert!(!std::fs::symlink_metadata(&path).expect("meta").is_symlink());
    }

    #[test]
    fn temporary_names_cannot_be_guessed() {
        let a = random_u64().expect("random");
        let b = random_u64().expect("random");
        assert_ne!(a, b);
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("no/such/dir/state.json");
        let error = replace_file(&missing, b"x", 0o600, Durability::Rename).expect_err("fails");
        assert!(error.to_string().starts_with("cannot create "), "{error}");
    }
}
