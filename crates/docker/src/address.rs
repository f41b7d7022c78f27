//! Where the engine listens: `--host`, `--podman`, `DOCKER_HOST`, or the usual sockets.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::EngineError;

/// Docker's port for plain-text TCP when `tcp://host` gives none.
const DOCKER_TCP_PORT: u16 = 2375;

/// An engine's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAddress {
    /// A Unix stream socket (`unix:///var/run/docker.sock`).
    Unix(PathBuf),
    /// Plain-text TCP (`tcp://127.0.0.1:2375`).
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
}

impl fmt::Display for EngineAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineAddress::Unix(path) => write!(f, "unix://{}", path.display()),
            EngineAddress::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            EngineAddress::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

impl EngineAddress {
    /// Parses `unix:///path`, a bare absolute path, or `tcp://host[:port]`.
    pub fn parse(text: &str) -> Result<EngineAddress, EngineError> {
        let bad = |why: &str| EngineError::BadAddress {
            address: text.to_owned(),
            why: why.to_owned(),
        };
        if let Some(path) = text.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(bad(
                    "a unix:// address needs an absolute path (unix:///run/docker.sock)",
                ));
            }
            return Ok(EngineAddress::Unix(PathBuf::from(path)));
        }
        if text.starts_with('/') {
            return Ok(EngineAddress::Unix(PathBuf::from(text)));
        }
        let Some(rest) = text
            .strip_prefix("tcp://")
            .or_else(|| text.strip_prefix("http://"))
        else {
            let scheme = text.split("://").next().unwrap_or(text);
            return Err(bad(&format!(
                "'{scheme}' is not supported; use unix:///path or tcp://host:port"
            )));
        };
        let authority = rest.trim_end_matches('/');
        let (host, port) =
            split_host_port(authority).ok_or_else(|| bad("expected tcp://host:port"))?;
        let port = match port {
            None => DOCKER_TCP_PORT,
            Some(port) => port
                .parse()
                .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
        };
        if host.is_empty() || port == 0 {
            return Err(bad("expected tcp://host:port"));
        }
        Ok(EngineAddress::Tcp {
            host: host.to_owned(),
            port,
        })
    }

    /// The engine to use: `explicit` (`--host`), else Podman's socket when `podman`, else
    /// `DOCKER_HOST`, else the first of the usual sockets that exists.
    pub fn discover(explicit: Option<&str>, podman: bool) -> Result<EngineAddress, EngineError> {
        Self::discover_in(
            explicit,
            podman,
            &|name| std::env::var(name).ok(),
            &|path| path.exists(),
        )
    }

    fn discover_in(
        explicit: Option<&str>,
        podman: bool,
        env: &dyn Fn(&str) -> Option<String>,
        exists: &dyn Fn(&Path) -> bool,
    ) -> Result<EngineAddress, EngineError> {
        if let Some(text) = explicit {
            return EngineAddress::parse(text);
        }
        let runtime = env("XDG_RUNTIME_DIR").filter(|dir| dir.starts_with('/'));
        let podman_sockets = std::iter::once(PathBuf::from("/run/podman/podman.sock")).chain(
            runtime
                .iter()
                .map(|dir| Path::new(dir).join("podman/podman.sock")),
        );
        if podman {
            let candidates: Vec<PathBuf> = podman_sockets.collect();
            return first_existing(&candidates, exists);
        }
        if let Some(host) = env("DOCKER_HOST").filter(|host| !host.is_empty()) {
            if host.starts_with("tcp://") && env("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty())
            {
                return Err(EngineError::BadAddress {
                    address: host,
                    why: "DOCKER_TLS_VERIFY is set, but TLS to the engine is not supported; \
                          use the Unix socket (or an SSH tunnel to it)"
                        .into(),
                });
            }
            return EngineAddress::parse(&host);
        }
        let candidates: Vec<PathBuf> = std::iter::once(PathBuf::from("/var/run/docker.sock"))
            .chain(podman_sockets)
            .chain(runtime.iter().map(|dir| Path::new(dir).join("docker.sock")))
            .collect();
        first_existing(&candidates, exists)
    }
}

