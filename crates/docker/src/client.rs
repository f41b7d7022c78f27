//! A synchronous Engine API client: one connection per request, the API version
//! negotiated once through `/_ping`, every answer bounded in size and time.

use std::fmt;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::address::EngineAddress;
use crate::error::EngineError;
use crate::http::{self, HttpError, Response, printable};
use crate::model::{ContainerInspect, ContainerSummary, Stats};

/// The newest API version we speak; the daemon's, if lower, wins. Everything we read
/// exists from 1.25 on; Docker 29 refuses anything below 1.44, Debian 12's 20.10 anything
/// above 1.41, so the version must be negotiated, never fixed.
pub const MAX_API_VERSION: ApiVersion = ApiVersion {
    major: 1,
    minor: 47,
};

/// The most body we read: a list of several thousand containers fits.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// An Engine API version such as `1.41`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    /// Always 1 so far.
    pub major: u16,
    /// The part that moves.
    pub minor: u16,
}

impl ApiVersion {
    /// Parses `1.41`.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let (major, minor) = text.trim().split_once('.')?;
        Some(ApiVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl ApiVersion {
    /// `DOCKER_API_VERSION`, which turns negotiation off as it does for the docker CLI.
    pub fn from_env() -> Result<Option<ApiVersion>, EngineError> {
        match std::env::var("DOCKER_API_VERSION") {
            Ok(text) if !text.is_empty() => ApiVersion::parse(&text)
                .map(Some)
                .ok_or(EngineError::BadApiVersion(text)),
            _ => Ok(None),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Which engine answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineKind {
    /// Docker (or anything else speaking its API).
    Docker,
    /// Podman's Docker-compatible API, with its version.
    Podman(String),
}

/// A connection-ready client for one engine, valid until its deadline.
#[derive(Debug, Clone)]
pub struct DockerClient {
    address: EngineAddress,
    deadline: Instant,
    /// `None`: the daemon gave no version, so paths go unversioned.
    version: Option<ApiVersion>,
    kind: EngineKind,
}

impl DockerClient {
    /// Pings the engine at `address` and settles the API version: `forced` if given
    /// (`--api-version`, `DOCKER_API_VERSION`), else the lower of the daemon's and ours.
    pub fn connect(
        address: EngineAddress,
        deadline: Instant,
        forced: Option<ApiVersion>,
    ) -> Result<DockerClient, EngineError> {
        let mut client = DockerClient {
            address,
            deadline,
            version: None,
            kind: EngineKind::Docker,
        };
        let ping = client.request("GET", "/_ping")?;
        if ping.status != 200 {
            return Err(client.status_error("GET /_ping", &ping));
        }
        if let Some(podman) = ping.header("Libpod-Api-Version") {
            client.kind = EngineKind::Podman(podman.to_owned());
        }
        let offered = ping.header("Api-Version").and_then(ApiVersion::parse);
        client.version = forced.or_else(|| offered.map(|v| v.min(MAX_API_VERSION)));
        Ok(client)
    }

    /// The engine `DOCKER_HOST` or the usual sockets name, at the version
    /// `DOCKER_API_VERSION` forces if set: what the docker CLI would talk to.
    pub fn from_env(deadline: Instant) -> Result<DockerClient, EngineError> {
        let address = EngineAddress::discover(None, false)?;
        DockerClient::connect(address, deadline, ApiVersion::from_env()?)
    }

    /// The engine's address.
    pub fn address(&self) -> &EngineAddress {
        &self.address
    }

    /// Docker or Podman.
    pub fn kind(&self) -> &EngineKind {
        &self.kind
    }

    /// The API version in use (`None`: unversioned paths).
    pub fn version(&self) -> Option<ApiVersion> {
        self.version
    }

    /// `GET /containers/json`: every container with `all`, else the running ones.
    pub fn containers(&self, all: bool) -> Result<Vec<ContainerSummary>, EngineError> {
        let query = if all { "?all=1" } else { "" };
        self.get_json(&format!("/containers/json{query}"))
    }

    /// `GET /containers/{id}/json`; a container that does not exist is `NotFound`.
    pub fn inspect(&self, id: &str) -> Result<ContainerInspect, EngineError> {
        self.get_json(&format!("/containers/{}/json", path_segment(id)))
    }

    /// One stats sample: `one_shot` answers at once without a paired previous sample;
    /// otherwise Docker waits about a second to pair it. `None` when the engine has no
    /// figures (Podman answers a stopped container with an empty body).
    pub fn stats(&self, id: &str, one_shot: bool) -> Result<Option<Stats>, EngineError> {
        let one_shot = if one_shot { "&one-shot=true" } else { "" };
        let path = format!(
            "/containers/{}/stats?stream=false{one_shot}",
            path_segment(id)
        );
        let response = self.get(&path)?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse_json(&path, &response.body).map(Some)
    }

    /// `POST /containers/{id}/restart?t=SECONDS`: stops (SIGKILL after `stop_timeout`)
    /// and starts it again; returns once it is running.
    pub fn restart(&self, id: &str, stop_timeout: Duration) -> Result<(), EngineError> {
        let path = format!(
            "/containers/{}/restart?t={}",
            path_segment(id),
            stop_timeout.as_secs()
        );
        self.call("POST", &path).map(drop)
    }

    /// This client with a later or earlier deadline (for a long restart, say).
    pub fn with_deadline(&self, deadline: Instant) -> DockerClient {
        DockerClient {
            deadline,
            ..self.clone()
        }
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, EngineError> {
        let response = self.get(path)?;
        parse_json(path, &response.body)
    }

    fn get(&self, path: &str) -> Result<Response, EngineError> {
        self.call("GET", path)
    }

    /// A request whose answer must be 2xx.
    fn call(&self, method: &str, path: &str) -> Result<Response, EngineError> {
        let versioned = match self.version {
            Some(version) => format!("/v{version}{path}"),
            None => path.to_owned(),
        };
        let response = self.request(method, &versioned)?;
        match response.status {
            200..=299 => Ok(response),
            _ => Err(self.status_error(&format!("{method} {path}"), &response)),
        }
    }

    fn request(&self, method: &str, path: &str) -> Result<Response, EngineError> {
        let what = format!("{method} {}", strip_query(path));
        let answer = match &self.address {
            EngineAddress::Unix(socket) => {
                let stream = UnixStream::connect(socket).map_err(|e| self.connect_error(e))?;
                http::exchange(stream, method, path, self.deadline, MAX_BODY_BYTES)
            }
            EngineAddress::Tcp { host, port } => {
                let stream = self.connect_tcp(host, *port)?;
                http::exchange(stream, method, path, self.deadline, MAX_BODY_BYTES)
            }
        };
        answer.map_err(|error| match error {
            HttpError::TimedOut => EngineError::TimedOut {
                address: self.address.to_string(),
                what,
            },
            other => EngineError::Transport {
                address: self.address.to_string(),
                what,
                reason: match other {
                    HttpError::Io(io) => triage_os::describe_io(&io),
                    other => other.to_string(),
                },
            },
        })
    }

    fn connect_tcp(&self, host: &str, port: u16) -> Result<TcpStream, EngineError> {
        let addresses = (host, port)
            .to_socket_addrs()
            .map_err(|e| self.connect_error(e))?;
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host");
        for address in addresses {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.connect_error(std::io::ErrorKind::TimedOut.into()));
            }
            match TcpStream::connect_timeout(&address, left) {
                Ok(stream) => return Ok(stream),
                Err(error) => last = error,
            }
        }
        Err(self.connect_error(last))
    }

    fn connect_error(&self, source: std::io::Error) -> EngineError {
        EngineError::Connect {
            address: self.address.to_string(),
            unix: matches!(self.address, EngineAddress::Unix(_)),
            source,
        }
    }

    fn status_error(&self, what: &str, response: &Response) -> EngineError {
        let message = daemon_message(&response.body);
        match response.status {
            404 => EngineError::NotFound { message },
            400 if message.contains("too old") || message.contains("too new") => {
                EngineError::ApiVersion { message }
            }
            status => EngineError::Status {
                what: strip_query(what).to_owned(),
                status,
                message,
            },
        }
    }
}

/// The daemon's `{"message": ...}`, else the body's first line (version errors are plain
/// text), bounded and printable.
fn daemon_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let text = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => parsed.message,
        Err(_) => String::from_utf8_lossy(body)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
    };
    match text.trim() {
        "" => "(no message)".to_owned(),
        text => printable(text, 300),
    }
}

fn parse_json<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, EngineError> {
    serde_json::from_slice(body).map_err(|error| EngineError::BadJson {
        what: format!("GET {}", strip_query(path)),
        reason: error.to_string(),
    })
}

fn strip_query(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Percent-encodes everything but unreserved characters, so an id or name stays one path
/// segment whatever it contains.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |t| ApiVersion::parse(t).expect("version");
        assert!(v("1.9") < v("1.41"));
        assert_eq!(v("1.52").min(MAX_API_VERSION).to_string(), "1.47");
        assert_eq!(v("1.41").min(MAX_API_VERSION).to_string(), "1.41");
        assert_eq!(ApiVersion::parse("latest"), None);
    }

    #[test]
    fn daemon_messages_come_from_json_or_plain_text() {
        assert_eq!(
            daemon_message(br#"{"message":"No such container: x"}"#),
            "No such container: x"
        );
        assert_eq!(
            daemon_message(
                b"client version 1.11 is too old. Minimum supported API version is 1.12\n"
            ),
            "client version 1.11 is too old. Minimum supported API version is 1.12"
        );
        assert_eq!(daemon_message(b""), "(no message)");
    }

    #[test]
    fn names_stay_one_path_segment() {
        assert_eq!(path_segment("web-1.a_b"), "web-1.a_b");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
    }
}
