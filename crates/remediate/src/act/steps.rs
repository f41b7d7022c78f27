//! The recovery steps: `kill` (the verified PID from the heartbeat), `start` (detached,
//! logged), `container_restart` (the Engine API) and the user's named commands (`sh -c`,
//! because the user wrote them), each bounded by its timeout.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Acting;
use super::cgroup;
use super::child::{Child, Detach, Keep, Output, become_identity, clean_command, share_descriptor};
use super::identity::Identity;
use super::kill::{self, KillOutcome, Target};
use super::start::{Started, start_detached};
use crate::config::{Action, Service, Step};
use crate::model::StepOutcome;

/// The most step output kept for the audit log.
pub const OUTPUT_TAIL: usize = 4096;

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// `kill`, `start`, `container_restart web`, or the command's name.
    pub action: String,
    /// How it ended.
    pub status: StepOutcome,
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

/// Runs one step for `service` as `identity`; `target` is the process the last check
/// named.
pub fn run_step(
    step: &Step,
    service: &Service,
    acting: &Acting,
    log_dir: &Path,
    dry_run: bool,
) -> StepReport {
    let (target, identity) = (acting.target, acting.identity);
    let began = Instant::now();
    let mut report = StepReport {
        action: step.action.to_string(),
        status: StepOutcome::Ok,
        exit_code: None,
        duration: Duration::ZERO,
        output_tail: String::new(),
        note: String::new(),
        started: None,
    };
    if dry_run {
        report.status = StepOutcome::Skipped;
        report.note = describe_plan(step, service, target, identity);
        return report;
    }
    match &step.action {
        Action::Kill => {
            let (status, note) = match target {
                Target::NoneRecorded => (
                    StepOutcome::Ok,
                    "no process recorded: nothing to kill".to_owned(),
                ),
                Target::Unreadable(why) => (
                    StepOutcome::Failed,
                    format!("cannot tell which process to kill: {why}"),
                ),
                Target::Process(recorded) => {
                    match kill::kill(recorded, identity, service.kill_timeout) {
                        KillOutcome::NotRunning(why) => {
                            (StepOutcome::Ok, format!("nothing to kill: {why}"))
                        }
                        KillOutcome::Terminated => (
                            StepOutcome::Ok,
                            format!("pid {} exited after SIGTERM", recorded.pid),
                        ),
                        KillOutcome::Killed => (
                            StepOutcome::Ok,
                            format!("pid {} killed with SIGKILL", recorded.pid),
                        ),
                        KillOutcome::Refused(why) => {
                            (StepOutcome::Failed, format!("refused to signal: {why}"))
                        }
                        KillOutcome::NotOurs(why) => {
                            (StepOutcome::Ok, format!("not signalled: {why}"))
                        }
                    }
                }
            };
            report.status = status;
            report.note = note;
        }
        Action::Start => match service.commands.get("start") {
            None => {
                report.status = StepOutcome::Failed;
                report.note = "no start command configured".into();
            }
            Some(command) => {
                let log = log_dir.join(format!("{}.log", safe_name(&service.name)));
                let cgroup = cgroup::name_for(&service.name, &log);
                match start_detached(
                    command,
                    &command_env(service, identity),
                    identity,
                    service.cwd.as_deref(),
                    &log,
                    &cgroup,
                ) {
                    Ok(started) => {
                        report.note =
                            format!("started pid {}, output in {}", started.pid, log.display());
                        report.started = Some(started);
                    }
                    Err(error) => {
                        report.status = StepOutcome::Failed;
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
                    report.status = StepOutcome::Failed;
                    report.note = format!("cannot restart container {container}: {error}");
                }
            }
        }
        Action::Command(name) => match service.commands.get(name) {
            None => {
                report.status = StepOutcome::Failed;
                report.note = format!("no command named {name}");
            }
            Some(command) => {
                let line = if service.force_flag {
                    format!("{command} --force")
                } else {
                    command.clone()
                };
                let run = run_shell(
                    &line,
                    &command_env(service, identity),
                    acting,
                    service.cwd.as_deref(),
                    step.timeout,
                );
                report.exit_code = run.code();
                report.status = match (run.timed_out, run.code()) {
                    (true, _) => StepOutcome::TimedOut,
                    (false, Some(0)) => StepOutcome::Ok,
                    _ => StepOutcome::Failed,
                };
                report.output_tail = run.output;
                report.note = match report.status {
                    StepOutcome::TimedOut => format!("killed after {}s", step.timeout.as_secs()),
                    _ => match report.exit_code {
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

/// What a dry run says it would do.
fn describe_plan(step: &Step, service: &Service, target: &Target, identity: &Identity) -> String {
    match &step.action {
        Action::Kill => match target {
            Target::NoneRecorded => "would kill nothing: no process recorded".into(),
            Target::Unreadable(why) => format!("would fail: cannot tell which process: {why}"),
            Target::Process(recorded) => match kill::verify(recorded, identity) {
                Ok(verified) => format!(
                    "would send SIGTERM to pid {}{}, then SIGKILL after {}s",
                    verified.pid,
                    if verified.signals_group() {
                        " and its group"
                    } else {
                        ""
                    },
                    service.kill_timeout.as_secs()
                ),
                Err(KillOutcome::NotRunning(why)) => format!("would kill nothing: {why}"),
                Err(KillOutcome::Refused(why)) => format!("would refuse: {why}"),
                Err(KillOutcome::NotOurs(why)) => format!("would not signal: {why}"),
                Err(_) => "would kill nothing".into(),
            },
        },
        Action::Start => format!(
            "would run: {}, as {}",
            service
                .commands
                .get("start")
                .map(String::as_str)
                .unwrap_or("(no start command)"),
            identity.describe()
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
                "would run: {command}{force} (timeout {}s), as {}",
                step.timeout.as_secs(),
                identity.describe()
            )
        }
    }
}

/// A command's environment: its identity's HOME, USER, LOGNAME and SHELL, then the
/// service's `env` (which may change them).
fn command_env(service: &Service, identity: &Identity) -> Vec<(String, String)> {
    let mut env = identity.env();
    env.extend(service.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
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

/// Runs `line` with `sh -c` in a process group of its own (so a timeout kills all of
/// it), stdout and stderr together, keeping the last bytes.
fn run_shell(
    line: &str,
    env: &[(String, String)],
    acting: &Acting,
    cwd: Option<&Path>,
    timeout: Duration,
) -> super::child::Finished {
    let mut shell = clean_command("/bin/sh", env);
    shell.arg("-c").arg(line);
    become_identity(&mut shell, acting.identity, cwd);
    if let Some(fd) = acting.lock_fd {
        share_descriptor(&mut shell, fd);
    }
    match Child::spawn(
        shell,
        Output::Keep(Keep::Tail(OUTPUT_TAIL)),
        Detach::GroupDyingWithUs,
    ) {
        Ok(child) => child.finish(Instant::now() + timeout),
        Err(error) => super::child::Finished {
            status: None,
            timed_out: false,
            output: format!("cannot run /bin/sh: {}", triage_core::describe_io(&error)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Format, parse};

    fn service(recovery: &str) -> Service {
        let text = format!(
            "[services.app]\ncheck = {{ heartbeat = \"/run/app.json\", max_age = \"5m\" }}\n\
             commands = {{ start = \"exec sleep 30\", tidy = \"echo tidied; exit 4\", \
             slow = \"sleep 30\" }}\nrecovery = {recovery}\n"
        );
        let config = parse(&text, Format::Toml, "steps.toml").expect("config");
        config.services.into_iter().next().expect("app")
    }

    fn run(service: &Service, index: usize, target: &Target) -> StepReport {
        let logs = tempfile::tempdir().expect("tempdir");
        let root = Identity::root();
        let acting = Acting {
            target,
            identity: &root,
            lock_fd: None,
        };
        run_step(
            &service.recovery[index],
            service,
            &acting,
            logs.path(),
            false,
        )
    }

    #[test]
    fn kill_without_a_readable_heartbeat_fails_so_start_never_makes_a_second_copy() {
        let app = service("[\"kill\", \"start\"]");
        let torn = run(&app, 0, &Target::Unreadable("invalid JSON".into()));
        assert_eq!(torn.status, StepOutcome::Failed);
        assert_eq!(torn.note, "cannot tell which process to kill: invalid JSON");
        assert_eq!(app.recovery[0].on_failure, crate::config::OnFailure::Abort);
        let none = run(&app, 0, &Target::NoneRecorded);
        assert_eq!(
            (none.status, none.note.as_str()),
            (StepOutcome::Ok, "no process recorded: nothing to kill")
        );
    }

    #[test]
    fn a_command_step_keeps_its_exit_code_and_output_and_is_killed_at_its_timeout() {
        let app = service("[\"tidy\", { action = \"slow\", timeout = \"1s\" }]");
        let tidy = run(&app, 0, &Target::NoneRecorded);
        assert_eq!(
            (tidy.status, tidy.exit_code, tidy.output_tail.as_str()),
            (StepOutcome::Failed, Some(4), "tidied\n")
        );
        assert_eq!(tidy.note, "exit 4");
        let slow = run(&app, 1, &Target::NoneRecorded);
        assert_eq!(
            (slow.status, slow.note.as_str()),
            (StepOutcome::TimedOut, "killed after 1s")
        );
        assert!(slow.duration < Duration::from_secs(5));
    }

    #[test]
    fn a_dry_run_describes_each_step_and_runs_none() {
        let app = service("[\"kill\", \"tidy\", \"start\"]");
        let logs = tempfile::tempdir().expect("tempdir");
        let notes: Vec<String> = app
            .recovery
            .iter()
            .map(|step| {
                let root = Identity::root();
                let acting = Acting {
                    target: &Target::NoneRecorded,
                    identity: &root,
                    lock_fd: None,
                };
                let report = run_step(step, &app, &acting, logs.path(), true);
                assert_eq!(report.status, StepOutcome::Skipped);
                report.note
            })
            .collect();
        assert_eq!(
            notes,
            [
                "would kill nothing: no process recorded",
                "would run: echo tidied; exit 4 (timeout 60s), as root (uid 0)",
                "would run: exec sleep 30, as root (uid 0)",
            ]
        );
        assert_eq!(std::fs::read_dir(logs.path()).expect("logs").count(), 0);
    }
}
