//! The result as the C plugin prints it (first line and perfdata byte for byte), plus the
//! `-v` process list in long output and the matched processes in JSON.

use std::collections::HashMap;

use serde_json::json;
use triage_core::{CheckResult, Perfdata, Records, State, Subcheck, Thresholds};

use crate::facts::ProcessFacts;
use crate::filter::Filter;
use crate::metric::{Metric, Verdict};

/// What the report is made from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// What was judged.
    pub metric: Metric,
    /// The ranges as given (echoed in PROCS perfdata).
    pub thresholds: &'a Thresholds,
    /// The filters in command-line order.
    pub filters: &'a [Filter],
    /// The matched processes, in PID order.
    pub processes: &'a [ProcessFacts],
    /// The judgement.
    pub verdict: &'a Verdict,
    /// `-v` count.
    pub verbose: u8,
    /// Login names of the uids seen, for the JSON records.
    pub user_names: &'a HashMap<u32, String>,
    /// Whether to attach the per-process JSON records (only the JSON format shows them).
    pub with_records: bool,
}

/// Builds the whole result.
pub fn report(input: &ReportInput<'_>) -> CheckResult {
    let mut result = CheckResult::new(input.verdict.state, summary(input));
    result.perfdata = perfdata(input);
    result.perfdata_on_first_line = true;
    if input.verbose >= 1 {
        result.subchecks = process_list(input);
    }
    if input.with_records {
        result.records = Some(Records {
            key: "processes",
            items: input
                .processes
                .iter()
                .map(|facts| process_record(facts, input.user_names))
                .collect(),
        });
    }
    result
}

/// `[N warn out of |N crit, N warn out of ]N process(es)[ with FILTERS][ [names]]`.
pub fn summary(input: &ReportInput<'_>) -> String {
    let verdict = input.verdict;
    let mut text = String::new();
    if input.metric != Metric::Procs {
        match verdict.state {
            State::Warning => text.push_str(&format!("{} warn out of ", verdict.warn)),
            State::Critical => text.push_str(&format!(
                "{} crit, {} warn out of ",
                verdict.crit, verdict.warn
            )),
            _ => {}
        }
    }
    let noun = if verdict.count == 1 {
        "process"
    } else {
        "processes"
    };
    text.push_str(&format!("{} {noun}", verdict.count));
    let described: Vec<String> = input
        .filters
        .iter()
        .filter_map(Filter::description)
        .collect();
    if !described.is_empty() {
        text.push_str(" with ");
        text.push_str(&described.join(", "));
    }
    if input.verbose >= 1 {
        let failing: Vec<&str> = input
            .processes
            .iter()
            .zip(&verdict.states)
            .filter(|(_, state)| state.is_problem())
            .map(|(facts, _)| facts.program().unwrap_or("?"))
            .collect();
        if !failing.is_empty() {
            text.push_str(&format!(" [{}]", failing.join(", ")));
        }
    }
    text
}

/// PROCS echoes the ranges as given; the per-process metrics count instead.
fn perfdata(input: &ReportInput<'_>) -> Vec<Perfdata> {
    let count = Perfdata::new("procs", input.verdict.count as f64).min(0.0);
    if input.metric == Metric::Procs {
        return vec![count.thresholds(input.thresholds)];
    }
    vec![
        count,
        Perfdata::new("procs_warn", input.verdict.warn as f64).min(0.0),
        Perfdata::new("procs_crit", input.verdict.crit as f64).min(0.0),
    ]
}

/// One long-output line per matched process, problems first: `pid 4242 java: RSS ... KiB`,
/// with the arguments at `-vv`.
fn process_list(input: &ReportInput<'_>) -> Vec<Subcheck> {
    let mut lines: Vec<(State, &ProcessFacts)> = input
        .verdict
        .states
        .iter()
        .copied()
        .zip(input.processes)
        .collect();
    lines.sort_by_key(|(state, facts)| (std::cmp::Reverse(state.severity()), facts.pid));
    lines
        .into_iter()
        .map(|(state, facts)| {
            let mut text = format!("pid {} {}", facts.pid, facts.comm().unwrap_or("?"));
            if let Some(value) = input.metric.value(facts) {
                text.push_str(&format!(": {}", input.metric.show(value)));
            }
            if input.verbose >= 2
                && let Some(args) = facts.args()
            {
                text.push_str(&format!(" ({args})"));
            }
            Subcheck::new(facts.pid.to_string(), state, text)
        })
        .collect()
}

