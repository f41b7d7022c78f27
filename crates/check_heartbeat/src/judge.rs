//! The pure half of the check: facts in, a verdict out. Each concern is one small
//! function producing a [`Finding`]; no I/O here.

use triage_core::duration::format_duration;
use triage_core::{Range, State, Thresholds};
use triage_heartbeat::{Heartbeat, ReportedStatus, default_key};
use triage_proc::Liveness;

use crate::cli::Args;
use crate::facts::{Found, HostFacts, ProcessFacts, SourceFacts, StallFact};
use crate::gather::key_of;

/// Defaults when neither -w/-c nor `interval_s` say otherwise.
const DEFAULT_WARNING_S: f64 = 120.0;
const DEFAULT_CRITICAL_S: f64 = 300.0;
/// Messages from heartbeat files are shown, but never at any length.
const MAX_MESSAGE_CHARS: usize = 120;

/// How facts are judged: the options that bear on states.
#[derive(Debug, Clone)]
pub struct Policy {
    /// -w, when given.
    pub warning: Option<Range>,
    /// -c, when given.
    pub critical: Option<Range>,
    /// Seconds a timestamp may be in the future.
    pub max_skew: f64,
    /// State of a missing file.
    pub missing_state: State,
    /// State of an invalid heartbeat.
    pub invalid_state: State,
    /// Stopped on purpose is fine.
    pub allow_stopped: bool,
    /// Judging plain files by modification time, not heartbeats.
    pub mtime: bool,
    /// Seconds without progress for WARNING.
    pub stall_warning: Option<f64>,
    /// Seconds without progress for CRITICAL.
    pub stall_critical: Option<f64>,
}

impl Policy {
    /// The policy the command line asks for.
    pub fn from_args(args: &Args) -> Policy {
        Policy {
            warning: args.warning.clone(),
            critical: args.critical.clone(),
            max_skew: args.max_skew,
            missing_state: args.missing_state,
            invalid_state: args.invalid_state,
            allow_stopped: args.allow_stopped,
            mtime: args.mtime,
            stall_warning: args.stall_warning,
            stall_critical: args.stall_critical,
        }
    }

    /// -w/-c as given; missing ones from 2x/3x `interval_s`, else 120 s / 300 s.
    pub fn thresholds(&self, interval_s: Option<f64>) -> Thresholds {
        let interval = interval_s.filter(|i| i.is_finite() && *i > 0.0);
        let (warning, critical) = match interval {
            Some(i) => (2.0 * i, 3.0 * i),
            None => (DEFAULT_WARNING_S, DEFAULT_CRITICAL_S),
        };
        Thresholds::new(
            Some(
                self.warning
                    .clone()
                    .unwrap_or_else(|| Range::upper(warning)),
            ),
            Some(
                self.critical
                    .clone()
                    .unwrap_or_else(|| Range::upper(critical)),
            ),
        )
    }
}

/// One judged aspect of one heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Its state.
    pub state: State,
    /// A few words for the multi-heartbeat summary: `pid 4242 dead`, `hung 312s`.
    pub short: String,
    /// A sentence for the status line or long output.
    pub text: String,
    /// Something the operator should read even when all is well (a check was skipped).
    pub note: bool,
}

impl Finding {
    fn new(state: State, short: impl Into<String>, text: impl Into<String>) -> Finding {
        Finding {
            state,
            short: short.into(),
            text: text.into(),
            note: false,
        }
    }

    fn ok(text: impl Into<String>) -> Finding {
        Finding::new(State::Ok, "", text)
    }

    fn note(text: impl Into<String>) -> Finding {
        Finding {
            note: true,
            ..Finding::ok(text)
        }
    }
}

/// The judgement of one heartbeat path.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `process_key` or the file's stem.
    pub key: String,
    /// The worst finding's state.
    pub state: State,
    /// The line that describes it: the worst finding, or "alive" when all is well.
    pub text: String,
    /// What the summary says about it when it is unhealthy.
    pub short: String,
    /// Age in seconds, when there is a timestamp or mtime.
    pub age: Option<f64>,
    /// The thresholds the age was judged by.
    pub thresholds: Thresholds,
    /// The heartbeat's iteration, for perfdata.
    pub iteration: Option<u64>,
    /// Every aspect judged, in order of importance.
    pub findings: Vec<Finding>,
}

