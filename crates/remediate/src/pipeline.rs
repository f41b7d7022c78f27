//! The recovery steps: `kill` (the verified PID from the heartbeat), `start` (detached,
//! logged), `container_restart` (the Engine API) and the user's named commands (`sh -c`,
//! because the user wrote them), each bounded by its timeout.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{Action, Service, Step};
use crate::process::{self, KillOutcome, RecordedProcess, Started};

/// The most step output kept for the audit log.
pub const OUTPUT_TAIL: usize = 4096;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It did its job.
    Ok,
    /// It failed.
    Failed,
    /// It ran out of time (and was killed).
    TimedOut,
    /// Not run (dry run).
    Skipped,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// `kill`, `start`, `container_restart web`, or the command's name.
    pub action: String,
    /// How it ended.
    pub status: StepStatus,
    /// The command's exit code, for commands.
    pub exit_code: Option<i32>,
    /// How long it took.
    pub duration: Duration,
    /// The last bytes of its output.
    pub output_tail: String,
    /// What happened, in words.
    pub note: String,
    /// What `start` started.
    pub started: Option<Started>,
}

/// Runs one step for `service`; `process` is the process the last check named.
pub fn run_step(
    step: &Step,
    service: &Service,
    process: Option<&RecordedProcess>,
    log_dir: &Path,
    dry_run: bool,
) -> StepReport {
    let began = Instant::now();
    let mut report = StepReport {
        action: action_name(&step.action),
        status: StepStatus::Ok,
        exit_code: None,
        duration: Duration::ZERO,
        output_tail: String::new(),
        note: String::new(),
        started: None,
    };
    if dry_run {
        report.status = StepStatus::Skipped;
        report.note = describe_plan(step, service, process);
        return report;
    }
    match &step.action {
        Action::Kill => {
            let (status, note) = match process {
                None => (
                    StepStatus::Ok,
                    "no process recorded: nothing to kill".to_owned(),
                ),
                Some(recorded) => match process::kill(recorded, service.kill_timeout) {
                    KillOutcome::NotRunning(why) => {
                        (StepStatus::Ok, format!("nothing to kill: {why}"))
                    }
                    KillOutcome::Terminated => (
                        StepStatus::Ok,
                        format!("pid {} exited after SIGTERM", recorded.pid),
                    ),
                    KillOutcome::Killed => (
                        StepStatus::Ok,
                        format!("pid {} killed with SIGKILL", recorded.pid),
                    ),
                    KillOutcome::Refused(why) => {
                        (StepStatus::Failed, format!("refused to signal: {why}"))
                    }
                },
            };
            report.status = status;
            report.note = note;
        }
        Action::Start => match service.commands.get("start") {
            None => {
                report.status = StepStatus::Failed;
                report.note = "no start command configured".into();
            }
            Some(command) => {
                let log = log_dir.join(format!("{}.log", safe_name(&service.name)));
                match process::start_detached(command, &env_pairs(service), &log) {
                    Ok(started) => {
                        report.note =
                            format!("started pid {}, output in {}", started.pid, log.display());
                        report.started = Some(started);
                    }
                    Err(error) => {
                        report.status = StepStatus::Failed;
                        report.note = format!("cannot start: {}", triage_core::describe_io(&error));
                    }
                }
            }
        },
        Action::ContainerRestart { container } => {
            let deadline = Instant::now() + step.timeout;
            let restarted = triage_docker::DockerClient::from_env(deadline).and_then(|client| {
                client.restart(
                    container,
                    step.timeout
                        .saturating_sub(Duration::from_secs(2))
                        .max(Duration::from_secs(1)),
                )
            });
            match restarted {
                Ok(()) => report.note = format!("container {container} restarted"),
                Err(error) => {
                    report.status = StepStatus::Failed;
                    report.note = format!("cannot restart container {container}: {error}");
                }
            }
        }
        Action::Command(name) => match service.commands.get(name) {
            None => {
                report.status = StepStatus::Failed;
                report.note = format!("no command named {name}");
            }
            Some(command) => {
                let line = if service.force_flag {
                    format!("{command} --force")
                } else {
                    command.clone()
                };
                let run = run_shell(&line, &env_pairs(service), step.timeout);
                report.exit_code = run.exit_code;
                report.output_tail = run.output_tail;
                report.status = match (run.timed_out, run.exit_code) {
                    (true, _) => StepStatus::TimedOut,
                    (false, Some(0)) => StepStatus::Ok,
                    _ => StepStatus::Failed,
                };
                report.note = match report.status {
                    StepStatus::TimedOut => format!("killed after {}s", step.timeout.as_secs()),
                    _ => match run.exit_code {
                        Some(code) => format!("exit {code}"),
                        None => "killed by a signal".to_owned(),
                    },
                };
            }
        },
    }
    report.duration = began.elapsed();
    report
}

