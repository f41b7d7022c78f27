//! check_procs: a faster drop-in for the classic check_procs that reads `/proc` itself
//! (`scan`), judges the matched processes (`metric`, pure) and prints the C plugin's exact
//! first line (`report`), plus container filters, CPU sampling and JSON.

pub mod cli;
pub mod container;
pub mod facts;
pub mod filter;
pub mod metric;
pub mod report;
pub mod scan;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use triage_core::runner::{Context, Plugin, PluginArgs};
use triage_core::{CheckResult, OutputFormat, run};
use triage_docker::DockerClient;
use triage_proc::{Clock, Pid, ProcError, ProcFs, user_by_uid};

pub use cli::Args;

use crate::container::ContainerSelector;
use crate::facts::Need;
use crate::filter::Filter;
use crate::report::ReportInput;
use crate::scan::Scanner;

/// The plugin's names (the service shown is the `-m` metric, PROCS by default).
pub const PLUGIN: Plugin = Plugin {
    name: "check_procs",
    service: "PROCS",
};

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// `/proc` is missing or unreadable.
    #[error("cannot read the process table: {0}")]
    ProcessTable(#[from] ProcError),
    /// `/proc` listed no process at all (not mounted, or an empty mount).
    #[error("no processes found in {0}: is procfs mounted?")]
    Empty(String),
    /// `--container NAME` needs the engine, which did not answer.
    #[error("cannot look up container '{given}': {reason}")]
    Container {
        /// The argument.
        given: String,
        /// Why the engine could not be asked.
        reason: String,
    },
}

/// Runs check_procs with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // The C plugin rewrites a lone `-to` to `-t`; old configurations still pass it.
    let args = args
        .into_iter()
        .map(|arg| if arg == "-to" { "-t".into() } else { arg });
    run(PLUGIN, args, check)
}

/// The whole check: scan, (sample), judge, report.
pub fn check(args: &Args, context: &Context) -> Result<CheckResult, CheckError> {
    let root = Path::new("/proc");
    let mut procfs = ProcFs::open(root)?;
    let clock = Clock::read(root)?;
    let json = args.common().output_format == OutputFormat::Json;
    let metric = args.metric();

    let mut output_needs = metric.needs();
    if context.verbose >= 1 {
        output_needs |= Need::COMM;
    }
    if context.verbose >= 2 {
        output_needs |= Need::ARGV;
    }
    if json {
        output_needs |= Need::ALL.without(Need::EXE);
    }
    let sample = args.raw.cpu_sample.map(Duration::from_secs_f64);
    let filters = resolve_containers(&args.filters, context)?;
    // With --cpu-sample, %CPU filters wait for the sampled rate.
    let (cpu_filters, scan_filters): (Vec<Filter>, Vec<Filter>) = filters
        .iter()
        .cloned()
        .partition(|filter| sample.is_some() && filter.is_cpu());
    if sample.is_some() {
        output_needs |= Need::STAT;
    }

    let mut scanner = Scanner::new(&mut procfs, clock, &scan_filters, output_needs);
    let scan = scanner.scan(&own_family())?;
    if scan.considered == 0 {
        return Err(CheckError::Empty(root.display().to_string()));
    }
    let mut matched = scan.matched;
    if let Some(interval) = sample {
        matched = scanner.sample_cpu(matched, interval, context.deadline);
        matched.retain(|facts| cpu_filters.iter().all(|filter| filter.matches(facts)));
    }

    let verdict = metric::judge(&matched, metric, &args.thresholds);
    let user_names = match json {
        true => user_names(matched.iter().filter_map(|facts| facts.euid)),
        false => HashMap::new(),
    };
    Ok(report::report(&ReportInput {
        metric,
        thresholds: &args.thresholds,
        filters: &filters,
        processes: &matched,
        verdict: &verdict,
        verbose: context.verbose,
        user_names: &user_names,
        with_records: json,
    }))
}

/// Asks the container engine which containers each `--container` names. Without an
/// engine, a hex argument still selects by id prefix straight from the cgroup paths.
fn resolve_containers(filters: &[Filter], context: &Context) -> Result<Vec<Filter>, CheckError> {
    let deadline = context.io_deadline();
    let mut engine_answer = None;
    let mut resolved = Vec::with_capacity(filters.len());
    for filter in filters {
        let Filter::Container(selector) = filter else {
            resolved.push(filter.clone());
            continue;
        };
        let given = selector.given.as_str();
        let answer = engine_answer.get_or_insert_with(|| {
            DockerClient::from_env(deadline).and_then(|e| e.containers(false))
        });
        let selector = match answer {
            Ok(list) => {
                let ids = triage_docker::select(list, given)
                    .into_iter()
                    .map(|c| c.id.clone());
                ContainerSelector::resolved(given, ids.collect())
            }
            Err(error) => match ContainerSelector::by_id_prefix(given) {
                Some(by_id) => by_id,
                None => {
                    return Err(CheckError::Container {
                        given: given.to_owned(),
                        reason: error.to_string(),
                    });
                }
            },
        };
        resolved.push(Filter::Container(selector));
    }
    Ok(resolved)
}

/// The check never counts itself or the shell or agent that started it.
fn own_family() -> [Pid; 2] {
    // SAFETY: getpid and getppid cannot fail.
    unsafe { [libc::getpid(), libc::getppid()] }
}

/// Login names for the uids seen, each looked up once.
fn user_names(uids: impl Iterator<Item = u32>) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    for uid in uids {
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(uid) {
            let name = user_by_uid(uid).map_or_else(|| uid.to_string(), |user| user.name);
            entry.insert(name);
        }
    }
    names
}