/// Judges one path's facts.
pub fn judge(facts: &SourceFacts, host: &HostFacts, policy: &Policy) -> Verdict {
    let path = facts.path.display().to_string();
    let unreadable = |key: String, state: State, short: &str, text: String| Verdict {
        key,
        state,
        text: text.clone(),
        short: short.to_owned(),
        age: None,
        thresholds: policy.thresholds(None),
        iteration: None,
        findings: vec![Finding::new(state, short, text)],
    };
    match &facts.found {
        Found::Missing => {
            let key = default_key(&facts.path);
            let what = if policy.mtime {
                "file"
            } else {
                "heartbeat file"
            };
            let text = format!("{key}: no {what} at {path}");
            unreadable(key, policy.missing_state, "missing", text)
        }
        Found::Refused(reason) => unreadable(
            default_key(&facts.path),
            State::Unknown,
            "unreadable",
            reason.clone(),
        ),
        Found::Invalid(reason) => unreadable(
            default_key(&facts.path),
            policy.invalid_state,
            "invalid",
            reason.clone(),
        ),
        Found::Modified(mtime) => judge_mtime(default_key(&facts.path), host.now - mtime, policy),
        Found::Heartbeat(found) => {
            let heartbeat = &found.heartbeat;
            let key = key_of(&facts.path, heartbeat);
            let age = host.now - heartbeat.timestamp.0;
            let thresholds = policy.thresholds(heartbeat.interval_s);
            let says_stopped = heartbeat
                .status
                .as_deref()
                .is_some_and(|s| ReportedStatus::classify(s) == ReportedStatus::Stopped);
            let stopped_on_purpose = policy.allow_stopped && says_stopped;
            // A process that reported its own end (stopped, or an exit code from
            // `heartbeat run`) is expected to be gone: its PID is no news.
            let ended = says_stopped || heartbeat.exit_code.is_some();
            let from_earlier_boot = boot_differs(heartbeat, host);

            let mut findings = Vec::new();
            findings.extend(from_earlier_boot.then(|| {
                Finding::new(
                    State::Critical,
                    "from before reboot",
                    format!("{key}: heartbeat is from before the last reboot (boot id differs)"),
                )
            }));
            findings.extend(status_finding(&key, heartbeat, policy.allow_stopped));
            if let Some(process) = found
                .process
                .as_ref()
                .filter(|_| !from_earlier_boot && !ended)
            {
                findings.push(pid_finding(&key, heartbeat, process, age));
            }
            findings.push(age_finding(
                &key,
                "last beat",
                age,
                &thresholds,
                policy.max_skew,
            ));
            if !stopped_on_purpose {
                findings.extend(stall_finding(
                    &key,
                    heartbeat.iteration,
                    &found.stall,
                    policy,
                ));
            }
            let alive = if stopped_on_purpose {
                format!(
                    "{key} stopped on purpose, last beat {} ago",
                    format_duration(age)
                )
            } else {
                format!(
                    "{key} alive, beat {} ago{}",
                    format_duration(age),
                    identity_note(heartbeat)
                )
            };
            conclude(
                key,
                alive,
                Some(age),
                thresholds,
                heartbeat.iteration,
                findings,
            )
        }
    }
}

fn judge_mtime(key: String, age: f64, policy: &Policy) -> Verdict {
    let thresholds = policy.thresholds(None);
    let findings = vec![age_finding(
        &key,
        "modified",
        age,
        &thresholds,
        policy.max_skew,
    )];
    let fresh = format!("{key} modified {} ago", format_duration(age));
    conclude(key, fresh, Some(age), thresholds, None, findings)
}

