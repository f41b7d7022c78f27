//! The real Nagios 4 core (Debian's `nagios4-core`) runs our plugins through the shipped
//! command definitions (`packaging/nagios/triage-commands.cfg`, included unchanged), writes
//! what it made of each result to a perfdata file, and calls `remediate event` as an event
//! handler.
//!
//! What Nagios 4.4.6 does with a plugin's output, as measured here:
//! - SERVICEOUTPUT is the first line up to `|`, trimmed; SERVICEPERFDATA is the text after
//!   `|`, trimmed, whether it stood on the first line or on a last line starting with `|`
//!   (were it on both, Nagios would join the two).
//! - LONGSERVICEOUTPUT is the lines between the first and the `|` line, each ending with a
//!   newline. Nagios keeps it escaped, in macros as in status.dat: a newline becomes the
//!   two characters `\n` and a backslash becomes `\\`, so our `\_[OK]` reaches the perfdata
//!   file as `\\_[OK]`. Tabs are not escaped: `-v` indents with tabs, so LONGSERVICEOUTPUT
//!   must be the last field of a tab-separated template.
//! - Large outputs are sometimes cut short (nagioscore#625, still in Debian's 4.4.6: one
//!   30 KB output arrived whole, or cut at 8.3 KB or 22 KB, from one check to the next);
//!   a plugin whose perfdata stands on its last line loses it then. Ours here are < 1 KB.
//! - In commands (the event handler), `illegal_macro_output_chars` is removed from
//!   $SERVICEOUTPUT$. Debian's nagios.cfg lists `'` there, which is what lets the shipped
//!   `--output '$SERVICEOUTPUT$'` survive check_procs' `command name 'x'`; the test
//!   configuration keeps Debian's line, and the event handler test uses such an output.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::fake_engine::FakeEngine;
use crate::support::http_server::{Route, TestServer};
use crate::support::{Run, bin, heartbeat_file, run_bounded, timestamp, whole_system_lock, write};

/// Where Debian's nagios4-core installs the daemon.
const NAGIOS: &str = "/usr/sbin/nagios4";
/// The environment of Nagios and of the direct runs: a fixed PATH and nothing else, so no
/// proxy variable or locale of the developer's shell reaches a plugin.
const PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
/// How long the daemon gets to produce every expected result.
const RESULTS_LIMIT: Duration = Duration::from_secs(30);
/// The perfdata file's fields; LONGSERVICEOUTPUT last, since it may hold tabs.
const PERFDATA_TEMPLATE: &str = r"$SERVICEDESC$\t$SERVICESTATE$\t$SERVICESTATETYPE$\t$SERVICEATTEMPT$\t$SERVICEOUTPUT$\t$SERVICEPERFDATA$\t$LONGSERVICEOUTPUT$";

/// The shipped command definitions.
fn shipped_commands() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/nagios/triage-commands.cfg")
}

/// The daemon, or a failure saying which package provides it.
fn nagios_binary() -> PathBuf {
    let path = PathBuf::from(NAGIOS);
    assert!(
        path.is_file(),
        "{NAGIOS} is missing: these tests run the real Nagios 4 core; install Debian's \
         nagios4-core (apt-get install nagios4-core)"
    );
    path
}

/// nagios.cfg for a daemon that keeps everything in `dir`, runs as whoever runs the tests
/// (numeric ids: root and root in CI, where Debian's default would be the nagios user),
/// checks every second and appends every service result to `dir/perfdata.tsv`. The
/// `illegal_*` lines are Debian's.
fn main_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"cfg_file={commands}
cfg_file={d}/objects.cfg
resource_file={d}/resource.cfg
log_file={d}/nagios.log
object_cache_file={d}/objects.cache
precached_object_file={d}/objects.precache
status_file={d}/status.dat
status_update_interval=1
lock_file={d}/nagios.pid
temp_file={d}/nagios.tmp
temp_path={d}
check_result_path={d}/checkresults
query_socket={d}/nagios.qh
state_retention_file={d}/retention.dat
retain_state_information=0
nagios_user={uid}
nagios_group={gid}
check_external_commands=0
use_syslog=0
log_rotation_method=n
log_initial_states=1
log_event_handlers=1
check_for_updates=0
check_workers=2
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
check_result_reaper_frequency=1
service_check_timeout=30
event_handler_timeout=30
enable_notifications=0
enable_event_handlers=1
enable_environment_macros=0
process_performance_data=1
service_perfdata_file={d}/perfdata.tsv
service_perfdata_file_mode=a
service_perfdata_file_template={PERFDATA_TEMPLATE}
service_perfdata_file_processing_interval=0
illegal_object_name_chars=`~!$%^&*|'"<>?,()=
illegal_macro_output_chars=`~$&|'"<>
"#,
        commands = shipped_commands().display(),
        // SAFETY: neither can fail.
        uid = unsafe { libc::geteuid() },
        gid = unsafe { libc::getegid() },
    )
}

