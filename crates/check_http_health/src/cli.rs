//! check_http_health's command line.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use triage_core::cli::{VERSION, parse_state};
use triage_core::number::parse_bytes;
use triage_core::{CommonArgs, PosixRegex, Range, State};

use crate::health_doc::HealthFormat;

/// Is a health endpoint up, fast, its certificate sound, and which component is failing?
#[derive(Debug, Clone, Parser)]
#[command(
    name = "check_http_health",
    version = VERSION,
    term_width = 80,
    after_help = "Give a URL, or check_http style -H/-I/-p/-u/-S. Response-time ranges are in seconds \
(0.5, 2s, 500ms). Status: 2xx OK, 3xx per --onredirect, 4xx WARNING, 5xx CRITICAL; with -e, any \
code not listed is CRITICAL. Credentials: --auth-file, --bearer-env or --header-env keep them out \
of ps.\n\n\
Examples:\n  check_http_health http://127.0.0.1:8080/actuator/health\n  \
check_http_health https://api.example.com/health -w 0.5 -c 2 --cert-warning 21\n  \
check_http_health -H api.example.com -I 10.0.0.5 -S -u /health -e 200,204\n  \
check_http_health http://127.0.0.1:9000/status --json-eq /status=ok --json-metric queue=/queue/depth --json-warning 100"
)]
pub struct Args {
    /// The URL to check (http:// or https://).
    #[arg(value_name = "URL", conflicts_with_all = ["hostname", "address"])]
    pub url_positional: Option<String>,

    /// The URL to check (same as the positional URL).
    #[arg(short = 'U', long = "url", value_name = "URL", conflicts_with_all = ["url_positional", "hostname", "address"])]
    pub url: Option<String>,

    /// Host name: the Host header, SNI and, without -I, where to connect.
    #[arg(short = 'H', long = "hostname", value_name = "HOST")]
    pub hostname: Option<String>,

    /// Address to connect to (the Host header stays -H's).
    #[arg(short = 'I', long = "IP-address", value_name = "ADDRESS")]
    pub address: Option<String>,

    /// Port [default: 80, 443 with -S].
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub port: Option<u16>,

    /// Path and query with -H/-I.
    #[arg(short = 'u', long = "path", value_name = "PATH", default_value = "/")]
    pub path: String,

    /// Use HTTPS with -H/-I.
    #[arg(short = 'S', long = "ssl")]
    pub ssl: bool,

    /// HTTP method [default: GET, POST with --data].
    #[arg(short = 'j', long = "method", value_name = "METHOD")]
    pub method: Option<String>,

    /// Extra request header 'Name: value' (repeatable).
    #[arg(short = 'k', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Header whose value is read from an environment variable: 'Name: VAR' (repeatable).
    #[arg(long = "header-env", value_name = "HEADER")]
    pub header_env: Vec<String>,

    /// Send 'Authorization: Bearer <value of VAR>'.
    #[arg(long = "bearer-env", value_name = "VAR")]
    pub bearer_env: Option<String>,