/// The worst finding names the verdict; other problems are added after it.
fn conclude(
    key: String,
    healthy_text: String,
    age: Option<f64>,
    thresholds: Thresholds,
    iteration: Option<u64>,
    findings: Vec<Finding>,
) -> Verdict {
    let state = State::worst_of(findings.iter().map(|f| f.state));
    let (text, short) = match findings
        .iter()
        .find(|f| f.state == state && state.is_problem())
    {
        None => (healthy_text, String::new()),
        Some(worst) => {
            let others: Vec<&str> = findings
                .iter()
                .filter(|f| f.state.is_problem() && f.text != worst.text)
                .map(|f| f.short.as_str())
                .collect();
            let text = match others.is_empty() {
                true => worst.text.clone(),
                false => format!("{}; also {}", worst.text, others.join(", ")),
            };
            (text, worst.short.clone())
        }
    };
    Verdict {
        key,
        state,
        text,
        short,
        age,
        thresholds,
        iteration,
        findings,
    }
}

fn boot_differs(heartbeat: &Heartbeat, host: &HostFacts) -> bool {
    match (&heartbeat.boot_id, &host.boot_id) {
        (Some(written), Some(current)) => written.trim() != current,
        _ => false,
    }
}

/// ` (pid 12345, iteration 42): message` for the healthy line.
fn identity_note(heartbeat: &Heartbeat) -> String {
    let mut parts = Vec::new();
    parts.extend(heartbeat.pid.map(|pid| format!("pid {pid}")));
    parts.extend(heartbeat.iteration.map(|i| format!("iteration {i}")));
    let mut note = match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
    };
    note.push_str(&message_note(heartbeat));
    note
}

fn message_note(heartbeat: &Heartbeat) -> String {
    match heartbeat.message.as_deref().map(str::trim) {
        Some(message) if !message.is_empty() => {
            let mut shown: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
            if shown.len() < message.len() {
                shown.push('…');
            }
            format!(": {shown}")
        }
        _ => String::new(),
    }
}

/// The process's own word on its health.
fn status_finding(key: &str, heartbeat: &Heartbeat, allow_stopped: bool) -> Option<Finding> {
    let status = heartbeat.status.as_deref()?;
    let shown: String = status.chars().take(40).collect();
    let exit = heartbeat
        .exit_code
        .map(|code| format!(", exit code {code}"))
        .unwrap_or_default();
    let message = message_note(heartbeat);
    Some(match ReportedStatus::classify(status) {
        ReportedStatus::Running => Finding::ok(format!("status '{shown}'")),
        ReportedStatus::Degraded => Finding::new(
            State::Warning,
            shown.clone(),
            format!("{key} reports status '{shown}'{message}"),
        ),
        ReportedStatus::Failed => Finding::new(
            State::Critical,
            match heartbeat.exit_code {
                Some(code) => format!("{shown}, exit code {code}"),
                None => shown.clone(),
            },
            format!("{key} reports status '{shown}'{exit}{message}"),
        ),
        ReportedStatus::Stopped if allow_stopped => {
            Finding::ok(format!("stopped on purpose (status '{shown}'{exit})"))
        }
        ReportedStatus::Stopped => Finding::new(
            State::Critical,
            "stopped",
            format!("{key} stopped (status '{shown}'{exit}){message}"),
        ),
    })
}

/// Is the PID alive, not a zombie, and still the process that wrote the heartbeat?
fn pid_finding(key: &str, heartbeat: &Heartbeat, process: &ProcessFacts, age: f64) -> Finding {
    let pid = process.pid;
    let old = format_duration(age.max(0.0));
    match &process.liveness {
        Err(reason) => Finding::new(
            State::Unknown,
            format!("pid {pid} unusable"),
            format!("{key}: cannot check pid: {reason}"),
        ),
        Ok(Liveness::Gone) => Finding::new(
            State::Critical,
            format!("pid {pid} dead"),
            format!("{key}: pid {pid} is not running (heartbeat {old} old)"),
        ),
        Ok(Liveness::Alive) => match (&process.stat, heartbeat.pid_start_ticks) {
            (Some(stat), _) if stat.is_zombie() => Finding::new(
                State::Critical,
                format!("pid {pid} zombie"),
                format!(
                    "{key}: pid {pid} is a zombie, exited but not reaped (heartbeat {old} old)"
                ),
            ),
            (Some(stat), Some(ticks)) if stat.start_ticks != ticks => Finding::new(
                State::Critical,
                format!("pid {pid} reused"),
                format!(
                    "{key}: pid {pid} now belongs to another process ('{}', started at tick {} not {ticks})",
                    stat.comm, stat.start_ticks
                ),
            ),
            (Some(_), Some(_)) => Finding::ok(format!(
                "pid {pid} running, same process (start ticks match)"
            )),
            _ => Finding::ok(format!("pid {pid} running")),
        },
    }
}