/// The objects every test needs around its services: a time period, a contact that is never
/// notified, the host, and a service template checking every second.
const BASE_OBJECTS: &str = r#"
define timeperiod {
    timeperiod_name         always
    alias                   Always
    sunday                  00:00-24:00
    monday                  00:00-24:00
    tuesday                 00:00-24:00
    wednesday               00:00-24:00
    thursday                00:00-24:00
    friday                  00:00-24:00
    saturday                00:00-24:00
}

define command {
    command_name            notify_nobody
    command_line            /bin/true
}

define contact {
    contact_name                    nobody
    host_notification_period        always
    service_notification_period     always
    host_notification_commands      notify_nobody
    service_notification_commands   notify_nobody
}

define host {
    host_name               triage-test
    address                 127.0.0.1
    max_check_attempts      1
    check_period            always
    notification_period     always
    contacts                nobody
}

define service {
    name                    triage-service
    register                0
    host_name               triage-test
    max_check_attempts      1
    check_interval          1
    retry_interval          1
    check_period            always
    notification_period     always
    contacts                nobody
}

# check_procs is a drop-in for the C plugin, so the shipped file has no command for it;
# this is the plain form (Debian's monitoring-plugins-basic has -w '$ARG1$' -c '$ARG2$').
define command {
    command_name            check_procs
    command_line            $USER1$/check_procs $ARG1$
}
"#;

/// A service on the test host; `extra` holds more directives, one per line.
fn service(name: &str, check_command: &str, extra: &str) -> String {
    format!(
        "\ndefine service {{\n    use triage-service\n    service_description {name}\n    \
         check_command {check_command}\n{extra}}}\n"
    )
}

/// One line of the perfdata file: what Nagios made of one check result.
#[derive(Debug, Clone)]
struct NagiosResult {
    service: String,
    state: String,
    state_type: String,
    attempt: String,
    output: String,
    perfdata: String,
    /// As Nagios hands it to macros: escaped (see the module's comment).
    long_output: String,
}

impl NagiosResult {
    fn parse(line: &str) -> Option<NagiosResult> {
        // LONGSERVICEOUTPUT is last and keeps any tabs of the plugin's output.
        let fields: Vec<&str> = line.splitn(7, '\t').collect();
        let [
            service,
            state,
            state_type,
            attempt,
            output,
            perfdata,
            long_output,
        ] = fields.as_slice()
        else {
            return None;
        };
        Some(NagiosResult {
            service: (*service).to_owned(),
            state: (*state).to_owned(),
            state_type: (*state_type).to_owned(),
            attempt: (*attempt).to_owned(),
            output: (*output).to_owned(),
            perfdata: (*perfdata).to_owned(),
            long_output: (*long_output).to_owned(),
        })
    }
}

/// A running `nagios4 -d` on a temp dir; stopped by its PID (SIGTERM, bounded wait) on drop,
/// whether the test passed or not.
struct NagiosCore {
    dir: tempfile::TempDir,
    pid: i32,
}

