//! A warning and a critical range for one metric.

use crate::range::Range;
use crate::state::State;

/// The `-w`/`-c` pair for one metric; either may be absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Alert WARNING when this range alerts.
    pub warning: Option<Range>,
    /// Alert CRITICAL when this range alerts; evaluated first.
    pub critical: Option<Range>,
}

impl Thresholds {
    /// A pair from optional ranges.
    pub fn new(warning: Option<Range>, critical: Option<Range>) -> Self {
        Thresholds { warning, critical }
    }

    /// Critical first, then warning, then OK (the guideline's order).
    pub fn evaluate(&self, value: f64) -> State {
        if self.critical.as_ref().is_some_and(|r| r.alerts(value)) {
            State::Critical
        } else if self.warning.as_ref().is_some_and(|r| r.alerts(value)) {
            State::Warning
        } else {
            State::Ok
        }
    }

    /// The range that decided `state`, for messages like "(limit 90s)".
    pub fn range_for(&self, state: State) -> Option<&Range> {
        match state {
            State::Critical => self.critical.as_ref(),
            State::Warning => self.warning.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(warning: &str, critical: &str) -> Thresholds {
        Thresholds::new(Range::parse(warning).ok(), Range::parse(critical).ok())
    }

    #[test]
    fn critical_is_evaluated_before_warning() {
        let t = pair("10", "20");
        assert_eq!(t.evaluate(5.0), State::Ok);
        assert_eq!(t.evaluate(10.0), State::Ok);
        assert_eq!(t.evaluate(15.0), State::Warning);
        assert_eq!(t.evaluate(25.0), State::Critical);
        assert_eq!(t.evaluate(-1.0), State::Critical);
    }

    #[test]
    fn guideline_command_line_examples() {
        // check_stuff -w10: -c20
        let t = pair("10:", "20");
        assert_eq!(t.evaluate(5.0), State::Warning);
        assert_eq!(t.evaluate(15.0), State::Ok);
        assert_eq!(t.evaluate(21.0), State::Critical);
        // check_stuff -w~:0 -c10
        let t = pair("~:0", "10");
        assert_eq!(t.evaluate(0.0), State::Ok);
        assert_eq!(t.evaluate(1.0), State::Warning);
        assert_eq!(t.evaluate(11.0), State::Critical);
        assert_eq!(t.evaluate(-1.0), State::Critical);
        // check_stuff -c@10:20
        let t = Thresholds::new(None, Range::parse("@10:20").ok());
        assert_eq!(t.evaluate(9.0), State::Ok);
        assert_eq!(t.evaluate(15.0), State::Critical);
        assert_eq!(t.evaluate(21.0), State::Ok);
    }

    #[test]
    fn no_thresholds_is_always_ok() {
        assert_eq!(Thresholds::default().evaluate(1e9), State::Ok);
    }
}
