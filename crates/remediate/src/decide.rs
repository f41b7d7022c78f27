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
mod tests;