impl NagiosCore {
    /// Writes the configuration (`objects` after [`BASE_OBJECTS`]), validates it with
    /// `nagios4 -v`, starts `nagios4 -d` with `env` (besides PATH) and waits for its PID.
    fn start(objects: &str, env: &[(&str, &str)]) -> NagiosCore {
        let nagios = nagios_binary();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path();
        std::fs::create_dir(path.join("checkresults")).expect("checkresults dir");
        std::fs::write(path.join("nagios.cfg"), main_config(path)).expect("nagios.cfg");
        let plugins = bin("check_heartbeat");
        let plugins = plugins.parent().expect("the binaries' directory");
        std::fs::write(
            path.join("resource.cfg"),
            format!("$USER1$={}\n", plugins.display()),
        )
        .expect("resource.cfg");
        std::fs::write(path.join("objects.cfg"), format!("{BASE_OBJECTS}{objects}"))
            .expect("objects.cfg");
        let cfg = path.join("nagios.cfg");

        let verify = run_bounded(
            Command::new(&nagios)
                .arg("-v")
                .arg(&cfg)
                .env_clear()
                .env("PATH", PATH),
            Duration::from_secs(30),
        );
        assert_eq!(
            verify.code, 0,
            "nagios4 -v rejects the configuration (the shipped command definitions included):\n{}{}",
            verify.stdout, verify.stderr
        );

        // The launcher forks the daemon and exits. Its output goes to a file, not a pipe: a
        // daemon that kept an inherited pipe open would block whoever reads it.
        let launcher_out = path.join("launcher.out");
        let out = std::fs::File::create(&launcher_out).expect("launcher.out");
        let mut command = Command::new(&nagios);
        command
            .arg("-d")
            .arg(&cfg)
            .env_clear()
            .env("PATH", PATH)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut launcher = command.spawn().expect("spawn nagios4 -d");
        let until = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = launcher.try_wait().expect("wait for nagios4 -d") {
                break status;
            }
            if Instant::now() > until {
                let _ = launcher.kill();
                let _ = launcher.wait();
                panic!("nagios4 -d did not return within 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let said = std::fs::read_to_string(&launcher_out).unwrap_or_default();
        assert!(status.success(), "nagios4 -d failed ({status}):\n{said}");

        // The daemon writes its PID to the lock file once it has forked.
        let lock = path.join("nagios.pid");
        let until = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            let text = std::fs::read_to_string(&lock).unwrap_or_default();
            if let Ok(pid) = text.trim().parse::<i32>()
                && pid > 1
            {
                break pid;
            }
            if Instant::now() > until {
                panic!(
                    "nagios4 -d wrote no PID to {} within 10 s\n{said}\n{}",
                    lock.display(),
                    log_of(path)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let core = NagiosCore { dir, pid };
        assert!(
            core.is_ours(pid),
            "PID {pid} from the lock file is not the nagios4 we started\n{}",
            core.log()
        );
        core
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// nagios.log, for failure messages.
    fn log(&self) -> String {
        log_of(self.dir.path())
    }

    /// Whether `pid` is a nagios4 process (daemon or worker) running on our configuration.
    fn is_ours(&self, pid: i32) -> bool {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        // The daemon names its nagios.cfg, a worker the query socket next to it.
        comm.trim() == "nagios4" && cmdline.contains(&*self.dir.path().to_string_lossy())
    }

    /// The worker PIDs the daemon registered (from its log).
    fn worker_pids(&self) -> Vec<i32> {
        self.log()
            .lines()
            .filter_map(|line| {
                line.split("wproc: Registry request: name=Core Worker ")
                    .nth(1)
            })
            .filter_map(|rest| rest.split(';').next()?.trim().parse().ok())
            .collect()
    }

    /// Every result in the perfdata file so far, oldest first.
    fn results(&self) -> Vec<NagiosResult> {
        std::fs::read_to_string(self.path("perfdata.tsv"))
            .unwrap_or_default()
            .lines()
            .filter_map(NagiosResult::parse)
            .collect()
    }

    /// Polls the perfdata file until every service in `services` has a result, and returns
    /// the first result of each, in the same order.
    fn first_results(&self, services: &[&str]) -> Vec<NagiosResult> {
        let until = Instant::now() + RESULTS_LIMIT;
        loop {
            let results = self.results();
            let firsts: Vec<Option<&NagiosResult>> = services
                .iter()
                .map(|name| results.iter().find(|r| r.service == *name))
                .collect();
            if firsts.iter().all(Option::is_some) {
                return firsts.into_iter().flatten().cloned().collect();
            }
            if Instant::now() > until {
                let missing: Vec<&&str> = services
                    .iter()
                    .zip(&firsts)
                    .filter(|(_, first)| first.is_none())
                    .map(|(name, _)| name)
                    .collect();
                panic!(
                    "no Nagios result for {missing:?} within {RESULTS_LIMIT:?}\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls status.dat until every service in `services` has been checked, and returns
    /// each one's `servicestatus` fields, in the same order.
    fn checked_status(&self, services: &[&str]) -> Vec<BTreeMap<String, String>> {
        let until = Instant::now() + RESULTS_LIMIT;
        loop {
            let text = std::fs::read_to_string(self.path("status.dat")).unwrap_or_default();
            let blocks: Vec<BTreeMap<String, String>> = text
                .split("servicestatus {\n")
                .skip(1)
                .map(|block| {
                    block
                        .split("\n\t}")
                        .next()
                        .unwrap_or("")
                        .lines()
                        .filter_map(|line| line.strip_prefix('\t')?.split_once('='))
                        .map(|(key, value)| (key.to_owned(), value.to_owned()))
                        .collect()
                })
                .collect();
            let found: Vec<Option<&BTreeMap<String, String>>> = services
                .iter()
                .map(|name| {
                    blocks.iter().find(|b| {
                        b.get("service_description").map(String::as_str) == Some(name)
                            && b.get("has_been_checked").map(String::as_str) == Some("1")
                    })
                })
                .collect();
            if found.iter().all(Option::is_some) {
                return found.into_iter().flatten().cloned().collect();
            }
            assert!(
                Instant::now() < until,
                "status.dat did not show every service checked within {RESULTS_LIMIT:?}\n{text}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for NagiosCore {
    fn drop(&mut self) {
        let workers = self.worker_pids();
        stop_by_pid(self.pid, |pid| self.is_ours(pid));
        // The workers end when the daemon's socket closes; any that do not are stopped too.
        for worker in workers {
            stop_by_pid(worker, |pid| self.is_ours(pid));
        }
    }
}

fn log_of(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("nagios.log"))
        .unwrap_or_else(|e| format!("(no nagios.log: {e})"));
    format!("---- nagios.log ----\n{log}")
}

/// Sends SIGTERM to `pid` if `ours(pid)` (so a recycled PID is never signalled), then waits
/// up to 10 s for it to exit, and SIGKILLs it after that.
fn stop_by_pid(pid: i32, ours: impl Fn(i32) -> bool) {
    if !ours(pid) || exited(pid) {
        return;
    }
    // SAFETY: kill(2) with a PID checked just above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(10);
    while !exited(pid) {
        if Instant::now() > until {
            if ours(pid) {
                eprintln!("nagios4 (pid {pid}) ignored SIGTERM for 10 s: SIGKILL");
                // SAFETY: as above, the PID is still our nagios4.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Gone, or a zombie: the daemon is not our child (it forked away from the launcher), so
/// whoever adopted it reaps it, maybe later.
fn exited(pid: i32) -> bool {
    triage_proc::read_stat(pid).map_or(true, |stat| stat.is_zombie())
}

/// `text` with every duration or time figure (a number followed by a unit: `3s`, `1h00m`,
/// `0.0012s`, `0.001 second`) replaced by `#`: those differ between Nagios's run and ours.
fn steady(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..at]);
        let from = &rest[at..];
        let end = from
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(from.len());
        let (number, after) = from.split_at(end);
        let unit: String = after
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let timed = matches!(
            unit.as_str(),
            "s" | "ms" | "us" | "m" | "h" | "d" | "w" | "y"
        ) || after.starts_with(" second");
        out.push_str(if timed { "#" } else { number });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// What a Nagios-style plugin output means: the first line's text, the perfdata (from the
/// first line or from a last line starting with `|`) and the lines in between.
struct PluginOutput {
    output: String,
    perfdata: String,
    long_lines: Vec<String>,
}

impl PluginOutput {
    fn parse(stdout: &str) -> PluginOutput {
        let mut lines = stdout.lines();
        let first = lines.next().unwrap_or("");
        let (output, first_perfdata) = first.split_once('|').unwrap_or((first, ""));
        let mut long_lines: Vec<String> = lines.map(str::to_owned).collect();
        // Our plugins put perfdata on the first line, or alone on the last one.
        let last_perfdata = match long_lines.last().and_then(|l| l.strip_prefix('|')) {
            Some(perfdata) => {
                let perfdata = perfdata.trim().to_owned();
                long_lines.pop();
                perfdata
            }
            None => String::new(),
        };
        assert!(
            first_perfdata.trim().is_empty() || last_perfdata.is_empty(),
            "perfdata on the first and on the last line:\n{stdout}"
        );
        assert!(
            long_lines.iter().all(|line| !line.contains('|')),
            "a `|` in a subcheck line would start Nagios's perfdata there:\n{stdout}"
        );
        PluginOutput {
            output: output.trim().to_owned(),
            perfdata: format!("{}{last_perfdata}", first_perfdata.trim()),
            long_lines,
        }
    }

    /// The long output as Nagios passes it in macros: each line ends with a newline, and
    /// newlines and backslashes are escaped.
    fn long_output_escaped(&self) -> String {
        self.long_lines
            .iter()
            .map(|line| format!("{}\\n", line.replace('\\', "\\\\")))
            .collect()
    }
}

/// One service: how Nagios calls the plugin, how the test calls it directly, and what the
/// result must say.
struct Case {
    /// service_description.
    service: &'static str,
    /// check_command, as in a service definition.
    check_command: String,
    /// The plugin and the argv the check_command must give it.
    plugin: &'static str,
    args: Vec<String>,
    /// Expected exit code: 0 OK or 2 CRITICAL.
    code: i32,
    /// Text the Nagios output must contain (so a plugin that prints the same wrong thing
    /// both ways cannot pass).
    output_has: Vec<String>,
    /// Text the Nagios long output (escaped) must contain.
    long_has: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs the plugin directly, in the environment Nagios gives it.
fn direct(case: &Case) -> Run {
    run_bounded(
        Command::new(bin(case.plugin))
            .args(&case.args)
            .env_clear()
            .env("PATH", PATH),
        Duration::from_secs(20),
    )
}

/// Asserts that Nagios's result for `case` is what the plugin says when run directly.
fn assert_passed_through(
    case: &Case,
    got: &NagiosResult,
    status: &BTreeMap<String, String>,
    log: &dyn Fn() -> String,
) {
    let run = direct(case);
    let ours = PluginOutput::parse(&run.stdout);
    let state = match case.code {
        0 => "OK",
        2 => "CRITICAL",
        other => panic!("unexpected code {other} in a case"),
    };
    let context = || {
        format!(
            "service {}: Nagios got {got:#?}\nthe plugin run directly (exit {}):\n{}{}\n{}",
            case.service,
            run.code,
            run.stdout,
            run.stderr,
            log()
        )
    };
    assert_eq!(run.code, case.code, "direct run's exit code\n{}", context());
    assert_eq!(
        (
            got.state.as_str(),
            got.state_type.as_str(),
            got.attempt.as_str()
        ),
        (state, "HARD", "1"),
        "Nagios's state\n{}",
        context()
    );
    assert_eq!(
        steady(&got.output),
        steady(&ours.output),
        "SERVICEOUTPUT is not our first line\n{}",
        context()
    );
    assert_eq!(
        steady(&got.perfdata),
        steady(&ours.perfdata),
        "SERVICEPERFDATA is not our perfdata\n{}",
        context()
    );
    assert!(!ours.perfdata.is_empty(), "no perfdata\n{}", context());
    assert_eq!(
        steady(&got.long_output),
        steady(&ours.long_output_escaped()),
        "LONGSERVICEOUTPUT is not our subcheck lines\n{}",
        context()
    );
    // status.dat (maybe a later check) says the same, escaped the same way.
    let field = |key: &str| steady(status.get(key).map_or("(missing)", String::as_str));
    assert_eq!(
        [
            field("current_state"),
            field("state_type"),
            field("plugin_output"),
            field("performance_data"),
            field("long_plugin_output"),
        ],
        [
            case.code.to_string(),
            "1".to_owned(),
            steady(&got.output),
            steady(&got.perfdata),
            steady(&got.long_output),
        ],
        "status.dat disagrees: {status:#?}\n{}",
        context()
    );
    for text in &case.output_has {
        assert!(
            got.output.contains(text.as_str()),
            "SERVICEOUTPUT lacks {text:?}\n{}",
            context()
        );
    }
    for text in &case.long_has {
        assert!(
            got.long_output.contains(text.as_str()),
            "LONGSERVICEOUTPUT lacks {text:?}\n{}",
            context()
        );
    }
}

/// The recorded Docker 20.10 containers this test uses: (id, inspect fixture).
const CONTAINERS: [(&str, &str); 3] = [
    (
        "82117c07cd6863ba1f0a8f6a7886ebec5919d8c7e03c2ad3144868dab1c236d7",
        "inspect_c_healthy",
    ),
    (
        "1476da2c548df584d2d8f8105f713559616ab8295e5afaf27867a3d9c7ab746d",
        "inspect_c_plain",
    ),
    (
        "2c8ff03ab3098ca1efdfc820ef44bffb7ebffd8447155d8128dd8fb0b201ec0c",
        "inspect_c_unhealthy",
    ),
];

/// A fake engine replaying the recorded Docker 20.10 answers for [`CONTAINERS`].
fn docker_engine(socket: &Path) -> FakeEngine {
    FakeEngine::recorded(socket, "docker-20.10.24", &CONTAINERS, Vec::new())
}

const SPRING_UP: &str = r#"{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL"}},"diskSpace":{"status":"UP"}}}"#;
const SPRING_DOWN: &str = r#"{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"Connection refused"}},"diskSpace":{"status":"UP"},"redis":{"status":"DOWN"}}}"#;

/// A copy of `sleep` under a name no other process on the machine has, started: check_procs
/// counts it and nothing else, whatever else runs.
struct NamedSleeper {
    child: std::process::Child,
    name: String,
    _dir: tempfile::TempDir,
}

impl NamedSleeper {
    fn start() -> NamedSleeper {
        // Under target/, where executables run (a /tmp mounted noexec would refuse it).
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        // comm is the file name cut to 15 bytes: keep it shorter.
        let name = format!("nagsl-{}", std::process::id());
        let copy = dir.path().join(&name);
        std::fs::copy("/bin/sleep", &copy).expect("copy /bin/sleep");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let child = Command::new(&copy)
            .arg("300")
            .spawn()
            .expect("spawn the sleeper");
        NamedSleeper {
            child,
            name,
            _dir: dir,
        }
    }
}

impl Drop for NamedSleeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn nagios_passes_every_plugins_output_perfdata_and_subchecks_through_unchanged() {
    nagios_binary();
    // Nagios starts ten plugins a second: keep whole-system process counts out of it.
    let _quiet = whole_system_lock();
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let path_of = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();

    // check_heartbeat: one file (fresh, stale), and a directory of two (both fresh; one
    // fresh and one stale) for subcheck lines.
    let fresh = heartbeat_file(dir, "fresh.json", 1.0, r#""process_key":"worker""#);
    let stale = heartbeat_file(dir, "stale.json", 3600.0, r#""process_key":"worker""#);
    let beat = timestamp(1.0);
    for (sub, name, key) in [
        ("ok", "a.json", "worker-a"),
        ("ok", "b.json", "worker-b"),
        ("mixed", "a.json", "worker-a"),
    ] {
        std::fs::create_dir_all(dir.join(sub)).expect("heartbeat dir");
        write(
            &dir.join(sub),
            name,
            &format!(r#"{{"timestamp":"{beat}","process_key":"{key}","interval_s":60}}"#),
        );
    }
    heartbeat_file(
        &dir.join("mixed"),
        "b.json",
        3600.0,
        r#""process_key":"worker-b","interval_s":60"#,
    );

    let sleeper = NamedSleeper::start();
    let server = TestServer::http(vec![
        ("/health", Route::json(200, SPRING_UP)),
        ("/health-down", Route::json(503, SPRING_DOWN)),
    ]);
    let engine = docker_engine(&dir.join("engine.sock"));
    let docker = engine.host();

    let cases = [
        Case {
            service: "heartbeat-ok",
            check_command: format!("check_heartbeat!{}", path_of(&fresh)),
            plugin: "check_heartbeat",
            args: vec!["-f".into(), path_of(&fresh)],
            code: 0,
            output_has: strings(&["HEARTBEAT OK: worker alive, beat "]),
            long_has: Vec::new(),
        },
        Case {
            service: "heartbeat-critical",
            check_command: format!("check_heartbeat!{}!-w 60 -c 120", path_of(&stale)),
            plugin: "check_heartbeat",
            args: strings(&["-f", &path_of(&stale), "-w", "60", "-c", "120"]),
            code: 2,
            output_has: strings(&[
                "HEARTBEAT CRITICAL: worker stale, last beat 1h00m ago (limit 120s)",
            ]),
            long_has: Vec::new(),
        },
        Case {
            service: "heartbeat-dir-ok",
            check_command: format!("check_heartbeat_dir!{}!*.json!-v", path_of(&dir.join("ok"))),
            plugin: "check_heartbeat",
            args: strings(&["--dir", &path_of(&dir.join("ok")), "--glob", "*.json", "-v"]),
            code: 0,
            output_has: strings(&["HEARTBEAT OK: 2 heartbeats alive, oldest beat "]),
            // -v indents the details with a tab, which Nagios leaves as it is.
            long_has: strings(&[
                r"\\_[OK] worker-a alive, beat ",
                "\t\\\\_[OK] last beat ",
                r"\n\\_[OK] worker-b alive, beat ",
            ]),
        },
        Case {
            service: "heartbeat-dir-critical",
            check_command: format!("check_heartbeat_dir!{}!*.json", path_of(&dir.join("mixed"))),
            plugin: "check_heartbeat",
            args: strings(&["--dir", &path_of(&dir.join("mixed")), "--glob", "*.json"]),
            code: 2,
            output_has: strings(&["HEARTBEAT CRITICAL: 1 of 2 unhealthy: worker-b (stale 1h00m)"]),
            long_has: strings(&[
                r"\\_[CRITICAL] worker-b stale, last beat 1h00m ago (limit 180s)\n",
            ]),
        },
        Case {
            service: "procs-ok",
            check_command: format!("check_procs!-C {} -c 1:", sleeper.name),
            plugin: "check_procs",
            args: strings(&["-C", &sleeper.name, "-c", "1:"]),
            code: 0,
            output_has: vec![format!(
                "PROCS OK: 1 process with command name '{}'",
                sleeper.name
            )],
            long_has: Vec::new(),
        },
        Case {
            service: "procs-critical",
            check_command: "check_procs!-C no-such-process -c 1:".into(),
            plugin: "check_procs",
            args: strings(&["-C", "no-such-process", "-c", "1:"]),
            code: 2,
            output_has: strings(&[
                "PROCS CRITICAL: 0 processes with command name 'no-such-process'",
            ]),
            long_has: Vec::new(),
        },
        Case {
            service: "http-ok",
            check_command: format!("check_http_health!{}!-v", server.url("/health")),
            plugin: "check_http_health",
            args: vec![server.url("/health"), "-v".into()],
            code: 0,
            output_has: strings(&["HTTP OK: HTTP/1.1 200 OK - Spring Boot UP, 2 components - "]),
            long_has: strings(&[r"\\_[OK] db: UP (database=PostgreSQL)\n"]),
        },
        Case {
            service: "http-critical",
            check_command: format!("check_http_health!{}", server.url("/health-down")),
            plugin: "check_http_health",
            args: vec![server.url("/health-down")],
            code: 2,
            output_has: strings(&[
                "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 2 of 3 components down: db, redis",
            ]),
            long_has: strings(&[r"\\_[CRITICAL] db: DOWN (Connection refused)\n"]),
        },
        Case {
            service: "container-ok",
            check_command: format!("check_container!c_healthy c_plain!--host {docker}"),
            plugin: "check_container",
            args: strings(&["c_healthy", "c_plain", "--host", &docker]),
            code: 0,
            output_has: strings(&["CONTAINER OK: all 2 containers OK"]),
            long_has: strings(&[r"\\_[OK] c_healthy: running "]),
        },
        Case {
            service: "container-critical",
            check_command: format!("check_container!c_unhealthy c_healthy!--host {docker}"),
            plugin: "check_container",
            args: strings(&["c_unhealthy", "c_healthy", "--host", &docker]),
            code: 2,
            output_has: strings(&[
                "CONTAINER CRITICAL: 1 of 2 containers unhealthy: c_unhealthy (unhealthy, 34 failed probes)",
            ]),
            long_has: strings(&[r"\\_[CRITICAL] c_unhealthy: running "]),
        },
    ];

    let objects: String = cases
        .iter()
        .map(|case| service(case.service, &case.check_command, ""))
        .collect();
    let core = NagiosCore::start(&objects, &[]);
    let names: Vec<&str> = cases.iter().map(|case| case.service).collect();
    let results = core.first_results(&names);
    let statuses = core.checked_status(&names);
    for ((case, got), status) in cases.iter().zip(&results).zip(&statuses) {
        assert_passed_through(case, got, status, &|| core.log());
    }
    drop(core);
}

/// The shipped `remediate_event` command line with our binary instead of
/// `/usr/bin/sudo -n /usr/bin/remediate`: the tests run as root, which needs no sudo, and
/// /usr/bin/remediate is not installed. The arguments stay exactly the shipped ones.
fn event_command_line() -> String {
    let shipped = std::fs::read_to_string(shipped_commands()).expect("the shipped commands");
    let block = shipped
        .split("define command")
        .find(|block| {
            block.lines().any(|line| {
                line.split_whitespace()
                    .eq(["command_name", "remediate_event"])
            })
        })
        .expect("a remediate_event command in the shipped file");
    let line = block
        .lines()
        .find_map(|line| line.trim().strip_prefix("command_line"))
        .expect("its command_line")
        .trim();
    let arguments = line
        .strip_prefix("/usr/bin/sudo -n /usr/bin/remediate ")
        .unwrap_or_else(|| panic!("the shipped remediate_event changed its form: {line}"));
    format!("$USER1$/remediate {arguments}")
}

/// `remediate history --json`, newest first.
fn history(config: &Path) -> Vec<Value> {
    let out = run_bounded(
        Command::new(bin("remediate"))
            .arg("-c")
            .arg(config)
            .args(["history", "--json"]),
        Duration::from_secs(20),
    );
    assert_eq!(
        out.code, 0,
        "remediate history: {}{}",
        out.stdout, out.stderr
    );
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect()
}

#[test]
fn a_critical_hard_service_makes_nagios_run_remediate_which_recovers_it() {
    nagios_binary();
    let _quiet = whole_system_lock();
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let touched = dir.join("remediated");
    let config = dir.join("remediate.toml");
    // As root remediate refuses a configuration that anyone but root could change.
    let mut file = std::fs::File::create(&config).expect("remediate.toml");
    write!(
        file,
        r#"db_path = "{db}"

[services.demo]
check = {{ procs = ["-C", "no-such-process", "-c", "1:"] }}
commands = {{ mark = "touch {touched}" }}
recovery = ["mark"]
"#,
        db = dir.join("state/remediate.db").display(),
        touched = touched.display(),
    )
    .expect("write remediate.toml");
    drop(file);
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let validate = run_bounded(
        Command::new(bin("remediate"))
            .arg("-c")
            .arg(&config)
            .arg("validate"),
        Duration::from_secs(20),
    );
    assert_eq!(
        validate.code, 0,
        "remediate validate: {}{}",
        validate.stdout, validate.stderr
    );

    // The output has quotes (command name 'no-such-process'): the shipped --output
    // '$SERVICEOUTPUT$' only holds because illegal_macro_output_chars removes them.
    let objects = format!(
        "\ndefine command {{\n    command_name remediate_event_test\n    command_line {}\n}}\n{}",
        event_command_line(),
        service(
            "demo",
            "check_procs!-C no-such-process -c 1:",
            "    max_check_attempts 2\n    event_handler remediate_event_test!demo\n",
        )
    );
    // The shipped command relies on remediate's default configuration path; here the
    // environment names ours (Nagios passes its environment on to handlers).
    let core = NagiosCore::start(
        &objects,
        &[("REMEDIATE_CONFIG", config.to_str().expect("a UTF-8 path"))],
    );

    // SOFT 1, then HARD 2 a second later; the handler runs at both.
    let until = Instant::now() + RESULTS_LIMIT;
    let run = loop {
        let log = history(&config);
        if let Some(run) = log.iter().find(|e| e["kind"] == "run")
            && run["outcome"] != "running"
        {
            break run.clone();
        }
        assert!(
            Instant::now() < until,
            "no finished remediation within {RESULTS_LIMIT:?}\nhistory: {log:#?}\n{}",
            core.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = history(&config);
    let context = || format!("history: {log:#?}\n{}", core.log());
    assert_eq!(
        ["outcome", "source", "service", "reason"].map(|key| &run[key]),
        [
            "succeeded",
            "nagios",
            "demo",
            // The quotes are gone: Nagios removed them from $SERVICEOUTPUT$.
            "CRITICAL HARD attempt 2 from nagios: PROCS CRITICAL: 0 processes with command name no-such-process"
        ],
        "{run:#}\n{}",
        context()
    );
    // Oldest first: the SOFT attempt is ignored, the HARD one acts.
    let decisions: Vec<[&Value; 5]> = log
        .iter()
        .rev()
        .filter(|entry| entry["kind"] == "decision")
        .map(|d| ["source", "state", "state_type", "attempt", "decision"].map(|key| &d[key]))
        .collect();
    let nagios = json!("nagios");
    let critical = json!("CRITICAL");
    assert_eq!(
        decisions,
        [
            [
                &nagios,
                &critical,
                &json!("SOFT"),
                &json!(1),
                &json!("ignored: SOFT attempt 1 (acting on HARD)")
            ],
            [
                &nagios,
                &critical,
                &json!("HARD"),
                &json!(2),
                &json!("remediate (attempt 1)")
            ],
        ],
        "{}",
        context()
    );
    assert!(
        touched.exists(),
        "the recovery step did not run\n{}",
        context()
    );
    let nagios_log = core.log();
    assert!(
        nagios_log.contains(
            "SERVICE EVENT HANDLER: triage-test;demo;CRITICAL;HARD;2;remediate_event_test!demo"
        ),
        "{nagios_log}"
    );
    // Nagios logs a handler that failed (a shell syntax error, say) with its stderr.
    assert!(
        !nagios_log.contains("exited with return code"),
        "{nagios_log}"
    );
    drop(core);
}
