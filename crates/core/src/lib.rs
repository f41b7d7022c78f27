//! The contract every Triage plugin follows: Nagios states and exit codes, threshold
//! ranges, performance data, the output model and its formats, and the runner that turns
//! any failure into UNKNOWN within a hard deadline.

pub mod cli;
pub mod duration;
pub mod format;
pub mod io_error;
pub mod number;
pub mod output;
pub mod perfdata;
pub mod range;
pub mod regex;
pub mod runner;
pub mod state;
pub mod state_dir;
pub mod threshold;

pub use cli::{CommonArgs, OutputFormat, TimeoutSpec};
pub use duration::parse_seconds;
pub use io_error::describe_io;
pub use output::{CheckResult, Records, Subcheck};
pub use perfdata::{Perfdata, Uom};
pub use range::{Range, RangeError};
pub use regex::PosixRegex;
pub use runner::{Plugin, run};
pub use state::State;
pub use state_dir::StateDir;
pub use threshold::Thresholds;
