//! The real Icinga 2 daemon (Debian's `icinga2-bin`, the ITL from `icinga2-common`) with the
//! shipped `packaging/icinga2/triage.conf`: `icinga2 daemon -C` validates it next to the ITL,
//! and a daemon kept entirely in a temp dir runs our plugins through its CheckCommands (and
//! the ITL's own `procs`, pointed at our check_procs by `PluginDir`) and remediate as its
//! event handler. Its notice log gives each command line it ran; a PerfdataWriter with a
//! template of ours gives each result's state, output and perfdata as Icinga keeps them.
//!
//! What Icinga 2.13 does with a plugin's stdout, as measured here (PluginUtility in its
//! source says the same):
//! - The text is trimmed, then cut at every line break; on each line the part before the
//!   first `|` is output and the rest perfdata. So `$service.output$` keeps the space
//!   before ` | ` (`HEARTBEAT OK: ... ago ` with a trailing space), and when the perfdata
//!   stands on a last line of its own (`| a=1 b=2`, our multi-line form), the output ends
//!   with a line break: that line's empty text.
//! - Perfdata from every line is joined with spaces; `$service.perfdata$` gives the items
//!   unchanged (no unit normalising), one space apart.
//! - Nothing is escaped: the long output's line breaks and backslashes (`\_[OK]`) reach the
//!   perfdata file as they are, which is why our template ends each record with a marker.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::check_procs::{Children, NamedProgram, wait_for_comm};
use crate::support::fake_engine::FakeEngine;
use crate::support::http_server::{Route, TestServer};
use crate::support::{Run, bin, heartbeat_file, run_bounded, whole_system_lock};

/// Where Debian's icinga2-bin installs the daemon (a shell script that execs the binary).
const ICINGA2: &str = "/usr/sbin/icinga2";
/// The Icinga Template Library, from icinga2-common.
const ITL: &str = "/usr/share/icinga2/include/itl";
/// The environment of the daemon and of the direct runs: a fixed PATH and nothing else, so
/// no proxy variable, DOCKER_HOST or locale of the developer's shell reaches a plugin.
const PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
/// How long the daemon gets to produce every expected result (the first checks come
/// within a second or two of the start).
const RESULTS_LIMIT: Duration = Duration::from_secs(25);
/// How long the daemon may take to stop after SIGTERM (measured: about 1.5 s).
const STOP_LIMIT: Duration = Duration::from_secs(15);
/// One record per service result; output and perfdata may span lines, so each record ends
/// with a marker rather than at a line break. In Icinga's string syntax `\t` is a tab.
const SERVICE_TEMPLATE: &str = r"BEGIN\tSERVICE=$service.name$\tSTATE=$service.state$\tTYPE=$service.state_type$\tATTEMPT=$service.check_attempt$\tOUTPUT=$service.output$\tPERFDATA=$service.perfdata$\tEND";
/// The shipped EventCommand's command line; the event handler test swaps it for ours.
const SHIPPED_HANDLER: &str =
    r#"command = [ "/usr/bin/sudo", "-n", "/usr/bin/remediate", "event" ]"#;

const SPRING_UP: &str = r#"{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL"}},"diskSpace":{"status":"UP"}}}"#;
const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"Connection refused"}},"diskSpace":{"status":"UP"},"redis":{"status":"DOWN"}}}"#;

/// The recorded Docker 20.10 containers the fake engine serves: (name, id, fixture).
const CONTAINERS: [(&str, &str, &str); 2] = [
    (
        "c_healthy",
        "82117c07cd6863ba1f0a8f6a7886ebec5919d8c7e03c2ad3144868dab1c236d7",
        "inspect_c_healthy",
    ),
    (
        "c_unhealthy",
        "2c8ff03ab3098ca1efdfc820ef44bffb7ebffd8447155d8128dd8fb0b201ec0c",
        "inspect_c_unhealthy",
    ),
];

/// The daemon, or a failure saying which packages provide it and the ITL.
fn icinga2() -> &'static Path {
    assert!(
        Path::new(ICINGA2).is_file(),
        "{ICINGA2} is missing: these tests run the real Icinga 2 daemon; install Debian's \
         icinga2-bin and icinga2-common (apt-get install icinga2-bin icinga2-common)"
    );
    assert!(
        Path::new(ITL).is_file(),
        "{ITL} is missing: install Debian's icinga2-common (apt-get install icinga2-common)"
    );
    Path::new(ICINGA2)
}

/// The shipped configuration, as it is in the repository.
fn shipped() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/icinga2/triage.conf");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where our binaries are: `PluginDir` for the daemon.
fn plugin_dir() -> PathBuf {
    bin("check_heartbeat")
        .parent()
        .expect("the target directory")
        .to_owned()
}

/// `text` as a string in Icinga 2's configuration language.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A path as a string in Icinga 2's configuration language.
fn quoted_path(path: &Path) -> String {
    quoted(path.to_str().expect("a UTF-8 path"))
}

/// The user and group we run as: the daemon must not try to switch to Debian's `nagios`.
fn identity() -> (String, String) {
    let id = |flag: &str| {
        let out = run_bounded(Command::new("id").arg(flag), Duration::from_secs(10));
        assert_eq!(out.code, 0, "id {flag}: {}", out.stderr);
        out.stdout.trim().to_owned()
    };
    (id("-un"), id("-gn"))
}

