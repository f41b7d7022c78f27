//! The verdicts as one Nagios result: a summary naming what is wrong, one line per
//! container (problems first), the details at -v, perfdata per container.

use triage_core::{CheckResult, State, Subcheck};

use crate::facts::RunFacts;
use crate::judge::Verdict;

/// The first line's target length: notifications and MRPE show only it.
const SUMMARY_CHARS: usize = 200;

/// Builds the result; `detailed` nests each aspect under its container (-v and JSON).
pub fn report(mut verdicts: Vec<Verdict>, run: &RunFacts, detailed: bool) -> CheckResult {
    let state = State::worst_of(verdicts.iter().map(|v| v.state));
    // Worst first; the engine's order among equals.
    verdicts.sort_by_key(|v| std::cmp::Reverse(v.state.severity()));
    let mut result = CheckResult::new(state, summary(&verdicts));
    result.subchecks = verdicts
        .iter()
        .map(|verdict| {
            let mut subcheck = Subcheck::new(
                verdict.name.clone(),
                verdict.state,
                format!("{}: {}", verdict.name, verdict.line()),
            );
            subcheck.perfdata = verdict.perfdata.clone();
            if detailed {
                subcheck.subchecks = verdict
                    .aspects
                    .iter()
                    .map(|a| Subcheck::new(a.name, a.state, a.text.clone()))
                    .collect();
            }
            subcheck
        })
        .collect();
    if detailed {
        result.subchecks.push(Subcheck::new(
            "engine",
            State::Ok,
            format!("engine: {}", run.engine),
        ));
    }
    if verdicts.len() == 1 && !detailed {
        // One container: the summary already says it all, and Nagios keeps perfdata on line 1.
        result.perfdata = result.subchecks.remove(0).perfdata;
    }
    result
}

fn summary(verdicts: &[Verdict]) -> String {
    let total = verdicts.len();
    let problems: Vec<&Verdict> = verdicts.iter().filter(|v| v.state != State::Ok).collect();
    match (total, problems.len()) {
        (0, _) => "no containers".to_owned(),
        (1, _) => format!("{}: {}", verdicts[0].name, verdicts[0].line()),
        (_, 0) => format!("all {total} containers OK"),
        (_, count) => {
            let head = format!("{count} of {total} containers unhealthy: ");
            let mut listed = Vec::new();
            let mut length = head.len();
            for verdict in &problems {
                let item = format!("{} ({})", verdict.name, verdict.problems());
                if !listed.is_empty() && length + item.len() > SUMMARY_CHARS {
                    break;
                }
                length += item.len() + 2;
                listed.push(item);
            }
            let more = match problems.len() - listed.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            format!("{head}{}{more}", listed.join(", "))
        }
    }
}