/// `kill`, `start`, `container_restart web` or the command's name.
pub fn action_name(action: &Action) -> String {
    match action {
        Action::Kill => "kill".into(),
        Action::Start => "start".into(),
        Action::ContainerRestart { container } => format!("container_restart {container}"),
        Action::Command(name) => name.clone(),
    }
}

/// What a dry run says it would do.
fn describe_plan(step: &Step, service: &Service, process: Option<&RecordedProcess>) -> String {
    match &step.action {
        Action::Kill => match process {
            None => "would kill nothing: no process recorded".into(),
            Some(recorded) => match process::verify(recorded) {
                Ok(pid) => format!(
                    "would send SIGTERM to pid {pid}, then SIGKILL after {}s",
                    service.kill_timeout.as_secs()
                ),
                Err(KillOutcome::NotRunning(why)) => format!("would kill nothing: {why}"),
                Err(KillOutcome::Refused(why)) => format!("would refuse: {why}"),
                Err(_) => "would kill nothing".into(),
            },
        },
        Action::Start => format!(
            "would run: {}",
            service
                .commands
                .get("start")
                .map(String::as_str)
                .unwrap_or("(no start command)")
        ),
        Action::ContainerRestart { container } => format!("would restart container {container}"),
        Action::Command(name) => {
            let command = service
                .commands
                .get(name)
                .map(String::as_str)
                .unwrap_or("(missing)");
            let force = if service.force_flag { " --force" } else { "" };
            format!(
                "would run: {command}{force} (timeout {}s)",
                step.timeout.as_secs()
            )
        }
    }
}

fn env_pairs(service: &Service) -> Vec<(String, String)> {
    service
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A file name from a service name.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What a shell command did.
#[derive(Debug)]
struct ShellRun {
    exit_code: Option<i32>,
    timed_out: bool,
    output_tail: String,
}

/// Runs `line` with `sh -c` in a process group of its own (so a timeout kills all of it),
/// stdin from /dev/null, stdout and stderr together, keeping the last bytes.
fn run_shell(line: &str, env: &[(String, String)], timeout: Duration) -> ShellRun {
    use std::os::unix::process::CommandExt;
    let failed = |why: String| ShellRun {
        exit_code: None,
        timed_out: false,
        output_tail: why,
    };
    let (mut reader, writer) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(error) => return failed(format!("cannot make a pipe: {error}")),
    };
    let stderr = match writer.try_clone() {
        Ok(stderr) => stderr,
        Err(error) => return failed(format!("cannot make a pipe: {error}")),
    };
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(line)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(stderr)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .process_group(0);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return failed(format!(
                "cannot run /bin/sh: {}",
                triage_core::describe_io(&error)
            ));
        }
    };
    // Our copies of the pipe's write end must go, or the reader never sees its end.
    drop(command);
    let tail = std::thread::spawn(move || {
        let mut kept: Vec<u8> = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(&buffer[..n]);
            if kept.len() > 2 * OUTPUT_TAIL {
                kept.drain(..kept.len() - OUTPUT_TAIL);
            }
        }
        let start = kept.len().saturating_sub(OUTPUT_TAIL);
        String::from_utf8_lossy(&kept[start..]).into_owned()
    });
    let deadline = Instant::now() + timeout;
    let pid = child.id() as i32;
    let (status, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (Some(status), false),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                // SAFETY: the group we created for this child.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
                break (child.wait().ok(), true);
            }
        }
    };
    if timed_out {
        // SAFETY: as above; grandchildren that still hold the pipe were in that group.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    ShellRun {
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        output_tail: tail.join().unwrap_or_default(),
    }
}
