//! Every text and JSON view a person or a script reads from remediate's terminal: the line
//! per service after a pass, what `event`, `run`, `on`/`off` and `maint` did, the
//! `status` table and JSON, and `history`. Pure: values in, text out. Only `app` uses it.

use serde_json::{Map, Value};
use triage_core::duration::format_duration;

use crate::decide::{EventVerdict, Verdict};
use crate::engine::{RunReport, ServiceReport};
use crate::model::{HistoryEntry, Maintenance, PassRecord, RunId, RunSummary, ServiceState, Time};

/// `app: CRITICAL heartbeat 400s old -> remediating (attempt 1): run 7 succeeded (kill ok,
/// start ok)`.
pub fn pass_line(report: &ServiceReport) -> String {
    let Some((state, summary)) = &report.check else {
        return format!(
            "{}: not checked ({})",
            report.service,
            report
                .skipped
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
    };
    let verdict = match &report.verdict {
        Some(Verdict::Healthy { recovered: true }) => " -> recovered".to_owned(),
        Some(Verdict::Healthy { .. }) | None => String::new(),
        Some(Verdict::Failing { count, threshold }) => format!(" -> failing {count}/{threshold}"),
        Some(Verdict::InGrace { until }) => {
            format!(" -> starting up, no verdict before {}", Time(*until))
        }
        Some(Verdict::DependencyDown { dependency }) => {
            format!(" -> not remediated: {dependency} is down")
        }
        Some(Verdict::Backoff { until }) => format!(" -> next attempt not before {}", Time(*until)),
        Some(Verdict::Exhausted { until, .. }) => {
            format!(" -> EXHAUSTED: no action before {}", Time(*until))
        }
        Some(Verdict::Remediate { attempt }) => format!(" -> remediating (attempt {attempt})"),
        Some(Verdict::Maintenance { until }) => {
            format!(" -> in maintenance until {}: not acted on", Time(*until))
        }
        Some(Verdict::BeingRemediated) => " -> being remediated by another remediate".to_owned(),
        Some(Verdict::Refused { why }) => format!(" -> REFUSED: {why}"),
    };
    let run = match (&report.run, &report.skipped) {
        (Some(run), _) => {
            let steps: Vec<String> = run
                .steps
                .iter()
                .map(|s| format!("{} {}", s.action, s.status))
                .collect();
            format!(": run {} {} ({})", run.id, run.outcome, steps.join(", "))
        }
        (None, Some(why)) => format!(": {why}"),
        (None, None) => String::new(),
    };
    format!(
        "{}: {} {}{verdict}{run}",
        report.service,
        state.label(),
        summary
    )
}

/// The line a pass that saw the wall clock step says before its services'.
pub fn clock_step_line(step: f64) -> String {
    format!(
        "the wall clock stepped {step:+.0}s since the last pass: checks recorded, no verdicts \
         this pass (heartbeat ages are off by the step); deadlines run on the boot clock"
    )
}

/// `api: run 4 was interrupted (remediate stopped during it)`.
pub fn interrupted_line(run: &RunSummary) -> String {
    format!(
        "{}: run {} was interrupted (remediate stopped during it)",
        run.service, run.id
    )
}

/// The first line of `watch`.
pub fn watch_banner(services: usize, interval: std::time::Duration, concurrency: usize) -> String {
    let every = if interval < std::time::Duration::from_secs(10) {
        format!("{}s", interval.as_secs_f64())
    } else {
        format_duration(interval.as_secs_f64())
    };
    format!(
        "remediate watch: {} every {every}, {concurrency} at once",
        count(services, "service", "services")
    )
}

/// The last line of `watch`, after a stop.
pub fn watch_stopped(why: &str, passes: u64) -> String {
    let word = if passes == 1 { "pass" } else { "passes" };
    format!("remediate watch: stopped by {why} after {passes} {word}")
}

/// `validate`'s line.
pub fn valid(path: &std::path::Path, services: usize) -> String {
    format!(
        "{}: OK, {}",
        path.display(),
        count(services, "service", "services")
    )
}

fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// What an event handler did (or, for a dry run, would do).
pub fn event_line(
    service: &str,
    verdict: &EventVerdict,
    run: Option<RunId>,
    dry_run: bool,
) -> String {
    let words = match verdict {
        EventVerdict::Recovered => "recovered: counters cleared".into(),
        EventVerdict::Ignored(why) => format!("nothing done: {why}"),
        EventVerdict::Exhausted { until, .. } => {
            format!("EXHAUSTED: no action before {}", Time(*until))
        }
        EventVerdict::Remediate { attempt } => match run {
            Some(run) => format!("remediation started, run-id={run} (attempt {attempt})"),
            None => format!("remediate (attempt {attempt})"),
        },
    };
    if dry_run {
        format!("{service}: would {words}")
    } else {
        format!("{service}: {words}")
    }
}

/// An event handler's pipeline that could not be handed to its child.
pub fn event_not_started(service: &str, run: RunId, why: &str) -> String {
    format!("{service}: remediation could not start (run {run}): {why}")
}

/// The detached child's line in the events log.
pub fn detached_line(at: f64, run: RunId, report: &RunReport) -> String {
    format!("{} run {run} {}", Time(at), report.outcome)
}

/// `run` and `restart`: the run, then a line per step.
pub fn run_by_hand(service: &str, run: &RunReport, dry_run: bool) -> Vec<String> {
    let verb = if dry_run { "would run" } else { "ran" };
    let mut lines = vec![format!(
        "{service}: {verb} {} steps (run {}, {})",
        run.steps.len(),
        run.id,
        run.outcome
    )];
    for (index, step) in run.steps.iter().enumerate() {
        lines.push(format!("  {}. {}: {}", index + 1, step.action, step.note));
    }
    lines
}

/// `on` and `off`: the switch, and the run it needed.
pub fn switched(service: &str, on: bool, run: Option<&RunReport>) -> String {
    let word = if on { "on" } else { "off" };
    match run {
        None => format!("{service}: {word}"),
        Some(run) => {
            let notes: Vec<String> = run
                .steps
                .iter()
                .map(|s| format!("{}: {}", s.action, s.note))
                .collect();
            format!(
                "{service}: {word}, run {} {} ({})",
                run.id,
                run.outcome,
                notes.join("; ")
            )
        }
    }
}

/// `maint --list`.
pub fn maintenance_list(windows: &[Maintenance], now: f64) -> Vec<String> {
    if windows.is_empty() {
        return vec!["no service is in maintenance".to_owned()];
    }
    windows
        .iter()
        .map(|window| {
            format!(
                "{}: until {} ({} left), by {}: {}",
                window.service,
                Time(window.until),
                format_duration(window.until - now),
                window.by,
                window.reason
            )
        })
        .collect()
}

/// `maint SERVICE --for ...`.
pub fn maintenance_started(window: &Maintenance) -> String {
    format!(
        "{}: in maintenance until {} ({}): no action until then",
        window.service,
        Time(window.until),
        window.reason
    )
}

/// `maint SERVICE --end`.
pub fn maintenance_ended(service: &str, was_in: bool) -> String {
    if was_in {
        format!("{service}: maintenance ended")
    } else {
        format!("{service}: was not in maintenance")
    }
}

/// `status`: the table, the open windows, the last pass.
pub fn status_table<S: AsRef<str>>(
    states: &[(S, ServiceState)],
    windows: &[Maintenance],
    record: &PassRecord,
) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<20} {:<12} {:>8}  {:<22} LAST CHECK",
        "SERVICE", "STATUS", "FAILURES", "LAST RUN"
    )];
    for (name, state) in states {
        lines.push(format!(
            "{:<20} {:<12} {:>8}  {:<22} {}",
            name.as_ref(),
            state.status.as_str(),
            state.consecutive_failures,
            state
                .last_run
                .map(|at| Time(at).to_string())
                .unwrap_or_else(|| "-".into()),
            match (&state.last_state, &state.last_summary) {
                (Some(s), Some(summary)) => format!("{} {summary}", s.label()),
                _ => "-".into(),
            }
        ));
    }
    for window in windows {
        lines.push(format!(
            "{}: in maintenance until {} (by {}: {})",
            window.service,
            Time(window.until),
            window.by,
            window.reason
        ));
    }
    if let Some(at) = record.last_finished {
        lines.push(format!(
            "last pass: {} ({} passes)",
            Time(at),
            record.passes
        ));
    }
    lines
}

