//! What people read: one line per service after a pass, history entries, times.

use crate::engine::ServiceReport;
use crate::store::{HistoryEntry, RunOutcome};

/// `app: CRITICAL heartbeat 400s old -> remediated (run 7: kill ok, start ok)`.
pub fn describe(report: &ServiceReport) -> String {
    use crate::decide::Verdict;
    let Some((state, summary)) = &report.check else {
        return format!(
            "{}: not checked ({})",
            report.service,
            report.skipped.as_deref().unwrap_or("")
        );
    };
    let verdict = match &report.verdict {
        Some(Verdict::Healthy { recovered: true }) => " -> recovered".to_owned(),
        Some(Verdict::Healthy { .. }) | None => String::new(),
        Some(Verdict::Failing { count, threshold }) => format!(" -> failing {count}/{threshold}"),
        Some(Verdict::InGrace { until }) => {
            format!(" -> starting up, no verdict before {}", time(*until))
        }
        Some(Verdict::DependencyDown { dependency }) => {
            format!(" -> not remediated: {dependency} is down")
        }
        Some(Verdict::Backoff { until }) => format!(" -> next attempt not before {}", time(*until)),
        Some(Verdict::Exhausted { until, .. }) => {
            format!(" -> EXHAUSTED: no action before {}", time(*until))
        }
        Some(Verdict::Remediate { attempt }) => format!(" -> remediating (attempt {attempt})"),
        Some(Verdict::Maintenance { until }) => {
            format!(" -> in maintenance until {}: not acted on", time(*until))
        }
        Some(Verdict::BeingRemediated) => " -> being remediated by another remediate".to_owned(),
    };
    let run = report
        .run
        .as_ref()
        .map(|run| {
            let steps: Vec<String> = run
                .steps
                .iter()
                .map(|s| format!("{} {}", s.action, step_word(s)))
                .collect();
            format!(
                ": run {} {} ({})",
                run.id,
                outcome_word(run.outcome),
                steps.join(", ")
            )
        })
        .unwrap_or_default();
    format!(
        "{}: {} {}{verdict}{run}",
        report.service,
        state.label(),
        summary
    )
}

/// `ok`, `failed`, `timed out` or `skipped`.
pub fn step_word(step: &crate::pipeline::StepReport) -> &'static str {
    match step.status {
        crate::pipeline::StepStatus::Ok => "ok",
        crate::pipeline::StepStatus::Failed => "failed",
        crate::pipeline::StepStatus::TimedOut => "timed out",
        crate::pipeline::StepStatus::Skipped => "skipped",
    }
}

/// A run's outcome in words.
pub fn outcome_word(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Succeeded => "succeeded",
        RunOutcome::Failed => "finished with failed steps",
        RunOutcome::Aborted => "aborted",
        RunOutcome::DryRun => "dry run",
        RunOutcome::Interrupted => "interrupted",
    }
}

/// One `remediate history` entry, steps indented below a run.
pub fn describe_history(entry: &HistoryEntry) -> String {
    match entry {
        HistoryEntry::Check {
            service,
            at,
            state,
            summary,
        } => format!("{}  {service}: {} {summary}", time(*at), state.label()),
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
                time(decision.at),
                decision.service,
                decision.source,
                decision.decision
            )
        }
        HistoryEntry::MaintenanceStarted { window } => format!(
            "{}  {}: maintenance until {} by {}: {}",
            time(window.started),
            window.service,
            time(window.until),
            window.by,
            window.reason
        ),
        HistoryEntry::MaintenanceEnded {
            service,
            at,
            expired,
        } => format!(
            "{}  {service}: maintenance {}",
            time(*at),
            if *expired { "expired" } else { "ended by hand" }
        ),
        HistoryEntry::Toggle {
            service,
            at,
            enabled,
        } => {
            format!(
                "{}  {service}: switched {}",
                time(*at),
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
                "{}  {service}: run {id} {}{} ({reason}; from {source})",
                time(*started),
                outcome,
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

/// `2026-11-23 17:45:59 UTC`: to the second, which is what a person reads.
pub fn time(at: f64) -> String {
    chrono::DateTime::from_timestamp(at.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{at}"))
}
