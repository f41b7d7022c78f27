//! Files and directories a privileged process keeps for itself (state, locks, logs): as
//! root, nobody else may own or write them, or they could plant a lock, a database or a
//! link and steer what root does. Refusals say what is wrong and the command that fixes
//! it. For other users nothing is refused: they can only hurt themselves.

use std::ffi::CString;
use std::fs::{DirBuilder, File, Metadata};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::Path;

use crate::describe_io;

/// Why a private file or directory cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PrivateError(pub String);

/// Whether we are root, who must not trust what others can write.
fn privileged() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Creates `dir` (and its parents) if missing with mode 0711 (others may reach a file by
/// its name, as the status snapshot, but list nothing; what is private is 0600), then, as
/// root, checks that root owns it and neither group nor others can write it.
pub fn private_dir(dir: &Path) -> Result<(), PrivateError> {
    owned_dir(dir, 0o711)
}

/// [`private_dir`], creating a missing `dir` with `mode`.
fn owned_dir(dir: &Path, mode: u32) -> Result<(), PrivateError> {
    let cannot = |e: io::Error| {
        PrivateError(format!(
            "cannot create {}: {}",
            dir.display(),
            describe_io(&e)
        ))
    };
    let existed = dir.exists();
    if privileged() && !existed {
        // Nothing is made below a directory someone else could swap.
        let mut existing = dir;
        while let Some(parent) = existing.parent().filter(|_| !existing.exists()) {
            existing = parent;
        }
        ancestors_are_roots(existing, dir)?;
    }
    DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(cannot)?;
    if !existed {
        // The mode given to mkdir(2) is cut by the umask; chmod is not.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).map_err(cannot)?;
    }
    check_root_dir(dir)
}

/// As root, checks that `dir` and every directory above it are root's as
/// [`private_dir`] requires, making nothing: for a directory someone else keeps (the
/// node_exporter textfile directory) that root writes into.
pub fn check_root_dir(dir: &Path) -> Result<(), PrivateError> {
    if !privileged() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        ancestors_are_roots(parent, dir)?;
    }
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| PrivateError(format!("{}: {}", dir.display(), describe_io(&e))))?;
    let shown = dir.display();
    if !meta.is_dir() {
        return Err(PrivateError(format!(
            "{shown} is not a directory (a symlink?): refused"
        )));
    }
    if meta.uid() != 0 {
        return Err(PrivateError(format!(
            "{shown} is owned by uid {}, not root: chown root {shown}",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(PrivateError(format!(
            "{shown} is writable by others than root (mode {:04o}): chmod go-w {shown}",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// `from` and every directory above it, from `/` down (all of them above `dir`): a real
/// directory (no symlink a user could have swapped in), owned by root, and writable by
/// others only with the sticky bit (as /tmp, where others cannot rename what is root's).
/// Otherwise whoever may write one of them could move `dir` away and put their own in
/// its place.
fn ancestors_are_roots(from: &Path, dir: &Path) -> Result<(), PrivateError> {
    let absolute = std::path::absolute(from)
        .map_err(|e| PrivateError(format!("{}: {}", from.display(), describe_io(&e))))?;
    let mut above: Vec<&Path> = absolute.ancestors().collect();
    above.reverse();
    for ancestor in above {
        let meta = std::fs::symlink_metadata(ancestor)
            .map_err(|e| PrivateError(format!("{}: {}", ancestor.display(), describe_io(&e))))?;
        let shown = ancestor.display();
        if meta.file_type().is_symlink() {
            // A link only root could have made (in a directory only root writes) is
            // root's choice: follow it, and check where it leads.
            let target = std::fs::canonicalize(ancestor)
                .map_err(|e| PrivateError(format!("{shown}: {}", describe_io(&e))))?;
            if meta.uid() != 0 {
                return Err(PrivateError(format!(
                    "{shown} is a symlink owned by uid {}: refused",
                    meta.uid()
                )));
            }
            ancestors_are_roots(&target, dir)?;
            continue;
        }
        if meta.uid() != 0 {
            return Err(PrivateError(format!(
                "{shown} (above {}) is owned by uid {}, not root: whoever owns it can \
                 swap what is below",
                dir.display(),
                meta.uid()
            )));
        }
        if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
            return Err(PrivateError(format!(
                "{shown} (above {}) is writable by others without the sticky bit (mode \
                 {:04o}): chmod go-w {shown}",
                dir.display(),
                meta.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

/// As root, whether `meta` (an open file's) is a file only root can have put there: a
/// regular file, owned by root, with one link (a hard link from elsewhere would let its
/// owner read or swap what root writes).
pub fn check_private_file(path: &Path, meta: &Metadata) -> Result<(), PrivateError> {
    let shown = path.display();
    if !meta.is_file() {
        return Err(PrivateError(format!("{shown} is not a regular file")));
    }
    if !privileged() {
        return Ok(());
    }
    if meta.uid() != 0 {
        return Err(PrivateError(format!(
            "{shown} is owned by uid {}, not root: remove it, or chown root {shown}",
            meta.uid()
        )));
    }
    if meta.nlink() != 1 {
        return Err(PrivateError(format!(
            "{shown} has {} hard links: remove it (a link elsewhere shares what is written)",
            meta.nlink()
        )));
    }
    Ok(())
}

/// Opens `path` to append (creating it with `mode`) relative to its directory, never
/// through a symlink, checked as [`check_private_file`] says: a log root writes. The
/// directory is made and checked as [`private_dir`] says.
pub fn open_private_append(path: &Path, mode: u32) -> Result<File, PrivateError> {
    open_in_private_dir(path, libc::O_WRONLY | libc::O_APPEND, mode)
}

/// Opens (creating with `mode`, never truncating) `path` for writing relative to its
/// directory, never through a symlink, checked as [`check_private_file`] says: a lock
/// file. The directory is made and checked as [`private_dir`] says.
pub fn open_private(path: &Path, mode: u32) -> Result<File, PrivateError> {
    open_in_private_dir(path, libc::O_WRONLY, mode)
}

fn open_in_private_dir(path: &Path, access: i32, mode: u32) -> Result<File, PrivateError> {
    let (dir, name) = split(path).map_err(|e| open_error(path, &e))?;
    private_dir(dir)?;
    let dir_fd = open_dir(dir).map_err(|e| open_error(path, &e))?;
    let flags = access | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    // SAFETY: a directory descriptor we own and a NUL-terminated name.
    let fd = unsafe { libc::openat(dir_fd.as_raw_fd(), name.as_ptr(), flags, mode) };
    if fd < 0 {
        return Err(open_error(path, &io::Error::last_os_error()));
    }
    // SAFETY: the kernel just gave us this descriptor.
    let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let meta = file.metadata().map_err(|e| open_error(path, &e))?;
    check_private_file(path, &meta)?;
    Ok(file)
}

/// A path's directory (`.` for a bare name) and its last component, NUL-terminated.
pub(crate) fn split(path: &Path) -> io::Result<(&Path, CString)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the name"))?;
    Ok((dir, name))
}

/// `dir` opened as a directory: what files are then opened relative to.
pub(crate) fn open_dir(dir: &Path) -> io::Result<OwnedFd> {
    let path = CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path"))?;
    // SAFETY: a NUL-terminated path; the flags only open a directory.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_error(path: &Path, error: &io::Error) -> PrivateError {
    let why = match error.raw_os_error() {
        Some(libc::ELOOP) => "is a symlink: refused".to_owned(),
        _ => describe_io(error),
    };
    PrivateError(format!("cannot open {}: {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_log_is_never_opened_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").expect("victim");
        let log = dir.path().join("app.log");
        std::os::unix::fs::symlink(&victim, &log).expect("symlink");
        let error = open_private_append(&log, 0o600).expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!("cannot open {}: is a symlink: refused", log.display())
        );
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
    }

    #[test]
    fn as_root_a_directory_others_can_write_is_refused_with_its_fix() {
        assert!(
            privileged(),
            "this test checks what root refuses: run the suite as root"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let open = dir.path().join("state");
        private_dir(&open).expect("made");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert_eq!(
            private_dir(&open).expect_err("refused").to_string(),
            format!(
                "{} is writable by others than root (mode 0777): chmod go-w {}",
                open.display(),
                open.display()
            )
        );
        // A root-only directory below one a user owns: they could swap it.
        let theirs = dir.path().join("theirs");
        std::fs::create_dir(&theirs).expect("theirs");
        std::os::unix::fs::chown(&theirs, Some(4242), Some(4242)).expect("chown");
        let below = theirs.join("state");
        let refused = private_dir(&below).expect_err("refused").to_string();
        assert!(
            refused.starts_with(&format!(
                "{} (above {}) is owned by uid 4242, not root",
                theirs.display(),
                below.display()
            )),
            "{refused}"
        );
        assert!(!below.exists(), "made below a directory the user owns");
        std::fs::create_dir(&below).expect("made by hand");
        let refused = private_dir(&below).expect_err("still refused").to_string();
        assert!(
            refused.starts_with(&format!(
                "{} (above {}) is owned by uid 4242",
                theirs.display(),
                below.display()
            )),
            "{refused}"
        );
        let linked = dir.path().join("linked.log");
        std::fs::write(&linked, "").expect("file");
        std::fs::hard_link(&linked, dir.path().join("elsewhere")).expect("link");
        assert!(
            open_private_append(&linked, 0o600)
                .expect_err("refused")
                .to_string()
                .contains("has 2 hard links")
        );
    }
}
