//! Why the engine could not answer, in words an operator can act on.

use std::io;

/// Everything that can go wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `--host` or `DOCKER_HOST` cannot be used.
    #[error("bad engine address '{address}': {why}")]
    BadAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        why: String,
    },
    /// An API version that is not `MAJOR.MINOR`.
    #[error("bad API version '{0}': expected MAJOR.MINOR such as 1.41")]
    BadApiVersion(String),
    /// None of the usual sockets exists.
    #[error("no Docker or Podman socket found (tried {tried}); use --host or set DOCKER_HOST")]
    NoSocket {
        /// The paths looked at.
        tried: String,
    },
    /// The connection could not be made.
    #[error("cannot connect to {address}: {}", connect_reason(source, *unix))]
    Connect {
        /// The engine's address.
        address: String,
        /// Whether it is a Unix socket (the hints differ).
        unix: bool,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The deadline passed.
    #[error("{address}: {what}: no answer before the deadline")]
    TimedOut {
        /// The engine's address.
        address: String,
        /// The request.
        what: String,
    },
    /// The connection broke, or the answer was not HTTP or too large.
    #[error("{address}: {what}: {reason}")]
    Transport {
        /// The engine's address.
        address: String,
        /// The request.
        what: String,
        /// What went wrong.
        reason: String,
    },
    /// 404: the daemon's own message (`No such container: web`).
    #[error("{message}")]
    NotFound {
        /// The daemon's message.
        message: String,
    },
    /// The daemon refused our API version.
    #[error("{message} (set --api-version or DOCKER_API_VERSION to one it supports)")]
    ApiVersion {
        /// The daemon's message.
        message: String,
    },
    /// Any other error status.
    #[error("{what}: the engine answered {status}: {message}")]
    Status {
        /// The request.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The daemon's message, or the start of the body.
        message: String,
    },
    /// A 2xx answer that is not the JSON expected.
    #[error("{what}: the answer is not the JSON expected: {reason}")]
    BadJson {
        /// The request.
        what: String,
        /// serde's reason.
        reason: String,
    },
}

fn connect_reason(error: &io::Error, unix: bool) -> String {
    match (error.kind(), unix) {
        (io::ErrorKind::PermissionDenied, true) => {
            "permission denied (is this user in the docker group?)".to_owned()
        }
        (io::ErrorKind::NotFound, true) => {
            "no such socket (is the Docker or Podman service running?)".to_owned()
        }
        (io::ErrorKind::ConnectionRefused, true) => {
            "connection refused (a stale socket: the engine is not running)".to_owned()
        }
        (io::ErrorKind::ConnectionRefused, false) => "connection refused".to_owned(),
        (io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut, _) => {
            "no answer before the deadline".to_owned()
        }
        _ => triage_os::describe_io(error),
    }
}
