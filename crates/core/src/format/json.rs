//! One JSON object per run, for `jq` one-liners and scripts. Same exit code as Nagios.

use serde::Serialize;

use super::Report;
use crate::output::{Records, Subcheck};
use crate::perfdata::Perfdata;

#[derive(Serialize)]
struct RunJson<'a> {
    plugin: &'a str,
    state: &'static str,
    code: i32,
    summary: &'a str,
    checks: Vec<CheckJson<'a>>,
    perfdata: Vec<PerfdataJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    omitted_checks: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    omitted_perfdata: Option<usize>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    name: &'a str,
    state: &'static str,
    output: &'a str,
    perfdata: Vec<PerfdataJson<'a>>,
    checks: Vec<CheckJson<'a>>,
}

#[derive(Serialize)]
struct PerfdataJson<'a> {
    label: &'a str,
    value: Option<f64>,
    uom: &'static str,
    warn: Option<String>,
    crit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
}

pub(super) fn render(report: &Report<'_>, limit: usize) -> String {
    let result = report.result;
    let mut run = RunJson {
        plugin: report.plugin,
        state: result.state.label(),
        code: result.state.code(),
        summary: &result.summary,
        checks: Vec::new(),
        perfdata: Vec::new(),
        omitted_checks: None,
        omitted_perfdata: None,
    };
    // Room for the frame and the omission counts; metrics may take half of the rest, checks
    // what is left (half of it when records follow), records the remainder: whole items only.
    let records = result.records.as_ref();
    let mut room = limit.saturating_sub(to_json(&run).len() + 160);
    let metrics = result.all_perfdata();
    run.perfdata = fit(metrics.iter().map(|m| perfdata_json(m)), room / 2);
    room = room.saturating_sub(to_json(&run.perfdata).len());
    let checks_room = if records.is_some() { room / 2 } else { room };
    run.checks = fit(result.subchecks.iter().map(check_json), checks_room);
    room = room.saturating_sub(to_json(&run.checks).len());
    let omitted = |total: usize, kept: usize| (total > kept).then_some(total - kept);
    run.omitted_perfdata = omitted(metrics.len(), run.perfdata.len());
    run.omitted_checks = omitted(result.subchecks.len(), run.checks.len());
    let mut text = match records {
        None => to_json(&run),
        Some(records) => with_records(&run, records, room),
    };
    text.push('\n');
    text
}

/// The run's object with `"<key>": [...]` and `"omitted_<key>"` added after its fields.
fn with_records(run: &RunJson<'_>, records: &Records, room: usize) -> String {
    let kept = fit(
        records.items.iter(),
        room.saturating_sub(records.key.len() + 40),
    );
    let omitted = records.items.len() - kept.len();
    let mut object = match serde_json::to_value(run) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    object.insert(records.key.to_owned(), kept.into_iter().cloned().collect());
    if omitted > 0 {
        object.insert(format!("omitted_{}", records.key), omitted.into());
    }
    to_json(&object)
}

/// The leading items whose JSON fits in `room` bytes (with separators).
fn fit<T: Serialize>(items: impl Iterator<Item = T>, room: usize) -> Vec<T> {
    let mut used = 0;
    let mut kept = Vec::new();
    for item in items {
        used += to_json(&item).len() + 1;
        if used > room {
            break;
        }
        kept.push(item);
    }
    kept
}

/// Serialising plain structs of strings and finite numbers cannot fail.
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

fn check_json(subcheck: &Subcheck) -> CheckJson<'_> {
    CheckJson {
        name: &subcheck.name,
        state: subcheck.state.label(),
        output: &subcheck.output,
        perfdata: subcheck.perfdata.iter().map(perfdata_json).collect(),
        checks: subcheck.subchecks.iter().map(check_json).collect(),
    }
}

fn perfdata_json(metric: &Perfdata) -> PerfdataJson<'_> {
    PerfdataJson {
        label: &metric.label,
        value: metric.value,
        uom: metric.uom.suffix(),
        warn: metric.warn.as_ref().map(ToString::to_string),
        crit: metric.crit.as_ref().map(ToString::to_string),
        min: metric.min,
        max: metric.max,
    }
}

#[cfg(test)]
mod tests {
    use crate::format::{OutputFormat, Report};
    use crate::output::{CheckResult, Subcheck};
    use crate::perfdata::{Perfdata, Uom};
    use crate::range::Range;
    use crate::state::State;
    use crate::threshold::Thresholds;

    #[test]
    fn json_has_the_documented_shape_with_numbers_as_numbers() {
        let t = Thresholds::new(Range::parse("60").ok(), Range::parse("90").ok());
        let mut result = CheckResult::new(State::Warning, "w stale");
        result.subchecks.push(
            Subcheck::new("w", State::Warning, "w stale, last beat 70s ago").with_perfdata(
                Perfdata::new("w_age", 70.5)
                    .uom(Uom::Seconds)
                    .thresholds(&t)
                    .min(0.0),
            ),
        );
        let out = Report {
            plugin: "check_heartbeat",
            service: "HEARTBEAT",
            result: &result,
        }
        .render(OutputFormat::Json, 65536);
        assert_eq!(
            out,
            concat!(
                r#"{"plugin":"check_heartbeat","state":"WARNING","code":1,"summary":"w stale","#,
                r#""checks":[{"name":"w","state":"WARNING","output":"w stale, last beat 70s ago","#,
                r#""perfdata":[{"label":"w_age","value":70.5,"uom":"s","warn":"60","crit":"90","min":0.0,"max":null}],"#,
                r#""checks":[]}],"#,
                r#""perfdata":[{"label":"w_age","value":70.5,"uom":"s","warn":"60","crit":"90","min":0.0,"max":null}]}"#,
                "\n"
            )
        );
    }

    #[test]
    fn json_drops_whole_checks_past_the_limit_and_counts_them() {
        let mut result = CheckResult::new(State::Ok, "many");
        for i in 0..500 {
            result
                .subchecks
                .push(Subcheck::new(format!("c{i}"), State::Ok, "fine"));
        }
        let out = Report {
            plugin: "p",
            service: "S",
            result: &result,
        }
        .render(OutputFormat::Json, 4096);
        assert!(out.len() <= 4096);
        let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        let kept = value["checks"].as_array().expect("checks").len();
        assert!(kept > 0 && kept < 500);
        assert_eq!(value["omitted_checks"], 500 - kept);
    }

    #[test]
    fn json_records_come_under_their_key_and_are_bounded_too() {
        let mut result = CheckResult::new(State::Ok, "3 processes");
        result.records = Some(crate::output::Records {
            key: "processes",
            items: (0..3)
                .map(|pid| serde_json::json!({ "pid": pid }))
                .collect(),
        });
        let render = |limit| {
            let out = Report {
                plugin: "p",
                service: "S",
                result: &result,
            }
            .render(OutputFormat::Json, limit);
            assert!(out.len() <= limit, "{} > {limit}", out.len());
            serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON")
        };
        let full = render(65536);
        assert_eq!(
            full["processes"],
            serde_json::json!([{"pid":0},{"pid":1},{"pid":2}])
        );
        assert_eq!(full.get("omitted_processes"), None);
        let cut = render(300);
        let kept = cut["processes"].as_array().expect("array").len();
        assert!(kept < 3, "{cut}");
        assert_eq!(cut["omitted_processes"], 3 - kept);
    }
}
