//! As root, act only on a configuration that only root can change (as sshd and sudo
//! do): its commands run as root, so whoever can edit it owns the machine.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use triage_core::describe_io;

use super::ConfigError;

/// As root, refuses `path` unless root owns it, neither group nor others can write it,
/// and no directory above it is writable by everyone without the sticky bit. Does
/// nothing for other users, who can only hurt themselves.
pub fn check_ownership(path: &Path) -> Result<(), ConfigError> {
    open_checked(path).map(drop)
}

/// The file's text, checked as [`check_ownership`] does on the very file it reads (not
/// on whatever the path names a moment later).
pub(super) fn read_checked(path: &Path) -> Result<String, ConfigError> {
    let mut file = open_checked(path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| read_error(path, &e))?;
    Ok(text)
}

fn open_checked(path: &Path) -> Result<File, ConfigError> {
    // stat before open: opening a FIFO would block.
    let metadata = fs::metadata(path).map_err(|e| read_error(path, &e))?;
    if !metadata.is_file() {
        return Err(ConfigError::Read {
            path: path.to_path_buf(),
            reason: "not a regular file".to_owned(),
        });
    }
    let file = File::open(path).map_err(|e| read_error(path, &e))?;
    // Unknown counts as root: refusing a safe file beats trusting an unsafe one.
    if effective_uid().is_some_and(|uid| uid != 0) {
        return Ok(file);
    }
    let refuse = |reason: String| ConfigError::Refused {
        path: path.to_path_buf(),
        reason,
    };
    let metadata = file.metadata().map_err(|e| read_error(path, &e))?;
    if let Some(reason) = file_refusal(path, metadata.uid(), metadata.mode()) {
        return Err(refuse(reason));
    }
    for dir in directories(path) {
        let metadata = fs::metadata(&dir).map_err(|e| read_error(&dir, &e))?;
        if let Some(reason) = directory_refusal(&dir, metadata.mode()) {
            return Err(refuse(reason));
        }
    }
    Ok(file)
}

fn read_error(path: &Path, error: &std::io::Error) -> ConfigError {
    ConfigError::Read {
        path: path.to_path_buf(),
        reason: describe_io(error),
    }
}

/// Why a file with this owner and mode is unsafe for root to act on.
fn file_refusal(path: &Path, uid: u32, mode: u32) -> Option<String> {
    let path = path.display();
    let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        _ if uid != 0 => return Some(format!("owned by uid {uid}, not root; chown root {path}")),
        (true, true) => "group and others",
        (true, false) => "group",
        (false, true) => "others",
        (false, false) => return None,
    };
    Some(format!(
        "writable by {writers} (mode {:04o}); chmod go-w {path}",
        mode & 0o7777
    ))
}

/// Why a directory with this mode lets anyone swap the file: writable by everyone and
/// not sticky (`/tmp` is sticky, so others cannot replace root's files there).
fn directory_refusal(dir: &Path, mode: u32) -> Option<String> {
    (mode & 0o002 != 0 && mode & 0o1000 == 0).then(|| {
        format!(
            "its directory {} is writable by everyone without the sticky bit (mode {:04o}); \
             chmod o-w {}",
            dir.display(),
            mode & 0o7777,
            dir.display()
        )
    })
}

/// The directory the path names the file in, and every directory above the real file.
fn directories(path: &Path) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::new();
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        dirs.insert(parent.to_path_buf());
    }
    if let Ok(real) = fs::canonicalize(path) {
        dirs.extend(real.ancestors().skip(1).map(Path::to_path_buf));
    }
    dirs
}

/// Our effective uid: the second `Uid:` field of `/proc/self/status`, else the owner of
/// `/proc/self` (also the euid, except for non-dumpable processes). None if /proc is
/// not there.
pub fn effective_uid() -> Option<u32> {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1))
                .and_then(|id| id.parse().ok())
        })
        .or_else(|| fs::metadata("/proc/self").ok().map(|m| m.uid()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn assert_root() {
        assert_eq!(
            effective_uid(),
            Some(0),
            "this test checks the rules that apply to root: run it as root (as .ci/run does)"
        );
    }

    fn config_file(dir: &Path, mode: u32) -> PathBuf {
        let path = dir.join("remediate.toml");
        std::fs::write(&path, "[services.web]\ncheck = { container = [\"web\"] }\n")
            .expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn root_refuses_a_config_others_can_write() {
        assert_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = config_file(dir.path(), 0o666);
        assert_eq!(
            crate::config::load(&path).expect_err("refused").to_string(),
            format!(
                "refusing {p}: writable by group and others (mode 0666); chmod go-w {p}",
                p = path.display()
            )
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).expect("chmod");
        assert_eq!(
            check_ownership(&path).expect_err("refused").to_string(),
            format!(
                "refusing {p}: writable by group (mode 0664); chmod go-w {p}",
                p = path.display()
            )
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(check_ownership(&path), Ok(()));
        assert!(crate::config::load(&path).is_ok());
    }

    #[test]
    fn root_refuses_a_config_another_user_owns() {
        assert_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = config_file(dir.path(), 0o644);
        std::os::unix::fs::chown(&path, Some(65534), None).expect("chown");
        assert_eq!(
            crate::config::load(&path).expect_err("refused").to_string(),
            format!(
                "refusing {p}: owned by uid 65534, not root; chown root {p}",
                p = path.display()
            )
        );
    }

    #[test]
    fn root_refuses_a_config_in_a_directory_anyone_can_write_unless_it_is_sticky() {
        assert_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = config_file(dir.path(), 0o644);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        assert_eq!(
            check_ownership(&path).expect_err("refused").to_string(),
            format!(
                "refusing {p}: its directory {d} is writable by everyone without the sticky bit \
                 (mode 0777); chmod o-w {d}",
                p = path.display(),
                d = dir.path().display()
            )
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777))
            .expect("chmod");
        assert_eq!(check_ownership(&path), Ok(()));
    }
}
