//! remediate's command line: `check` (the default, for cron), `watch` (a service),
//! `event` (Nagios and Icinga event handlers), `run`, `on`/`off`, `maint`, `status`,
//! `history` and `validate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use triage_core::State;
use triage_core::cli::{VERSION, parse_duration};

use crate::model::StateType;

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
remediate watch --interval 15s       # as a service (packaging/systemd)\n  \
remediate event api $SERVICESTATE$ $SERVICESTATETYPE$ $SERVICEATTEMPT$   # Nagios\n  \
remediate run my_server --dry-run\n  remediate maint api --for 2h --reason 'disk swap'\n  \
remediate history --since 1d\n  remediate validate -c ./remediate.toml"
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
    /// Pass after pass until SIGTERM or SIGINT (a service; see packaging/systemd).
    Watch {
        /// From the start of one pass to the start of the next [default: the
        /// configuration's `interval`, else 15s].
        #[arg(long = "interval", value_name = "DURATION", value_parser = parse_duration)]
        interval: Option<f64>,
        /// Services checked at once [default: the configuration's `concurrency`, else 4].
        #[arg(long = "concurrency", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
        concurrency: Option<u32>,
        /// Stop after this many passes (tried: a pass skipped for the lock counts).
        #[arg(long = "passes", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        passes: Option<u64>,
    },
    /// For Nagios and Icinga event handlers: act on a service's state change.
    #[command(
        after_help = "Nagios:   remediate event api $SERVICESTATE$ $SERVICESTATETYPE$ $SERVICEATTEMPT$\n\
Icinga 2: remediate event api -s $service.state$ -t $service.state_type$ -a $service.check_attempt$\n\
Without a state, NAGIOS_SERVICESTATE, NAGIOS_SERVICESTATETYPE and NAGIOS_SERVICEATTEMPT are read \
(enable_environment_macros=1). Acts on CRITICAL HARD once per problem by default (see `event` in \
the configuration); a pipeline runs detached and the handler returns at once with its run id. \
Exit 0: handled or ignored; 1: the pipeline could not be started."
    )]
    Event {
        /// The service, as named in remediate's configuration.
        service: String,
        /// The state (OK, WARNING, CRITICAL, UNKNOWN), Nagios's form.
        #[arg(value_name = "STATE", conflicts_with = "state", value_parser = parse_event_state)]
        state_arg: Option<State>,
        /// SOFT or HARD, Nagios's form.
        #[arg(value_name = "STATETYPE", conflicts_with = "state_type", value_parser = parse_state_type)]
        state_type_arg: Option<StateType>,
        /// The check attempt, Nagios's form.
        #[arg(value_name = "ATTEMPT", conflicts_with = "attempt", value_parser = parse_attempt)]
        attempt_arg: Option<u32>,
        /// The state, Icinga 2's form.
        #[arg(short = 's', long = "state", value_name = "STATE", value_parser = parse_event_state)]
        state: Option<State>,
        /// SOFT or HARD, Icinga 2's form.
        #[arg(short = 't', long = "state-type", value_name = "TYPE", value_parser = parse_state_type)]
        state_type: Option<StateType>,
        /// The check attempt, Icinga 2's form.
        #[arg(short = 'a', long = "attempt", value_name = "N", value_parser = parse_attempt)]
        attempt: Option<u32>,
        /// Who is calling, for the audit log [default: nagios for the positional form,
        /// icinga for -s -t -a].
        #[arg(long = "source", value_name = "SOURCE", value_parser = ["nagios", "icinga", "cli"])]
        source: Option<String>,
        /// The plugin output ($SERVICEOUTPUT$), kept with the run.
        #[arg(long = "output", value_name = "TEXT")]
        output: Option<String>,
        /// Say what would be done; change nothing.
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Maintenance: no action on a service for a while (it is still checked).
    #[command(
        after_help = "Examples:\n  remediate maint api --for 2h --reason 'disk swap'\n  \
remediate maint --list\n  remediate maint api --end"
    )]
    Maint {
        /// The service.
        #[arg(required_unless_present = "list")]
        service: Option<String>,
        /// How long; it ends by itself.
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration,
              required_unless_present_any = ["list", "end"], conflicts_with_all = ["list", "end"])]
        duration: Option<f64>,
        /// Why, for the history and the status.
        #[arg(long = "reason", value_name = "TEXT", required_unless_present_any = ["list", "end"])]
        reason: Option<String>,
        /// The open maintenance windows.
        #[arg(long = "list", conflicts_with_all = ["end", "reason"])]
        list: bool,
        /// End the service's window now.
        #[arg(long = "end", conflicts_with = "reason")]
        end: bool,
    },
    /// Internal: an event handler's pipeline, detached.
    #[command(hide = true)]
    Pipeline {
        /// The run the handler began.
        run: i64,
        /// The service lock, inherited.
        #[arg(long = "lock-fd", value_name = "FD")]
        lock_fd: i32,
    },
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

/// An event's state: OK, WARNING, CRITICAL or UNKNOWN (any case, or 0-3).
pub fn parse_event_state(text: &str) -> Result<State, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not OK, WARNING, CRITICAL or UNKNOWN"))
}

/// An event's state type: SOFT or HARD (any case, or Icinga's 0 and 1).
pub fn parse_state_type(text: &str) -> Result<StateType, String> {
    text.parse()
        .map_err(|error: crate::model::StateTypeParseError| error.to_string())
}

/// An event's check attempt: a whole number.
pub fn parse_attempt(text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an attempt number"))
}