/// The part of `text` from its `lines`-th last line on, for failure messages.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// An Icinga 2 configuration and every directory the daemon writes, in a temp dir: the
/// system's /etc/icinga2 and /var/lib/icinga2 are never read or written.
struct Instance {
    dir: tempfile::TempDir,
}

impl Instance {
    /// `etc/icinga2.conf` includes the ITL and the plugin commands as Debian's icinga2.conf
    /// does, then `triage_conf` (as `etc/triage.conf`), then `objects` and a PerfdataWriter
    /// writing our template into `perfdata/`.
    fn new(triage_conf: &str, objects: &str) -> Instance {
        let dir = tempfile::tempdir().expect("tempdir");
        // The PerfdataWriter renames into directories it does not create; the spool's tmp/
        // must exist too.
        for sub in [
            "etc",
            "data",
            "log",
            "cache",
            "run",
            "spool/tmp",
            "perfdata",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("instance directory");
        }
        let instance = Instance { dir };
        std::fs::write(instance.path("etc/triage.conf"), triage_conf).expect("triage.conf");
        let main = format!(
            "include <itl>\ninclude <plugins>\ninclude \"triage.conf\"\n\n{objects}\n{}",
            instance.perfdata_writer()
        );
        std::fs::write(instance.path("etc/icinga2.conf"), main).expect("icinga2.conf");
        instance
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `icinga2 daemon EXTRA -c etc/icinga2.conf` with every directory constant pointing
    /// into the instance and `PluginDir` at our binaries.
    fn command(&self, extra: &[&str]) -> Command {
        let (user, group) = identity();
        let mut command = Command::new(icinga2());
        command
            .env_clear()
            .env("PATH", PATH)
            .arg("daemon")
            .args(extra)
            .arg("-c")
            .arg(self.path("etc/icinga2.conf"));
        for (constant, sub) in [
            ("DataDir", "data"),
            ("LogDir", "log"),
            ("CacheDir", "cache"),
            ("InitRunDir", "run"),
            ("SpoolDir", "spool"),
        ] {
            command.arg(format!("-D{constant}={}", self.path(sub).display()));
        }
        command
            .arg(format!("-DRunAsUser={user}"))
            .arg(format!("-DRunAsGroup={group}"))
            .arg(format!("-DPluginDir={}", plugin_dir().display()));
        command
    }

    /// `icinga2 daemon -C`: load and validate the configuration, run nothing.
    fn validate(&self) -> Run {
        run_bounded(&mut self.command(&["-C"]), Duration::from_secs(60))
    }

    /// Starts the daemon in the foreground, logging at notice level (which names every
    /// command it runs) to `icinga2.log`.
    fn start(&self) -> Daemon {
        let log = self.path("icinga2.log");
        let file = std::fs::File::create(&log).expect("the daemon's log");
        let mut command = self.command(&["-x", "notice"]);
        command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log handle"))
            .stderr(file)
            // Its own process group: the umbrella process, its worker and the worker's
            // process spawner can be told apart from everything else (plugins get
            // sessions of their own).
            .process_group(0);
        let child = command.spawn().expect("start icinga2 daemon");
        let mut daemon = Daemon {
            child,
            log,
            perfdata: self.path("perfdata"),
            written: Vec::new(),
        };
        // /usr/sbin/icinga2 is a shell script that execs the binary: wait for the exec, so
        // the PID stopped at the end is icinga2's.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !daemon.is_icinga2() {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!(
                    "icinga2 daemon exited at once ({status}):\n{}",
                    daemon.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{ICINGA2} did not exec the daemon within 10 s:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        daemon
    }

    /// A PerfdataWriter writing our template into `perfdata/`, rotating every second (the
    /// file being written stays in the spool until then).
    fn perfdata_writer(&self) -> String {
        let path = |name: &str| quoted_path(&self.path(name));
        format!(
            r#"object PerfdataWriter "triage-e2e" {{
  service_format_template = "{SERVICE_TEMPLATE}"
  service_temp_path = {}
  service_perfdata_path = {}
  host_temp_path = {}
  host_perfdata_path = {}
  rotation_interval = 1s
}}
"#,
            path("spool/tmp/service-perfdata"),
            path("perfdata/service"),
            path("spool/tmp/host-perfdata"),
            path("perfdata/host"),
        )
    }
}

/// The checker, a host whose own check runs inside Icinga, and a service template that
/// checks every second: all a daemon needs to run checks without an API or a cluster.
const RUNNING_BASE: &str = r#"object CheckerComponent "checker" { }

object Host "triage-e2e" {
  check_command = "dummy"
}

template Service "every-second" {
  host_name = "triage-e2e"
  check_interval = 1s
  retry_interval = 1s
}
"#;

/// One service result as the PerfdataWriter wrote it.
#[derive(Debug, Clone, PartialEq)]
struct Written {
    service: String,
    state: String,
    state_type: String,
    attempt: String,
    output: String,
    perfdata: String,
}

