//! The output model: a summary, nested subchecks and performance data.

use crate::perfdata::Perfdata;
use crate::state::State;

/// One judged aspect of what a plugin looked at; subchecks nest.
#[derive(Debug, Clone, PartialEq)]
pub struct Subcheck {
    /// A short stable name (for JSON consumers), e.g. the heartbeat key.
    pub name: String,
    /// This aspect's state.
    pub state: State,
    /// One line for people.
    pub output: String,
    /// Metrics that belong to this aspect.
    pub perfdata: Vec<Perfdata>,
    /// Finer aspects, rendered indented below this one.
    pub subchecks: Vec<Subcheck>,
}

impl Subcheck {
    /// A subcheck with no metrics or children.
    pub fn new(name: impl Into<String>, state: State, output: impl Into<String>) -> Self {
        Subcheck {
            name: name.into(),
            state,
            output: output.into(),
            perfdata: Vec::new(),
            subchecks: Vec::new(),
        }
    }

    /// Adds a metric.
    pub fn with_perfdata(mut self, perfdata: Perfdata) -> Self {
        self.perfdata.push(perfdata);
        self
    }

    /// Adds a nested subcheck.
    pub fn with_subcheck(mut self, subcheck: Subcheck) -> Self {
        self.subchecks.push(subcheck);
        self
    }
}

/// Everything one plugin run concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The run's state and so its exit code.
    pub state: State,
    /// The first line's text: what is wrong first.
    pub summary: String,
    /// Long output, one line per subcheck.
    pub subchecks: Vec<Subcheck>,
    /// Metrics of the run as a whole.
    pub perfdata: Vec<Perfdata>,
    /// Keep the perfdata on the first line even when long output follows: the layout of
    /// the C plugins, which drop-in replacements must keep byte for byte.
    pub perfdata_on_first_line: bool,
    /// Items only the JSON format shows in full (the matched processes, say).
    pub records: Option<Records>,
}

/// A list of JSON objects shown under one key of the JSON output, bounded like the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    /// The top-level key, e.g. `processes`; the omission count is `omitted_<key>`.
    pub key: &'static str,
    /// One object per item.
    pub items: Vec<serde_json::Value>,
}

impl CheckResult {
    /// A result with a state and a summary only.
    pub fn new(state: State, summary: impl Into<String>) -> Self {
        CheckResult {
            state,
            summary: summary.into(),
            subchecks: Vec::new(),
            perfdata: Vec::new(),
            perfdata_on_first_line: false,
            records: None,
        }
    }

    /// Every metric, the run's own first, then each subcheck's depth-first: the order Nagios
    /// receives them in.
    pub fn all_perfdata(&self) -> Vec<&Perfdata> {
        fn collect<'a>(subchecks: &'a [Subcheck], into: &mut Vec<&'a Perfdata>) {
            for subcheck in subchecks {
                into.extend(subcheck.perfdata.iter());
                collect(&subcheck.subchecks, into);
            }
        }
        let mut all: Vec<&Perfdata> = self.perfdata.iter().collect();
        collect(&self.subchecks, &mut all);
        all
    }
}
