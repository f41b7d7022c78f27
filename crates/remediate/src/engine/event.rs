//! A Nagios or Icinga event handler's call: decide, record the decision with its source,
//! tell the webhooks, and for a pipeline begin its run (the caller detaches it).

use triage_core::State;

use super::Engine;
use crate::config::Service;
use crate::decide::{EventSeen, EventVerdict, Verdict, decide_event, notifications};
use crate::model::{Decision, RunId, RunReason, Source, StateType, now};
use crate::notify::Notice;
use crate::store::{Store, StoreError};

/// What a monitoring core said about a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The state.
    pub state: State,
    /// SOFT or HARD.
    pub state_type: StateType,
    /// The attempt.
    pub attempt: u32,
    /// Who sent it.
    pub source: Source,
    /// The plugin output, when the handler passes it (kept in the run's reason).
    pub output: Option<String>,
}

/// What an event handler decided, and the run it began (the caller detaches it).
#[derive(Debug, Clone, PartialEq)]
pub struct EventHandled {
    /// The decision.
    pub verdict: EventVerdict,
    /// The run begun, when the verdict is to remediate.
    pub run: Option<RunId>,
}

/// `remediate event`: decides, records the decision with its source, tells the webhooks
/// (DOWN, RECOVERED, EXHAUSTED), and for a pipeline begins its run. `busy` says whether
/// the caller could not take the service's lock. The caller holds the lock otherwise.
/// A dry run only decides: nothing is recorded, told or begun.
pub fn handle_event(
    engine: &Engine,
    store: &mut Store,
    service: &Service,
    event: &Event,
    busy: bool,
    dry_run: bool,
) -> Result<EventHandled, StoreError> {
    let at = now();
    let maintenance_until = store
        .active_maintenance(at)?
        .into_iter()
        .find(|w| w.service == service.name)
        .map(|w| w.until);
    let seen = EventSeen {
        state: event.state,
        hard: event.state_type == StateType::Hard,
        attempt: event.attempt,
        maintenance_until,
        busy,
    };
    let mut pass = store.pass()?;
    let prior = pass.service(&service.name)?;
    let (verdict, next) = decide_event(service, &prior, seen, at);
    if dry_run {
        return Ok(EventHandled { verdict, run: None });
    }
    pass.save_service(&service.name, &next)?;
    pass.commit()?;
    let summary = event.output.clone().unwrap_or_default();
    let mut run = None;
    if let EventVerdict::Remediate { .. } = verdict {
        let reason = RunReason::Event {
            state: event.state,
            state_type: event.state_type,
            attempt: event.attempt,
            source: event.source,
            output: event.output.as_deref(),
        };
        let id = store.begin_run(&service.name, &reason.to_string(), event.source, false, at)?;
        let mut pass = store.pass()?;
        let mut current = pass.service(&service.name)?;
        current.problem_run = Some(id);
        pass.save_service(&service.name, &current)?;
        pass.commit()?;
        run = Some(id);
    }
    store.record_decision(&Decision {
        service: service.name.clone(),
        at,
        source: event.source,
        state: Some(event.state),
        state_type: Some(event.state_type),
        attempt: Some(event.attempt),
        decision: verdict.to_string(),
        run,
    })?;
    let as_pass = match verdict {
        EventVerdict::Exhausted { until, newly } => Verdict::Exhausted { until, newly },
        _ => Verdict::BeingRemediated,
    };
    for kind in notifications(&prior, &next, &as_pass) {
        engine.teller.tell(&Notice {
            kind,
            service,
            state: Some(event.state),
            summary: &summary,
            attempt: None,
            run_id: run,
            steps: &[],
            source: event.source,
            at,
        });
    }
    Ok(EventHandled { verdict, run })
}
