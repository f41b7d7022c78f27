//! States as the store and the JSON views name them.

use serde::Serializer;
use triage_core::State;

/// Serialises a state as its label (`CRITICAL`).
pub(super) fn state_label<S: Serializer>(state: &State, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.label())
}

/// Serialises an optional state as its label, or null.
pub(super) fn option_state_label<S: Serializer>(
    state: &Option<State>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match state {
        Some(state) => serializer.serialize_str(state.label()),
        None => serializer.serialize_none(),
    }
}

/// The state with exit code `code`, as stored in the database.
pub fn state_from_code(code: i64) -> Option<State> {
    [State::Ok, State::Warning, State::Critical, State::Unknown]
        .into_iter()
        .find(|state| i64::from(state.code()) == code)
}
