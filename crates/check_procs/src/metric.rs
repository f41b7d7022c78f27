//! What the thresholds judge: the number of matching processes (PROCS), or each matching
//! process's VSZ, RSS, %CPU or age, counting the ones in WARNING and CRITICAL as the C
//! plugin does.

use triage_core::{State, Thresholds};

use crate::facts::{Need, ProcessFacts};

/// `-m`: case-sensitive, as in C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// The count of matching processes.
    #[default]
    Procs,
    /// Virtual size of each, KiB.
    Vsz,
    /// Resident size of each, KiB.
    Rss,
    /// %CPU of each.
    Cpu,
    /// Seconds since each started.
    Elapsed,
}

impl Metric {
    /// Parses the `-m` argument.
    pub fn parse(text: &str) -> Result<Metric, String> {
        match text {
            "PROCS" => Ok(Metric::Procs),
            "VSZ" => Ok(Metric::Vsz),
            "RSS" => Ok(Metric::Rss),
            "CPU" => Ok(Metric::Cpu),
            "ELAPSED" => Ok(Metric::Elapsed),
            _ => Err(format!(
                "metric must be one of PROCS, VSZ, RSS, CPU, ELAPSED (upper case), not '{text}'"
            )),
        }
    }

    /// The name printed at the start of the first line.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Procs => "PROCS",
            Metric::Vsz => "VSZ",
            Metric::Rss => "RSS",
            Metric::Cpu => "CPU",
            Metric::Elapsed => "ELAPSED",
        }
    }

    /// The facts a process's value comes from.
    pub fn needs(self) -> Need {
        match self {
            Metric::Procs => Need::NONE,
            Metric::Vsz | Metric::Rss => Need::MEMORY,
            Metric::Cpu | Metric::Elapsed => Need::STAT,
        }
    }

    /// One process's value, `None` for PROCS (or a fact that could not be read).
    pub fn value(self, facts: &ProcessFacts) -> Option<f64> {
        match self {
            Metric::Procs => None,
            Metric::Vsz => facts.memory.map(|m| m.vsz_kib as f64),
            Metric::Rss => facts.memory.map(|m| m.rss_kib as f64),
            Metric::Cpu => facts.cpu_percent,
            Metric::Elapsed => facts.elapsed_s.map(|s| s as f64),
        }
    }

    /// The value as people read it in long output.
    pub fn show(self, value: f64) -> String {
        match self {
            Metric::Procs => String::new(),
            Metric::Vsz => format!("VSZ {value} KiB"),
            Metric::Rss => format!("RSS {value} KiB"),
            Metric::Cpu => format!("CPU {value:.1}%"),
            Metric::Elapsed => format!("ELAPSED {value}s"),
        }
    }
}

/// The outcome: the run's state and, for per-process metrics, each process's.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The run's state.
    pub state: State,
    /// Processes matched by the filters.
    pub count: usize,
    /// Per-process metrics: processes in WARNING.
    pub warn: usize,
    /// Per-process metrics: processes in CRITICAL.
    pub crit: usize,
    /// Each matched process's state, in the order given (OK for PROCS).
    pub states: Vec<State>,
}

/// Judges the matched processes: PROCS compares the count; the other metrics compare each
/// process and the worst one decides (no threshold: OK).
pub fn judge(processes: &[ProcessFacts], metric: Metric, thresholds: &Thresholds) -> Verdict {
    let count = processes.len();
    if metric == Metric::Procs {
        return Verdict {
            state: thresholds.evaluate(count as f64),
            count,
            warn: 0,
            crit: 0,
            states: vec![State::Ok; count],
        };
    }
    let states: Vec<State> = processes
        .iter()
        .map(|facts| match metric.value(facts) {
            Some(value) => thresholds.evaluate(value),
            None => State::Ok,
        })
        .collect();
    let tally = |wanted: State| states.iter().filter(|s| **s == wanted).count();
    Verdict {
        state: State::worst_of(states.iter().copied()),
        count,
        warn: tally(State::Warning),
        crit: tally(State::Critical),
        states,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::Range;
    use triage_proc::Memory;

    fn thresholds(warning: &str, critical: &str) -> Thresholds {
        Thresholds::new(Range::parse(warning).ok(), Range::parse(critical).ok())
    }

    fn with_rss(kib: u64) -> ProcessFacts {
        ProcessFacts {
            memory: Some(Memory {
                vsz_kib: kib * 2,
                rss_kib: kib,
            }),
            ..ProcessFacts::default()
        }
    }

    #[test]
    fn metric_names_are_case_sensitive() {
        assert_eq!(Metric::parse("RSS"), Ok(Metric::Rss));
        assert_eq!(Metric::parse("ELAPSED"), Ok(Metric::Elapsed));
        assert!(Metric::parse("rss").is_err());
        assert!(Metric::parse("FOO").is_err());
    }

    #[test]
    fn procs_judges_the_count() {
        let three = vec![ProcessFacts::default(); 3];
        assert_eq!(
            judge(&three, Metric::Procs, &thresholds("2", "5")).state,
            State::Warning
        );
        assert_eq!(
            judge(&three, Metric::Procs, &thresholds("1:", "1:")).state,
            State::Ok
        );
        assert_eq!(
            judge(&[], Metric::Procs, &thresholds("", "1:")).state,
            State::Critical
        );
        assert_eq!(
            judge(&[], Metric::Procs, &Thresholds::default()).state,
            State::Ok
        );
    }

    #[test]
    fn per_process_metrics_count_warn_and_crit() {
        let processes = [with_rss(10), with_rss(150), with_rss(300), with_rss(250)];
        let verdict = judge(&processes, Metric::Rss, &thresholds("100", "200"));
        assert_eq!(verdict.state, State::Critical);
        assert_eq!((verdict.count, verdict.warn, verdict.crit), (4, 1, 2));
        assert_eq!(
            verdict.states,
            [State::Ok, State::Warning, State::Critical, State::Critical]
        );
        let verdict = judge(&processes, Metric::Vsz, &Thresholds::default());
        assert_eq!(
            (verdict.state, verdict.warn, verdict.crit),
            (State::Ok, 0, 0)
        );
    }
}
