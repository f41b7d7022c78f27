//! The exchange itself, through ureq: connect (pinned addresses, IP family, proxy from the
//! environment), TLS as configured, one deadline for everything, the body read up to
//! `--max-body` and no further.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::IpFamily;
use ureq::http::Uri;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    TcpConnector, Transport,
};
use ureq::{Agent, Proxy, ProxyProtocol, ResponseExt};

use crate::cli::{Args, OnRedirect};
use crate::request::RequestSpec;
use crate::target::{Pin, Target, bracketed};

/// What the server answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// `HTTP/1.1`.
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase (the standard one when the server sent none).
    pub reason: String,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body, at most `--max-body` bytes.
    pub body: Vec<u8>,
    /// The server had more body than `--max-body`.
    pub truncated: bool,
    /// From the start to the end of the body.
    pub elapsed: Duration,
    /// The URL finally answered (after redirects).
    pub final_url: String,
    /// When each phase of the (last) connection ended, from the start.
    pub phases: Phases,
}

/// How long the phases took, from the start of the exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Phases {
    /// TCP connected.
    pub connect: Option<Duration>,
    /// TLS handshake done (https only).
    pub tls: Option<Duration>,
    /// Response headers received.
    pub first_byte: Duration,
}

/// Why there is no answer to judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Nothing listens.
    #[error("connection refused by {0}")]
    Refused(String),
    /// The name does not resolve.
    #[error("cannot resolve {0}")]
    Dns(String),
    /// The deadline passed.
    #[error("no answer from {0} before the deadline")]
    Timeout(String),
    /// The TLS handshake failed or the certificate was refused.
    #[error("TLS: {0}")]
    Tls(String),
    /// More redirects than allowed.
    #[error("more than {0} redirects (a redirect loop?)")]
    TooManyRedirects(u32),
    /// The answer is not HTTP.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// A setting (CA file, client certificate) cannot be used.
    #[error("{0}")]
    Setup(String),
    /// Anything else the connection ran into.
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// A problem of our own making (a bad option or file), not the server's.
    pub fn is_setup(&self) -> bool {
        matches!(self, FetchError::Setup(_))
    }
}

/// Sends the request and reads the answer, all before `deadline`.
pub fn fetch(
    args: &Args,
    target: &Target,
    request: &RequestSpec,
    deadline: Instant,
) -> Result<Exchange, FetchError> {
    let stamps = Stamps::default();
    let agent = agent(args, target, deadline, &stamps)?;
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(&target.url);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let started = Instant::now();
    let sent = match &request.body {
        Some(body) => builder.body(body.clone()).map(|r| agent.run(r)),
        None => builder.body(()).map(|r| agent.run(r)),
    };
    let mut response = sent
        .map_err(|e| FetchError::Setup(format!("cannot build the request: {e}")))?
        .map_err(|e| describe(e, target, args))?;
    let first_byte = started.elapsed();
    let limit = args.max_body;
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| describe_io_read(e, target))?;
    let truncated = body.len() as u64 > limit;
    body.truncate(limit as usize);
    let status = response.status();
    Ok(Exchange {
        version: format!("{:?}", response.version()),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        truncated,
        elapsed: started.elapsed(),
        final_url: response.get_uri().to_string(),
        phases: Phases {
            connect: stamps.connected.since(started),
            tls: stamps.secured.since(started),
            first_byte,
        },
    })
}

/// When the connection reached each phase.
#[derive(Debug, Default, Clone)]
struct Stamps {
    connected: Stamp,
    secured: Stamp,
}

/// A connector that passes the transport on and notes the time it did.
#[derive(Debug, Default, Clone)]
struct Stamp(Arc<Mutex<Option<Instant>>>);

impl Stamp {
    fn since(&self, start: Instant) -> Option<Duration> {
        self.0
            .lock()
            .ok()?
            .map(|at| at.saturating_duration_since(start))
    }
}

impl<In: Transport> Connector<In> for Stamp {
    type Out = In;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, ureq::Error> {
        if chained.is_some()
            && let Ok(mut at) = self.0.lock()
        {
            *at = Some(Instant::now());
        }
        Ok(chained)
    }
}