/// The JSON object for one process: the `ps | grep` of an incident.
fn process_record(facts: &ProcessFacts, user_names: &HashMap<u32, String>) -> serde_json::Value {
    let stat = facts.stat.as_ref();
    json!({
        "pid": facts.pid,
        "ppid": stat.map(|s| s.ppid),
        "uid": facts.euid,
        "user": facts.euid.and_then(|uid| user_names.get(&uid)),
        "state": facts.stat_flags(),
        "rss": facts.memory.map(|m| m.rss_kib),
        "vsz": facts.memory.map(|m| m.vsz_kib),
        "cpu": facts.cpu_percent,
        "elapsed": facts.elapsed_s,
        "command": facts.comm(),
        "args": facts.args(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::Range;
    use triage_core::format::{OutputFormat, Report};
    use triage_proc::{Memory, ProcessStat};

    use crate::metric::judge;

    fn process(pid: i32, comm: &str, rss_kib: u64) -> ProcessFacts {
        ProcessFacts {
            pid,
            comm: Some(comm.to_owned()),
            memory: Some(Memory {
                vsz_kib: rss_kib * 3,
                rss_kib,
            }),
            stat: Some(ProcessStat {
                pid,
                comm: comm.to_owned(),
                state: 'S',
                ppid: 1,
                tpgid: -1,
                ..ProcessStat::default()
            }),
            argv: Some(vec![format!("/usr/bin/{comm}"), "--flag".into()]),
            ..ProcessFacts::default()
        }
    }

    fn render(
        metric: Metric,
        warning: &str,
        critical: &str,
        filters: &[Filter],
        processes: &[ProcessFacts],
        verbose: u8,
    ) -> String {
        let thresholds = Thresholds::new(Range::parse(warning).ok(), Range::parse(critical).ok());
        let verdict = judge(processes, metric, &thresholds);
        let result = report(&ReportInput {
            metric,
            thresholds: &thresholds,
            filters,
            processes,
            verdict: &verdict,
            verbose,
            user_names: &HashMap::new(),
            with_records: false,
        });
        Report {
            plugin: "check_procs",
            service: metric.name(),
            result: &result,
        }
        .render(OutputFormat::Nagios, 65536)
    }

    #[test]
    fn procs_lines_match_the_c_plugin() {
        let bash = [process(10, "bash", 1), process(11, "bash", 1)];
        let command = [Filter::Command("bash".into())];
        assert_eq!(
            render(Metric::Procs, "", "1:", &command, &bash, 0),
            "PROCS OK: 2 processes with command name 'bash' | procs=2;;1:;0;\n"
        );
        assert_eq!(
            render(Metric::Procs, "1:1", "1:", &command, &bash, 0),
            "PROCS WARNING: 2 processes with command name 'bash' | procs=2;1:1;1:;0;\n"
        );
        assert_eq!(
            render(Metric::Procs, "", "1:", &command, &bash[..1], 0),
            "PROCS OK: 1 process with command name 'bash' | procs=1;;1:;0;\n"
        );
        assert_eq!(
            render(
                Metric::Procs,
                "2:2",
                "2:1024",
                &[Filter::Command("portsentry".into())],
                &[],
                0
            ),
            "PROCS CRITICAL: 0 processes with command name 'portsentry' | procs=0;2:2;2:1024;0;\n"
        );
        let two_filters = [
            Filter::User {
                uid: 0,
                name: Some("root".into()),
            },
            Filter::State("S".into()),
        ];
        assert_eq!(
            render(Metric::Procs, "", "", &two_filters, &bash, 0),
            "PROCS OK: 2 processes with UID = 0 (root), STATE = S | procs=2;;;0;\n"
        );
        assert_eq!(
            render(Metric::Procs, "@5:10", "@0:4", &[], &bash, 0),
            "PROCS CRITICAL: 2 processes | procs=2;@5:10;@0:4;0;\n"
        );
    }

    #[test]
    fn per_process_metrics_count_and_name_the_failing_ones_at_v() {
        let processes = [
            process(10, "java", 300),
            process(11, "sshd", 10),
            process(12, "java", 150),
        ];
        assert_eq!(
            render(Metric::Rss, "100", "200", &[], &processes, 0),
            "RSS CRITICAL: 1 crit, 1 warn out of 3 processes | procs=3;;;0; procs_warn=1;;;0; procs_crit=1;;;0;\n"
        );
        assert_eq!(
            render(Metric::Rss, "100", "", &[], &processes, 0),
            "RSS WARNING: 2 warn out of 3 processes | procs=3;;;0; procs_warn=2;;;0; procs_crit=0;;;0;\n"
        );
        assert_eq!(
            render(Metric::Rss, "100", "200", &[], &processes, 1),
            "RSS CRITICAL: 1 crit, 1 warn out of 3 processes [java, java] | procs=3;;;0; procs_warn=1;;;0; procs_crit=1;;;0;\n\
             \\_[CRITICAL] pid 10 java: RSS 300 KiB\n\
             \\_[WARNING] pid 12 java: RSS 150 KiB\n\
             \\_[OK] pid 11 sshd: RSS 10 KiB\n"
        );
        assert_eq!(
            render(Metric::Vsz, "", "", &[], &processes[1..2], 2),
            "VSZ OK: 1 process | procs=1;;;0; procs_warn=0;;;0; procs_crit=0;;;0;\n\
             \\_[OK] pid 11 sshd: VSZ 30 KiB (/usr/bin/sshd --flag)\n"
        );
    }

    #[test]
    fn json_lists_each_matched_process() {
        let processes = [process(10, "nginx", 12)];
        let thresholds = Thresholds::default();
        let verdict = judge(&processes, Metric::Procs, &thresholds);
        let mut names = HashMap::new();
        names.insert(33, "www-data".to_owned());
        let mut facts = processes[0].clone();
        facts.euid = Some(33);
        facts.cpu_percent = Some(0.5);
        facts.elapsed_s = Some(60);
        let result = report(&ReportInput {
            metric: Metric::Procs,
            thresholds: &thresholds,
            filters: &[],
            processes: std::slice::from_ref(&facts),
            verdict: &verdict,
            verbose: 0,
            user_names: &names,
            with_records: true,
        });
        let records = result.records.expect("records");
        assert_eq!(
            records.items[0],
            json!({"pid":10,"ppid":1,"uid":33,"user":"www-data","state":"S","rss":12,"vsz":36,
                   "cpu":0.5,"elapsed":60,"command":"nginx","args":"/usr/bin/nginx --flag"})
        );
    }
}