    /// Basic auth from a file holding 'user:password' (one line).
    #[arg(
        long = "auth-file",
        value_name = "FILE",
        conflicts_with = "authorization"
    )]
    pub auth_file: Option<PathBuf>,

    /// Basic auth 'user:password' (visible in ps: prefer --auth-file).
    #[arg(short = 'a', long = "authorization", value_name = "USER:PASSWORD")]
    pub authorization: Option<String>,

    /// Request body.
    #[arg(long = "data", value_name = "STRING", conflicts_with = "data_file")]
    pub data: Option<String>,

    /// Request body read from a file.
    #[arg(long = "data-file", value_name = "FILE")]
    pub data_file: Option<PathBuf>,

    /// Content-Type of the request body.
    #[arg(short = 'T', long = "content-type", value_name = "TYPE")]
    pub content_type: Option<String>,

    /// Connect over IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Connect over IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,

    /// Connect to ADDRESS for HOST:PORT instead of resolving it (repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDRESS")]
    pub resolve: Vec<String>,

    /// Ignore http_proxy, https_proxy and no_proxy.
    #[arg(long = "no-proxy")]
    pub no_proxy: bool,

    /// What a redirect (3xx) is: ok, warning, critical, or follow it.
    #[arg(short = 'f', long = "onredirect", value_name = "WHAT", default_value = "ok", value_parser = parse_onredirect)]
    pub onredirect: OnRedirect,

    /// The most redirects followed with --onredirect follow.
    #[arg(long = "max-redirects", value_name = "N", default_value = "5")]
    pub max_redirects: u32,

    /// Status codes that are OK: codes and classes, comma-separated (200,204,2xx).
    #[arg(short = 'e', long = "expect", value_name = "CODES", value_delimiter = ',', value_parser = StatusPattern::parse)]
    pub expect: Vec<StatusPattern>,

    /// WARNING range for the response time in seconds.
    #[arg(short = 'w', long = "warning", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub warning: Option<Range>,

    /// CRITICAL range for the response time in seconds.
    #[arg(short = 'c', long = "critical", value_name = "RANGE", value_parser = Range::parse_duration)]
    pub critical: Option<Range>,

    /// Text the body must contain.
    #[arg(short = 's', long = "string", value_name = "TEXT")]
    pub string: Option<String>,

    /// Extended regex the body must match.
    #[arg(short = 'r', long = "regex", value_name = "REGEX", value_parser = BodyRegex::parse)]
    pub regex: Option<BodyRegex>,

    /// The body must NOT contain --string / match --regex.
    #[arg(long = "invert-regex")]
    pub invert: bool,

    /// JSON assertion POINTER=VALUE (RFC 6901 pointer, e.g. /status=UP; repeatable).
    #[arg(long = "json-eq", value_name = "POINTER=VALUE", value_parser = JsonEq::parse)]
    pub json_eq: Vec<JsonEq>,

    /// JSON number to report and judge: LABEL=POINTER (repeatable).
    #[arg(long = "json-metric", value_name = "LABEL=POINTER", value_parser = JsonMetric::parse)]
    pub json_metric: Vec<JsonMetric>,

    /// WARNING range for every --json-metric.
    #[arg(long = "json-warning", value_name = "RANGE", value_parser = Range::parse)]
    pub json_warning: Option<Range>,

    /// CRITICAL range for every --json-metric.
    #[arg(long = "json-critical", value_name = "RANGE", value_parser = Range::parse)]
    pub json_critical: Option<Range>,

    /// Health-document format: auto, none, spring, ietf, microprofile, aspnet, k8s.
    #[arg(long = "health", value_name = "FORMAT", default_value = "auto", value_parser = HealthFormat::parse)]
    pub health: HealthFormat,

    /// Do not verify the server's certificate (expiry is still reported).
    #[arg(long = "insecure")]
    pub insecure: bool,

    /// Trust these CA certificates (PEM) instead of the system's.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Client certificate chain (PEM).
    #[arg(long = "client-cert", value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// Client private key (PEM).
    #[arg(long = "client-key", value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// TLS server name (SNI, certificate name and Host) when it differs from the host
    /// connected to.
    #[arg(long = "sni", value_name = "NAME")]
    pub sni: Option<String>,

    /// Also report time_connect, time_tls and time_firstbyte in perfdata.
    #[arg(short = 'E', long = "extended-perfdata")]
    pub extended_perfdata: bool,

    /// WARNING when the certificate expires within this many days.
    #[arg(long = "cert-warning", value_name = "DAYS", default_value = "14")]
    pub cert_warning: f64,

    /// CRITICAL when the certificate expires within this many days.
    #[arg(long = "cert-critical", value_name = "DAYS", default_value = "7")]
    pub cert_critical: f64,

    /// Read at most this much body (larger is WARNING): bytes, or 64KB, 2MB.
    #[arg(long = "max-body", value_name = "SIZE", default_value = "1MB", value_parser = parse_size)]
    pub max_body: u64,

    /// State when the server cannot be reached (refused, DNS, TLS, timeout).
    #[arg(long = "unreachable-state", value_name = "STATE", default_value = "critical", value_parser = parse_state)]
    pub unreachable_state: State,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: CommonArgs,
}