fn agent(
    args: &Args,
    target: &Target,
    deadline: Instant,
    stamps: &Stamps,
) -> Result<Agent, FetchError> {
    let (max_redirects, follow) = match args.onredirect {
        OnRedirect::Follow => (args.max_redirects, true),
        OnRedirect::State(_) => (0, false),
    };
    let family = if args.ipv4 {
        IpFamily::Ipv4Only
    } else if args.ipv6 {
        IpFamily::Ipv6Only
    } else {
        IpFamily::Any
    };
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(max_redirects)
        .max_redirects_will_error(follow)
        .timeout_global(Some(deadline.saturating_duration_since(Instant::now())))
        .ip_family(family)
        .user_agent(concat!(
            "check_http_health/",
            env!("CARGO_PKG_VERSION"),
            " (triage)"
        ))
        .allow_non_standard_methods(true)
        .tls_config(tls_config(args, target)?)
        .max_idle_connections(0);
    if args.no_proxy {
        config = config.proxy(None);
    } else if let Some(proxy) = Proxy::try_from_env()
        && !matches!(proxy.protocol(), ProxyProtocol::Http | ProxyProtocol::Https)
    {
        return Err(FetchError::Setup(format!(
            "the proxy {}:{} from the environment is a SOCKS proxy, which is not supported; \
             use an HTTP proxy or --no-proxy",
            proxy.host(),
            proxy.port()
        )));
    }
    let resolver = PinnedResolver {
        pins: target.pins.clone(),
        default: DefaultResolver::default(),
    };
    // ureq's default chain (CONNECT proxy, TCP, rustls) with a time stamp after TCP and
    // after TLS, for --extended-perfdata.
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(stamps.connected.clone())
            .chain(RustlsConnector::default())
            .chain(stamps.secured.clone());
    Ok(Agent::with_parts(config.build(), connector, resolver))
}

fn tls_config(args: &Args, target: &Target) -> Result<TlsConfig, FetchError> {
    // Parsing the system bundle costs about half a millisecond: only when TLS may happen.
    let may_use_tls = target.https || args.onredirect == OnRedirect::Follow;
    let roots = match &args.ca_file {
        Some(path) => RootCerts::new_with_certs(&read_certificates(path, "--ca-file")?),
        None if !may_use_tls || args.insecure => RootCerts::WebPki,
        None => system_root_certs()?,
    };
    let client = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => {
            let chain = read_certificates(cert, "--client-cert")?;
            let key_pem = read_file(key, "--client-key")?;
            let key = PrivateKey::from_pem(&key_pem)
                .map_err(|e| FetchError::Setup(format!("--client-key {}: {e}", key.display())))?;
            Some(ClientCert::new_with_certs(&chain, key))
        }
        _ => None,
    };
    Ok(TlsConfig::builder()
        .root_certs(roots)
        .client_cert(client)
        .disable_verification(args.insecure)
        .build())
}

/// The system's trusted CAs, or webpki's built-in roots on a system without the bundle.
pub fn system_root_certs() -> Result<RootCerts, FetchError> {
    let roots = triage_os::system_root_certs().map_err(|e| FetchError::Setup(e.to_string()))?;
    Ok(match roots {
        triage_os::RootCerts::System(certs) => certs
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .into(),
        triage_os::RootCerts::BuiltIn => RootCerts::WebPki,
    })
}

fn read_file(path: &std::path::Path, option: &str) -> Result<Vec<u8>, FetchError> {
    std::fs::read(path).map_err(|e| {
        FetchError::Setup(format!(
            "{option}: cannot read {}: {}",
            path.display(),
            triage_core::describe_io(&e)
        ))
    })
}

