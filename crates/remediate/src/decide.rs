//! What a check result means for a service: healthy (and recovered?), still failing,
//! waiting for its dependency or its grace period, out of budget, or due for its recovery
//! pipeline; and who is to be told. Pure: the prior state and what was seen in, the
//! verdict and the next state out. Reasons are typed; their words are their `Display`.

use std::fmt;

use triage_core::State;
use triage_core::duration::format_duration;

use crate::config::{NotificationKind, Service};
use crate::model::{RunId, ServiceState, ServiceStatus, Time};

/// What to do about a service after its check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Passing; `recovered` when it was failing or being remediated before.
    Healthy {
        /// It came back.
        recovered: bool,
    },
    /// Failing, not yet `threshold` times in a row.
    Failing {
        /// Failures in a row.
        count: u32,
        /// Failures in a row that trigger the pipeline.
        threshold: u32,
    },
    /// Recently remediated: no verdict before `until`.
    InGrace {
        /// End of the grace period.
        until: f64,
    },
    /// A service it depends on is not healthy: fixing this one would not help.
    DependencyDown {
        /// The dependency.
        dependency: String,
    },
    /// Failing, but the last attempt was too recent (the delay doubles per attempt).
    Backoff {
        /// When the next attempt may run.
        until: f64,
    },
    /// The budget is spent until `until`; `newly` on the pass that spent it.
    Exhausted {
        /// End of the cooldown.
        until: f64,
        /// This pass exhausted it (notify once).
        newly: bool,
    },
    /// Run the recovery pipeline now; `attempt` within the budget window.
    Remediate {
        /// 1 for the first attempt in the window.
        attempt: u32,
    },
    /// In a maintenance window: checked, never acted on, nobody told.
    Maintenance {
        /// When the window ends by itself.
        until: f64,
    },
    /// Another remediate process is running its pipeline right now.
    BeingRemediated,
    /// Failing, but what its check read cannot be trusted to act on (a heartbeat written
    /// by someone other than the service's user): never acted on.
    Refused {
        /// Why, in words.
        why: String,
    },
}

impl Verdict {
    /// The line a pass writes to the audit log for this verdict: acting, and refusing to
    /// act. Routine verdicts (healthy, failing n of m, grace) are in the checks already.
    pub fn audit_line(&self) -> Option<String> {
        match self {
            Verdict::Remediate { attempt } => Some(format!("remediate (attempt {attempt})")),
            Verdict::Exhausted { until, newly: true } => Some(format!(
                "EXHAUSTED: budget spent, no action before {}",
                Time(*until)
            )),
            Verdict::Healthy { recovered: true } => Some("recovered".into()),
            Verdict::Refused { why } => Some(format!("refused: {why}")),
            _ => None,
        }
    }
}

/// What a pass saw of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Its check's state.
    pub state: State,
    /// The end of the maintenance window it is in, if it is in one.
    pub maintenance_until: Option<f64>,
    /// Another process holds its pipeline lock.
    pub busy: bool,
    /// Why what the check read must not be acted on, if so.
    pub refused: Option<String>,
}

impl Seen {
    /// A check result and nothing else going on.
    pub fn check(state: State) -> Seen {
        Seen {
            state,
            maintenance_until: None,
            busy: false,
            refused: None,
        }
    }
}