impl triage_core::runner::PluginArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

/// What a 3xx answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRedirect {
    /// Judge it as this state.
    State(State),
    /// Follow it (up to --max-redirects).
    Follow,
}

fn parse_onredirect(text: &str) -> Result<OnRedirect, String> {
    match text.to_ascii_lowercase().as_str() {
        "follow" => Ok(OnRedirect::Follow),
        "ok" | "warning" | "critical" => parse_state(text).map(OnRedirect::State),
        _ => Err(format!(
            "'{text}' is not one of ok, warning, critical, follow"
        )),
    }
}

/// An expected status: a code (`204`) or a class (`2xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    /// Exactly this code.
    Code(u16),
    /// Any code of this hundred (2 for 2xx).
    Class(u16),
}

impl StatusPattern {
    /// Parses `200` or `2xx`.
    pub fn parse(text: &str) -> Result<StatusPattern, String> {
        let text = text.trim();
        let bad = || format!("'{text}' is not a status code (100-599) or class (2xx)");
        if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
            return match class.parse::<u16>() {
                Ok(c @ 1..=5) if class.len() == 1 => Ok(StatusPattern::Class(c)),
                _ => Err(bad()),
            };
        }
        match text.parse::<u16>() {
            Ok(code @ 100..=599) if text.len() == 3 => Ok(StatusPattern::Code(code)),
            _ => Err(bad()),
        }
    }

    /// True when `status` is this code or in this class.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Code(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }
}

/// `--regex`: the pattern and its text.
#[derive(Debug, Clone)]
pub struct BodyRegex {
    /// As given.
    pub text: String,
    /// Compiled.
    pub regex: Arc<PosixRegex>,
}

impl BodyRegex {
    fn parse(text: &str) -> Result<BodyRegex, String> {
        let regex = PosixRegex::new(text)
            .map_err(|e| format!("'{text}' is not a valid extended regex: {e}"))?;
        Ok(BodyRegex {
            text: text.to_owned(),
            regex: Arc::new(regex),
        })
    }
}

/// `--json-eq /pointer=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonEq {
    /// RFC 6901 pointer.
    pub pointer: String,
    /// The expected value: compared with strings as they are, with other JSON values as
    /// their JSON text (true, 3, null).
    pub value: String,
}

impl JsonEq {
    fn parse(text: &str) -> Result<JsonEq, String> {
        let (pointer, value) = text
            .split_once('=')
            .ok_or_else(|| format!("'{text}' is not POINTER=VALUE (such as /status=UP)"))?;
        check_pointer(pointer)?;
        Ok(JsonEq {
            pointer: pointer.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// `--json-metric label=/pointer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonMetric {
    /// Perfdata label.
    pub label: String,
    /// RFC 6901 pointer.
    pub pointer: String,
}

impl JsonMetric {
    fn parse(text: &str) -> Result<JsonMetric, String> {
        let (label, pointer) = text
            .split_once('=')
            .filter(|(label, _)| !label.is_empty())
            .ok_or_else(|| format!("'{text}' is not LABEL=POINTER (such as queue=/queue/depth)"))?;
        check_pointer(pointer)?;
        Ok(JsonMetric {
            label: label.to_owned(),
            pointer: pointer.to_owned(),
        })
    }
}

fn check_pointer(pointer: &str) -> Result<(), String> {
    if pointer.is_empty() || pointer.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "'{pointer}' is not a JSON Pointer: it must start with / (such as /status)"
        ))
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    parse_bytes(text)
        .filter(|n| *n >= 0.0)
        .map(|n| n as u64)
        .ok_or_else(|| format!("'{text}' is not a size: expected bytes, or 64KB, 2MB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_patterns_are_exact_codes_or_classes() {
        let p = |t| StatusPattern::parse(t);
        assert!(p("204").expect("code").matches(204));
        assert!(p("20").is_err());
        assert!(p("2xx").expect("class").matches(299));
        assert!(!p("2xx").expect("class").matches(302));
        assert_eq!(
            p("600"),
            Err("'600' is not a status code (100-599) or class (2xx)".into())
        );
        assert!(p("9xx").is_err());
    }
}
