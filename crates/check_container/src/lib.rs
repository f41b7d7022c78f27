//! check_container: Docker and Podman container health. Lists and inspects the selected
//! containers (I/O in `gather`), judges each (pure, in `judge`) and reports (in `report`).

pub mod cli;
pub mod facts;
pub mod gather;
pub mod judge;
pub mod report;
pub mod restarts;
pub mod selection;

use std::ffi::OsString;
use std::process::ExitCode;

use triage_core::runner::{Context, Plugin};
use triage_core::{CheckResult, OutputFormat, run};
use triage_docker::{ApiVersion, DockerClient, EngineAddress, EngineError, EngineKind};

pub use cli::Args;

use crate::facts::RunFacts;
use crate::restarts::RestartStore;

/// The plugin's names.
pub const PLUGIN: Plugin = Plugin {
    name: "check_container",
    service: "CONTAINER",
};

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Nothing to select containers with.
    #[error(
        "name a container, or select with --all, --label or --name (see check_container --help)"
    )]
    NoSelector,
    /// The engine could not be asked.
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// Runs check_container with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    run(PLUGIN, args, check)
}

/// The whole check: connect, list, select, gather, judge, report.
pub fn check(args: &Args, context: &Context) -> Result<CheckResult, CheckError> {
    if args.containers.is_empty() && args.names.is_empty() && args.labels.is_empty() && !args.all {
        return Err(CheckError::NoSelector);
    }
    let deadline = context.io_deadline();
    let address = EngineAddress::discover(args.host.as_deref(), args.podman)?;
    let forced = match args.api_version {
        Some(version) => Some(version),
        None => ApiVersion::from_env()?,
    };
    let client = DockerClient::connect(address, deadline, forced)?;
    let list = client.containers(true)?;
    let selection = selection::select(&list, args);
    let store = args
        .tracks_restarts()
        .then(|| RestartStore::open(args.state_dir.as_deref(), &client.address().to_string()));
    let facts = gather::gather(
        &client,
        &selection.chosen,
        args.wants_stats(),
        store.as_ref(),
    );
    let run = RunFacts {
        now: triage_core::runner::now_unix(),
        engine: describe_engine(&client),
        podman: matches!(client.kind(), EngineKind::Podman(_)),
    };
    let policy = judge::Policy::from_args(args);
    let verdicts = selection
        .missing
        .iter()
        .map(|missing| judge::judge_missing(missing, &policy))
        .chain(facts.iter().map(|fact| judge::judge(fact, &run, &policy)))
        .collect();
    let verbose = context.verbose > 0;
    let detailed = verbose || args.common.output_format == OutputFormat::Json;
    Ok(report::report(verdicts, &run, detailed, verbose))
}

/// `Docker, API 1.41, unix:///var/run/docker.sock`.
fn describe_engine(client: &DockerClient) -> String {
    let kind = match client.kind() {
        EngineKind::Docker => "Docker".to_owned(),
        EngineKind::Podman(version) => format!("Podman {version}"),
    };
    let api = client
        .version()
        .map(|v| format!("API {v}"))
        .unwrap_or_else(|| "unversioned API".to_owned());
    format!("{kind}, {api}, {}", client.address())
}
