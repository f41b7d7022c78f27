//! remediate as root against a local user with a uid of their own (4242, no passwd entry,
//! through `setpriv`): what that user writes steers nothing outside their own service,
//! and their service is still healed, as them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::remediate::KillOnDrop;
use crate::support::{Run, bin, run_bounded};

/// The local user: a uid and gid with no passwd entry.
const ATTACKER: u32 = 4242;

fn require_root() {
    // SAFETY: geteuid cannot fail.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "these tests play a local user against remediate as root: run the suite as root"
    );
    assert!(
        Path::new("/usr/bin/setpriv").exists(),
        "/usr/bin/setpriv is missing: apt-get install util-linux"
    );
}

/// `program args...` as the attacker.
fn as_attacker(program: &str) -> Command {
    let mut command = Command::new("/usr/bin/setpriv");
    command
        .arg(format!("--reuid={ATTACKER}"))
        .arg(format!("--regid={ATTACKER}"))
        .args(["--clear-groups", "--"])
        .arg(program);
    command
}

/// A root-owned directory for the configuration and state, with a directory inside it
/// that belongs to the attacker (where their service writes its heartbeat).
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Host {
        require_root();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let service_dir = dir.path().join("svc");
        std::fs::create_dir(&service_dir).expect("svc");
        std::os::unix::fs::chown(&service_dir, Some(ATTACKER), Some(ATTACKER)).expect("chown");
        Host { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn heartbeat(&self) -> PathBuf {
        self.path("svc/app.json")
    }

    /// The attacker writes `text` as their heartbeat.
    fn attacker_writes_heartbeat(&self, text: &str) {
        let run = run_bounded(
            as_attacker("/bin/sh")
                .arg("-c")
                .arg("printf '%s' \"$1\" > \"$2\"")
                .arg("sh")
                .arg(text)
                .arg(self.heartbeat()),
            Duration::from_secs(10),
        );
        assert_eq!(run.code, 0, "the attacker could not write: {}", run.stderr);
    }

    /// remediate as root with a config of one heartbeat service `app` (and `extra`
    /// keys), whose start command records who it ran as.
    fn remediate(&self, extra: &str, args: &[&str]) -> Run {
        self.remediate_with("", extra, args)
    }

    /// [`Host::remediate`] with `globals` (top-level keys) too.
    fn remediate_with(&self, globals: &str, extra: &str, args: &[&str]) -> Run {
        let config = self.path("remediate.toml");
        std::fs::write(
            &config,
            format!(
                "db_path = \"{db}\"\nconsecutive_failures = 1\n{globals}\n[services.app]\n\
                 check = {{ heartbeat = \"{hb}\", max_age = \"30s\" }}\n\
                 commands = {{ start = \"id -u > {ran}; id -g >> {ran}; echo $HOME $USER >> {ran}\" }}\n\
                 recovery = [\"kill\", \"start\"]\n{extra}\n",
                db = self.path("state/remediate.db").display(),
                hb = self.heartbeat().display(),
                ran = self.path("svc/started-as").display(),
            ),
        )
        .expect("config");
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(&config).args(args);
        run_bounded(&mut command, Duration::from_secs(30))
    }

    /// What the start command recorded, once it has run.
    fn started_as(&self) -> Option<String> {
        let path = self.path("svc/started-as");
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&path)
                && text.lines().count() >= 3
            {
                return Some(text);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// A heartbeat from 10 minutes ago naming `pid` with its true start ticks and boot: all
/// that anyone can read in /proc.
fn stale_heartbeat_naming(pid: i32) -> String {
    let ticks = triage_proc::ProcessIdentity::of(pid)
        .expect("identity")
        .start_ticks;
    let boot = triage_proc::boot_id().expect("boot id");
    let at = triage_heartbeat::Timestamp(triage_heartbeat::now_unix() - 600.0).to_rfc3339();
    format!(
        r#"{{"timestamp":"{at}","pid":{pid},"pid_start_ticks":{ticks},"boot_id":"{boot}","iteration":1}}"#
    )
}

fn alive(pid: i32) -> bool {
    triage_proc::read_stat(pid).is_ok_and(|stat| !stat.is_zombie())
}

#[test]
fn a_heartbeat_naming_a_root_process_never_gets_it_signalled_and_the_service_starts_as_its_user() {
    let host = Host::new();
    let victim = KillOnDrop(
        Command::new("sleep")
            .arg("300")
            .spawn()
            .expect("a root process"),
    );
    let pid = victim.0.id() as i32;
    host.attacker_writes_heartbeat(&stale_heartbeat_naming(pid));

    let run = host.remediate("", &["check"]);
    assert!(
        run.stdout.contains("run 1 succeeded (kill ok, start ok)"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(alive(pid), "remediate signalled root's process {pid}");
    let history = host.remediate("", &["history"]);
    assert!(
        history.stdout.contains(&format!(
            "1. kill: ok, not signalled: pid {pid} runs as uid 0, not as the service's uid {ATTACKER}"
        )),
        "{}",
        history.stdout
    );
    // Healed all the same, as the heartbeat's owner: never as root.
    assert_eq!(
        host.started_as().as_deref(),
        Some(format!("{ATTACKER}\n{ATTACKER}\n/ {ATTACKER}\n").as_str()),
        "the start command did not run as the heartbeat's owner"
    );
}

#[test]
fn the_services_own_hung_process_is_killed_through_its_pidfd() {
    let host = Host::new();
    let hung = KillOnDrop(as_attacker("/bin/sleep").arg("300").spawn().expect("sleep"));
    let pid = hung.0.id() as i32;
    // setpriv execs sleep: wait until the PID runs as the attacker.
    for _ in 0..100 {
        if std::fs::read_to_string(format!("/proc/{pid}/status"))
            .is_ok_and(|s| s.contains(&format!("Uid:\t{ATTACKER}\t")))
            && triage_proc::read_stat(pid).is_ok_and(|s| s.comm == "sleep")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    host.attacker_writes_heartbeat(&stale_heartbeat_naming(pid));
    let run = host.remediate("", &["check"]);
    assert!(
        run.stdout.contains("run 1 succeeded (kill ok, start ok)"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let history = host.remediate("", &["history"]);
    assert!(
        history
            .stdout
            .contains(&format!("1. kill: ok, pid {pid} exited after SIGTERM")),
        "{}",
        history.stdout
    );
    assert!(!alive(pid), "the service's own hung process is still there");
}

#[test]
fn a_configured_user_refuses_a_heartbeat_someone_else_wrote_and_acts_on_nothing() {
    let host = Host::new();
    let victim = KillOnDrop(Command::new("sleep").arg("300").spawn().expect("sleep"));
    let pid = victim.0.id() as i32;
    host.attacker_writes_heartbeat(&stale_heartbeat_naming(pid));
    let run = host.remediate("user = \"nobody\"", &["check"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "-> REFUSED: the heartbeat is owned by uid {ATTACKER}, not by the service's user \
             nobody (uid 65534): not acted on"
        )),
        "{}",
        run.stdout
    );
    let by_hand = host.remediate("user = \"nobody\"", &["run", "app"]);
    assert_eq!(by_hand.code, 1, "{}{}", by_hand.stdout, by_hand.stderr);
    assert!(
        by_hand
            .stdout
            .starts_with("app: ran 0 steps (run 1, aborted)"),
        "{}",
        by_hand.stdout
    );
    let history = host.remediate("user = \"nobody\"", &["history"]);
    assert!(
        history
            .stdout
            .contains("cron on CRITICAL: refused: the heartbeat is owned by uid 4242")
            && history
                .stdout
                .contains("run 1 refused: the heartbeat is owned by uid 4242"),
        "{}",
        history.stdout
    );
    assert!(alive(pid));
    assert!(
        !host.path("svc/started-as").exists(),
        "a start ran for a refused heartbeat"
    );
}

#[test]
fn nobody_can_vouch_for_a_process_that_is_not_theirs() {
    require_root();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let file = dir.path().join("hb.json");
    let refused = run_bounded(
        as_attacker(bin("heartbeat").to_str().expect("path"))
            .args(["beat", "-f"])
            .arg(&file)
            .args(["--pid", "1"]),
        Duration::from_secs(10),
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert_eq!(
        refused.stderr,
        "heartbeat: --pid 1: not a process you could signal yourself: refused\n"
    );
    assert!(!file.exists());
    let own = run_bounded(
        as_attacker("/bin/sh").arg("-c").arg(format!(
            "exec {} beat -f {} --pid $$",
            bin("heartbeat").display(),
            file.display()
        )),
        Duration::from_secs(10),
    );
    assert_eq!(own.code, 0, "{}{}", own.stdout, own.stderr);
    assert!(file.exists());
}

#[test]
fn state_locks_and_logs_where_the_user_can_write_are_refused_with_their_fix() {
    let host = Host::new();
    let svc = host.path("svc");
    // The lock (and database) in the user's directory: they could hold the lock for ever.
    let config = host.path("remediate.toml");
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}/remediate.db\"\n[services.app]\n\
             check = {{ heartbeat = \"{}\", max_age = \"30s\" }}\n",
            svc.display(),
            host.heartbeat().display()
        ),
    )
    .expect("config");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&config).arg("check");
    let run = run_bounded(&mut command, Duration::from_secs(30));
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{} is owned by uid {ATTACKER}, not root: chown root {}",
            svc.display(),
            svc.display()
        )),
        "{}",
        run.stderr
    );
    assert!(!svc.join("remediate.db").exists());
    // One level deeper, in a directory root makes: the user could still swap it.
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}/state/remediate.db\"\n[services.app]\n\
             check = {{ heartbeat = \"{}\", max_age = \"30s\" }}\n",
            svc.display(),
            host.heartbeat().display()
        ),
    )
    .expect("config");
    let mut command = Command::new(bin("remediate"));
    command.arg("-c").arg(&config).arg("check");
    let run = run_bounded(&mut command, Duration::from_secs(30));
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{} (above {}/state) is owned by uid {ATTACKER}, not root",
            svc.display(),
            svc.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        !svc.join("state").exists(),
        "root made a directory in the user's"
    );

    // The start log in the user's directory: refused, nothing started as root or anyone.
    host.attacker_writes_heartbeat("{\"timestamp\": \"2000-01-01T00:00:00Z\"}");
    let run = host.remediate_with(
        &format!("log_dir = \"{}\"", svc.display()),
        "",
        &["run", "app"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "2. start: cannot start: {} is owned by uid {ATTACKER}, not root",
            svc.display()
        )),
        "{}",
        run.stdout
    );
    assert!(host.started_as().is_none(), "start ran");
}

