//! Running one service's check: the plugins' own check functions in-process (heartbeat,
//! http, container, procs) on their arguments parsed at load, or any Nagios plugin as a
//! child process (command). Every check ends by its timeout, whatever it waits on. A
//! heartbeat check also names the process to kill, from the very read it judged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use triage_check_heartbeat::facts::Found;
use triage_check_heartbeat::gather::ReadSettings;
use triage_check_heartbeat::judge::Policy;
use triage_check_heartbeat::stall::StallStore;
use triage_core::runner::{Context, PluginArgs as _};
use triage_core::{CheckResult, CommonArgs, Range, State};
use triage_heartbeat::FileOwner;

use crate::act::child::{Child, Detach, Keep, Output};
use crate::act::kill::{KillTarget, Target};
use crate::config::Check;

/// The most plugin output kept from a command check.
const MAX_OUTPUT: usize = 64 * 1024;
/// How far in the future a heartbeat may be, as check_heartbeat's default.
const MAX_SKEW: f64 = 60.0;

/// What a check saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Its state.
    pub state: State,
    /// Its first line, without the service prefix.
    pub summary: String,
    /// The process a `kill` step should stop, as the check found it.
    pub target: Target,
    /// Who owns the heartbeat that was read (who the service runs as, unless configured).
    pub owner: Option<FileOwner>,
}

impl Observation {
    fn unknown(summary: impl Into<String>) -> Observation {
        Observation {
            state: State::Unknown,
            summary: summary.into(),
            target: Target::NoneRecorded,
            owner: None,
        }
    }

    fn of(result: CheckResult) -> Observation {
        Observation {
            state: result.state,
            summary: result.summary,
            target: Target::NoneRecorded,
            owner: None,
        }
    }
}

/// Whether a heartbeat check records what stall detection saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// A pass's check: records the iteration it saw.
    Record,
    /// A look outside a pass (a dry run, a kill target for `run`): changes nothing.
    LookOnly,
}

/// What the engine checks services with.
pub trait Prober: Send + Sync {
    /// Runs `check` to its end or its timeout.
    fn probe(&self, check: &Check, stall: Stall) -> Observation;
}

/// The real checks.
#[derive(Debug, Clone)]
pub struct HostProber {
    /// How long one check may take.
    pub timeout: Duration,
    /// Where heartbeat checks keep what stall detection saw.
    pub stall_dir: PathBuf,
}

impl Prober for HostProber {
    fn probe(&self, check: &Check, stall: Stall) -> Observation {
        let deadline = Instant::now() + self.timeout;
        match check {
            Check::Command { argv } => command_check(argv, deadline),
            Check::Heartbeat {
                path,
                max_age,
                stall: stall_limit,
            } => {
                let path = path.clone();
                let policy = heartbeat_policy(max_age.as_secs_f64(), *stall_limit);
                let store = match (stall_limit, stall) {
                    (None, _) => StallStore::unused(),
                    (Some(_), Stall::Record) => StallStore::open(Some(&self.stall_dir)),
                    (Some(_), Stall::LookOnly) => StallStore::read_only(Some(&self.stall_dir)),
                };
                let late = Observation::unknown("the check did not finish before its timeout");
                in_process(deadline, late, move |_| {
                    heartbeat_check(&path, &policy, &store)
                })
            }
            Check::Http { args } => {
                let (deadline, late) = plugin_deadline(deadline, args.parsed().common());
                let args = args.parsed().clone();
                in_process(deadline, late, move |context| {
                    plugin_result(triage_check_http_health::check(&args, context))
                })
            }
            Check::Container { args } => {
                let (deadline, late) = plugin_deadline(deadline, args.parsed().common());
                let args = args.parsed().clone();
                in_process(deadline, late, move |context| {
                    plugin_result(triage_check_container::check(&args, context))
                })
            }
            Check::Procs { args } => {
                let (deadline, late) = plugin_deadline(deadline, args.parsed().common());
                let args = args.parsed().clone();
                in_process(deadline, late, move |context| {
                    plugin_result(triage_check_procs::check(&args, context))
                })
            }
        }
    }
}