/// Age against the thresholds, after ruling out a timestamp from the future.
fn age_finding(key: &str, what: &str, age: f64, thresholds: &Thresholds, max_skew: f64) -> Finding {
    if -age > max_skew {
        let ahead = format_duration(-age);
        return Finding::new(
            State::Unknown,
            format!("clock skew {ahead}"),
            format!(
                "{key}: timestamp is {ahead} in the future (max skew {}); check the clocks",
                format_duration(max_skew)
            ),
        );
    }
    // Within the allowed skew, a slightly-future timestamp is simply fresh.
    let age = age.max(0.0);
    let state = thresholds.evaluate(age);
    let shown = format_duration(age);
    let limit = thresholds
        .range_for(state)
        .map(describe_limit)
        .unwrap_or_default();
    match state {
        State::Ok => Finding::ok(format!(
            "{what} {shown} ago (warning {}, critical {})",
            thresholds
                .warning
                .as_ref()
                .map(describe_range)
                .unwrap_or_default(),
            thresholds
                .critical
                .as_ref()
                .map(describe_range)
                .unwrap_or_default()
        )),
        _ => Finding::new(
            state,
            format!("stale {shown}"),
            format!("{key} stale, {what} {shown} ago ({limit})"),
        ),
    }
}

/// How long `iteration` has stood still, against --stall-warning/--stall-critical.
fn stall_finding(
    key: &str,
    iteration: Option<u64>,
    stall: &StallFact,
    policy: &Policy,
) -> Option<Finding> {
    let iteration = iteration.unwrap_or_default();
    match stall {
        StallFact::NotTracked => None,
        StallFact::NoIteration => Some(Finding::note(
            "stall detection needs an iteration field; none in the heartbeat",
        )),
        StallFact::Skipped(reason) => {
            Some(Finding::note(format!("stall detection skipped: {reason}")))
        }
        StallFact::FirstSeen => Some(Finding::ok(format!("iteration {iteration} first seen"))),
        StallFact::Progressed => Some(Finding::ok(format!(
            "iteration {iteration} advanced since the last check"
        ))),
        StallFact::Unchanged(seconds) => {
            let over = |limit: Option<f64>| limit.filter(|l| *seconds > *l);
            let (state, limit) = match (over(policy.stall_critical), over(policy.stall_warning)) {
                (Some(limit), _) => (State::Critical, limit),
                (None, Some(limit)) => (State::Warning, limit),
                (None, None) => {
                    return Some(Finding::ok(format!(
                        "iteration {iteration} unchanged for {}",
                        format_duration(*seconds)
                    )));
                }
            };
            let stalled = format_duration(*seconds);
            Some(Finding::new(
                state,
                format!("hung {stalled}"),
                format!(
                    "{key} hung: iteration {iteration} unchanged for {stalled} (limit {})",
                    format_duration(limit)
                ),
            ))
        }
    }
}

/// `limit 90s` for plain upper bounds, `range 10:20` for anything else.
fn describe_limit(range: &Range) -> String {
    match is_upper_bound(range) {
        true => format!("limit {}", format_duration(range.end())),
        false => format!("range {range}"),
    }
}

fn describe_range(range: &Range) -> String {
    match is_upper_bound(range) {
        true => format_duration(range.end()),
        false => range.to_string(),
    }
}

fn is_upper_bound(range: &Range) -> bool {
    !range.alerts_inside() && range.start() <= 0.0 && range.end().is_finite()
}

#[cfg(test)]
mod tests;
