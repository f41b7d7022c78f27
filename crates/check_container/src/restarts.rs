//! Restarts since the last check. The engine's `RestartCount` only counts restart-policy
//! restarts and drops to 0 on every manual start or daemon restart, so a crash loop can
//! look clean; what we saw last time (count, start time, id) tells the real story.

use std::path::Path;

use serde::{Deserialize, Serialize};
use triage_core::StateDir;
use triage_core::state_dir::record_name;

/// What one check saw of a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartRecord {
    /// The container's id (a new id under the same name is a re-created container).
    pub id: String,
    /// The engine's `RestartCount`.
    pub restart_count: u64,
    /// `State.StartedAt` as the engine wrote it.
    pub started_at: String,
}

/// Restarts between the last check and this one.
#[derive(Debug, Clone, PartialEq)]
pub enum RestartHistory {
    /// No restart thresholds were given.
    NotTracked,
    /// First time this container is seen: counting starts now.
    FirstSeen,
    /// Restarts since the last check, and whether the container was re-created.
    Since {
        /// Starts seen (policy restarts, manual restarts, re-creations).
        restarts: u64,
        /// A new container under the same name.
        recreated: bool,
    },
    /// The state directory could not be used.
    Skipped(String),
}

/// How many times the container started between two observations. Every change of
/// `StartedAt` is at least one start; when `RestartCount` went up, that many; when it fell,
/// a manual restart reset it and it counted up again from 0.
pub fn restarts_between(before: &RestartRecord, now: &RestartRecord) -> (u64, bool) {
    if before.id != now.id {
        return (1 + now.restart_count, true);
    }
    if before.started_at == now.started_at {
        return (0, false);
    }
    let restarts = if now.restart_count >= before.restart_count {
        (now.restart_count - before.restart_count).max(1)
    } else {
        now.restart_count + 1
    };
    (restarts, false)
}

/// Restart records in the state directory, one file per engine and container name.
#[derive(Debug)]
pub struct RestartStore {
    dir: Result<StateDir, String>,
    engine: String,
}

impl RestartStore {
    /// Opens `explicit` or the default state directory for the engine at `engine`.
    pub fn open(explicit: Option<&Path>, engine: &str) -> RestartStore {
        RestartStore {
            dir: StateDir::open(explicit),
            engine: engine.to_owned(),
        }
    }

    /// Compares `now` with the last record for `name` and keeps `now` for next time.
    pub fn observe(&self, name: &str, now: &RestartRecord) -> RestartHistory {
        let dir = match &self.dir {
            Ok(dir) => dir,
            Err(reason) => return RestartHistory::Skipped(reason.clone()),
        };
        let identity = format!("{}\n{name}", self.engine);
        let file = record_name("container", name, identity.as_bytes());
        let history = match dir.read::<RestartRecord>(&file) {
            None => RestartHistory::FirstSeen,
            Some(before) => {
                let (restarts, recreated) = restarts_between(&before, now);
                RestartHistory::Since {
                    restarts,
                    recreated,
                }
            }
        };
        match dir.write(&file, now) {
            Ok(()) => history,
            Err(reason) => RestartHistory::Skipped(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(id: &str, restart_count: u64, started_at: &str) -> RestartRecord {
        RestartRecord {
            id: id.into(),
            restart_count,
            started_at: started_at.into(),
        }
    }

    #[test]
    fn restarts_count_policy_restarts_manual_resets_and_recreation() {
        let before = seen("a", 3, "t1");
        assert_eq!(restarts_between(&before, &seen("a", 3, "t1")), (0, false));
        assert_eq!(restarts_between(&before, &seen("a", 5, "t2")), (2, false));
        // Manual restart: the count fell to 0, but it started again.
        assert_eq!(restarts_between(&before, &seen("a", 0, "t2")), (1, false));
        // Manual restart, then two policy restarts.
        assert_eq!(restarts_between(&before, &seen("a", 2, "t3")), (3, false));
        // A new container under the same name.
        assert_eq!(restarts_between(&before, &seen("b", 0, "t9")), (1, true));
    }

    #[test]
    fn the_store_remembers_per_engine_and_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = RestartStore::open(Some(dir.path()), "unix:///a.sock");
        assert_eq!(
            store.observe("web", &seen("a", 0, "t1")),
            RestartHistory::FirstSeen
        );
        assert_eq!(
            store.observe("web", &seen("a", 4, "t2")),
            RestartHistory::Since {
                restarts: 4,
                recreated: false
            }
        );
        let other_engine = RestartStore::open(Some(dir.path()), "unix:///b.sock");
        assert_eq!(
            other_engine.observe("web", &seen("a", 4, "t2")),
            RestartHistory::FirstSeen
        );
        let broken = RestartStore::open(Some(Path::new("/proc/no-such-dir")), "x");
        assert!(matches!(
            broken.observe("web", &seen("a", 0, "t")),
            RestartHistory::Skipped(_)
        ));
    }
}