/// `status --json`: one object, a member per service, with its window if it is in one.
pub fn status_json<S: AsRef<str>>(states: &[(S, ServiceState)], windows: &[Maintenance]) -> String {
    let map: Map<String, Value> = states
        .iter()
        .map(|(name, state)| {
            let name = name.as_ref();
            let mut value = serde_json::to_value(state).unwrap_or(Value::Null);
            if let Some(window) = windows.iter().find(|w| w.service == name) {
                value["maintenance"] = serde_json::to_value(window).unwrap_or(Value::Null);
            }
            (name.to_owned(), value)
        })
        .collect();
    Value::Object(map).to_string()
}

/// One `remediate history` entry, steps indented below a run.
pub fn history_entry(entry: &HistoryEntry) -> String {
    match entry {
        HistoryEntry::Check {
            service,
            at,
            state,
            summary,
        } => format!("{}  {service}: {} {summary}", Time(*at), state.label()),
        HistoryEntry::Decision { decision } => {
            let event = match (decision.state, &decision.state_type, decision.attempt) {
                (Some(state), Some(kind), Some(attempt)) => {
                    format!(" on {} {kind} attempt {attempt}", state.label())
                }
                (Some(state), ..) => format!(" on {}", state.label()),
                _ => String::new(),
            };
            format!(
                "{}  {}: {}{event}: {}",
                Time(decision.at),
                decision.service,
                decision.source,
                decision.decision
            )
        }
        HistoryEntry::MaintenanceStarted { window } => format!(
            "{}  {}: maintenance until {} by {}: {}",
            Time(window.started),
            window.service,
            Time(window.until),
            window.by,
            window.reason
        ),
        HistoryEntry::MaintenanceEnded {
            service,
            at,
            expired,
        } => format!(
            "{}  {service}: maintenance {}",
            Time(*at),
            if *expired { "expired" } else { "ended by hand" }
        ),
        HistoryEntry::Toggle {
            service,
            at,
            enabled,
        } => {
            format!(
                "{}  {service}: switched {}",
                Time(*at),
                if *enabled { "on" } else { "off" }
            )
        }
        HistoryEntry::Run {
            id,
            service,
            started,
            outcome,
            reason,
            dry_run,
            steps,
            source,
            ..
        } => {
            let mut text = format!(
                "{}  {service}: run {id} {outcome}{} ({reason}; from {source})",
                Time(*started),
                if *dry_run { ", dry run" } else { "" }
            );
            for step in steps {
                text.push_str(&format!(
                    "\n    {}. {}: {}, {}",
                    step.index + 1,
                    step.action,
                    step.outcome.as_str(),
                    step.note
                ));
            }
            text
        }
    }
}

/// One `remediate history --json` line.
pub fn history_json(entry: &HistoryEntry) -> String {
    serde_json::to_string(entry).unwrap_or_default()
}

#[cfg(test)]
mod tests;
