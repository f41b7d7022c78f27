//! The Docker Engine API (which Podman also serves) over its local Unix socket: just what
//! the plugins need, one bounded request at a time.
//!
//! Requests are HTTP/1.0, so the engine answers with a plain body and closes the
//! connection: no chunked decoding, no keep-alive, nothing to get stuck in.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where engines listen when `DOCKER_HOST` does not say: Docker, then rootful Podman.
const DEFAULT_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/podman/podman.sock"];

/// The most of a response we read: a container list of thousands fits easily.
const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// Why the engine could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No socket to talk to.
    #[error("no Docker or Podman socket ({tried}); set DOCKER_HOST=unix:///path/to/socket")]
    NoSocket {
        /// The paths looked at.
        tried: String,
    },
    /// `DOCKER_HOST` names something other than a Unix socket.
    #[error("DOCKER_HOST={0} is not a unix:// address; only the local socket is supported")]
    NotUnix(String),
    /// Connecting, writing or reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The socket.
        path: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The engine answered, but not with 200 and JSON.
    #[error("{path}: {what}")]
    Protocol {
        /// The socket.
        path: String,
        /// What was wrong with the answer.
        what: String,
    },
}

/// A container as the engine lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// The full 64-hex-digit id.
    pub id: String,
    /// Its names without the leading `/`.
    pub names: Vec<String>,
}

/// The engine's socket.
#[derive(Debug, Clone)]
pub struct Engine {
    socket: PathBuf,
    timeout: Duration,
}

impl Engine {
    /// The engine at `DOCKER_HOST` (a `unix://` address), else the first default socket
    /// that exists.
    pub fn discover(timeout: Duration) -> Result<Engine, EngineError> {
        if let Some(host) = std::env::var_os("DOCKER_HOST") {
            let host = host.to_string_lossy().into_owned();
            let path = host
                .strip_prefix("unix://")
                .ok_or_else(|| EngineError::NotUnix(host.clone()))?;
            return Ok(Engine::at(Path::new(path), timeout));
        }
        DEFAULT_SOCKETS
            .iter()
            .map(Path::new)
            .find(|path| path.exists())
            .map(|path| Engine::at(path, timeout))
            .ok_or_else(|| EngineError::NoSocket {
                tried: DEFAULT_SOCKETS.join(", "),
            })
    }

    /// The engine listening on `socket`.
    pub fn at(socket: &Path, timeout: Duration) -> Engine {
        Engine {
            socket: socket.to_owned(),
            timeout,
        }
    }

    /// The running containers (`GET /containers/json`).
    pub fn running_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        let body = self.get_json("/containers/json")?;
        let items = body
            .as_array()
            .ok_or_else(|| self.protocol("the container list is not a JSON array"))?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let id = item.get("Id")?.as_str()?.to_owned();
                let names = item
                    .get("Names")
                    .and_then(|names| names.as_array())
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(|n| n.as_str())
                            .map(|n| n.trim_start_matches('/').to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                Some(ContainerSummary { id, names })
            })
            .collect())
    }

    /// One GET whose 200 answer is JSON.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value, EngineError> {
        let io = |source| EngineError::Io {
            path: self.socket.display().to_string(),
            source,
        };
        let mut stream = UnixStream::connect(&self.socket).map_err(io)?;
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let request =
            format!("GET {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n");
        stream.write_all(request.as_bytes()).map_err(io)?;
        let mut response = Vec::new();
        stream
            .take(MAX_RESPONSE_BYTES)
            .read_to_end(&mut response)
            .map_err(io)?;
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| self.protocol("no HTTP header in the answer"))?;
        let head = String::from_utf8_lossy(&response[..split]);
        let status = head.split_whitespace().nth(1).unwrap_or("");
        if status != "200" {
            let line = head.lines().next().unwrap_or("").to_owned();
            return Err(self.protocol(&format!("GET {path} answered '{line}'")));
        }
        serde_json::from_slice(&response[split + 4..])
            .map_err(|error| self.protocol(&format!("GET {path}: the answer is not JSON: {error}")))
    }

    fn protocol(&self, what: &str) -> EngineError {
        EngineError::Protocol {
            path: self.socket.display().to_string(),
            what: what.to_owned(),
        }
    }
}

/// The containers `selector` names, the way an operator means it: containers named exactly
/// so, else those whose id starts with it, else those whose name starts with it.
pub fn select<'a>(containers: &'a [ContainerSummary], selector: &str) -> Vec<&'a ContainerSummary> {
    let exact: Vec<_> = containers
        .iter()
        .filter(|c| c.names.iter().any(|n| n == selector) || c.id == selector)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let lower = selector.to_ascii_lowercase();
    let by_id: Vec<_> = containers
        .iter()
        .filter(|c| c.id.starts_with(&lower))
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    containers
        .iter()
        .filter(|c| c.names.iter().any(|n| n.starts_with(selector)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str, name: &str) -> ContainerSummary {
        ContainerSummary {
            id: id.repeat(64 / id.len()),
            names: vec![name.to_owned()],
        }
    }

    #[test]
    fn exact_names_win_then_id_prefixes_then_name_prefixes() {
        let all = [
            container("ab", "web"),
            container("cd", "web-2"),
            container("db", "cache"),
        ];
        let names = |sel: &str| {
            select(&all, sel)
                .iter()
                .map(|c| c.names[0].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("web"), ["web"]);
        assert_eq!(names("we"), ["web", "web-2"]);
        assert_eq!(names("cdcd"), ["web-2"]);
        assert_eq!(names("DB"), ["cache"]);
        assert!(names("nothing").is_empty());
    }
}