/// The records of a rotated perfdata file.
fn parse_records(text: &str) -> Vec<Written> {
    text.split("\tEND\n")
        .filter(|chunk| !chunk.is_empty())
        .map(|chunk| {
            parse_record(chunk).unwrap_or_else(|| panic!("not a record of our template: {chunk:?}"))
        })
        .collect()
}

/// One record of SERVICE_TEMPLATE, without its end marker.
fn parse_record(chunk: &str) -> Option<Written> {
    let rest = chunk.strip_prefix("BEGIN\tSERVICE=")?;
    let (service, rest) = rest.split_once("\tSTATE=")?;
    let (state, rest) = rest.split_once("\tTYPE=")?;
    let (state_type, rest) = rest.split_once("\tATTEMPT=")?;
    let (attempt, rest) = rest.split_once("\tOUTPUT=")?;
    // The output is free text (tabs included): the perfdata field is the last one.
    let (output, perfdata) = rest.rsplit_once("\tPERFDATA=")?;
    Some(Written {
        service: service.to_owned(),
        state: state.to_owned(),
        state_type: state_type.to_owned(),
        attempt: attempt.to_owned(),
        output: output.to_owned(),
        perfdata: perfdata.to_owned(),
    })
}

/// A running `icinga2 daemon` (foreground, in a process group of its own); stopped by PID
/// on drop, pass or fail.
struct Daemon {
    child: Child,
    log: PathBuf,
    perfdata: PathBuf,
    /// Every result read from the rotated perfdata files so far, in order.
    written: Vec<Written>,
}

impl Daemon {
    /// Everything the daemon logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether our (unreaped, so still our own) child's image is the icinga2 binary.
    fn is_icinga2(&self) -> bool {
        std::fs::read_link(format!("/proc/{}/exe", self.child.id()))
            .is_ok_and(|exe| exe.file_name().is_some_and(|name| name == "icinga2"))
    }

    /// Reads and removes the rotated perfdata files (`service.<time>`); the one being
    /// written stays in the spool until the next rotation.
    fn collect(&mut self) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.perfdata)
            .expect("the perfdata directory")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with("service."))
            })
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a rotated perfdata file");
            self.written.extend(parse_records(&text));
            std::fs::remove_file(&file).expect("remove a rotated perfdata file");
        }
    }

    /// The latest result of each of `services`, once each has one; fails with the log
    /// after RESULTS_LIMIT.
    fn results(&mut self, services: &[&str]) -> Vec<Written> {
        let deadline = Instant::now() + RESULTS_LIMIT;
        loop {
            self.collect();
            let latest: Vec<Option<&Written>> = services
                .iter()
                .map(|service| self.written.iter().rev().find(|w| w.service == *service))
                .collect();
            if latest.iter().all(Option::is_some) {
                return latest.into_iter().flatten().cloned().collect();
            }
            let missing: Vec<&&str> = services
                .iter()
                .zip(&latest)
                .filter(|(_, written)| written.is_none())
                .map(|(service, _)| service)
                .collect();
            assert!(
                Instant::now() < deadline,
                "Icinga wrote no result for {missing:?} within {RESULTS_LIMIT:?}; results so \
                 far: {:#?}\n---- icinga2 log (last lines) ----\n{}",
                self.written,
                tail(&self.log(), 80)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The argument lists (without the program) of every command the daemon ran `program`
    /// with, from its notice log (`Running command '/p' 'a' 'b': PID 1`).
    fn command_lines(&self, program: &Path) -> Vec<Vec<String>> {
        let start = format!("'{}'", program.display());
        self.log()
            .lines()
            .filter_map(|line| line.split_once("/Process: Running command "))
            .filter_map(|(_, command)| command.rsplit_once(": PID ").map(|(args, _)| args))
            .filter(|args| args.starts_with(&start))
            .map(|args| {
                let inner = args.trim().trim_start_matches('\'').trim_end_matches('\'');
                inner.split("' '").skip(1).map(str::to_owned).collect()
            })
            .collect()
    }

    /// Lines of the log at warning level or worse.
    fn complaints(&self) -> Vec<String> {
        complaints(&self.log())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        if matches!(self.child.try_wait(), Ok(None)) {
            // Not reaped yet, so the PID is still our child's; SIGTERM only if it is the
            // icinga2 we started. The umbrella process stops its worker and then exits.
            if self.is_icinga2() {
                // SAFETY: kill(2) with a PID we own.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
            let deadline = Instant::now() + STOP_LIMIT;
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                eprintln!("icinga2 (PID {pid}) did not stop within {STOP_LIMIT:?}: SIGKILL");
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        // A worker the umbrella did not take down is still in the group; give it a moment,
        // then kill what is left of the group.
        let deadline = Instant::now() + Duration::from_secs(5);
        // SAFETY: signal 0 to our child's process group only checks that it has members.
        while unsafe { libc::kill(-pid, 0) } == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; the group exists only while members of our daemon are left.
        if unsafe { libc::kill(-pid, 0) } == 0 {
            eprintln!("icinga2's process group {pid} outlived the daemon: SIGKILL");
            // SAFETY: as above.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
    }
}

/// The lines of Icinga's output at warning level or worse (`warning/`, `critical/`).
fn complaints(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains(" warning/") || line.contains(" critical/"))
        .map(str::to_owned)
        .collect()
}

/// What Icinga 2 keeps of a plugin's stdout as (`$service.output$`, `$service.perfdata$`):
/// the text trimmed and cut at every line break; on each line the part before the first
/// `|` is output (as is, trailing space and all) and the rest perfdata; the perfdata
/// items joined by one space.
fn as_icinga_keeps(stdout: &str) -> (String, String) {
    let mut output = Vec::new();
    let mut perfdata = Vec::new();
    for line in stdout.trim().split(['\r', '\n']) {
        match line.split_once('|') {
            Some((text, perf)) => {
                output.push(text);
                perfdata.extend(perf.split_whitespace());
            }
            None => output.push(line),
        }
    }
    (output.join("\n"), perfdata.join(" "))
}

/// `text` with each number that is a duration (`4s`, `0.0012s`, `1h06m`, `3y`,
/// `0.001 second`) as `#`: ages, uptimes and response times change between two runs.
fn mask_durations(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut masked = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            let next = text[at..]
                .find(|c: char| c.is_ascii_digit())
                .map_or(text.len(), |offset| at + offset);
            masked.push_str(&text[at..next]);
            at = next;
            continue;
        }
        let mut end = at;
        while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
            end += 1;
        }
        let after = &text[end..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"].iter().any(|unit| {
            after.strip_prefix(unit).is_some_and(|rest| {
                !rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            })
        });
        if unit || after.starts_with(" second") {
            masked.push('#');
        } else {
            masked.push_str(&text[at..end]);
        }
        at = end;
    }
    masked
}

