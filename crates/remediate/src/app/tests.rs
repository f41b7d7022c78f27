//! The subcommands' pure parts: reading an event's words, and the one map from errors to
//! exit codes.

use triage_core::State;

use super::event::event_from;
use super::*;
use crate::model::{Source, StateType};

#[test]
fn an_event_comes_from_nagios_positions_or_icinga_flags_with_its_source() {
    let nagios = event_from(
        (Some(State::Critical), Some(StateType::Hard), Some(3)),
        (None, None, None),
        None,
        Some("PROCS CRITICAL: 0 processes".into()),
    )
    .expect("event");
    assert_eq!(
        (
            nagios.state,
            nagios.state_type,
            nagios.attempt,
            nagios.source
        ),
        (State::Critical, StateType::Hard, 3, Source::Nagios)
    );
    assert_eq!(
        nagios.output.as_deref(),
        Some("PROCS CRITICAL: 0 processes")
    );
    let icinga = event_from(
        (None, None, None),
        (Some(State::Warning), Some(StateType::Soft), Some(1)),
        Some("cli"),
        Some(String::new()),
    )
    .expect("event");
    assert_eq!((icinga.source, icinga.output), (Source::Cli, None));
}

#[test]
fn an_event_missing_a_part_is_a_usage_error_saying_which() {
    let error = event_from(
        (Some(State::Critical), None, Some(3)),
        (None, None, None),
        None,
        None,
    )
    .expect_err("no state type");
    assert_eq!(error.exit(), Exit::Usage);
    assert!(
        error
            .to_string()
            .starts_with("event: no state type (give STATE STATETYPE ATTEMPT"),
        "{error}"
    );
}

#[test]
fn each_error_has_one_exit_code() {
    let cases = [
        (AppError::UnknownService("x".into()), Exit::Usage),
        (AppError::Usage("bad".into()), Exit::Usage),
        (AppError::Broken("signals".into()), Exit::Broken),
        (
            AppError::Lock(LockError::Busy("/run/x.lock".into())),
            Exit::Broken,
        ),
        (
            AppError::Store(StoreError::Locked {
                path: "/var/lib/triage/remediate.db".into(),
            }),
            Exit::Broken,
        ),
    ];
    for (error, exit) in cases {
        assert_eq!(error.exit(), exit, "{error}");
    }
    assert_eq!(
        [Exit::Ok, Exit::Problem, Exit::Usage, Exit::Broken].map(|e| e as u8),
        [0, 1, 2, 3]
    );
}
