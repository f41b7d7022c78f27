//! Turns verdicts into the plugin's result: summary, long output, perfdata.

use triage_core::duration::format_duration;
use triage_core::{CheckResult, Perfdata, State, Subcheck, Uom};

use crate::judge::Verdict;

/// How many unhealthy heartbeats the summary names before "and N more".
const NAMED_IN_SUMMARY: usize = 5;

/// The result for a run over `verdicts` (at least one).
pub fn report(verdicts: &[Verdict], mtime: bool, verbose: u8) -> CheckResult {
    match verdicts {
        [single] => report_single(single, verbose),
        many => report_many(many, mtime, verbose),
    }
}

/// One heartbeat: the verdict is the line; long output only when there is more to say.
fn report_single(verdict: &Verdict, verbose: u8) -> CheckResult {
    let mut result = CheckResult::new(verdict.state, verdict.text.clone());
    result.subchecks = finding_lines(verdict, verbose);
    if let Some(age) = verdict.age {
        result.perfdata.push(age_metric("age", age, verdict));
    }
    if let Some(iteration) = verdict.iteration {
        result
            .perfdata
            .push(Perfdata::new("iteration", iteration as f64).uom(Uom::Counter));
    }
    result
}

/// Many heartbeats: the summary names the unhealthy ones first, worst first; one line each.
fn report_many(verdicts: &[Verdict], mtime: bool, verbose: u8) -> CheckResult {
    let state = State::worst_of(verdicts.iter().map(|v| v.state));
    let mut unhealthy: Vec<&Verdict> = verdicts.iter().filter(|v| v.state.is_problem()).collect();
    unhealthy.sort_by_key(|v| std::cmp::Reverse(v.state.severity()));
    let summary = if unhealthy.is_empty() {
        // The first of the oldest, so equal ages name a stable heartbeat.
        let oldest = verdicts
            .iter()
            .filter_map(|v| v.age.map(|age| (v, age)))
            .fold(None, |best: Option<(&Verdict, f64)>, (v, age)| match best {
                Some((_, oldest)) if oldest >= age => best,
                _ => Some((v, age)),
            });
        let what = if mtime {
            "files fresh"
        } else {
            "heartbeats alive"
        };
        let verb = if mtime { "modified" } else { "beat" };
        match oldest {
            Some((v, age)) => format!(
                "{} {what}, oldest {verb} {} ago ({})",
                verdicts.len(),
                format_duration(age.max(0.0)),
                v.key
            ),
            None => format!("{} {what}", verdicts.len()),
        }
    } else {
        let mut named: Vec<String> = unhealthy
            .iter()
            .take(NAMED_IN_SUMMARY)
            .map(|v| format!("{} ({})", v.key, v.short))
            .collect();
        if unhealthy.len() > NAMED_IN_SUMMARY {
            named.push(format!("and {} more", unhealthy.len() - NAMED_IN_SUMMARY));
        }
        format!(
            "{} of {} unhealthy: {}",
            unhealthy.len(),
            verdicts.len(),
            named.join(", ")
        )
    };

    let mut result = CheckResult::new(state, summary);
    for verdict in verdicts {
        let mut line = Subcheck::new(&verdict.key, verdict.state, verdict.text.clone());
        line.subchecks = finding_lines(verdict, verbose);
        if let Some(age) = verdict.age {
            line.perfdata
                .push(age_metric(&format!("{}_age", verdict.key), age, verdict));
        }
        result.subchecks.push(line);
    }
    result
}

/// Every finding as a line, when there is more to say than the verdict's own line: with
/// -v, when several things are wrong, or when a finding is a note (stall detection off).
fn finding_lines(verdict: &Verdict, verbose: u8) -> Vec<Subcheck> {
    let problems = verdict
        .findings
        .iter()
        .filter(|f| f.state.is_problem())
        .count();
    let noted = verdict.findings.iter().any(|f| f.note);
    if verbose == 0 && problems < 2 && !noted {
        return Vec::new();
    }
    verdict
        .findings
        .iter()
        .map(|f| Subcheck::new(&verdict.key, f.state, f.text.clone()))
        .collect()
}

fn age_metric(label: &str, age: f64, verdict: &Verdict) -> Perfdata {
    // Whole seconds: sub-second jitter is noise in a graph of heartbeat ages.
    Perfdata::new(label, age.max(0.0).round())
        .uom(Uom::Seconds)
        .thresholds(&verdict.thresholds)
        .min(0.0)
}
