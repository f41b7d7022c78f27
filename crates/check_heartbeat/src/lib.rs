//! check_heartbeat: is a process alive and making progress? Gathers facts about each
//! heartbeat (I/O in `gather`), judges them (pure, in `judge`), and reports (in `report`).

pub mod cli;
pub mod facts;
pub mod gather;
pub mod judge;
pub mod report;
pub mod stall;

use std::ffi::OsString;
use std::process::ExitCode;

use triage_core::runner::{Context, Plugin};
use triage_core::{CheckResult, run};

pub use cli::Args;

/// The plugin's names.
pub const PLUGIN: Plugin = Plugin {
    name: "check_heartbeat",
    service: "HEARTBEAT",
};

/// Runs check_heartbeat with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    run(PLUGIN, args, check)
}

/// The whole check: list, gather, judge, report.
pub fn check(args: &Args, context: &Context) -> Result<CheckResult, gather::DirError> {
    let paths = gather::list_paths(args)?;
    if paths.is_empty() {
        let dir = args
            .dir
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        return Ok(CheckResult::new(
            args.missing_state,
            format!("no heartbeat files matching '{}' in {dir}", args.glob),
        ));
    }
    let host = gather::host_facts();
    let store = match args.stall_warning.or(args.stall_critical) {
        Some(_) => stall::StallStore::open(args.state_dir.as_deref()),
        None => stall::StallStore::unused(),
    };
    let policy = judge::Policy::from_args(args);
    let settings = gather::ReadSettings::from_args(args);
    let mut verdicts: Vec<judge::Verdict> = gather::gather_all(&paths, &settings, &host, &store)
        .iter()
        .map(|facts| judge::judge(facts, &host, &policy))
        .collect();
    disambiguate_keys(&mut verdicts, &paths);
    Ok(report::report(&verdicts, args.mtime, context.verbose))
}

/// One heartbeat file judged as the check judges it, with the facts it was judged on, so
/// a caller that acts on the heartbeat's process (remediate's `kill`) uses the very read
/// that was judged, never a second one.
pub fn check_file(
    path: &std::path::Path,
    settings: &gather::ReadSettings,
    policy: &judge::Policy,
    stall: &stall::StallStore,
    verbose: u8,
) -> (CheckResult, facts::SourceFacts) {
    let host = gather::host_facts();
    let facts = gather::gather_retried(path, settings, &host, stall);
    let verdict = judge::judge(&facts, &host, policy);
    (report::report(&[verdict], policy.mtime, verbose), facts)
}

/// Two files with one `process_key` would share perfdata labels; the later ones fall back
/// to their file names.
fn disambiguate_keys(verdicts: &mut [judge::Verdict], paths: &[std::path::PathBuf]) {
    let mut seen = std::collections::HashSet::new();
    for (verdict, path) in verdicts.iter_mut().zip(paths) {
        if !seen.insert(verdict.key.clone()) {
            verdict.key = path.display().to_string();
            seen.insert(verdict.key.clone());
        }
    }
}
