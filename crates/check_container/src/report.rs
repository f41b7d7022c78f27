//! The verdicts as one Nagios result: a summary naming what is wrong, one line per
//! container (problems first), the details at -v, perfdata per container.

use triage_core::{CheckResult, State, Subcheck};

use crate::facts::RunFacts;
use crate::judge::Verdict;

/// The first line's target length: notifications and MRPE show only it.
const SUMMARY_CHARS: usize = 200;

/// Builds the result; `detailed` nests each aspect under its container (-v and JSON), and
/// `verbose` adds a line naming the engine.
pub fn report(
    mut verdicts: Vec<Verdict>,
    run: &RunFacts,
    detailed: bool,
    verbose: bool,
) -> CheckResult {
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
    if verbose {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Aspect;
    use triage_core::Perfdata;

    fn verdict(name: &str, aspects: &[(State, &str)]) -> Verdict {
        Verdict {
            name: name.to_owned(),
            state: State::worst_of(aspects.iter().map(|(s, _)| *s)),
            aspects: aspects
                .iter()
                .map(|(state, text)| Aspect {
                    name: "status",
                    state: *state,
                    text: (*text).to_owned(),
                    verbose_only: false,
                })
                .collect(),
            perfdata: vec![Perfdata::new(format!("{name}_up"), 5.0)],
        }
    }

    fn run() -> RunFacts {
        RunFacts {
            now: 0.0,
            engine: "Docker, API 1.41, unix:///run/docker.sock".into(),
            podman: false,
        }
    }

    fn render(verdicts: Vec<Verdict>, verbose: bool) -> String {
        let result = report(verdicts, &run(), verbose, verbose);
        triage_core::format::Report {
            plugin: "check_container",
            service: "CONTAINER",
            result: &result,
        }
        .render(triage_core::OutputFormat::Nagios, 65536)
    }

    #[test]
    fn one_container_is_one_line_with_perfdata_on_it() {
        let web = verdict("web", &[(State::Ok, "running 5s"), (State::Ok, "healthy")]);
        assert_eq!(
            render(vec![web], false),
            "CONTAINER OK: web: running 5s, healthy | web_up=5\n"
        );
    }

    #[test]
    fn problems_come_first_and_the_summary_names_only_what_is_wrong() {
        let verdicts = vec![
            verdict("db", &[(State::Ok, "running 5s")]),
            verdict("cache", &[(State::Warning, "paused")]),
            verdict(
                "worker",
                &[
                    (State::Critical, "exited 137 4s ago"),
                    (State::Critical, "OOM killed"),
                ],
            ),
            verdict(
                "api",
                &[
                    (State::Ok, "running 5s"),
                    (State::Critical, "unhealthy, 3 failed probes"),
                ],
            ),
        ];
        assert_eq!(
            render(verdicts, true),
            "CONTAINER CRITICAL: 3 of 4 containers unhealthy: worker (exited 137 4s ago, OOM killed), \
             api (unhealthy, 3 failed probes), cache (paused)\n\
             \\_[CRITICAL] worker: exited 137 4s ago, OOM killed\n\
             \t\\_[CRITICAL] exited 137 4s ago\n\
             \t\\_[CRITICAL] OOM killed\n\
             \\_[CRITICAL] api: running 5s, unhealthy, 3 failed probes\n\
             \t\\_[OK] running 5s\n\
             \t\\_[CRITICAL] unhealthy, 3 failed probes\n\
             \\_[WARNING] cache: paused\n\
             \t\\_[WARNING] paused\n\
             \\_[OK] db: running 5s\n\
             \t\\_[OK] running 5s\n\
             \\_[OK] engine: Docker, API 1.41, unix:///run/docker.sock\n\
             | worker_up=5 api_up=5 cache_up=5 db_up=5\n"
        );
    }

    #[test]
    fn a_long_list_of_problems_is_cut_with_a_count() {
        let verdicts: Vec<Verdict> = (0..30)
            .map(|i| {
                verdict(
                    &format!("job-{i:02}"),
                    &[(State::Critical, "exited 1 5s ago")],
                )
            })
            .collect();
        let result = report(verdicts, &run(), false, false);
        assert!(result.summary.len() < 240, "{}", result.summary);
        assert!(
            result
                .summary
                .starts_with("30 of 30 containers unhealthy: job-00 (exited 1 5s ago), "),
            "{}",
            result.summary
        );
        assert!(
            result.summary.ends_with(" and 24 more"),
            "{}",
            result.summary
        );
        assert_eq!(result.subchecks.len(), 30);
    }

    #[test]
    fn nothing_selected_and_all_well_read_plainly() {
        assert_eq!(render(Vec::new(), false), "CONTAINER OK: no containers\n");
        let two = vec![
            verdict("a", &[(State::Ok, "running 5s")]),
            verdict("b", &[(State::Ok, "running 5s")]),
        ];
        assert!(
            render(two, false)
                .starts_with("CONTAINER OK: all 2 containers OK\n\\_[OK] a: running 5s\n")
        );
    }
}