/// The deadline of an in-process plugin check and what it says when it is reached: the
/// plugin's own `-t` and timeout state, as the plugin run alone would (a hung health
/// endpoint is CRITICAL at `-t`, not UNKNOWN at `check_timeout`); `check_timeout` stays
/// the outer bound.
fn plugin_deadline(outer: Instant, common: &CommonArgs) -> (Instant, Observation) {
    let own = common
        .timeout
        .duration()
        .map(|limit| Instant::now() + limit);
    let deadline = own.map_or(outer, |own| own.min(outer));
    let late = match own {
        Some(own) if own <= outer => Observation {
            state: common.timeout_state(),
            summary: format!("timed out after {} seconds", common.timeout),
            target: Target::NoneRecorded,
            owner: None,
        },
        _ => Observation::unknown("the check did not finish before its timeout"),
    };
    (deadline, late)
}

fn plugin_result<E: std::fmt::Display>(result: Result<CheckResult, E>) -> Observation {
    match result {
        Ok(result) => Observation::of(result),
        Err(error) => Observation::unknown(error.to_string()),
    }
}

/// check_heartbeat's judgement for remediate's settings: stale past `max_age` is
/// CRITICAL (no WARNING band), hung past `stall`.
fn heartbeat_policy(max_age: f64, stall: Option<Duration>) -> Policy {
    Policy {
        warning: Some(Range::upper(max_age)),
        critical: Some(Range::upper(max_age)),
        max_skew: MAX_SKEW,
        missing_state: State::Critical,
        invalid_state: State::Unknown,
        allow_stopped: false,
        mtime: false,
        stall_warning: None,
        stall_critical: stall.map(|s| s.as_secs_f64()),
    }
}

/// One heartbeat read, judged; the kill target comes from the same read.
fn heartbeat_check(path: &Path, policy: &Policy, store: &StallStore) -> Observation {
    let settings = ReadSettings {
        track_stall: policy.stall_critical.is_some(),
        ..ReadSettings::default()
    };
    let (result, facts) = triage_check_heartbeat::check_file(path, &settings, policy, store, 0);
    let (target, owner) = match facts.found {
        Found::Heartbeat(found) => {
            let target = match found.heartbeat.pid {
                Some(pid) => Target::Process(KillTarget {
                    pid,
                    start_ticks: found.heartbeat.pid_start_ticks,
                    boot_id: found.heartbeat.boot_id,
                    vouched_at: Some(found.heartbeat.timestamp.0),
                    cgroup: None,
                }),
                None => Target::NoneRecorded,
            };
            (target, Some(found.owner))
        }
        Found::Missing | Found::Modified(_) => (Target::NoneRecorded, None),
        Found::Refused(why) | Found::Invalid(why) => (Target::Unreadable(why), None),
    };
    Observation {
        target,
        owner,
        ..Observation::of(result)
    }
}

/// Runs an in-process check on a thread of its own, so that one stuck in a syscall (a
/// hung NFS read) is abandoned at the deadline instead of stopping the pass; `late` is
/// what it says then.
fn in_process<F>(deadline: Instant, late: Observation, check: F) -> Observation
where
    F: FnOnce(&Context) -> Observation + Send + 'static,
{
    let (sender, receiver) = mpsc::channel();
    let context = Context {
        deadline: Some(deadline),
        verbose: 0,
    };
    let spawned = std::thread::Builder::new()
        .name("check".into())
        .spawn(move || {
            let _ = sender.send(check(&context));
        });
    if spawned.is_err() {
        return Observation::unknown("cannot start a thread for the check");
    }
    // The check's own reads end 250 ms after the deadline (Context::io_deadline): the
    // deadline's answer comes first, as the plugin's watchdog's would.
    let left = deadline.saturating_duration_since(Instant::now());
    receiver.recv_timeout(left).unwrap_or(late)
}

