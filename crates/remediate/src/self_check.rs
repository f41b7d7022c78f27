//! Checking the checker: `remediate status --output-format nagios` turns the store into a
//! Nagios result, CRITICAL when a service is out of budget or the last pass is too old
//! (cron stopped calling us), WARNING while a service is failing. Pure.

use triage_core::duration::format_duration;
use triage_core::{CheckResult, Perfdata, State, Subcheck, Thresholds, Uom};

use crate::model::{
    CLOCK_STEP_TOLERANCE, LOSS_SHOWN_FOR, Loss, Maintenance, PassRecord, ServiceState,
    ServiceStatus, Snapshot, Time,
};

/// The self-check of a whole snapshot: the services and passes as [`self_check`] judges
/// them, and before them what happened to the store itself: state lost in the last day
/// is CRITICAL, a record kept in memory because the database cannot be written WARNING.
pub fn check_snapshot(snapshot: &Snapshot, now: f64, max_pass_age: f64) -> CheckResult {
    let mut result = self_check(
        &snapshot.services,
        &snapshot.windows,
        &snapshot.record,
        now,
        max_pass_age,
    );
    let troubles = store_troubles(&snapshot.losses, snapshot.degraded.as_deref(), now);
    if troubles.is_empty() {
        return result;
    }
    let said: Vec<&str> = troubles.iter().map(|t| t.output.as_str()).collect();
    result.summary = if result.state == State::Ok {
        said.join(", ")
    } else {
        format!("{}, {}", said.join(", "), result.summary)
    };
    result.state = State::worst_of(troubles.iter().map(|t| t.state).chain([result.state]));
    result.subchecks.splice(0..0, troubles);
    result
}

fn store_troubles(losses: &[Loss], degraded: Option<&str>, now: f64) -> Vec<Subcheck> {
    let mut troubles: Vec<Subcheck> = losses
        .iter()
        .filter(|loss| now - loss.at < LOSS_SHOWN_FOR)
        .map(|loss| {
            Subcheck::new(
                "state",
                State::Critical,
                format!("state was lost at {}: {}", Time(loss.at), loss.reason),
            )
        })
        .collect();
    if let Some(why) = degraded {
        troubles.push(Subcheck::new(
            "store",
            State::Warning,
            format!("audit degraded, healing goes on: {why}"),
        ));
    }
    troubles
}

