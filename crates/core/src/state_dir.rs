//! The state directory: small JSON records a check keeps between runs (a heartbeat's last
//! iteration, a container's last restart count), one file each, written atomically.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::io_error::describe_io;

/// A usable state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating if needed) `explicit` or the default directory; the error says
    /// why in one line.
    pub fn open(explicit: Option<&Path>) -> Result<StateDir, String> {
        let dir = explicit.map_or_else(default_state_dir, |dir| Ok(dir.to_path_buf()))?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {}", dir.display(), describe_io(&e)))?;
        Ok(StateDir { dir })
    }

    /// `explicit` or the default directory as it is, never created: for reading only.
    pub fn existing(explicit: Option<&Path>) -> Result<StateDir, String> {
        let dir = explicit.map_or_else(default_state_dir, |dir| Ok(dir.to_path_buf()))?;
        Ok(StateDir { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The record called `name`, if it exists and parses (a damaged record is as good as
    /// none: the next write replaces it).
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let bytes = std::fs::read(self.dir.join(name)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces the record called `name` atomically: readers see the old or the new one.
    pub fn write<T: Serialize>(&self, name: &str, record: &T) -> Result<(), String> {
        let file = self.dir.join(name);
        let text = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        triage_os::replace_file(&file, &text, 0o600, triage_os::Durability::Rename).map_err(|e| {
            format!(
                "cannot write {}: {}",
                file.display(),
                describe_io(&e.source)
            )
        })
    }
}

/// A file name for a record: `prefix-readable-hash.json`, where `readable` is shown with
/// unsafe characters replaced and the hash of `identity` keeps two things with the same
/// readable part apart.
pub fn record_name(prefix: &str, readable: &str, identity: &[u8]) -> String {
    let readable: String = readable
        .chars()
        .take(64)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    format!("{prefix}-{readable}-{:016x}.json", fnv1a(identity))
}

/// FNV-1a: a name from bytes that is the same across runs and builds, which std's
/// hasher is not.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `$STATE_DIRECTORY` (systemd), `/var/lib/triage` as root, else the XDG state home.
/// Cron and Choria give no HOME; that is reported, never a crash.
fn default_state_dir() -> Result<PathBuf, String> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dirs) = env("STATE_DIRECTORY") {
        let first = dirs
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        return Ok(PathBuf::from(first));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(PathBuf::from("/var/lib/triage"));
    }
    if let Some(state) = env("XDG_STATE_HOME").filter(|p| Path::new(p).is_absolute()) {
        return Ok(PathBuf::from(state).join("triage"));
    }
    env("HOME")
        .map(|home| PathBuf::from(home).join(".local/state/triage"))
        .ok_or_else(|| "no state directory (HOME is not set; use --state-dir)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damaged_ones_read_as_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateDir::open(Some(&dir.path().join("nested"))).expect("open");
        assert_eq!(state.read::<u64>("a.json"), None);
        state.write("a.json", &42_u64).expect("write");
        assert_eq!(state.read::<u64>("a.json"), Some(42));
        std::fs::write(state.path().join("b.json"), "{torn").expect("write");
        assert_eq!(state.read::<u64>("b.json"), None);
        let names: Vec<_> = std::fs::read_dir(state.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
    }

    #[test]
    fn an_unusable_directory_says_why() {
        let error =
            StateDir::open(Some(Path::new("/proc/triage-cannot-exist"))).expect_err("fails");
        assert!(
            error.starts_with("cannot create /proc/triage-cannot-exist: "),
            "{error}"
        );
    }

    #[test]
    fn record_names_are_safe_and_distinct() {
        let a = record_name("heartbeat", "../../etc/passwd", b"/a/hb.json");
        assert!(a.starts_with("heartbeat-______etc_passwd-"), "{a}");
        assert!(a.ends_with(".json") && !a.contains('/'));
        assert_ne!(
            a,
            record_name("heartbeat", "../../etc/passwd", b"/b/hb.json")
        );
    }
}
