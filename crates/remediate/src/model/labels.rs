//! Names as the store and the views use them: states by their labels, and the unit
//! enums by the names [`stored_names!`] gives them.

/// Gives a unit enum the names it is stored and shown by: `ALL` (in declaration order),
/// `as_str` and `from_name`.
macro_rules! stored_names {
    ($type:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// Every value, in declaration order.
            pub const ALL: [$type; [$($name),+].len()] = [$($type::$variant),+];

            /// The name stored in the database and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }

            /// The value stored as `name`.
            pub fn from_name(name: &str) -> Option<$type> {
                $type::ALL.into_iter().find(|value| value.as_str() == name)
            }
        }
    };
}

pub(super) use stored_names;

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