/// Judges what this pass saw of `service` given what was known before. `dependency`
/// says the status of another service as of this pass.
pub fn decide(
    service: &Service,
    prior: &ServiceState,
    seen: Seen,
    dependency: &dyn Fn(&str) -> Option<ServiceStatus>,
    now: f64,
) -> (Verdict, ServiceState) {
    let state = seen.state;
    let mut next = prior.clone();
    next.last_state = Some(state);
    next.last_check = Some(now);
    forget_old_runs(service, &mut next, now);

    if let Some(until) = seen.maintenance_until {
        // A fresh count when the window ends: failures during the work do not count.
        next.consecutive_failures = 0;
        next.status = ServiceStatus::Maintenance;
        return (Verdict::Maintenance { until }, next);
    }
    if !service.failure_states.contains(&state) {
        let recovered = matches!(
            prior.status,
            ServiceStatus::Failing
                | ServiceStatus::Grace
                | ServiceStatus::Remediating
                | ServiceStatus::Exhausted
        ) && prior.last_run.is_some();
        become_healthy(&mut next);
        return (Verdict::Healthy { recovered }, next);
    }
    if let Some(why) = seen.refused {
        next.status = ServiceStatus::Failing;
        return (Verdict::Refused { why }, next);
    }
    if seen.busy {
        next.status = ServiceStatus::Remediating;
        return (Verdict::BeingRemediated, next);
    }
    if let Some(until) = prior.grace_until.filter(|&until| until > now) {
        next.status = ServiceStatus::Grace;
        return (Verdict::InGrace { until }, next);
    }
    next.grace_until = None;
    next.consecutive_failures = prior.consecutive_failures.saturating_add(1);
    next.status = ServiceStatus::Failing;
    let threshold = service.consecutive_failures.max(1);
    if next.consecutive_failures < threshold {
        return (
            Verdict::Failing {
                count: next.consecutive_failures,
                threshold,
            },
            next,
        );
    }
    // Confirmed down: the problem starts now unless it started before.
    next.problem_since = prior.problem_since.or(Some(now));
    if let Some(down) = service
        .depends_on
        .iter()
        .find(|name| dependency(name) != Some(ServiceStatus::Healthy))
    {
        return (
            Verdict::DependencyDown {
                dependency: down.clone(),
            },
            next,
        );
    }
    if let Some(exhausted) = spend_budget(service, prior, &mut next, now) {
        return (exhausted, next);
    }
    if let Some(last) = prior.last_run.filter(|_| !next.recent_runs.is_empty()) {
        let until = last + backoff(service, next.recent_runs.len());
        if until > now {
            return (Verdict::Backoff { until }, next);
        }
    }
    let attempt = start_pipeline(&mut next, now);
    (Verdict::Remediate { attempt }, next)
}

/// Drops the pipeline starts that have left the budget window.
fn forget_old_runs(service: &Service, next: &mut ServiceState, now: f64) {
    let window = service.budget.window.as_secs_f64();
    next.recent_runs.retain(|&at| now - at < window);
}

/// A passing check (or an OK event): counters and the problem cleared.
fn become_healthy(next: &mut ServiceState) {
    next.consecutive_failures = 0;
    next.status = ServiceStatus::Healthy;
    next.grace_until = None;
    next.exhausted_until = None;
    next.problem_since = None;
    next.problem_run = None;
}

/// The budget's say: `Some(Exhausted)` while it is spent (`newly` on the call that spent
/// it), None when a pipeline may run.
fn spend_budget(
    service: &Service,
    prior: &ServiceState,
    next: &mut ServiceState,
    now: f64,
) -> Option<Verdict> {
    if let Some(until) = prior.exhausted_until.filter(|&until| until > now) {
        next.status = ServiceStatus::Exhausted;
        return Some(Verdict::Exhausted {
            until,
            newly: false,
        });
    }
    if next.recent_runs.len() as u32 >= service.budget.max.max(1) {
        let until = now + service.budget.cooldown.as_secs_f64();
        next.status = ServiceStatus::Exhausted;
        next.exhausted_until = Some(until);
        return Some(Verdict::Exhausted { until, newly: true });
    }
    next.exhausted_until = None;
    None
}

/// A pipeline starts now: counters reset (the next verdict starts from zero); returns the
/// attempt number within the budget window.
fn start_pipeline(next: &mut ServiceState, now: f64) -> u32 {
    next.consecutive_failures = 0;
    next.recent_runs.push(now);
    next.last_run = Some(now);
    next.status = ServiceStatus::Remediating;
    next.recent_runs.len() as u32
}

