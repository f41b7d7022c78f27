//! A tiny plugin for the integration tests: it drives the core runner into its panic,
//! timeout and error paths inside a real process.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use triage_core::runner::{Context, Plugin, PluginArgs};
use triage_core::{CheckResult, CommonArgs, State};

#[derive(Debug, Parser)]
#[command(name = "runner_probe", version = triage_core::cli::VERSION, term_width = 80)]
struct Args {
    /// Panic inside the check.
    #[arg(long)]
    panic: bool,
    /// Panic inside a second thread.
    #[arg(long)]
    panic_in_thread: bool,
    /// Open this FIFO for reading: blocks in open(2) until a writer appears.
    #[arg(long, value_name = "FIFO")]
    block_on: Option<PathBuf>,
    /// Return this error instead of a result.
    #[arg(long, value_name = "TEXT")]
    fail: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

impl PluginArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

fn check(args: &Args, _context: &Context) -> Result<CheckResult, String> {
    if args.panic {
        panic!("probe asked to panic");
    }
    if args.panic_in_thread {
        let _ = std::thread::spawn(|| panic!("probe thread panicked")).join();
    }
    if let Some(fifo) = &args.block_on {
        let _ = std::fs::File::open(fifo);
    }
    if let Some(text) = &args.fail {
        return Err(text.clone());
    }
    Ok(CheckResult::new(State::Ok, "probe finished"))
}

fn main() -> ExitCode {
    let plugin = Plugin {
        name: "runner_probe",
        service: "PROBE",
    };
    triage_core::run(
        plugin,
        std::env::args_os().collect::<Vec<OsString>>(),
        check,
    )
}
