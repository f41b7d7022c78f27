//! Options every plugin shares, parsed once by clap and flattened into each plugin's CLI.

use std::fmt;
use std::time::Duration;

use crate::number::{format_number, parse_decimal};
use crate::state::State;

pub use crate::format::OutputFormat;

/// `NAME vX.Y.Z (triage X.Y.Z)`: the version line every binary prints (after its name).
pub const VERSION: &str = concat!(
    "v",
    env!("CARGO_PKG_VERSION"),
    " (triage ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// The longest deadline accepted; longer ones are almost surely a typo (ms for s).
const MAX_TIMEOUT_SECONDS: f64 = 86_400.0;

/// The options of the Monitoring Plugins guideline plus our output choices.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Hard deadline for the whole run; on expiry print "timed out" and exit with STATE
    /// (default CRITICAL). 0 disables the deadline.
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS[:STATE]",
        default_value = "10",
        value_parser = TimeoutSpec::parse,
        help_heading = "Common options"
    )]
    pub timeout: TimeoutSpec,

    /// State to exit with when the deadline expires: ok, warning, critical, unknown or 0-3.
    #[arg(long = "timeout-result", value_name = "STATE", value_parser = parse_state, help_heading = "Common options")]
    pub timeout_result: Option<State>,

    /// More detail in the long output (repeatable; -v lists every finding).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, help_heading = "Common options")]
    pub verbose: u8,

    /// Output for Nagios/Icinga (default), as one JSON object, or as a Checkmk local check.
    #[arg(
        long = "output-format",
        value_name = "FORMAT",
        value_enum,
        default_value_t,
        help_heading = "Common options"
    )]
    pub output_format: OutputFormat,

    /// Name shown before the state (nagios) or as the Checkmk service name.
    #[arg(
        long = "service-name",
        value_name = "NAME",
        help_heading = "Common options"
    )]
    pub service_name: Option<String>,
}

impl CommonArgs {
    /// The state a timeout ends in: `--timeout-result`, else `-t N:STATE`, else CRITICAL.
    pub fn timeout_state(&self) -> State {
        self.timeout_result
            .or(self.timeout.state)
            .unwrap_or(State::Critical)
    }
}

/// `-t SECONDS[:STATE]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeoutSpec {
    /// Seconds until the deadline; 0 means none.
    pub seconds: f64,
    /// State on expiry given after the colon.
    pub state: Option<State>,
}

impl TimeoutSpec {
    /// Parses `10`, `2.5`, `10:UNKNOWN`, `10:3`.
    pub fn parse(text: &str) -> Result<TimeoutSpec, String> {
        let (seconds_text, state_text) = match text.split_once(':') {
            Some((seconds, state)) => (seconds, Some(state)),
            None => (text, None),
        };
        let seconds = parse_decimal(seconds_text)
            .filter(|s| (0.0..=MAX_TIMEOUT_SECONDS).contains(s))
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a timeout: expected SECONDS[:STATE] with 0 to 86400 seconds"
                )
            })?;
        let state = state_text
            .map(|s| {
                s.parse::<State>().map_err(|_| {
                    format!("'{text}' is not a timeout: '{s}' is not ok, warning, critical, unknown or 0-3")
                })
            })
            .transpose()?;
        Ok(TimeoutSpec { seconds, state })
    }

    /// The deadline's length, `None` when disabled.
    pub fn duration(&self) -> Option<Duration> {
        (self.seconds > 0.0).then(|| Duration::from_secs_f64(self.seconds))
    }
}

impl fmt::Display for TimeoutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_number(self.seconds).unwrap_or_default())
    }
}

/// A duration option (`90`, `90s`, `5m`, `2h`, `1d`, `500ms`) in seconds, for clap.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    crate::duration::parse_seconds(text).ok_or_else(|| {
        format!(
            "'{text}' is not a duration: expected seconds, or a number with s, m, h or d (90s, 5m)"
        )
    })
}

/// Parses a state name or code for clap.
pub fn parse_state(text: &str) -> Result<State, String> {
    text.parse::<State>().map_err(|_| {
        format!("'{text}' is not a state: expected ok, warning, critical, unknown or 0-3")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_with_and_without_state() {
        assert_eq!(
            TimeoutSpec::parse("10"),
            Ok(TimeoutSpec {
                seconds: 10.0,
                state: None
            })
        );
        assert_eq!(
            TimeoutSpec::parse("2.5:UNKNOWN"),
            Ok(TimeoutSpec {
                seconds: 2.5,
                state: Some(State::Unknown)
            })
        );
        assert_eq!(
            TimeoutSpec::parse("5:1"),
            Ok(TimeoutSpec {
                seconds: 5.0,
                state: Some(State::Warning)
            })
        );
        assert_eq!(TimeoutSpec::parse("0").map(|t| t.duration()), Ok(None));
    }

    #[test]
    fn bad_timeouts_say_what_is_expected() {
        assert_eq!(
            TimeoutSpec::parse("abc"),
            Err("'abc' is not a timeout: expected SECONDS[:STATE] with 0 to 86400 seconds".into())
        );
        assert!(TimeoutSpec::parse("-1").is_err());
        assert!(TimeoutSpec::parse("1e9").is_err());
        assert!(TimeoutSpec::parse("99999999").is_err());
        assert_eq!(
            TimeoutSpec::parse("5:maybe"),
            Err(
                "'5:maybe' is not a timeout: 'maybe' is not ok, warning, critical, unknown or 0-3"
                    .into()
            )
        );
    }
}