/// Who is told about the change from `prior` to `next`: DOWN when a problem is confirmed,
/// RECOVERED when a confirmed problem ends, EXHAUSTED when the budget is spent. Pipeline
/// starts and failures are told by whoever runs the pipeline.
pub fn notifications(
    prior: &ServiceState,
    next: &ServiceState,
    verdict: &Verdict,
) -> Vec<NotificationKind> {
    let mut kinds = Vec::new();
    if prior.problem_since.is_none() && next.problem_since.is_some() {
        kinds.push(NotificationKind::Down);
    }
    if let Verdict::Exhausted { newly: true, .. } = verdict {
        kinds.push(NotificationKind::Exhausted);
    }
    if prior.problem_since.is_some() && next.problem_since.is_none() {
        kinds.push(NotificationKind::Recovered);
    }
    kinds
}

/// What a Nagios or Icinga event handler was told, and what else is going on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventSeen {
    /// `$SERVICESTATE$`.
    pub state: State,
    /// `$SERVICESTATETYPE$` is HARD.
    pub hard: bool,
    /// `$SERVICEATTEMPT$`.
    pub attempt: u32,
    /// The end of the maintenance window the service is in, if any.
    pub maintenance_until: Option<f64>,
    /// Another process holds its pipeline lock.
    pub busy: bool,
}

/// What an event handler does.
#[derive(Debug, Clone, PartialEq)]
pub enum EventVerdict {
    /// OK: whatever problem there was is over.
    Recovered,
    /// Nothing to do, and why (every such decision is audited).
    Ignored(IgnoreReason),
    /// The budget is spent until `until`; `newly` on the event that spent it.
    Exhausted {
        /// End of the cooldown.
        until: f64,
        /// This event exhausted it.
        newly: bool,
    },
    /// Run the recovery pipeline; `attempt` within the budget window.
    Remediate {
        /// 1 for the first attempt in the window.
        attempt: u32,
    },
}

/// The audit log's line for an event's decision.
impl fmt::Display for EventVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventVerdict::Recovered => f.write_str("recovered"),
            EventVerdict::Ignored(why) => write!(f, "ignored: {why}"),
            EventVerdict::Exhausted { until, .. } => write!(
                f,
                "EXHAUSTED: budget spent, no action before {}",
                Time(*until)
            ),
            EventVerdict::Remediate { attempt } => write!(f, "remediate (attempt {attempt})"),
        }
    }
}

/// Why an event handler did nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum IgnoreReason {
    /// The service is switched off (in the file or by `off`).
    SwitchedOff,
    /// In a maintenance window until then.
    InMaintenance {
        /// When the window ends.
        until: f64,
    },
    /// The state is not one the policy acts on.
    StateNotActedOn {
        /// The state told.
        state: State,
        /// The states acted on.
        acting: Vec<State>,
    },
    /// A SOFT state, and not the attempt the policy acts on.
    Soft {
        /// The attempt told.
        attempt: u32,
        /// The SOFT attempt acted on, if any.
        acting_at: Option<u32>,
    },
    /// Another remediate holds the service's lock.
    Busy,
    /// This problem was acted on already.
    AlreadyActed {
        /// The run started for it.
        run: RunId,
    },
    /// The last pipeline started too recently.
    Cooldown {
        /// Seconds since it started.
        since: f64,
        /// The cooldown, in seconds.
        cooldown: f64,
    },
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoreReason::SwitchedOff => f.write_str("switched off"),
            IgnoreReason::InMaintenance { until } => {
                write!(f, "in maintenance until {}", Time(*until))
            }
            IgnoreReason::StateNotActedOn { state, acting } => {
                let acting: Vec<&str> = acting.iter().map(|s| s.label()).collect();
                write!(
                    f,
                    "{} is not acted on (acting on {})",
                    state.label(),
                    acting.join(", ")
                )
            }
            IgnoreReason::Soft { attempt, acting_at } => match acting_at {
                None => write!(f, "SOFT attempt {attempt} (acting on HARD)"),
                Some(n) => write!(
                    f,
                    "SOFT attempt {attempt} (acting on HARD, or SOFT at attempt {n})"
                ),
            },
            IgnoreReason::Busy => f.write_str("already being remediated by another remediate"),
            IgnoreReason::AlreadyActed { run } => write!(
                f,
                "already acted on this problem (run {run}); waiting for OK"
            ),
            IgnoreReason::Cooldown { since, cooldown } => write!(
                f,
                "the last pipeline started {} ago (cooldown {})",
                format_duration(since.max(0.0)),
                format_duration(*cooldown)
            ),
        }
    }
}

