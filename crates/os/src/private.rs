//! Files and directories a privileged process keeps for itself (state, locks, logs): as
//! root, nobody else may own or write them, or they could plant a lock, a database or a
//! link and steer what root does. Refusals say what is wrong and the command that fixes
//! it. For other users nothing is refused: they can only hurt themselves.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
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
    if !privileged() {
        return Ok(());
    }
    let meta = std::fs::metadata(dir)
        .map_err(|e| PrivateError(format!("{}: {}", dir.display(), describe_io(&e))))?;
    let shown = dir.display();
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

/// Opens `path` to append (creating it with `mode`), never through a symlink, checked as
/// [`check_private_file`] says: a log root writes.
pub fn open_private_append(path: &Path, mode: u32) -> Result<File, PrivateError> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| open_error(path, &e))?;
    let meta = file.metadata().map_err(|e| open_error(path, &e))?;
    check_private_file(path, &meta)?;
    Ok(file)
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