/// Any Nagios plugin: exit code 0-3 is the state, the first output line the summary
/// (perfdata cut off). No shell: argv runs as given, in a process group of its own that
/// goes as a whole at the timeout.
fn command_check(argv: &[String], deadline: Instant) -> Observation {
    let Some((program, args)) = argv.split_first() else {
        return Observation::unknown("the check command is empty");
    };
    let mut command = Command::new(program);
    command.args(args);
    let child = match Child::spawn(
        command,
        Output::KeepStdout(Keep::Head(MAX_OUTPUT)),
        Detach::Group,
    ) {
        Ok(child) => child,
        Err(error) => {
            return Observation::unknown(format!(
                "cannot run {program}: {}",
                triage_core::describe_io(&error)
            ));
        }
    };
    let finished = child.finish(deadline);
    let first = finished
        .output
        .lines()
        .next()
        .unwrap_or("")
        .split(" | ")
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    match finished.code() {
        None if finished.timed_out => {
            Observation::unknown(format!("{program} did not finish before its timeout"))
        }
        None => Observation::unknown(format!("{program} was killed by a signal")),
        Some(code) => Observation {
            state: match code {
                0 => State::Ok,
                1 => State::Warning,
                2 => State::Critical,
                _ => State::Unknown,
            },
            summary: if first.is_empty() {
                format!("{program} exited {code} without output")
            } else {
                first
            },
            target: Target::NoneRecorded,
            owner: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prober() -> (tempfile::TempDir, HostProber) {
        let dir = tempfile::tempdir().expect("tempdir");
        let prober = HostProber {
            timeout: Duration::from_secs(5),
            stall_dir: dir.path().join("stall"),
        };
        (dir, prober)
    }

    fn command(argv: &[&str]) -> Check {
        Check::Command {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_command_check_is_its_exit_code_and_first_line_without_perfdata() {
        let (_dir, prober) = prober();
        let seen = prober.probe(
            &command(&[
                "/bin/sh",
                "-c",
                "echo 'DISK WARNING: 91% | used=91%'; exit 1",
            ]),
            Stall::Record,
        );
        assert_eq!(
            (seen.state, seen.summary.as_str()),
            (State::Warning, "DISK WARNING: 91%")
        );
        let missing = prober.probe(&command(&["/nonexistent/check_x"]), Stall::Record);
        assert_eq!(missing.state, State::Unknown);
        assert!(
            missing
                .summary
                .starts_with("cannot run /nonexistent/check_x")
        );
    }

    #[test]
    fn a_command_check_past_its_timeout_is_unknown_and_its_children_go_with_it() {
        let (_dir, mut prober) = prober();
        prober.timeout = Duration::from_millis(300);
        let began = Instant::now();
        let seen = prober.probe(
            &command(&["/bin/sh", "-c", "sleep 30 & sleep 30"]),
            Stall::Record,
        );
        assert_eq!(seen.state, State::Unknown);
        assert_eq!(seen.summary, "/bin/sh did not finish before its timeout");
        assert!(began.elapsed() < Duration::from_secs(5));
    }

    fn heartbeat(dir: &Path, text: &str) -> Check {
        let path = dir.join("app.json");
        std::fs::write(&path, text).expect("write");
        Check::Heartbeat {
            path,
            max_age: Duration::from_secs(300),
            stall: Some(Duration::from_secs(600)),
        }
    }

    #[test]
    fn a_heartbeat_check_names_its_process_from_the_same_read() {
        let (dir, prober) = prober();
        let at = triage_heartbeat::Timestamp(1_795_000_000.0);
        let now = at.to_rfc3339();
        let check = heartbeat(
            dir.path(),
            &format!(
                r#"{{"timestamp":"{now}","pid":999999999,"pid_start_ticks":7,"iteration":3}}"#
            ),
        );
        let seen = prober.probe(&check, Stall::LookOnly);
        // Stale, and its PID is not running.
        assert_eq!(seen.state, State::Critical);
        assert_eq!(
            seen.target,
            Target::Process(KillTarget {
                pid: 999_999_999,
                start_ticks: Some(7),
                boot_id: None,
                vouched_at: Some(1_795_000_000.0),
                cgroup: None,
            })
        );
        assert_eq!(seen.owner.map(|o| o.uid), Some(unsafe { libc::geteuid() }));
        // A look changes nothing: no stall record was written.
        assert!(!prober.stall_dir.exists());
        prober.probe(&check, Stall::Record);
        assert!(prober.stall_dir.exists());
    }

    #[test]
    fn an_unreadable_heartbeat_names_no_process_and_says_why() {
        let (dir, prober) = prober();
        let seen = prober.probe(&heartbeat(dir.path(), "{\"timestamp\": "), Stall::Record);
        assert_eq!(seen.state, State::Unknown);
        assert!(
            matches!(&seen.target, Target::Unreadable(why) if !why.is_empty()),
            "{:?}",
            seen.target
        );
        std::fs::remove_file(dir.path().join("app.json")).expect("remove");
        let gone = prober.probe(&heartbeat_missing(dir.path()), Stall::Record);
        assert_eq!(
            (gone.state, gone.target),
            (State::Critical, Target::NoneRecorded)
        );
    }

    fn heartbeat_missing(dir: &Path) -> Check {
        Check::Heartbeat {
            path: dir.join("app.json"),
            max_age: Duration::from_secs(300),
            stall: None,
        }
    }
}