#[test]
fn a_database_or_lock_that_is_a_symlink_or_foreign_is_never_opened() {
    let host = Host::new();
    let state = host.path("state");
    std::fs::create_dir(&state).expect("state");
    let victim = host.path("victim");
    std::fs::write(&victim, "keep").expect("victim");
    std::os::unix::fs::symlink(&victim, state.join("remediate.db")).expect("symlink");
    let run = host.remediate("", &["status"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("remediate.db: it is a symlink: refused"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");

    std::fs::remove_file(state.join("remediate.db")).expect("unlink");
    let lock = state.join("remediate.lock");
    std::fs::write(&lock, "").expect("lock");
    std::os::unix::fs::chown(&lock, Some(ATTACKER), Some(ATTACKER)).expect("chown");
    let run = host.remediate("", &["check"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "remediate.lock is owned by uid {ATTACKER}, not root"
        )),
        "{}",
        run.stderr
    );
}

/// A service `app` whose one step starts a 30 s `sleep`, run and then `kill -9`ed mid-step
/// (after `extra` service keys): the remediate command for its config, the files the
/// step uses, and the PID of the sleep it left.
struct Orphaned {
    config: PathBuf,
    pids: PathBuf,
    done: PathBuf,
    sleeper: i32,
}

impl Orphaned {
    fn left_by_a_killed_remediate(host: &Host, extra: &str) -> Orphaned {
        let pids = host.path("svc/slow.pids");
        let done = host.path("svc/quick");
        let config = host.path("remediate.toml");
        std::fs::write(
            &config,
            format!(
                "db_path = \"{db}\"\n[services.app]\n\
                 check = {{ command = [\"/bin/false\"] }}\n\
                 commands = {{ slow = \"[ -e {done} ] && exit 0; sleep 30 & echo $! >> {pids}; wait\" }}\n\
                 recovery = [{{ action = \"slow\", timeout = \"60s\" }}]\n{extra}\n",
                db = host.path("state/remediate.db").display(),
                done = done.display(),
                pids = pids.display(),
            ),
        )
        .expect("config");
        let mut orphaned = Orphaned {
            config,
            pids,
            done,
            sleeper: 0,
        };
        let mut first = KillOnDrop(
            orphaned
                .remediate(&["run", "app"])
                .spawn()
                .expect("remediate"),
        );
        orphaned.sleeper = orphaned.step_pid(0).expect("the slow step started");
        // kill -9 of remediate mid-step: the step's shell dies with it; what it started lives.
        let _ = first.0.kill();
        let _ = first.0.wait();
        assert!(
            alive(orphaned.sleeper),
            "the step's own child should outlive remediate"
        );
        orphaned
    }

    fn remediate(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin("remediate"));
        command.arg("-c").arg(&self.config).args(args);
        command
    }

    /// The PID the `nth` run of the step wrote, once it has.
    fn step_pid(&self, nth: usize) -> Option<i32> {
        for _ in 0..250 {
            if let Ok(text) = std::fs::read_to_string(&self.pids)
                && let Some(pid) = text.lines().nth(nth).and_then(|l| l.trim().parse().ok())
            {
                return Some(pid);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

#[test]
fn a_step_left_running_by_a_killed_remediate_is_never_started_again_beside_itself() {
    let host = Host::new();
    let orphaned = Orphaned::left_by_a_killed_remediate(&host, "");
    let again = run_bounded(
        &mut orphaned.remediate(&["run", "app"]),
        Duration::from_secs(30),
    );
    assert_eq!(again.code, 3, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stderr.contains("another remediate run holds"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&orphaned.pids)
            .expect("pids")
            .lines()
            .count(),
        1,
        "the step was started a second time beside the first"
    );
    // Once what the step left has ended, the service is free again.
    // SAFETY: the step's own sleep, whose PID it wrote.
    unsafe { libc::kill(orphaned.sleeper, libc::SIGKILL) };
    for _ in 0..100 {
        if !alive(orphaned.sleeper) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(&orphaned.done, "").expect("flag");
    let free = run_bounded(
        &mut orphaned.remediate(&["run", "app"]),
        Duration::from_secs(30),
    );
    assert_eq!(free.code, 0, "{}{}", free.stdout, free.stderr);
    let history = run_bounded(
        &mut orphaned.remediate(&["history"]),
        Duration::from_secs(30),
    );
    assert!(
        history.stdout.contains("run 1 interrupted"),
        "{}",
        history.stdout
    );
}

#[test]
fn a_step_left_running_by_a_killed_remediate_is_ended_when_the_service_says_so() {
    let host = Host::new();
    let orphaned = Orphaned::left_by_a_killed_remediate(&host, "orphaned_steps = \"end\"");
    let sleeper = orphaned.sleeper;
    std::fs::write(&orphaned.done, "").expect("flag");
    let again = run_bounded(
        &mut orphaned.remediate(&["run", "app"]),
        Duration::from_secs(30),
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stderr.contains(&format!(
            "remediate: app: ending pid {sleeper}, left running by a killed remediate's step"
        )),
        "{}",
        again.stderr
    );
    assert!(!alive(sleeper), "the orphaned step is still running");
    // A live run's lock is never taken from it: what a running remediate holds is waited for.
    std::fs::remove_file(&orphaned.done).expect("slow again");
    let mut live = KillOnDrop(
        orphaned
            .remediate(&["run", "app"])
            .spawn()
            .expect("remediate"),
    );
    let running = orphaned.step_pid(1).expect("the live run's step started");
    let beside = run_bounded(
        &mut orphaned.remediate(&["run", "app"]),
        Duration::from_secs(30),
    );
    assert_eq!(beside.code, 3, "{}{}", beside.stdout, beside.stderr);
    assert!(
        beside.stderr.contains("another remediate run holds"),
        "{}",
        beside.stderr
    );
    assert!(alive(running), "a live run's step was ended");
    // SAFETY: the live run's own sleep, whose PID it wrote.
    unsafe { libc::kill(running, libc::SIGKILL) };
    let _ = live.0.wait();
}

#[test]
fn the_monitoring_user_checks_the_checker_without_root() {
    let host = Host::new();
    let config = host.path("remediate.toml");
    std::fs::write(
        &config,
        format!(
            "db_path = \"{}\"\n[services.web]\ncheck = {{ command = [\"/bin/true\"] }}\n",
            host.path("state/remediate.db").display()
        ),
    )
    .expect("config");
    let as_monitoring = || {
        let mut command = as_attacker(bin("remediate").to_str().expect("path"));
        command
            .arg("-c")
            .arg(&config)
            .args(["status", "--output-format", "nagios"]);
        run_bounded(&mut command, Duration::from_secs(30))
    };
    let before = as_monitoring();
    assert_eq!(before.code, 3, "{}{}", before.stdout, before.stderr);
    assert!(
        before
            .stdout
            .starts_with("REMEDIATE UNKNOWN: cannot read the status snapshot "),
        "{}",
        before.stdout
    );
    let mut pass = Command::new(bin("remediate"));
    pass.arg("-c").arg(&config).arg("check");
    let pass = run_bounded(&mut pass, Duration::from_secs(30));
    assert_eq!(pass.code, 0, "{}{}", pass.stdout, pass.stderr);
    let after = as_monitoring();
    assert_eq!(after.code, 0, "{}{}", after.stdout, after.stderr);
    assert!(
        after
            .stdout
            .starts_with("REMEDIATE OK: 1 services, none failing, last pass "),
        "{}",
        after.stdout
    );
    // It read the snapshot, never the database, which stays root's alone.
    let db = std::fs::metadata(host.path("state/remediate.db")).expect("db");
    assert_eq!(db.permissions().mode() & 0o777, 0o600);
}
