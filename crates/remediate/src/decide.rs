//! What a check result means for a service: healthy (and recovered?), still failing,
//! waiting for its dependency or its grace period, out of budget, or due for its recovery
//! pipeline. Pure: the prior state and the check in, the verdict and the next state out.

use triage_core::State;

use crate::config::Service;
use crate::store::{ServiceState, ServiceStatus};

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
}

/// Judges `state` (this pass's check) for `service` given what was known before.
/// `dependency` says the status of another service as of this pass.
pub fn decide(
    service: &Service,
    prior: &ServiceState,
    state: State,
    dependency: &dyn Fn(&str) -> Option<ServiceStatus>,
    now: f64,
) -> (Verdict, ServiceState) {
    let mut next = prior.clone();
    next.last_state = Some(state);
    next.last_check = Some(now);
    let window = service.budget.window.as_secs_f64();
    next.recent_runs.retain(|&at| now - at < window);

    if !service.failure_states.contains(&state) {
        let recovered = matches!(
            prior.status,
            ServiceStatus::Failing
                | ServiceStatus::Grace
                | ServiceStatus::Remediating
                | ServiceStatus::Exhausted
        ) && prior.last_run.is_some();
        next.consecutive_failures = 0;
        next.status = ServiceStatus::Healthy;
        next.grace_until = None;
        next.exhausted_until = None;
        return (Verdict::Healthy { recovered }, next);
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
    if let Some(until) = prior.exhausted_until.filter(|&until| until > now) {
        next.status = ServiceStatus::Exhausted;
        return (
            Verdict::Exhausted {
                until,
                newly: false,
            },
            next,
        );
    }
    if next.recent_runs.len() as u32 >= service.budget.max.max(1) {
        let until = now + service.budget.cooldown.as_secs_f64();
        next.status = ServiceStatus::Exhausted;
        next.exhausted_until = Some(until);
        return (Verdict::Exhausted { until, newly: true }, next);
    }
    next.exhausted_until = None;
    if let Some(last) = prior.last_run.filter(|_| !next.recent_runs.is_empty()) {
        let until = last + backoff(service, next.recent_runs.len());
        if until > now {
            return (Verdict::Backoff { until }, next);
        }
    }
    // Counters reset when a pipeline starts: the next verdict starts from zero.
    next.consecutive_failures = 0;
    next.recent_runs.push(now);
    next.last_run = Some(now);
    next.status = ServiceStatus::Remediating;
    let attempt = next.recent_runs.len() as u32;
    (Verdict::Remediate { attempt }, next)
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
            State::Critical,
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
        let (v, s) = decide(&app, &s, State::Critical, &db_healthy, 1060.0);
        assert_eq!(v, Verdict::Remediate { attempt: 1 });
        assert_eq!(
            (s.consecutive_failures, s.status, s.last_run),
            (0, ServiceStatus::Remediating, Some(1060.0))
        );
        // Warning is not a failure state by default: healthy, and it recovered.
        let (v, s) = decide(&app, &s, State::Warning, &db_healthy, 1200.0);
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
        let (v, _) = decide(&app, &prior, State::Critical, &db_healthy, 1010.0);
        assert_eq!(v, Verdict::InGrace { until: 1030.0 });
        prior.grace_until = None;
        let db_down = |_: &str| Some(ServiceStatus::Failing);
        let (v, _) = decide(&app, &prior, State::Critical, &db_down, 1010.0);
        assert_eq!(
            v,
            Verdict::DependencyDown {
                dependency: "db".into()
            }
        );
        // One attempt made 10 s ago: the next waits 2 x 30 s after it.
        prior.recent_runs = vec![1000.0];
        prior.last_run = Some(1000.0);
        let (v, _) = decide(&app, &prior, State::Critical, &db_healthy, 1010.0);
        assert_eq!(v, Verdict::Backoff { until: 1060.0 });
        let (v, _) = decide(&app, &prior, State::Critical, &db_healthy, 1061.0);
        assert_eq!(v, Verdict::Remediate { attempt: 2 });
        // Two attempts in the window spend the budget of 2: exhausted for the cooldown.
        prior.recent_runs = vec![1000.0, 1100.0];
        prior.last_run = Some(1100.0);
        let (v, s) = decide(&app, &prior, State::Critical, &db_healthy, 1500.0);
        assert_eq!(
            v,
            Verdict::Exhausted {
                until: 1500.0 + 7200.0,
                newly: true
            }
        );
        let (v, _) = decide(&app, &s, State::Critical, &db_healthy, 1600.0);
        assert_eq!(
            v,
            Verdict::Exhausted {
                until: 8700.0,
                newly: false
            }
        );
        // Outside the window the old attempts no longer count.
        let (v, _) = decide(&app, &prior, State::Critical, &db_healthy, 1100.0 + 3600.0);
        assert_eq!(v, Verdict::Remediate { attempt: 1 });
    }
}