fn first_existing(
    candidates: &[PathBuf],
    exists: &dyn Fn(&Path) -> bool,
) -> Result<EngineAddress, EngineError> {
    candidates
        .iter()
        .find(|path| exists(path))
        .map(|path| EngineAddress::Unix(path.clone()))
        .ok_or_else(|| EngineError::NoSocket {
            tried: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some((host, Some(port))),
        Some(_) => None,
        None => Some((authority, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_in_the_forms_docker_accepts() {
        let parse = |text: &str| EngineAddress::parse(text).map(|a| a.to_string());
        assert_eq!(
            parse("unix:///run/docker.sock").ok().as_deref(),
            Some("unix:///run/docker.sock")
        );
        assert_eq!(
            parse("/tmp/d.sock").ok().as_deref(),
            Some("unix:///tmp/d.sock")
        );
        assert_eq!(
            parse("tcp://127.0.0.1").ok().as_deref(),
            Some("tcp://127.0.0.1:2375")
        );
        assert_eq!(
            parse("tcp://[::1]:2376/").ok().as_deref(),
            Some("tcp://[::1]:2376")
        );
        assert_eq!(
            parse("tcp://docker.example:80").ok().as_deref(),
            Some("tcp://docker.example:80")
        );
        let error = |text: &str| EngineAddress::parse(text).expect_err(text).to_string();
        assert_eq!(
            error("ssh://me@host"),
            "bad engine address 'ssh://me@host': 'ssh' is not supported; use unix:///path or tcp://host:port"
        );
        assert_eq!(
            error("tcp://h:99999"),
            "bad engine address 'tcp://h:99999': the port is not a number from 1 to 65535"
        );
        assert!(error("unix://relative").contains("absolute path"));
        assert!(error("tcp://::1").contains("expected tcp://host:port"));
    }

    #[test]
    fn discovery_prefers_the_flag_then_docker_host_then_the_first_socket_present() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let present = |paths: &'static [&'static str]| {
            move |p: &Path| paths.iter().any(|x| Path::new(x) == p)
        };
        let found = |explicit, podman, vars, paths| {
            EngineAddress::discover_in(explicit, podman, &env(vars), &present(paths))
                .map(|a| a.to_string())
        };
        let both: &[&str] = &["/var/run/docker.sock", "/run/podman/podman.sock"];
        assert_eq!(
            found(Some("/x.sock"), false, &[("DOCKER_HOST", "tcp://h")], both)
                .ok()
                .as_deref(),
            Some("unix:///x.sock")
        );
        assert_eq!(
            found(None, false, &[("DOCKER_HOST", "tcp://h")], both)
                .ok()
                .as_deref(),
            Some("tcp://h:2375")
        );
        assert_eq!(
            found(None, false, &[], both).ok().as_deref(),
            Some("unix:///var/run/docker.sock")
        );
        assert_eq!(
            found(None, true, &[], both).ok().as_deref(),
            Some("unix:///run/podman/podman.sock")
        );
        let rootless: &[(&str, &str)] = &[("XDG_RUNTIME_DIR", "/run/user/1000")];
        assert_eq!(
            found(
                None,
                false,
                rootless,
                &["/run/user/1000/podman/podman.sock"]
            )
            .ok()
            .as_deref(),
            Some("unix:///run/user/1000/podman/podman.sock")
        );
        let none = found(None, false, rootless, &[])
            .expect_err("nothing there")
            .to_string();
        assert_eq!(
            none,
            "no Docker or Podman socket found (tried /var/run/docker.sock, /run/podman/podman.sock, \
             /run/user/1000/podman/podman.sock, /run/user/1000/docker.sock); use --host or set DOCKER_HOST"
        );
        let tls = found(
            None,
            false,
            &[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")],
            both,
        );
        assert!(
            tls.expect_err("tls")
                .to_string()
                .contains("TLS to the engine is not supported")
        );
    }
}
