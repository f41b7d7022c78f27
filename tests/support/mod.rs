//! Shared helpers: run a binary with a bounded wait, write heartbeat files, make processes.

#![allow(dead_code)]

pub mod fake_engine;
pub mod http_server;
pub mod measure;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The first line of stdout.
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }
}

/// Held by tests that count every process on the machine, and by tests that make the
/// machine churn processes (a real dockerd), so the two never overlap.
pub fn whole_system_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Path of one of the package's binaries.
pub fn bin(name: &str) -> PathBuf {
    match name {
        "check_heartbeat" => PathBuf::from(env!("CARGO_BIN_EXE_check_heartbeat")),
        "heartbeat" => PathBuf::from(env!("CARGO_BIN_EXE_heartbeat")),
        "check_procs" => PathBuf::from(env!("CARGO_BIN_EXE_check_procs")),
        "check_container" => PathBuf::from(env!("CARGO_BIN_EXE_check_container")),
        "check_http_health" => PathBuf::from(env!("CARGO_BIN_EXE_check_http_health")),
        "remediate" => PathBuf::from(env!("CARGO_BIN_EXE_remediate")),
        other => panic!("unknown binary {other}"),
    }
}

/// Path of an example built by `cargo test` (target/<profile>/examples/<name>).
pub fn example(name: &str) -> PathBuf {
    let path = bin("check_heartbeat")
        .parent()
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run the suite with `cargo test` (which builds examples)",
        path.display()
    );
    path
}

/// Runs `command` with no stdin and kills it if it outlives `limit`, so no test can hang.
/// The pipes are drained while it runs: a child with more output than a pipe holds would
/// otherwise block forever.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// The line a remediate pass printed for `service` (`service: ...`).
pub fn line_of<'a>(run: &'a Run, service: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|line| line.starts_with(&format!("{service}: ")))
        .unwrap_or_else(|| panic!("no line for {service}: {run:?}"))
}

/// Runs a binary with arguments, 20 s at most.
pub fn run<S: AsRef<OsStr>>(binary: &Path, args: &[S]) -> Run {
    run_bounded(Command::new(binary).args(args), Duration::from_secs(20))
}

/// Runs check_heartbeat.
pub fn check<S: AsRef<OsStr>>(args: &[S]) -> Run {
    run(&bin("check_heartbeat"), args)
}

/// An RFC 3339 UTC timestamp `age` seconds in the past (negative: the future).
pub fn timestamp(age: f64) -> String {
    triage_heartbeat::Timestamp(triage_heartbeat::now_unix() - age).to_rfc3339()
}

/// Writes `json` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, json: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json).expect("write heartbeat");
    path
}

/// Writes a heartbeat whose timestamp is `age` seconds old, with the other JSON `fields`
/// (`"process_key":"x","pid":1`), and returns its path.
pub fn heartbeat_file(dir: &Path, name: &str, age: f64, fields: &str) -> PathBuf {
    let separator = if fields.is_empty() { "" } else { "," };
    write(
        dir,
        name,
        &format!(r#"{{"timestamp":"{}"{separator}{fields}}}"#, timestamp(age)),
    )
}

/// A child that sleeps until killed; killed and reaped on drop.
pub struct Sleeper(pub Child);

impl Sleeper {
    pub fn start() -> Sleeper {
        Sleeper(
            Command::new("sleep")
                .arg("300")
                .spawn()
                .expect("spawn sleep"),
        )
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A child that has exited but is not reaped until drop: a real zombie.
pub struct Zombie(pub Child);

impl Zombie {
    // Not waiting is the point: the exited child stays a zombie until `drop` reaps it.
    #[allow(clippy::zombie_processes)]
    pub fn make() -> Zombie {
        let child = Command::new("true").spawn().expect("spawn true");
        let pid = child.id() as i32;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if triage_proc::read_stat(pid).is_ok_and(|s| s.is_zombie()) {
                return Zombie(child);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("pid {pid} did not become a zombie");
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Zombie {
    fn drop(&mut self) {
        let _ = self.0.wait();
    }
}

/// A PID that no process has right now (a child that was started and reaped).
pub fn dead_pid() -> i32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id() as i32;
    child.wait().expect("reap");
    pid
}

/// A command that runs `binary` as user nobody when we are root (so EPERM and EACCES can
/// be observed); as any other user it runs directly.
pub fn as_unprivileged(binary: &Path) -> Command {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Command::new(binary);
    }
    let setpriv = Path::new("/usr/bin/setpriv");
    assert!(
        setpriv.exists(),
        "/usr/bin/setpriv is missing: install util-linux (apt-get install util-linux)"
    );
    let mut command = Command::new(setpriv);
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(binary);
    command
}

/// A temp dir others can read (tests that run the check as nobody need that).
pub fn shared_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}