/// Judges an event for `service`. The monitoring core did the counting (SOFT attempts up
/// to HARD), so the policy decides which events act; then once per problem, the cooldown
/// and the budget hold repeated events back.
pub fn decide_event(
    service: &Service,
    prior: &ServiceState,
    seen: EventSeen,
    now: f64,
) -> (EventVerdict, ServiceState) {
    let mut next = prior.clone();
    forget_old_runs(service, &mut next, now);
    let ignored = |why: IgnoreReason, next: ServiceState| (EventVerdict::Ignored(why), next);
    if seen.state == State::Ok {
        become_healthy(&mut next);
        return (EventVerdict::Recovered, next);
    }
    if !service.enabled || !prior.enabled {
        return ignored(IgnoreReason::SwitchedOff, next);
    }
    if let Some(until) = seen.maintenance_until {
        return ignored(IgnoreReason::InMaintenance { until }, next);
    }
    let policy = &service.event;
    if !policy.states.contains(&seen.state) {
        let reason = IgnoreReason::StateNotActedOn {
            state: seen.state,
            acting: policy.states.clone(),
        };
        return ignored(reason, next);
    }
    if !seen.hard && policy.soft_attempt != Some(seen.attempt) {
        let reason = IgnoreReason::Soft {
            attempt: seen.attempt,
            acting_at: policy.soft_attempt,
        };
        return ignored(reason, next);
    }
    if seen.busy {
        return ignored(IgnoreReason::Busy, next);
    }
    if let Some(run) = prior.problem_run {
        return ignored(IgnoreReason::AlreadyActed { run }, next);
    }
    let cooldown = policy.cooldown.as_secs_f64();
    if let Some(last) = prior.last_run.filter(|&last| now - last < cooldown) {
        let reason = IgnoreReason::Cooldown {
            since: now - last,
            cooldown,
        };
        return ignored(reason, next);
    }
    next.problem_since = prior.problem_since.or(Some(now));
    next.last_state = Some(seen.state);
    if let Some(Verdict::Exhausted { until, newly }) = spend_budget(service, prior, &mut next, now)
    {
        return (EventVerdict::Exhausted { until, newly }, next);
    }
    let attempt = start_pipeline(&mut next, now);
    (EventVerdict::Remediate { attempt }, next)
}