/// Every certificate in a PEM file; none at all is an error.
pub fn read_certificates(
    path: &std::path::Path,
    option: &str,
) -> Result<Vec<Certificate<'static>>, FetchError> {
    let pem = read_file(path, option)?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(FetchError::Setup(format!(
            "{option}: no PEM certificate in {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// Resolves pinned host:port pairs to their given address, the rest as usual.
#[derive(Debug)]
struct PinnedResolver {
    pins: Vec<Pin>,
    default: DefaultResolver,
}

impl Resolver for PinnedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        let Some(pin) = self
            .pins
            .iter()
            .find(|p| p.host.eq_ignore_ascii_case(host) && p.port == port)
        else {
            return self.default.resolve(uri, config, timeout);
        };
        let mut addresses = self.empty();
        for address in (pin.address.as_str(), port)
            .to_socket_addrs()
            .map_err(|_| ureq::Error::HostNotFound)?
            .take(16)
        {
            addresses.push(address);
        }
        if addresses.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(addresses)
    }
}

/// ureq's error in the words of the spec.
fn describe(error: ureq::Error, target: &Target, args: &Args) -> FetchError {
    let place = format!("{}:{}", bracketed(&target.host), target.port);
    match error {
        ureq::Error::Io(io) => describe_io_read(io, target),
        ureq::Error::HostNotFound if args.ipv4 => {
            FetchError::Dns(format!("{} to an IPv4 address (-4)", target.host))
        }
        ureq::Error::HostNotFound if args.ipv6 => {
            FetchError::Dns(format!("{} to an IPv6 address (-6)", target.host))
        }
        ureq::Error::HostNotFound => FetchError::Dns(target.host.clone()),
        ureq::Error::Timeout(_) => FetchError::Timeout(place),
        ureq::Error::TooManyRedirects => FetchError::TooManyRedirects(args.max_redirects),
        ureq::Error::Rustls(tls) => FetchError::Tls(describe_tls(&tls)),
        ureq::Error::Tls(what) => FetchError::Tls(what.to_owned()),
        ureq::Error::Pem(pem) => FetchError::Setup(format!("PEM: {pem}")),
        ureq::Error::Protocol(protocol) => FetchError::Malformed(protocol.to_string()),
        ureq::Error::LargeResponseHeader(..) => {
            FetchError::Malformed("the response headers are too large".into())
        }
        ureq::Error::ConnectionFailed => FetchError::Refused(place),
        ureq::Error::BadUri(uri) => FetchError::Other(format!("bad URL in a redirect: {uri}")),
        ureq::Error::RedirectFailed => {
            FetchError::Malformed("a redirect without a usable Location".into())
        }
        other => FetchError::Other(other.to_string()),
    }
}

fn describe_io_read(io: std::io::Error, target: &Target) -> FetchError {
    let place = format!("{}:{}", bracketed(&target.host), target.port);
    match io.kind() {
        std::io::ErrorKind::ConnectionRefused => FetchError::Refused(place),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FetchError::Timeout(place),
        std::io::ErrorKind::UnexpectedEof => {
            FetchError::Malformed("the connection closed in the middle of the answer".into())
        }
        _ => {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return FetchError::Tls(describe_tls(tls));
            }
            match io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            {
                Some(ureq::Error::Timeout(_)) => FetchError::Timeout(place),
                Some(ureq::Error::Rustls(tls)) => FetchError::Tls(describe_tls(tls)),
                Some(inner) => FetchError::Other(inner.to_string()),
                // getaddrinfo's failure reaches us as a bare I/O error.
                None if io.to_string().contains("lookup address") => {
                    FetchError::Dns(target.host.clone())
                }
                None => FetchError::Other(triage_core::describe_io(&io)),
            }
        }
    }
}

/// rustls' reasons in plain words.
fn describe_tls(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the certificate has expired".into()
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "the certificate is not valid yet".into()
        }
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "the certificate is signed by an unknown CA".into()
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "the certificate is not valid for this host name".into(),
        rustls::Error::InvalidCertificate(C::Revoked) => "the certificate is revoked".into(),
        rustls::Error::InvalidCertificate(C::Other(other))
            if other.to_string().contains("CaUsedAsEndEntity") =>
        {
            "the server presents a CA certificate as its own (a self-signed certificate made \
             without basicConstraints CA:FALSE); sign one with a CA, or use --insecure"
                .into()
        }
        rustls::Error::InvalidCertificate(other) => {
            format!("the certificate was refused: {other}")
        }
        rustls::Error::AlertReceived(alert) => {
            format!("the server refused the handshake ({alert:?})")
        }
        rustls::Error::InvalidMessage(_) => "the server does not speak TLS here".into(),
        other => other.to_string(),
    }
}