/// The state name Icinga gives an exit code.
fn state_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// Runs `program` with `args` in the daemon's environment.
fn run_directly(program: &Path, args: &[String]) -> Run {
    let mut command = Command::new(program);
    command.env_clear().env("PATH", PATH).args(args);
    run_bounded(&mut command, Duration::from_secs(30))
}

#[test]
fn the_shipped_config_validates_with_the_itl_and_a_broken_copy_does_not() {
    icinga2();
    let shipped = shipped();
    let examples = documented_examples(&shipped);
    for needle in [
        "check_command = \"heartbeat\"",
        "check_command = \"container\"",
        "check_command = \"http_health\"",
        "event_command = \"remediate\"",
    ] {
        assert!(
            examples.iter().any(|example| example.contains(needle)),
            "no `apply Service` example in triage.conf's comments has {needle}; found:\n{}",
            examples.join("\n\n")
        );
    }
    // Every shipped command in use with its variables, and the comments' examples, which
    // must instantiate as written (the host gives them what they look for).
    let objects = format!(
        r#"object Host NodeName {{
  address = "127.0.0.1"
  check_command = "dummy"
  vars.containers = [ "web" ]
  vars.health_endpoint = true
}}

object Service "worker-heartbeat" {{
  host_name = NodeName
  check_command = "heartbeat"
  vars.heartbeat_file = [ "/run/app/worker.json", "/run/app/mailer.json" ]
  vars.heartbeat_warning = "1m"
  vars.heartbeat_critical = "3m"
  vars.heartbeat_ignore_pid = true
  vars.heartbeat_stall_critical = "10m"
  vars.heartbeat_state_dir = "/var/lib/triage/check_heartbeat"
}}

object Service "web-container" {{
  host_name = NodeName
  check_command = "container"
  vars.container_name = [ "web", "db" ]
  vars.container_host = "unix:///run/docker.sock"
  vars.container_restarts_critical = "3"
  vars.container_memory_warning = "90%"
}}

object Service "api-health" {{
  host_name = NodeName
  check_command = "http_health"
  vars.http_health_url = "https://127.0.0.1:8443/health"
  vars.http_health_header = [ "Accept: application/json" ]
  vars.http_health_json_eq = [ "/status=UP" ]
  vars.http_health_insecure = true
}}

object Service "remediate" {{
  host_name = NodeName
  check_command = "remediate"
  vars.remediate_max_pass_age = "5m"
}}

object Service "api-remediated" {{
  host_name = NodeName
  check_command = "heartbeat"
  vars.heartbeat_file = "/run/api/heartbeat.json"
  event_command = "remediate"
  vars.remediate_service = "api"
}}

{}
"#,
        examples.join("\n\n")
    );
    let instance = Instance::new(&shipped, &objects);
    let out = instance.validate();
    let printed = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 0, "icinga2 daemon -C failed:\n{printed}");
    assert_eq!(
        complaints(&printed),
        Vec::<String>::new(),
        "icinga2 daemon -C complained:\n{printed}"
    );
    let services = 5 + examples.len();
    for instantiated in [
        format!("Instantiated {services} Services."),
        "Instantiated 1 EventCommand.".to_owned(),
        "Finished validating the configuration file(s).".to_owned(),
    ] {
        assert!(
            printed.contains(&instantiated),
            "no `{instantiated}` in:\n{printed}"
        );
    }

    // The validation is real: an attribute CheckCommand does not have fails it, and
    // Icinga says which one and where.
    let heartbeat_command = r#"command = [ PluginDir + "/check_heartbeat" ]"#;
    assert!(shipped.contains(heartbeat_command), "{heartbeat_command}");
    let broken = shipped.replacen(
        heartbeat_command,
        &format!("{heartbeat_command}\n\tno_such_attribute = true"),
        1,
    );
    let out = Instance::new(&broken, &objects).validate();
    let printed = format!("{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "a broken triage.conf validated:\n{printed}");
    for needle in ["no_such_attribute", "triage.conf", "critical/config"] {
        assert!(
            printed.contains(needle),
            "no {needle:?} in the refusal:\n{printed}"
        );
    }
}

