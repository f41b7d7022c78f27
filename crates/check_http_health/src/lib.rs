//! check_http_health: is a service's health endpoint up, fast, its certificate sound, and
//! which of its components is failing? The request is built from the arguments
//! (`target`, `request`), sent (`fetch`, `certificate`), judged (pure, `judge` and
//! `health_doc`) and reported (`report`).

pub mod certificate;
pub mod cli;
pub mod fetch;
pub mod health_doc;
pub mod judge;
pub mod report;
pub mod request;
pub mod target;

use std::ffi::OsString;
use std::process::ExitCode;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use triage_core::runner::{Context, Plugin};
use triage_core::{CheckResult, OutputFormat, run};

pub use cli::Args;

/// The plugin's names.
pub const PLUGIN: Plugin = Plugin {
    name: "check_http_health",
    service: "HTTP",
};

/// Why the check could not be made (as opposed to the server failing it).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// No usable target.
    #[error("{0}")]
    Target(#[from] target::TargetError),
    /// The request cannot be built.
    #[error("{0}")]
    Request(#[from] request::RequestError),
    /// A TLS setting cannot be used.
    #[error("{0}")]
    Setup(fetch::FetchError),
}

/// Runs check_http_health with these arguments (argv[0] first) and returns its exit code.
pub fn main_impl(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    run(PLUGIN, args, check)
}

/// The whole check: build the request, send it, judge and report the answer.
pub fn check(args: &Args, context: &Context) -> Result<CheckResult, CheckError> {
    let target = target::target(args)?;
    let request = request::request_spec(args, &|name| std::env::var(name).ok())?;
    let deadline = context.io_deadline();
    let exchange = match fetch::fetch(args, &target, &request, deadline) {
        Ok(exchange) => exchange,
        Err(error) if error.is_setup() => return Err(CheckError::Setup(error)),
        Err(error) => return Ok(CheckResult::new(args.unreachable_state, error.to_string())),
    };
    let certificate = target
        .https
        .then(|| certificate::peer_certificate(&target, client_auth(args), deadline));
    let judgement = judge::judge(
        args,
        &exchange,
        certificate.as_ref(),
        triage_core::runner::now_unix(),
    );
    let detailed = context.verbose > 0 || args.common.output_format == OutputFormat::Json;
    Ok(report::report(&exchange, judgement, detailed))
}

/// The client certificate and key for the expiry handshake, when the server wants one.
fn client_auth(args: &Args) -> Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = CertificateDer::pem_file_iter(args.client_cert.as_ref()?)
        .ok()?
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let key = PrivateKeyDer::from_pem_file(args.client_key.as_ref()?).ok()?;
    Some((chain, key))
}