/// Judges the services' stored states at `now`; `max_pass_age` is how old the last pass
/// may be. A service in a maintenance window is OK whatever its state: people are on it.
pub fn self_check<S: AsRef<str>>(
    states: &[(S, ServiceState)],
    windows: &[Maintenance],
    record: &PassRecord,
    now: f64,
    max_pass_age: f64,
) -> CheckResult {
    let mut subchecks = Vec::new();
    for (name, state) in states {
        let name = name.as_ref();
        if let Some(window) = windows.iter().find(|w| w.service == name) {
            let text = format!(
                "in maintenance until {} ({})",
                Time(window.until),
                window.reason
            );
            subchecks.push(Subcheck::new(name, State::Ok, format!("{name}: {text}")));
            continue;
        }
        let (verdict, text) = match state.status {
            ServiceStatus::Exhausted => (
                State::Critical,
                "EXHAUSTED: out of restart budget".to_owned(),
            ),
            ServiceStatus::Failing => (
                State::Warning,
                format!("failing ({} in a row)", state.consecutive_failures),
            ),
            ServiceStatus::Remediating | ServiceStatus::Grace => {
                (State::Ok, "being remediated".to_owned())
            }
            ServiceStatus::Disabled => (State::Ok, "off".to_owned()),
            ServiceStatus::Maintenance => (State::Ok, "maintenance ended".to_owned()),
            ServiceStatus::Unknown => (State::Ok, "not checked yet".to_owned()),
            ServiceStatus::Healthy => (State::Ok, "healthy".to_owned()),
        };
        subchecks.push(Subcheck::new(name, verdict, format!("{name}: {text}")));
    }
    // The pass record; a database from before it existed has only the checks' times.
    let last_pass = record.last_finished.or_else(|| {
        states
            .iter()
            .filter_map(|(_, s)| s.last_check)
            .fold(None, |newest: Option<f64>, at| {
                Some(newest.map_or(at, |n| n.max(at)))
            })
    });
    let mut problems: Vec<String> = subchecks
        .iter()
        .filter(|s| s.state != State::Ok)
        .map(|s| s.output.clone())
        .collect();
    let ahead = last_pass
        .map(|at| at - now)
        .filter(|ahead| *ahead > CLOCK_STEP_TOLERANCE);
    let age = last_pass.map(|at| (now - at).max(0.0));
    let age_state = if let Some(ahead) = ahead {
        // Times are on the steady clock; one in the future means the state came from
        // another clock (a copied database, a reboot after a step): ages mean nothing.
        problems.insert(
            0,
            format!(
                "clock trouble: the last pass is {} in the future",
                format_duration(ahead)
            ),
        );
        State::Warning
    } else {
        match age {
            Some(age) if age > max_pass_age => {
                problems.insert(
                    0,
                    format!(
                        "last pass {} ago (cron or the timer stopped?)",
                        format_duration(age)
                    ),
                );
                State::Critical
            }
            None if !states.is_empty() => {
                problems.insert(0, "no pass has run yet".to_owned());
                State::Critical
            }
            _ => State::Ok,
        }
    };
    let state = State::worst_of(subchecks.iter().map(|s| s.state).chain([age_state]));
    let summary = if problems.is_empty() {
        let last = age
            .map(|a| format!(", last pass {} ago", format_duration(a)))
            .unwrap_or_default();
        format!("{} services, none failing{last}", states.len())
    } else {
        problems.join(", ")
    };
    let mut result = CheckResult::new(state, summary);
    let count =
        |status: ServiceStatus| states.iter().filter(|(_, s)| s.status == status).count() as f64;
    result.perfdata = vec![
        Perfdata::new("services", states.len() as f64).min(0.0),
        Perfdata::new("failing", count(ServiceStatus::Failing)).min(0.0),
        Perfdata::new("exhausted", count(ServiceStatus::Exhausted)).min(0.0),
    ];
    if let Some(age) = age {
        let limit = Thresholds::new(None, Some(triage_core::Range::upper(max_pass_age)));
        result.perfdata.push(
            Perfdata::new("last_pass_age", age.round())
                .uom(Uom::Seconds)
                .thresholds(&limit)
                .min(0.0),
        );
    }
    result.subchecks = subchecks;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(result: &CheckResult) -> String {
        triage_core::format::Report {
            plugin: "remediate",
            service: "REMEDIATE",
            result,
        }
        .render(triage_core::OutputFormat::Nagios, 65536)
    }

    fn state(status: ServiceStatus, last_check: f64) -> ServiceState {
        ServiceState {
            status,
            last_check: Some(last_check),
            consecutive_failures: 1,
            ..ServiceState::default()
        }
    }

    #[test]
    fn all_well_is_ok_with_the_age_of_the_last_pass() {
        let states = [
            ("api", state(ServiceStatus::Healthy, 970.0)),
            ("db", state(ServiceStatus::Grace, 990.0)),
        ];
        assert_eq!(
            render(&self_check(
                &states,
                &[],
                &PassRecord::default(),
                1000.0,
                300.0
            )),
            "REMEDIATE OK: 2 services, none failing, last pass 10s ago\n\
             \\_[OK] api: healthy\n\\_[OK] db: being remediated\n\
             | services=2;;;0; failing=0;;;0; exhausted=0;;;0; last_pass_age=10s;;300;0;\n"
        );
    }

    #[test]
    fn an_exhausted_service_or_a_stale_pass_is_critical() {
        let states = [
            ("api", state(ServiceStatus::Exhausted, 990.0)),
            ("db", state(ServiceStatus::Failing, 990.0)),
        ];
        let result = self_check(&states, &[], &PassRecord::default(), 1000.0, 300.0);
        assert_eq!(result.state, State::Critical);
        assert_eq!(
            result.summary,
            "api: EXHAUSTED: out of restart budget, db: failing (1 in a row)"
        );
        let stale = [("api", state(ServiceStatus::Healthy, 100.0))];
        let result = self_check(&stale, &[], &PassRecord::default(), 1000.0, 300.0);
        assert_eq!(
            (result.state, result.summary.as_str()),
            (
                State::Critical,
                "last pass 900s ago (cron or the timer stopped?)"
            )
        );
        let never = [("api", ServiceState::default())];
        assert_eq!(
            self_check(&never, &[], &PassRecord::default(), 1000.0, 300.0).summary,
            "no pass has run yet"
        );
    }

    #[test]
    fn maintenance_is_ok_and_the_pass_record_gives_the_last_pass() {
        let states = [("api", state(ServiceStatus::Exhausted, 100.0))];
        let windows = [Maintenance {
            service: "api".into(),
            started: 900.0,
            until: 4600.0,
            ended: None,
            reason: "disk swap".into(),
            by: "alice".into(),
        }];
        let record = PassRecord {
            passes: 3,
            last_started: Some(980.0),
            last_finished: Some(985.0),
            last_ok: Some(true),
        };
        let result = self_check(&states, &windows, &record, 1000.0, 300.0);
        assert_eq!(result.state, State::Ok);
        assert_eq!(
            result.summary,
            "1 services, none failing, last pass 15s ago"
        );
        assert_eq!(
            result.subchecks[0].output,
            "api: in maintenance until 1970-01-01 01:16:40 UTC (disk swap)"
        );
    }

    #[test]
    fn lost_state_is_critical_for_a_day_and_a_degraded_audit_a_warning() {
        let mut snapshot = Snapshot {
            services: vec![("api".to_owned(), state(ServiceStatus::Healthy, 990.0))],
            windows: Vec::new(),
            record: PassRecord {
                passes: 1,
                last_started: Some(990.0),
                last_finished: Some(995.0),
                last_ok: Some(true),
            },
            losses: vec![Loss {
                at: 900.0,
                reason: "the database was empty".into(),
            }],
            degraded: None,
        };
        let lost = check_snapshot(&snapshot, 1000.0, 300.0);
        assert_eq!(lost.state, State::Critical);
        assert!(
            lost.summary.starts_with("state was lost at ")
                && lost.summary.ends_with(": the database was empty"),
            "{}",
            lost.summary
        );
        let a_day_later = check_snapshot(&snapshot, 900.0 + LOSS_SHOWN_FOR + 1.0, 1e9);
        assert_eq!(a_day_later.state, State::Ok, "{}", a_day_later.summary);
        snapshot.losses.clear();
        snapshot.degraded = Some("disk full".into());
        let degraded = check_snapshot(&snapshot, 1000.0, 300.0);
        assert_eq!(degraded.state, State::Warning);
        assert_eq!(
            degraded.summary,
            "audit degraded, healing goes on: disk full"
        );
    }

    #[test]
    fn a_last_pass_in_the_future_is_clock_trouble_not_zero_seconds_ago() {
        let record = PassRecord {
            passes: 3,
            last_started: Some(1_000.0),
            last_finished: Some(1_100.0),
            last_ok: Some(true),
        };
        let states: Vec<(&str, ServiceState)> = vec![("api", ServiceState::default())];
        let result = self_check(&states, &[], &record, 1_000.0, 300.0);
        assert_eq!(result.state, State::Warning);
        assert!(
            result
                .summary
                .contains("clock trouble: the last pass is 100s in the future"),
            "{}",
            result.summary
        );
    }
}