/// The `apply Service` examples in the comments of the shipped file, uncommented.
fn documented_examples(conf: &str) -> Vec<String> {
    let indent = |text: &str| text.len() - text.trim_start().len();
    let mut examples = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    for line in conf.lines() {
        let text = line.trim_start().strip_prefix('*').unwrap_or("");
        if let Some((start, lines)) = &mut current {
            lines.push(text);
            if text.trim() == "}" && indent(text) == *start {
                examples.push(lines.join("\n"));
                current = None;
            }
        } else if text.trim_start().starts_with("apply Service ") {
            current = Some((indent(text), vec![text]));
        }
    }
    examples
}

/// A service the daemon runs and what Icinga must make of it.
struct Case {
    service: &'static str,
    /// `check_command` and `vars` lines of the service.
    config: String,
    /// The plugin Icinga must run, and the arguments it must build from the variables.
    program: PathBuf,
    args: Vec<String>,
    state: &'static str,
    /// Fixed text Icinga's output must contain: a plugin that agrees with itself but
    /// prints the wrong thing must not pass.
    output_has: Vec<String>,
    /// Fixed text Icinga's perfdata must contain.
    perfdata_has: Vec<String>,
}

/// What is wrong with Icinga's result for `case`, if anything: the command line it ran,
/// the state, the output and perfdata against the plugin's own run with the same
/// arguments (durations masked), and the case's fixed text.
fn judge(case: &Case, icinga: &Written, daemon: &Daemon) -> Option<String> {
    let ran = daemon.command_lines(&case.program);
    if !ran.contains(&case.args) {
        return Some(format!(
            "{}: Icinga never ran {} {:?}; it ran it with {ran:#?}",
            case.service,
            case.program.display(),
            case.args
        ));
    }
    let direct = run_directly(&case.program, &case.args);
    let (output, perfdata) = as_icinga_keeps(&direct.stdout);
    let mut problems = Vec::new();
    if state_name(direct.code) != case.state {
        problems.push(format!(
            "run directly it exits {} ({}), not {}",
            direct.code,
            state_name(direct.code),
            case.state
        ));
    }
    if icinga.state != case.state {
        problems.push(format!(
            "Icinga's state is {}, not {}",
            icinga.state, case.state
        ));
    }
    if mask_durations(&icinga.output) != mask_durations(&output) {
        problems.push(format!(
            "Icinga's output\n{:?}\nis not the plugin's\n{output:?}",
            icinga.output
        ));
    }
    if mask_durations(&icinga.perfdata) != mask_durations(&perfdata) {
        problems.push(format!(
            "Icinga's perfdata\n{:?}\nis not the plugin's\n{perfdata:?}",
            icinga.perfdata
        ));
    }
    for text in &case.output_has {
        if !icinga.output.contains(text.as_str()) {
            problems.push(format!(
                "no {text:?} in Icinga's output {:?}",
                icinga.output
            ));
        }
    }
    for text in &case.perfdata_has {
        if !icinga.perfdata.contains(text.as_str()) {
            problems.push(format!(
                "no {text:?} in Icinga's perfdata {:?}",
                icinga.perfdata
            ));
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{} ({} {:?}; run directly: exit {}, stdout {:?}):\n  {}",
            case.service,
            case.program.display(),
            case.args,
            direct.code,
            direct.stdout,
            problems.join("\n  ")
        )
    })
}

/// Arguments from string slices.
fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// The fake engine serving the recorded Docker 20.10 answers for CONTAINERS.
fn docker_engine(socket: &Path) -> FakeEngine {
    let containers: Vec<(&str, &str)> = CONTAINERS
        .iter()
        .map(|&(_, id, fixture)| (id, fixture))
        .collect();
    FakeEngine::recorded(socket, "docker-20.10.24", &containers, Vec::new())
}

