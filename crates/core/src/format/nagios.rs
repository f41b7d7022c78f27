//! The classic plugin output that Nagios, Icinga 2 and MRPE parse.

use super::{Report, fit_lines, one_line, truncate_to};
use crate::output::Subcheck;

/// The first line stays readable in notifications and SMS.
const MAX_FIRST_LINE: usize = 1024;

pub(super) fn render(report: &Report<'_>, limit: usize) -> String {
    let result = report.result;
    let head = format!(
        "{} {}: {}",
        one_line(report.service),
        result.state.label(),
        one_line(&result.summary)
    );
    let head = truncate_to(&head, MAX_FIRST_LINE.min(limit / 2)).to_owned();
    let perfdata = perfdata_text(report, limit.saturating_sub(head.len() + 4) / 2);

    let mut long = Vec::new();
    long_output(&result.subchecks, 0, &mut long);
    if long.is_empty() {
        return match perfdata.is_empty() {
            true => format!("{head}\n"),
            false => format!("{head} | {perfdata}\n"),
        };
    }
    let (head, perf_line) = match (perfdata.is_empty(), result.perfdata_on_first_line) {
        (true, _) => (head, String::new()),
        (false, true) => (format!("{head} | {perfdata}"), String::new()),
        (false, false) => (head, format!("| {perfdata}\n")),
    };
    let budget = limit.saturating_sub(head.len() + 1 + perf_line.len());
    let (kept, marker) = fit_lines(long, budget);
    let mut out = head;
    out.push('\n');
    for line in kept.iter().chain(marker.iter()) {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&perf_line);
    out
}

/// `\_[STATE] text`, tab-indented per depth: what Icinga Web 2 shows as state badges.
fn long_output(subchecks: &[Subcheck], depth: usize, into: &mut Vec<String>) {
    for subcheck in subchecks {
        into.push(format!(
            "{}\\_[{}] {}",
            "\t".repeat(depth),
            subcheck.state.label(),
            one_line(&subcheck.output)
        ));
        long_output(&subcheck.subchecks, depth + 1, into);
    }
}

/// Space-separated metrics, whole ones only, within `budget` bytes.
fn perfdata_text(report: &Report<'_>, budget: usize) -> String {
    let mut text = String::new();
    for metric in report.result.all_perfdata() {
        let item = metric.to_string();
        let extra = item.len() + usize::from(!text.is_empty());
        if text.len() + extra > budget {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&item);
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::format::{OutputFormat, Report};
    use crate::output::{CheckResult, Subcheck};
    use crate::perfdata::{Perfdata, Uom};
    use crate::state::State;

    fn render(result: &CheckResult, limit: usize) -> String {
        Report {
            plugin: "check_test",
            service: "TEST",
            result,
        }
        .render(OutputFormat::Nagios, limit)
    }

    #[test]
    fn single_line_carries_perfdata_after_a_spaced_pipe() {
        let mut result = CheckResult::new(State::Ok, "my_server alive, beat 4s ago");
        result
            .perfdata
            .push(Perfdata::new("age", 4.0).uom(Uom::Seconds).min(0.0));
        result
            .perfdata
            .push(Perfdata::new("iteration", 42.0).uom(Uom::Counter));
        assert_eq!(
            render(&result, 65536),
            "TEST OK: my_server alive, beat 4s ago | age=4s;;;0; iteration=42c\n"
        );
    }

    #[test]
    fn no_perfdata_means_no_pipe() {
        let result = CheckResult::new(State::Unknown, "cannot read /x");
        assert_eq!(render(&result, 65536), "TEST UNKNOWN: cannot read /x\n");
    }

    #[test]
    fn long_output_nests_with_tabs_and_perfdata_moves_to_the_last_line() {
        let mut result = CheckResult::new(State::Critical, "1 of 2 unhealthy: b (pid 7 dead)");
        result.subchecks.push(
            Subcheck::new("a", State::Ok, "a alive")
                .with_perfdata(Perfdata::new("a_age", 3.0).uom(Uom::Seconds)),
        );
        result.subchecks.push(
            Subcheck::new("b", State::Critical, "b: pid 7 dead")
                .with_subcheck(Subcheck::new(
                    "b.pid",
                    State::Critical,
                    "pid 7 is not running",
                ))
                .with_perfdata(Perfdata::new("b_age", 9.0).uom(Uom::Seconds)),
        );
        assert_eq!(
            render(&result, 65536),
            "TEST CRITICAL: 1 of 2 unhealthy: b (pid 7 dead)\n\
             \\_[OK] a alive\n\
             \\_[CRITICAL] b: pid 7 dead\n\
             \t\\_[CRITICAL] pid 7 is not running\n\
             | a_age=3s b_age=9s\n"
        );
    }

    #[test]
    fn pipes_and_newlines_in_text_cannot_break_the_format() {
        let mut result = CheckResult::new(State::Warning, "a|b\nc");
        result
            .subchecks
            .push(Subcheck::new("x", State::Warning, "d|e"));
        assert_eq!(
            render(&result, 65536),
            "TEST WARNING: a¦b c\n\\_[WARNING] d¦e\n"
        );
    }

    #[test]
    fn long_output_is_cut_by_whole_lines_with_a_marker() {
        let mut result = CheckResult::new(State::Ok, "many");
        for i in 0..1000 {
            result.subchecks.push(Subcheck::new(
                i.to_string(),
                State::Ok,
                format!("line {i:04}"),
            ));
        }
        result.perfdata.push(Perfdata::new("n", 1000.0));
        let out = render(&result, 300);
        assert!(out.len() <= 300, "{} bytes", out.len());
        assert!(out.starts_with("TEST OK: many\n\\_[OK] line 0000\n"));
        let lines: Vec<&str> = out.lines().collect();
        let kept = lines.len() - 3;
        assert_eq!(
            lines[lines.len() - 2],
            format!("... {} more lines not shown", 1000 - kept)
        );
        assert_eq!(lines[lines.len() - 1], "| n=1000");
    }

    #[test]
    fn perfdata_can_stay_on_the_first_line_above_long_output() {
        let mut result = CheckResult::new(State::Ok, "2 processes");
        result.perfdata_on_first_line = true;
        result.perfdata.push(Perfdata::new("procs", 2.0).min(0.0));
        result
            .subchecks
            .push(Subcheck::new("1", State::Ok, "pid 1 init"));
        assert_eq!(
            render(&result, 65536),
            "TEST OK: 2 processes | procs=2;;;0;\n\\_[OK] pid 1 init\n"
        );
    }
}
