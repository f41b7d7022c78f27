//! remediate's command line: `check` (the default, for cron), `run`, `on`/`off`, `status`,
//! `history` and `validate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use triage_core::cli::{VERSION, parse_duration};

/// Checks services and runs their recovery pipelines, safely and on the record.
#[derive(Debug, Parser)]
#[command(
    name = "remediate",
    version = VERSION,
    term_width = 80,
    after_help = "Exit codes: 0 all services healthy (or nothing to do: another run holds the lock); \
1 a service is failing, out of budget, or its pipeline failed; 2 bad usage or configuration; \
3 remediate itself could not work (database, lock file).\n\n\
Examples:\n  * * * * * remediate check            # cron, every minute\n  \
remediate run my_server --dry-run\n  remediate history --since 1d\n  remediate validate -c ./remediate.toml"
)]
pub struct Cli {
    /// Configuration file (TOML, JSON, or a Watchdog config.json) [default:
    /// $REMEDIATE_CONFIG, else /etc/triage/remediate.toml].
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// What to do [default: check].
    #[command(subcommand)]
    pub command: Option<Action>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// One pass over all enabled services: check, and run pipelines that are due.
    Check,
    /// Run a service's recovery pipeline now.
    Run {
        /// The service.
        service: String,
        /// Print the pipeline and what each step would do; change nothing.
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Run a service's recovery pipeline now (the Watchdog's name for `run`).
    Restart {
        /// The service.
        service: String,
    },
    /// Switch the service on (checked and remediated again) and start it if it is down.
    On {
        /// The service.
        service: String,
    },
    /// Switch the service off (no checks, no remediation) and stop its process.
    Off {
        /// The service.
        service: String,
    },
    /// `on` for every configured service.
    StartAll,
    /// `off` for every configured service.
    StopAll,
    /// Each service's state.
    Status {
        /// One JSON object.
        #[arg(long = "json", conflicts_with = "output_format")]
        json: bool,
        /// Act as a Nagios plugin (exit 0-3): CRITICAL when a service is out of budget or
        /// the last pass is older than --max-pass-age, WARNING while one is failing.
        #[arg(long = "output-format", value_name = "FORMAT")]
        output_format: Option<triage_core::OutputFormat>,
        /// With --output-format: the oldest the last pass may be.
        #[arg(long = "max-pass-age", value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
        max_pass_age: f64,
    },
    /// What happened: state changes, pipeline runs and their steps, newest first.
    History {
        /// Only this service.
        service: Option<String>,
        /// How far back (90m, 12h, 7d).
        #[arg(long = "since", value_name = "DURATION", default_value = "1d", value_parser = parse_duration)]
        since: f64,
        /// JSON lines, one per entry.
        #[arg(long = "json")]
        json: bool,
    },
    /// Check the configuration and print every problem.
    Validate,
}
