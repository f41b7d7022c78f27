//! Where to send the request: a URL, or check_http's -H/-I/-p/-u/-S, plus `--resolve`
//! pins that send a host:port to a chosen address.

use ureq::http::Uri;

use crate::cli::Args;

/// The request's URL and the addresses pinned for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL requested.
    pub url: String,
    /// Host of the URL (brackets removed from IPv6 literals).
    pub host: String,
    /// Port of the URL (the scheme's default if none).
    pub port: u16,
    /// https.
    pub https: bool,
    /// host:port pairs to connect to a given address instead of resolving them.
    pub pins: Vec<Pin>,
}

/// `--resolve host:port:address`, or `-H host -I address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Host as in the URL.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Where to connect: an IP address or a name to resolve instead.
    pub address: String,
}

/// Why no request can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Neither a URL nor -H/-I.
    #[error("give a URL, or -H HOST / -I ADDRESS (see check_http_health --help)")]
    Missing,
    /// The URL cannot be used.
    #[error("'{url}' is not a usable URL: {why}")]
    BadUrl {
        /// As given.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// A `--resolve` that is not HOST:PORT:ADDRESS.
    #[error("--resolve '{0}' is not HOST:PORT:ADDRESS (such as api.example.com:443:10.0.0.5)")]
    BadResolve(String),
}

/// The target the arguments describe.
pub fn target(args: &Args) -> Result<Target, TargetError> {
    let mut pins = Vec::new();
    let url = match (
        args.url.as_ref().or(args.url_positional.as_ref()),
        &args.hostname,
        &args.address,
    ) {
        (Some(url), _, _) => url.clone(),
        (None, None, None) => return Err(TargetError::Missing),
        (None, host, address) => {
            let scheme = if args.ssl { "https" } else { "http" };
            let port = args.port.unwrap_or(if args.ssl { 443 } else { 80 });
            let host = host
                .as_ref()
                .or(address.as_ref())
                .cloned()
                .unwrap_or_default();
            if let (Some(_), Some(address)) = (&args.hostname, address) {
                pins.push(Pin {
                    host: bare_host(&host).to_owned(),
                    port,
                    address: bare_host(address).to_owned(),
                });
            }
            let path = if args.path.starts_with('/') {
                args.path.clone()
            } else {
                format!("/{}", args.path)
            };
            format!("{scheme}://{}:{port}{path}", bracketed(&host))
        }
    };
    let bad = |why: &str| TargetError::BadUrl {
        url: url.clone(),
        why: why.to_owned(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| bad(&e.to_string()))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        Some(other) => return Err(bad(&format!("the scheme '{other}' is not http or https"))),
        None => return Err(bad("it has no scheme (http:// or https://)")),
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("it has no host"))?;
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    for text in &args.resolve {
        pins.push(parse_resolve(text)?);
    }
    let host = bare_host(host).to_owned();
    let Some(name) = args.sni.as_deref().filter(|name| *name != host) else {
        return Ok(Target {
            host,
            url,
            port,
            https,
            pins,
        });
    };
    // The name goes into the URL (so SNI, certificate check and Host use it) and is pinned
    // to wherever the original host pointed.
    let address = pins
        .iter()
        .find(|p| p.host.eq_ignore_ascii_case(&host) && p.port == port)
        .map_or(host.clone(), |p| p.address.clone());
    pins.push(Pin {
        host: name.to_owned(),
        port,
        address,
    });
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
    let renamed = authority.replacen(uri.host().unwrap_or(""), &bracketed(name), 1);
    let url = url.replacen(authority, &renamed, 1);
    Ok(Target {
        host: name.to_owned(),
        url,
        port,
        https,
        pins,
    })
}

fn parse_resolve(text: &str) -> Result<Pin, TargetError> {
    let bad = || TargetError::BadResolve(text.to_owned());
    let (host, rest) = text.split_once(':').ok_or_else(bad)?;
    let (port, address) = rest.split_once(':').ok_or_else(bad)?;
    let port = port.parse().map_err(|_| bad())?;
    if host.is_empty() || address.is_empty() {
        return Err(bad());
    }
    Ok(Pin {
        host: host.to_owned(),
        port,
        address: bare_host(address).to_owned(),
    })
}

/// `[::1]` -> `::1`.
fn bare_host(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// `::1` -> `[::1]` for a URL.
pub(crate) fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn of(argv: &[&str]) -> Result<Target, TargetError> {
        target(&Args::try_parse_from([&["check_http_health"], argv].concat()).expect("args"))
    }

    #[test]
    fn urls_and_check_http_options_give_the_same_targets() {
        let t = of(&["http://127.0.0.1:8080/health"]).expect("url");
        assert_eq!(
            (t.host.as_str(), t.port, t.https),
            ("127.0.0.1", 8080, false)
        );
        let t = of(&[
            "-H",
            "api.example.com",
            "-I",
            "10.0.0.5",
            "-S",
            "-u",
            "health",
        ])
        .expect("-H -I");
        assert_eq!(t.url, "https://api.example.com:443/health");
        assert_eq!(
            t.pins,
            [Pin {
                host: "api.example.com".into(),
                port: 443,
                address: "10.0.0.5".into()
            }]
        );
        let t = of(&["-I", "::1", "-p", "8080"]).expect("-I v6");
        assert_eq!(
            (t.url.as_str(), t.host.as_str()),
            ("http://[::1]:8080/", "::1")
        );
        let t = of(&["https://h/x", "--resolve", "h:443:[::1]"]).expect("resolve");
        assert_eq!(t.pins[0].address, "::1");
        let t = of(&["https://10.0.0.5:8443/x", "--sni", "api.example.com"]).expect("sni");
        assert_eq!(
            (t.url.as_str(), t.host.as_str()),
            ("https://api.example.com:8443/x", "api.example.com")
        );
        assert_eq!(
            t.pins,
            [Pin {
                host: "api.example.com".into(),
                port: 8443,
                address: "10.0.0.5".into()
            }]
        );
    }

    #[test]
    fn unusable_targets_say_why() {
        assert_eq!(of(&[]), Err(TargetError::Missing));
        assert_eq!(
            of(&["ftp://x/"])
                .map(|t| t.url)
                .expect_err("ftp")
                .to_string(),
            "'ftp://x/' is not a usable URL: the scheme 'ftp' is not http or https"
        );
        assert!(of(&["localhost:8080/health"]).is_err());
        assert_eq!(
            of(&["http://h/", "--resolve", "h:x:1.2.3.4"])
                .expect_err("resolve")
                .to_string(),
            "--resolve 'h:x:1.2.3.4' is not HOST:PORT:ADDRESS (such as api.example.com:443:10.0.0.5)"
        );
    }
}