#[test]
fn icinga_runs_each_plugin_and_keeps_its_state_output_and_perfdata() {
    icinga2();
    // Icinga starts eight plugins a second: keep whole-system process counts out of it.
    let _quiet = whole_system_lock();
    let files = tempfile::tempdir().expect("tempdir");
    let text = |path: PathBuf| path.to_str().expect("a UTF-8 path").to_owned();
    let worker = heartbeat_file(
        files.path(),
        "worker.json",
        1.0,
        r#""process_key":"worker","iteration":42"#,
    );
    let mailer = heartbeat_file(
        files.path(),
        "mailer.json",
        1.0,
        r#""process_key":"mailer""#,
    );
    let stale = heartbeat_file(files.path(), "api.json", 4000.0, r#""process_key":"api""#);
    let server = TestServer::http(vec![
        ("/health", Route::json(200, SPRING_UP)),
        ("/health-down", Route::json(503, SPRING_DOWN)),
    ]);
    let engine = docker_engine(&files.path().join("engine.sock"));
    let program = NamedProgram::copy("/bin/sleep", "tp_icinga");
    let mut children = Children::default();
    for pid in children.sleepers(&program.path, 2) {
        wait_for_comm(pid, "tp_icinga");
    }
    let [worker, mailer, stale] = [worker, mailer, stale].map(text);

    let heartbeat = bin("check_heartbeat");
    let container = bin("check_container");
    let http = bin("check_http_health");
    let procs = bin("check_procs");
    let host = engine.host();
    // Icinga orders arguments by `order`, then by key (the dictionary's order): `--x`
    // before `-X` before `-x`, with skip_key values (order 99) last.
    let cases = vec![
        Case {
            service: "heartbeat-ok",
            config: format!(
                "check_command = \"heartbeat\"\n  vars.heartbeat_file = [ {}, {} ]\n  \
                 vars.heartbeat_warning = \"1m\"\n  vars.heartbeat_critical = \"3m\"",
                quoted(&worker),
                quoted(&mailer)
            ),
            program: heartbeat.clone(),
            args: strings(&["-c", "3m", "-f", &worker, "-f", &mailer, "-w", "1m"]),
            state: "OK",
            output_has: strings(&["HEARTBEAT OK: ", "worker alive", "iteration 42", "mailer"]),
            perfdata_has: strings(&["worker_age=", "mailer_age=", ";60;180;0;"]),
        },
        Case {
            service: "heartbeat-critical",
            config: format!(
                "check_command = \"heartbeat\"\n  vars.heartbeat_file = {}\n  \
                 vars.heartbeat_warning = \"1m\"\n  vars.heartbeat_critical = \"3m\"",
                quoted(&stale)
            ),
            program: heartbeat.clone(),
            args: strings(&["-c", "3m", "-f", &stale, "-w", "1m"]),
            state: "CRITICAL",
            output_has: strings(&["HEARTBEAT CRITICAL: api stale, last beat ", "(limit 180s)"]),
            perfdata_has: strings(&["age=", "s;60;180;0;"]),
        },
        Case {
            service: "http-ok",
            // Arrays become repeated options (repeat_key).
            config: format!(
                "check_command = \"http_health\"\n  vars.http_health_url = {}\n  \
                 vars.http_health_header = [ \"Accept: application/json\" ]\n  \
                 vars.http_health_json_eq = [ \"/status=UP\", \"/components/db/status=UP\" ]\n  \
                 vars.http_health_warning = \"1\"\n  vars.http_health_critical = \"2\"",
                quoted(&server.url("/health"))
            ),
            program: http.clone(),
            args: strings(&[
                "--json-eq",
                "/status=UP",
                "--json-eq",
                "/components/db/status=UP",
                "--url",
                &server.url("/health"),
                "-c",
                "2",
                "-k",
                "Accept: application/json",
                "-w",
                "1",
            ]),
            state: "OK",
            output_has: strings(&[
                "HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - 115 bytes in ",
            ]),
            perfdata_has: strings(&["time=", "s;1;2;0;"]),
        },
        Case {
            service: "http-critical",
            config: format!(
                "check_command = \"http_health\"\n  vars.http_health_url = {}",
                quoted(&server.url("/health-down"))
            ),
            program: http.clone(),
            args: strings(&["--url", &server.url("/health-down")]),
            state: "CRITICAL",
            output_has: strings(&[
                "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 2 of 3 components down: db, redis",
                "\n\\_[CRITICAL] db: DOWN (Connection refused)",
            ]),
            perfdata_has: strings(&["size=150B"]),
        },
        Case {
            service: "container-ok",
            config: format!(
                "check_command = \"container\"\n  vars.container_name = \"c_healthy\"\n  \
                 vars.container_host = {}",
                quoted(&host)
            ),
            program: container.clone(),
            args: strings(&["--host", &host, "c_healthy"]),
            state: "OK",
            output_has: strings(&["CONTAINER OK: c_healthy: running ", ", healthy"]),
            perfdata_has: strings(&[
                "c_healthy_failing_streak=0;;;0;",
                "c_healthy_restarts=0;;;0;",
            ]),
        },
        Case {
            service: "container-critical",
            // Names come last (order 99, skip_key), an array as several arguments.
            config: format!(
                "check_command = \"container\"\n  \
                 vars.container_name = [ \"c_healthy\", \"c_unhealthy\" ]\n  \
                 vars.container_host = {}",
                quoted(&host)
            ),
            program: container.clone(),
            args: strings(&["--host", &host, "c_healthy", "c_unhealthy"]),
            state: "CRITICAL",
            output_has: strings(&[
                "CONTAINER CRITICAL: ",
                "c_unhealthy",
                "34 failed probes",
                "\\_[OK] c_healthy: running ",
            ]),
            perfdata_has: strings(&[
                "c_unhealthy_failing_streak=34;;;0;",
                "c_healthy_restarts=0;;;0;",
            ]),
        },
        // The ITL's own `procs`: our check_procs is a drop-in for the C plugin.
        Case {
            service: "procs-ok",
            config: "check_command = \"procs\"\n  vars.procs_command = \"tp_icinga\"\n  \
                     vars.procs_warning = \"2:2\"\n  vars.procs_critical = \"2:2\""
                .to_owned(),
            program: procs.clone(),
            args: strings(&["-C", "tp_icinga", "-c", "2:2", "-w", "2:2"]),
            state: "OK",
            output_has: strings(&["PROCS OK: 2 processes with command name 'tp_icinga' "]),
            perfdata_has: strings(&["procs=2;2:2;2:2;0;"]),
        },
        Case {
            service: "procs-critical",
            config: "check_command = \"procs\"\n  vars.procs_command = \"tp_icinga\"\n  \
                     vars.procs_critical = \"3:\""
                .to_owned(),
            // The ITL's default procs_warning (250) comes along.
            program: procs.clone(),
            args: strings(&["-C", "tp_icinga", "-c", "3:", "-w", "250"]),
            state: "CRITICAL",
            output_has: strings(&["PROCS CRITICAL: 2 processes with command name 'tp_icinga' "]),
            perfdata_has: strings(&["procs=2;250;3:;0;"]),
        },
    ];

    let mut objects = format!("{RUNNING_BASE}\n");
    for case in &cases {
        objects.push_str(&format!(
            "object Service {} {{\n  import \"every-second\"\n  {}\n}}\n\n",
            quoted(case.service),
            case.config
        ));
    }
    let instance = Instance::new(&shipped(), &objects);
    let mut daemon = instance.start();
    let names: Vec<&str> = cases.iter().map(|case| case.service).collect();
    let written = daemon.results(&names);

    let mut failures: Vec<String> = cases
        .iter()
        .zip(&written)
        .filter_map(|(case, icinga)| judge(case, icinga, &daemon))
        .collect();
    let complaints = daemon.complaints();
    if !complaints.is_empty() {
        failures.push(format!("Icinga complained:\n{}", complaints.join("\n")));
    }
    assert!(
        failures.is_empty(),
        "{}\n---- icinga2 log (last lines) ----\n{}",
        failures.join("\n\n"),
        tail(&daemon.log(), 80)
    );

    // Icinga's quirks, seen above, pinned here: the space before ` | ` stays in the
    // output, and perfdata on a line of its own leaves the output ending in a line break.
    let by_name = |name: &str| {
        written
            .iter()
            .find(|w| w.service == name)
            .expect("a result")
    };
    assert!(
        by_name("procs-ok").output.ends_with("'tp_icinga' "),
        "{:?}",
        by_name("procs-ok").output
    );
    assert!(
        by_name("http-critical").output.ends_with('\n'),
        "{:?}",
        by_name("http-critical").output
    );
}

#[test]
fn icinga_runs_remediate_as_the_event_handler_on_critical_hard() {
    icinga2();
    let _quiet = whole_system_lock();
    let files = tempfile::tempdir().expect("tempdir");
    let heartbeat = heartbeat_file(files.path(), "api.json", 0.0, r#""process_key":"api""#);
    let marker = files.path().join("remediated");
    let config = files.path().join("remediate.toml");
    std::fs::write(
        &config,
        format!(
            r#"db_path = "{db}"

[services.api]
check = {{ heartbeat = "{hb}", max_age = "1m" }}
commands = {{ mark = "touch {marker}" }}
recovery = ["mark"]
"#,
            db = files.path().join("state/remediate.db").display(),
            hb = heartbeat.display(),
            marker = marker.display(),
        ),
    )
    .expect("remediate.toml");
    // As root remediate refuses a configuration others may write.
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    // The shipped EventCommand runs `/usr/bin/sudo -n /usr/bin/remediate event` (Icinga runs
    // as nagios; remediate acts as root). Here the daemon already runs as root and
    // /usr/bin/remediate is not installed: the same object, arguments and all, with only
    // that command line swapped for our binary and its configuration.
    let shipped = shipped();
    assert_eq!(
        shipped.matches(SHIPPED_HANDLER).count(),
        1,
        "triage.conf no longer has `{SHIPPED_HANDLER}` once: update this test"
    );
    let remediate = bin("remediate");
    let triage_conf = shipped.replacen(
        SHIPPED_HANDLER,
        &format!(
            "command = [ {}, \"-c\", {}, \"event\" ]",
            quoted_path(&remediate),
            quoted_path(&config)
        ),
        1,
    );
    let objects = format!(
        r#"{RUNNING_BASE}
object Service "api-heartbeat" {{
  import "every-second"
  check_command = "heartbeat"
  vars.heartbeat_file = {hb}
  vars.heartbeat_critical = "1m"
  max_check_attempts = 2
  event_command = "remediate"
  vars.remediate_service = "api"
}}
"#,
        hb = quoted_path(&heartbeat)
    );
    let instance = Instance::new(&triage_conf, &objects);
    let mut daemon = instance.start();

    // OK first, so the problem goes the usual way: CRITICAL SOFT, then CRITICAL HARD. (A
    // service's very first result is HARD at once in Icinga 2.13.)
    let first = daemon.results(&["api-heartbeat"]).remove(0);
    assert_eq!(
        first.state,
        "OK",
        "{first:?}\n---- icinga2 log ----\n{}",
        daemon.log()
    );
    let stale = heartbeat_file(
        files.path(),
        "api.json.new",
        4000.0,
        r#""process_key":"api""#,
    );
    std::fs::rename(&stale, &heartbeat).expect("a stale heartbeat, atomically");

    let history = || {
        let mut command = Command::new(&remediate);
        command
            .env_clear()
            .env("PATH", PATH)
            .arg("-c")
            .arg(&config)
            .args(["history", "--json"]);
        run_bounded(&mut command, Duration::from_secs(20))
    };
    let deadline = Instant::now() + RESULTS_LIMIT;
    let (log, run) = loop {
        let out = history();
        let log: Vec<Value> = out
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let ended = log
            .iter()
            .find(|entry| entry["kind"] == "run" && entry["outcome"] != "running")
            .cloned();
        if let Some(run) = ended {
            break (log, run);
        }
        daemon.collect();
        assert!(
            Instant::now() < deadline,
            "no remediation ended within {RESULTS_LIMIT:?}; remediate history: exit {}\n{}{}\n\
             Icinga's results: {:#?}\n---- icinga2 log (last lines) ----\n{}",
            out.code,
            out.stdout,
            out.stderr,
            daemon.written,
            tail(&daemon.log(), 80)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let shown = format!(
        "{log:#?}\n---- icinga2 log (last lines) ----\n{}",
        tail(&daemon.log(), 80)
    );

    assert_eq!(
        ["outcome", "source"].map(|key| &run[key]),
        ["succeeded", "icinga"],
        "{shown}"
    );
    let steps: Vec<(&str, &str)> = run["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| {
            (
                step["action"].as_str().unwrap_or(""),
                step["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(steps, [("mark", "ok")], "{shown}");
    assert!(
        marker.exists(),
        "the recovery step did not touch {}",
        marker.display()
    );

    // Icinga's own record of the service: its first result OK HARD, then the stale
    // heartbeat CRITICAL SOFT at attempt 1 of 2, then HARD with the attempt back at 1.
    let deadline = Instant::now() + RESULTS_LIMIT;
    let states = loop {
        daemon.collect();
        let mut states: Vec<String> = daemon
            .written
            .iter()
            .map(|w| format!("{} {} {}", w.state, w.state_type, w.attempt))
            .collect();
        states.dedup();
        if states.len() >= 3 {
            break states;
        }
        assert!(
            Instant::now() < deadline,
            "Icinga wrote only {states:?} within {RESULTS_LIMIT:?}\n{shown}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        states[..3],
        ["OK HARD 1", "CRITICAL SOFT 1", "CRITICAL HARD 1"],
        "{:#?}",
        daemon.written
    );

    // Icinga called the handler on each state change: OK (its first result), CRITICAL
    // SOFT (ignored: attempt 1 of 2), CRITICAL HARD (acted on). Icinga 2 resets the attempt
    // to 1 when the state turns HARD.
    let decisions: Vec<String> = log
        .iter()
        .rev()
        .filter(|entry| entry["kind"] == "decision")
        .map(|d| {
            format!(
                "{} {} {} {} attempt {}: {}",
                d["source"].as_str().unwrap_or("?"),
                d["state"].as_str().unwrap_or("?"),
                d["state_type"].as_str().unwrap_or("?"),
                d["run"],
                d["attempt"],
                d["decision"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            "icinga OK HARD null attempt 1: recovered".to_owned(),
            "icinga CRITICAL SOFT null attempt 1: ignored: SOFT attempt 1 (acting on HARD)"
                .to_owned(),
            format!(
                "icinga CRITICAL HARD {} attempt 1: remediate (attempt 1)",
                run["id"]
            ),
        ],
        "{shown}"
    );

    // The handler got the shipped arguments: the service first, then the keys in order,
    // with the check's output as Icinga keeps it (the space before ` | ` included).
    let hard = daemon
        .command_lines(&remediate)
        .into_iter()
        .find(|args| {
            ["CRITICAL", "HARD"]
                .iter()
                .all(|word| args.iter().any(|arg| arg == word))
        })
        .unwrap_or_else(|| panic!("Icinga never ran remediate for CRITICAL HARD: {shown}"));
    let config_arg = config.display().to_string();
    let output = hard.get(5).cloned().unwrap_or_default();
    assert_eq!(
        hard,
        strings(&[
            "-c",
            &config_arg,
            "event",
            "api",
            "--output",
            &output,
            "-a",
            "1",
            "-s",
            "CRITICAL",
            "-t",
            "HARD"
        ]),
        "{shown}"
    );
    assert!(
        output.starts_with("HEARTBEAT CRITICAL: api stale, last beat 1h")
            && output.ends_with(" ago (limit 60s) "),
        "{output:?}"
    );
    assert_eq!(
        run["reason"],
        format!("CRITICAL HARD attempt 1 from icinga: {output}"),
        "{shown}"
    );
    let complaints = daemon.complaints();
    assert!(
        complaints.is_empty(),
        "Icinga complained:\n{}",
        complaints.join("\n")
    );
}
