//! remediate when its database fails: a real full file system (a small tmpfs mounted for
//! the test), a database damaged on disk, and one truncated to nothing. Healing must go
//! on, nothing may be lost silently, and what was recorded meanwhile must reach the
//! database once it can take it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Run, bin, line_of, run_bounded};

/// A directory with one service whose heartbeat never appears and whose recovery step
/// appends a line to `healed` (outside the database's file system).
struct Broken {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl Broken {
    fn new() -> Broken {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("state")).expect("state dir");
        let config = format!(
            r#"db_path = "{db}"
consecutive_failures = 2
[services.demo]
check = {{ heartbeat = "{hb}", max_age = "3s" }}
commands = {{ cleanup = "echo healed >> {healed}" }}
recovery = ["cleanup"]
start_grace = "1s"
"#,
            db = dir.path().join("state/remediate.db").display(),
            hb = dir.path().join("demo.json").display(),
            healed = dir.path().join("healed").display(),
        );
        std::fs::write(dir.path().join("remediate.toml"), config).expect("config");
        Broken {
            dir,
            mounted: false,
        }
    }

    /// The state directory on a tmpfs of its own, 512 KiB, so the test can fill it.
    fn on_a_small_file_system() -> Broken {
        let mut broken = Broken::new();
        assert_eq!(
            unsafe { libc::geteuid() },
            0,
            "this test mounts a tmpfs: run the suite as root (CI does)"
        );
        let run = run_bounded(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=512k,mode=0711", "tmpfs"])
                .arg(broken.state()),
            Duration::from_secs(10),
        );
        assert_eq!(run.code, 0, "mount a tmpfs: {run:?}");
        broken.mounted = true;
        broken
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn db(&self) -> PathBuf {
        self.state().join("remediate.db")
    }

    fn remediate(&self, args: &[&str]) -> Run {
        let mut command = Command::new(bin("remediate"));
        command
            .arg("-c")
            .arg(self.dir.path().join("remediate.toml"))
            .args(args);
        run_bounded(&mut command, Duration::from_secs(60))
    }

    fn healed(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("healed"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    /// Fills the state's file system to the last byte.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.state().join("fill")).expect("fill file");
        let block = vec![0u8; 4096];
        // Bounded: 512 KiB is at most 128 blocks; the loop ends at ENOSPC well before.
        for _ in 0..1024 {
            if file.write_all(&block).is_err() {
                return;
            }
        }
        panic!("the tmpfs did not fill up");
    }

    fn empty(&self) {
        std::fs::remove_file(self.state().join("fill")).expect("remove the fill file");
    }
}

impl Drop for Broken {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(self.state()).status();
        }
    }
}

#[test]
fn a_full_disk_degrades_the_audit_never_the_healing_and_the_record_lands_later() {
    let broken = Broken::on_a_small_file_system();
    let first = broken.remediate(&["check"]);
    assert!(line_of(&first, "demo").contains("failing 1/2"), "{first:?}");

    broken.fill();
    // The second failure in a row is counted on a copy in memory and the pipeline runs.
    let full = broken.remediate(&["check"]);
    assert!(
        line_of(&full, "demo").contains("run 1 succeeded"),
        "{full:?}"
    );
    assert!(full.stderr.contains("healing goes on"), "{full:?}");
    assert_eq!(broken.healed(), 1);
    // The next cron run goes on from what the last one kept (on /run): in grace after
    // its run, not "failing 1/2" as if nothing had happened.
    let next = broken.remediate(&["check"]);
    assert!(line_of(&next, "demo").contains("starting up"), "{next:?}");

    broken.empty();
    let back = broken.remediate(&["check"]);
    assert!(back.stderr.contains("can be written again"), "{back:?}");
    let history = broken.remediate(&["history"]);
    assert!(
        history.stdout.contains("demo: run 1 succeeded") && history.stdout.contains("cleanup: ok"),
        "the run made while the disk was full is in the database: {history:?}"
    );
}

#[test]
fn watch_on_a_full_disk_carries_its_counters_from_pass_to_pass_in_memory() {
    let broken = Broken::on_a_small_file_system();
    broken.fill();
    // Not one write reaches the disk: the first failure is counted in memory, and the
    // second, a pass later, still finds it there.
    let watch = broken.remediate(&["watch", "--interval", "1s", "--passes", "3"]);
    assert_eq!(watch.code, 0, "{watch:?}");
    assert!(watch.stdout.contains("run 1 succeeded"), "{watch:?}");
    assert_eq!(broken.healed(), 1, "{watch:?}");
    broken.empty();
    let back = broken.remediate(&["check"]);
    assert!(back.stderr.contains("can be written again"), "{back:?}");
    let history = broken.remediate(&["history"]);
    assert!(
        history.stdout.contains("demo: run 1 succeeded"),
        "{history:?}"
    );
}

#[test]
fn a_corrupt_database_is_set_aside_a_new_one_made_and_the_loss_is_critical() {
    let broken = Broken::new();
    for _ in 0..3 {
        broken.remediate(&["check"]);
    }
    let size = std::fs::metadata(broken.db()).expect("db").len();
    assert!(size > 8192, "a database of several pages: {size}");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(broken.db())
            .expect("open the db");
        // Page 2's b-tree header, trampled: SQLite's header stays, the tree does not.
        file.seek(SeekFrom::Start(4096 + 8)).expect("seek");
        file.write_all(&[0xff; 200]).expect("damage");
    }
    let after = broken.remediate(&["check"]);
    assert!(after.code <= 1, "{after:?}");
    assert!(line_of(&after, "demo").contains("failing 1/2"), "{after:?}");
    let kept: Vec<PathBuf> = std::fs::read_dir(broken.state())
        .expect("state dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path_contains(path, "remediate.db.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1, "the corrupt file is kept: {kept:?}");
    let status = broken.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(status.code, 2, "{status:?}");
    assert!(
        status
            .stdout
            .starts_with("REMEDIATE CRITICAL: state was lost at ")
            && status.stdout.contains("the database was corrupt")
            && status.stdout.contains(&kept[0].display().to_string()),
        "{status:?}"
    );
}

#[test]
fn a_database_emptied_where_the_snapshot_shows_passes_is_said_loudly() {
    let broken = Broken::new();
    broken.remediate(&["check"]);
    broken.remediate(&["check"]);
    std::fs::File::create(broken.db()).expect("truncate");
    for companion in ["remediate.db-wal", "remediate.db-shm"] {
        let _ = std::fs::remove_file(broken.state().join(companion));
    }
    let after = broken.remediate(&["check"]);
    assert!(
        after
            .stderr
            .contains("the database was empty (deleted or truncated?)"),
        "{after:?}"
    );
    let status = broken.remediate(&["status", "--output-format", "nagios"]);
    assert_eq!(status.code, 2, "{status:?}");
    assert!(
        status.stdout.contains("state was lost at ")
            && status.stdout.contains("the status snapshot shows 2 passes"),
        "{status:?}"
    );
}

fn path_contains(path: &Path, part: &str) -> bool {
    path.to_string_lossy().contains(part)
}
