//! The state directory: what `iteration` was at the last run, so a process that still
//! beats but no longer makes progress shows up as hung.

use std::path::Path;

use serde::{Deserialize, Serialize};
use triage_core::StateDir;
use triage_core::state_dir::record_name;

use crate::facts::StallFact;

/// One small file per heartbeat, written atomically. `since` is on the wall clock;
/// `since_boot` on the boot clock of boot `boot_id`, which no clock step moves, so within
/// one boot it is the one counted (records from before it was kept have only `since`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StallRecord {
    iteration: u64,
    since: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    boot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since_boot: Option<f64>,
}

/// When an iteration is observed: the wall clock, and the boot clock with its boot's id
/// when the host has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObservedAt<'a> {
    /// Unix seconds.
    pub wall: f64,
    /// The boot's id and CLOCK_BOOTTIME's reading.
    pub boot: Option<(&'a str, f64)>,
}

impl StallRecord {
    /// How long the iteration has stood still at `at`: on the boot clock when the record
    /// is from this boot, else on the wall clock.
    fn stood_still(&self, at: ObservedAt) -> f64 {
        let on_boot_clock = match (at.boot, self.boot_id.as_deref(), self.since_boot) {
            (Some((boot, now)), Some(recorded), Some(since)) if boot == recorded => now - since,
            _ => at.wall - self.since,
        };
        on_boot_clock.max(0.0)
    }
}

/// Stall records in one directory; unusable directories are reported, not fatal.
#[derive(Debug)]
pub struct StallStore {
    dir: Result<StateDir, String>,
    read_only: bool,
}

impl StallStore {
    /// A store for runs that do not track stalls; it is never written.
    pub fn unused() -> StallStore {
        StallStore {
            dir: Err("stall detection not enabled".to_owned()),
            read_only: true,
        }
    }

    /// Opens (creating if needed) `explicit` or the default state directory.
    pub fn open(explicit: Option<&Path>) -> StallStore {
        StallStore {
            dir: StateDir::open(explicit),
            read_only: false,
        }
    }

    /// Reads the records in `explicit` (or the default directory) and never writes: for a
    /// dry run, which must change nothing, so the next real check sees what it would have.
    pub fn read_only(explicit: Option<&Path>) -> StallStore {
        StallStore {
            dir: StateDir::existing(explicit),
            read_only: true,
        }
    }

    /// Records `iteration` for the heartbeat at `path` and says how long it has stood still.
    pub fn observe(&self, path: &Path, key: &str, iteration: u64, at: ObservedAt) -> StallFact {
        let dir = match &self.dir {
            Ok(dir) => dir,
            Err(reason) => return StallFact::Skipped(reason.clone()),
        };
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let name = record_name("heartbeat", key, absolute.as_os_str().as_encoded_bytes());
        let fact = match dir.read::<StallRecord>(&name) {
            Some(record) if record.iteration == iteration => {
                return StallFact::Unchanged(record.stood_still(at));
            }
            Some(_) => StallFact::Progressed,
            None => StallFact::FirstSeen,
        };
        if self.read_only {
            return fact;
        }
        let record = StallRecord {
            iteration,
            since: at.wall,
            boot_id: at.boot.map(|(boot, _)| boot.to_owned()),
            since_boot: at.boot.map(|(_, clock)| clock),
        };
        match dir.write(&name, &record) {
            Ok(()) => fact,
            Err(reason) => StallFact::Skipped(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall(at: f64) -> ObservedAt<'static> {
        ObservedAt {
            wall: at,
            boot: None,
        }
    }

    #[test]
    fn within_one_boot_a_stall_is_timed_on_the_boot_clock_whatever_the_wall_clock_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StallStore::open(Some(dir.path()));
        let hb = Path::new("/run/app/w.json");
        let at = |wall, boot| ObservedAt {
            wall,
            boot: Some(("boot-a", boot)),
        };
        assert_eq!(
            store.observe(hb, "w", 5, at(1000.0, 50.0)),
            StallFact::FirstSeen
        );
        // The wall clock jumped an hour ahead; 30 s went by.
        assert_eq!(
            store.observe(hb, "w", 5, at(4630.0, 80.0)),
            StallFact::Unchanged(30.0)
        );
        // After a reboot the boot clock restarts: the wall clock is all there is.
        let rebooted = ObservedAt {
            wall: 4700.0,
            boot: Some(("boot-b", 5.0)),
        };
        assert_eq!(
            store.observe(hb, "w", 5, rebooted),
            StallFact::Unchanged(3700.0)
        );
    }

    #[test]
    fn iterations_are_tracked_across_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StallStore::open(Some(dir.path()));
        let hb = Path::new("/run/app/w.json");
        assert_eq!(
            store.observe(hb, "w", 5, wall(1000.0)),
            StallFact::FirstSeen
        );
        assert_eq!(
            store.observe(hb, "w", 5, wall(1030.0)),
            StallFact::Unchanged(30.0)
        );
        assert_eq!(
            store.observe(hb, "w", 5, wall(1090.0)),
            StallFact::Unchanged(90.0)
        );
        assert_eq!(
            store.observe(hb, "w", 6, wall(1100.0)),
            StallFact::Progressed
        );
        assert_eq!(
            store.observe(hb, "w", 6, wall(1110.0)),
            StallFact::Unchanged(10.0)
        );
        // Same key, other file: its own record.
        assert_eq!(
            store.observe(Path::new("/other/w.json"), "w", 6, wall(1110.0)),
            StallFact::FirstSeen
        );
    }

    #[test]
    fn a_read_only_store_sees_the_records_and_writes_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hb = Path::new("/run/app/w.json");
        let looking = StallStore::read_only(Some(dir.path()));
        assert_eq!(
            looking.observe(hb, "w", 5, wall(1000.0)),
            StallFact::FirstSeen
        );
        assert_eq!(
            looking.observe(hb, "w", 5, wall(1030.0)),
            StallFact::FirstSeen
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        let recording = StallStore::open(Some(dir.path()));
        assert_eq!(
            recording.observe(hb, "w", 5, wall(1000.0)),
            StallFact::FirstSeen
        );
        assert_eq!(
            looking.observe(hb, "w", 5, wall(1030.0)),
            StallFact::Unchanged(30.0)
        );
        assert_eq!(
            recording.observe(hb, "w", 5, wall(1060.0)),
            StallFact::Unchanged(60.0)
        );
        let missing = dir.path().join("not-made");
        let absent = StallStore::read_only(Some(&missing));
        assert_eq!(
            absent.observe(hb, "w", 5, wall(1000.0)),
            StallFact::FirstSeen
        );
        assert!(!missing.exists());
    }

    #[test]
    fn an_unusable_directory_skips_with_a_reason() {
        let store = StallStore::open(Some(Path::new("/proc/triage-cannot-exist")));
        match store.observe(Path::new("/x.json"), "x", 1, wall(0.0)) {
            StallFact::Skipped(reason) => {
                assert!(
                    reason.starts_with("cannot create /proc/triage-cannot-exist: "),
                    "{reason}"
                )
            }
            other => panic!("expected Skipped, got {other:?}"),
        }
    }
}
