//! Nagios service states and their exit codes.

use std::fmt;
use std::str::FromStr;

/// A plugin's verdict; its discriminant is the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Checked, and it is fine.
    Ok = 0,
    /// Above a warning threshold, or degraded.
    Warning = 1,
    /// Down, or above a critical threshold.
    Critical = 2,
    /// The check could not be made.
    Unknown = 3,
}

impl State {
    /// The exit code Nagios reads.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The upper-case name used in output lines.
    pub fn label(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// Rank for combining and sorting results: OK < UNKNOWN < WARNING < CRITICAL (the C
    /// suite's `max_state_alt`), so a definite problem is never hidden behind an unknown.
    pub fn severity(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    /// The worse of two states.
    pub fn worst(self, other: State) -> State {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The worst of many states; OK when there are none.
    pub fn worst_of(states: impl IntoIterator<Item = State>) -> State {
        states.into_iter().fold(State::Ok, State::worst)
    }

    /// True when the state needs attention.
    pub fn is_problem(self) -> bool {
        self != State::Ok
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A state name that is not one of OK, WARNING, CRITICAL, UNKNOWN or 0-3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a state, expected ok, warning, critical, unknown or 0-3")]
pub struct StateParseError;

impl FromStr for State {
    type Err = StateParseError;

    /// Accepts names in any case (`critical`, `CRITICAL`, `crit`) and the codes 0-3.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "0" | "ok" => Ok(State::Ok),
            "1" | "warning" | "warn" => Ok(State::Warning),
            "2" | "critical" | "crit" => Ok(State::Critical),
            "3" | "unknown" => Ok(State::Unknown),
            _ => Err(StateParseError),
        }
    }
}

impl From<State> for std::process::ExitCode {
    fn from(state: State) -> Self {
        std::process::ExitCode::from(state.code() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_match_the_plugin_api() {
        assert_eq!(State::Ok.code(), 0);
        assert_eq!(State::Warning.code(), 1);
        assert_eq!(State::Critical.code(), 2);
        assert_eq!(State::Unknown.code(), 3);
    }

    #[test]
    fn worst_orders_unknown_between_ok_and_warning() {
        assert_eq!(State::Ok.worst(State::Unknown), State::Unknown);
        assert_eq!(State::Unknown.worst(State::Warning), State::Warning);
        assert_eq!(State::Warning.worst(State::Unknown), State::Warning);
        assert_eq!(State::Critical.worst(State::Unknown), State::Critical);
        assert_eq!(State::Unknown.worst(State::Ok), State::Unknown);
        assert_eq!(
            State::worst_of([State::Ok, State::Critical, State::Warning]),
            State::Critical
        );
        assert_eq!(State::worst_of([]), State::Ok);
    }

    #[test]
    fn states_parse_from_names_and_codes() {
        assert_eq!("CRITICAL".parse(), Ok(State::Critical));
        assert_eq!("unknown".parse(), Ok(State::Unknown));
        assert_eq!("1".parse(), Ok(State::Warning));
        assert_eq!("0".parse(), Ok(State::Ok));
        assert_eq!("4".parse::<State>(), Err(StateParseError));
        assert_eq!("fine".parse::<State>(), Err(StateParseError));
    }
}
