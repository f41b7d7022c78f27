//! A Checkmk local check line: `<code> "<service>" <metrics> <summary>\n<details>`.

use super::{Report, fit_lines, one_line, truncate_to};
use crate::number::format_number;
use crate::output::Subcheck;
use crate::perfdata::Perfdata;
use crate::range::Range;

pub(super) fn render(report: &Report<'_>, limit: usize) -> String {
    let result = report.result;
    let service = one_line(report.service).replace('"', "'");
    let metrics: Vec<String> = result
        .all_perfdata()
        .into_iter()
        .filter_map(metric)
        .collect();
    let metrics = match metrics.is_empty() {
        true => "-".to_owned(),
        false => metrics.join("|"),
    };
    let head = format!(
        "{} \"{service}\" {metrics} {}",
        result.state.code(),
        one_line(&result.summary)
    );
    let head = truncate_to(&head, limit.saturating_sub(1)).to_owned();

    let mut details = Vec::new();
    detail_lines(&result.subchecks, 0, &mut details);
    // Checkmk turns a literal `\n` in the summary into a line break of the long output.
    let (kept, marker) = fit_lines(details, limit.saturating_sub(head.len() + 1) / 3 * 2);
    let mut out = head;
    for line in kept.iter().chain(marker.iter()) {
        out.push_str("\\n");
        out.push_str(line);
    }
    out.push('\n');
    out
}

fn detail_lines(subchecks: &[Subcheck], depth: usize, into: &mut Vec<String>) {
    for subcheck in subchecks {
        let text = one_line(&subcheck.output).replace('\\', "/");
        into.push(format!(
            "{}[{}] {text}",
            "  ".repeat(depth),
            subcheck.state.label()
        ));
        detail_lines(&subcheck.subchecks, depth + 1, into);
    }
}

/// `name=value;warn;crit;min;max`, names limited to `[A-Za-z0-9_]`; Checkmk's levels are
/// upper bounds, so only ranges of that shape are carried. Unknown values are left out.
fn metric(perfdata: &Perfdata) -> Option<String> {
    let name: String = perfdata
        .label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format_number(perfdata.value?)?;
    let level = |range: &Option<Range>| {
        range
            .as_ref()
            .filter(|r| !r.alerts_inside() && r.start() <= 0.0 && r.end().is_finite())
            .and_then(|r| format_number(r.end()))
            .unwrap_or_default()
    };
    let bound = |b: Option<f64>| b.and_then(format_number).unwrap_or_default();
    Some(format!(
        "{name}={value};{};{};{};{}",
        level(&perfdata.warn),
        level(&perfdata.crit),
        bound(perfdata.min),
        bound(perfdata.max)
    ))
}

#[cfg(test)]
mod tests {
    use crate::format::{OutputFormat, Report};
    use crate::output::{CheckResult, Subcheck};
    use crate::perfdata::{Perfdata, Uom};
    use crate::range::Range;
    use crate::state::State;
    use crate::threshold::Thresholds;

    fn render(result: &CheckResult) -> String {
        Report {
            plugin: "check_heartbeat",
            service: "Heartbeat my app",
            result,
        }
        .render(OutputFormat::Checkmk, 65536)
    }

    #[test]
    fn local_check_line_with_metrics_and_details() {
        let t = Thresholds::new(Range::parse("60").ok(), Range::parse("~:90").ok());
        let mut result = CheckResult::new(State::Critical, "1 of 2 unhealthy");
        result.subchecks.push(
            Subcheck::new("a", State::Ok, "a alive").with_perfdata(
                Perfdata::new("a-1 age", 3.0)
                    .uom(Uom::Seconds)
                    .thresholds(&t)
                    .min(0.0),
            ),
        );
        result
            .subchecks
            .push(Subcheck::new("b", State::Critical, "b dead"));
        assert_eq!(
            render(&result),
            "2 \"Heartbeat my app\" a_1_age=3;60;90;0; 1 of 2 unhealthy\\n[OK] a alive\\n[CRITICAL] b dead\n"
        );
    }

    #[test]
    fn no_metrics_is_a_dash_and_lower_bounds_are_dropped() {
        let result = CheckResult::new(State::Ok, "fine");
        assert_eq!(render(&result), "0 \"Heartbeat my app\" - fine\n");
        let t = Thresholds::new(Range::parse("10:").ok(), Range::parse("@1:2").ok());
        let mut result = CheckResult::new(State::Ok, "fine");
        result
            .perfdata
            .push(Perfdata::new("x", 11.0).thresholds(&t));
        result.perfdata.push(Perfdata::new("y", 2.0));
        assert_eq!(
            render(&result),
            "0 \"Heartbeat my app\" x=11;;;;|y=2;;;; fine\n"
        );
    }
}