/// The least time between attempt `done` and the next: the start grace doubled per attempt
/// already made in the window (like systemd's RestartSteps), at most the window.
pub fn backoff(service: &Service, done: usize) -> f64 {
    let grace = service.start_grace.as_secs_f64().max(1.0);
    let doubled = grace * 2f64.powi(done.min(16) as i32);
    doubled.min(service.budget.window.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Format, parse};

    fn service() -> Service {
        let text = r#"
            [services.app]
            check = { command = ["/bin/true"] }
            consecutive_failures = 2
            start_grace = "30s"
            budget = { max = 2, window = "1h", cooldown = "2h" }
            depends_on = ["db"]
            [services.db]
            check = { command = ["/bin/true"] }
        "#;
        let config = parse(text, Format::Toml, "test.toml").expect("config");
        config
            .services
            .into_iter()
            .find(|s| s.name == "app")
            .expect("app")
    }

    fn db_healthy(_: &str) -> Option<ServiceStatus> {
        Some(ServiceStatus::Healthy)
    }

    #[test]
    fn failures_count_up_to_the_threshold_then_remediate_and_reset() {
        let app = service();
        let (v, s) = decide(
            &app,
            &ServiceState::default(),
            Seen::check(State::Critical),
            &db_healthy,
            1000.0,
        );
        assert_eq!(
            v,
            Verdict::Failing {
                count: 1,
                threshold: 2
            }
        );
        let (v, s) = decide(&app, &s, Seen::check(State::Critical), &db_healthy, 1060.0);
        assert_eq!(v, Verdict::Remediate { attempt: 1 });
        assert_eq!(
            (s.consecutive_failures, s.status, s.last_run),
            (0, ServiceStatus::Remediating, Some(1060.0))
        );
        // Warning is not a failure state by default: healthy, and it recovered.
        let (v, s) = decide(&app, &s, Seen::check(State::Warning), &db_healthy, 1200.0);
        assert_eq!(v, Verdict::Healthy { recovered: true });
        assert_eq!(s.consecutive_failures, 0);
    }

    #[test]
    fn grace_dependencies_backoff_and_the_budget_hold_the_pipeline_back() {
        let app = service();
        let mut prior = ServiceState {
            consecutive_failures: 1,
            grace_until: Some(1030.0),
            ..ServiceState::default()
        };
        let (v, _) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1010.0,
        );
        assert_eq!(v, Verdict::InGrace { until: 1030.0 });
        prior.grace_until = None;
        let db_down = |_: &str| Some(ServiceStatus::Failing);
        let (v, _) = decide(&app, &prior, Seen::check(State::Critical), &db_down, 1010.0);
        assert_eq!(
            v,
            Verdict::DependencyDown {
                dependency: "db".into()
            }
        );
        // One attempt made 10 s ago: the next waits 2 x 30 s after it.
        prior.recent_runs = vec![1000.0];
        prior.last_run = Some(1000.0);
        let (v, _) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1010.0,
        );
        assert_eq!(v, Verdict::Backoff { until: 1060.0 });
        let (v, _) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1061.0,
        );
        assert_eq!(v, Verdict::Remediate { attempt: 2 });
        // Two attempts in the window spend the budget of 2: exhausted for the cooldown.
        prior.recent_runs = vec![1000.0, 1100.0];
        prior.last_run = Some(1100.0);
        let (v, s) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1500.0,
        );
        assert_eq!(
            v,
            Verdict::Exhausted {
                until: 1500.0 + 7200.0,
                newly: true
            }
        );
        let (v, _) = decide(&app, &s, Seen::check(State::Critical), &db_healthy, 1600.0);
        assert_eq!(
            v,
            Verdict::Exhausted {
                until: 8700.0,
                newly: false
            }
        );
        // Outside the window the old attempts no longer count.
        let (v, _) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1100.0 + 3600.0,
        );
        assert_eq!(v, Verdict::Remediate { attempt: 1 });
    }

    #[test]
    fn maintenance_and_a_busy_lock_hold_back_and_problems_are_told_once() {
        let app = service();
        let prior = ServiceState {
            consecutive_failures: 1,
            ..ServiceState::default()
        };
        let seen = Seen {
            state: State::Critical,
            maintenance_until: Some(5000.0),
            busy: false,
            refused: None,
        };
        let (v, s) = decide(&app, &prior, seen, &db_healthy, 1000.0);
        assert_eq!(v, Verdict::Maintenance { until: 5000.0 });
        assert_eq!(
            (s.status, s.consecutive_failures),
            (ServiceStatus::Maintenance, 0)
        );
        let busy = Seen {
            busy: true,
            ..Seen::check(State::Critical)
        };
        let (v, s) = decide(&app, &prior, busy, &db_healthy, 1000.0);
        assert_eq!(v, Verdict::BeingRemediated);
        assert_eq!(s.consecutive_failures, 1);
        // DOWN when the threshold is reached, once; RECOVERED when healthy again.
        let (v, down) = decide(
            &app,
            &prior,
            Seen::check(State::Critical),
            &db_healthy,
            1000.0,
        );
        assert_eq!(notifications(&prior, &down, &v), [NotificationKind::Down]);
        let (v, again) = decide(
            &app,
            &down,
            Seen::check(State::Critical),
            &db_healthy,
            1100.0,
        );
        assert!(notifications(&down, &again, &v).is_empty());
        let (v, up) = decide(&app, &again, Seen::check(State::Ok), &db_healthy, 1200.0);
        assert_eq!(
            notifications(&again, &up, &v),
            [NotificationKind::Recovered]
        );
    }

    #[test]
    fn a_refused_read_is_failing_never_acted_on_and_audited() {
        let app = service();
        let prior = ServiceState {
            consecutive_failures: 5,
            ..ServiceState::default()
        };
        let refused = Seen {
            refused: Some("the heartbeat is owned by uid 4242".into()),
            ..Seen::check(State::Critical)
        };
        let (v, s) = decide(&app, &prior, refused.clone(), &db_healthy, 1000.0);
        assert_eq!(
            v,
            Verdict::Refused {
                why: "the heartbeat is owned by uid 4242".into()
            }
        );
        assert_eq!((s.status, s.recent_runs.len()), (ServiceStatus::Failing, 0));
        assert_eq!(
            v.audit_line().as_deref(),
            Some("refused: the heartbeat is owned by uid 4242")
        );
        // A passing check is healthy whoever wrote it: nothing to act on anyway.
        let fine = Seen {
            state: State::Ok,
            ..refused
        };
        assert!(matches!(
            decide(&app, &prior, fine, &db_healthy, 1000.0).0,
            Verdict::Healthy { .. }
        ));
    }

    fn event(state: State, hard: bool, attempt: u32) -> EventSeen {
        EventSeen {
            state,
            hard,
            attempt,
            maintenance_until: None,
            busy: false,
        }
    }

    #[test]
    fn events_act_on_critical_hard_once_per_problem_within_cooldown_and_budget() {
        let mut app = service();
        let fresh = ServiceState::default();
        let ignored = |v: &EventVerdict| matches!(v, EventVerdict::Ignored(_));
        let (v, _) = decide_event(&app, &fresh, event(State::Critical, false, 1), 1000.0);
        assert_eq!(v.to_string(), "ignored: SOFT attempt 1 (acting on HARD)");
        let (v, _) = decide_event(&app, &fresh, event(State::Warning, true, 3), 1000.0);
        assert!(ignored(&v));
        let (v, acted) = decide_event(&app, &fresh, event(State::Critical, true, 3), 1000.0);
        assert_eq!(v, EventVerdict::Remediate { attempt: 1 });
        assert_eq!(acted.problem_since, Some(1000.0));
        // The handler records its run; a repeat of the problem does nothing.
        let acted = ServiceState {
            problem_run: Some(7),
            ..acted
        };
        let (v, _) = decide_event(&app, &acted, event(State::Critical, true, 3), 1001.0);
        assert_eq!(
            v.to_string(),
            "ignored: already acted on this problem (run 7); waiting for OK"
        );
        // OK clears the problem; within the cooldown a new one still waits.
        let (v, ok) = decide_event(&app, &acted, event(State::Ok, true, 1), 1100.0);
        assert_eq!(v, EventVerdict::Recovered);
        assert_eq!((ok.problem_run, ok.problem_since), (None, None));
        let (v, _) = decide_event(&app, &ok, event(State::Critical, true, 3), 1200.0);
        assert_eq!(
            v.to_string(),
            "ignored: the last pipeline started 200s ago (cooldown 300s)"
        );
        // SOFT at attempt 3 when configured; the budget of 2 then runs out.
        app.event.soft_attempt = Some(3);
        let (v, second) = decide_event(&app, &ok, event(State::Critical, false, 3), 1400.0);
        assert_eq!(v, EventVerdict::Remediate { attempt: 2 });
        let (_, clear) = decide_event(&app, &second, event(State::Ok, true, 1), 1500.0);
        let (v, _) = decide_event(&app, &clear, event(State::Critical, true, 3), 1800.0);
        assert_eq!(
            v,
            EventVerdict::Exhausted {
                until: 1800.0 + 7200.0,
                newly: true
            }
        );
        let busy = EventSeen {
            busy: true,
            ..event(State::Critical, true, 3)
        };
        assert!(ignored(&decide_event(&app, &fresh, busy, 1000.0).0));
    }
}
