//! One HTTP request to a notification target, sent with ureq, and what became of it in one
//! line that is safe to show (no URL secrets).

use std::io::Read;
use std::time::Duration;

use ureq::Agent;
use ureq::http::HeaderMap;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::redact::scrub;

/// A request body, made just before sending.
pub(crate) struct Body {
    /// `Content-Type`, unless the request's own headers name one.
    pub content_type: &'static str,
    /// Called on the delivery thread when the request is sent, so the body can depend on
    /// what earlier answers from the same target taught (the ping body limit).
    pub make: Box<dyn FnOnce() -> Vec<u8> + Send>,
}

/// The HTTP method; a POST carries its body.
pub(crate) enum Method {
    /// No body.
    Get,
    /// With a body.
    Post(Body),
}

/// Sees the headers of the target's answer, whatever its status.
pub(crate) type AnswerHook = Box<dyn FnOnce(&HeaderMap) + Send>;

/// What a delivery thread sends.
pub(crate) struct Request {
    /// What this is in a failure line: `webhook`, `start ping`.
    pub what: String,
    /// GET or POST.
    pub method: Method,
    /// Where to.
    pub url: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Called with the answer's headers.
    pub on_answer: Option<AnswerHook>,
}

/// The client for one target: a global timeout per request, every status returned to us,
/// the system's CAs for https.
pub(crate) fn agent_for(url: &str, timeout: Duration) -> Result<Agent, String> {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        // A POST that follows a redirect turns into a GET and loses its body; the redirect
        // is reported instead so the URL gets fixed.
        .max_redirects(0)
        .user_agent(concat!("triage-notify/", env!("CARGO_PKG_VERSION")));
    // Parsing the system bundle costs about half a millisecond: only for https.
    let config = if url.starts_with("https:") {
        let roots = match triage_os::system_root_certs().map_err(|error| error.to_string())? {
            triage_os::RootCerts::System(certs) => certs
                .iter()
                .map(|der| Certificate::from_der(der).to_owned())
                .into(),
            triage_os::RootCerts::BuiltIn => RootCerts::WebPki,
        };
        config.tls_config(TlsConfig::builder().root_certs(roots).build())
    } else {
        config
    };
    Ok(config.build().new_agent())
}

/// Sends the request; `Err` is why it failed, in a few words without the URL.
pub(crate) fn deliver(agent: &Agent, request: Request, timeout: Duration) -> Result<(), String> {
    let Request {
        method,
        url,
        headers,
        on_answer,
        ..
    } = request;
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let sent = match method {
        Method::Get => {
            let mut builder = agent.get(&url);
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            builder.call()
        }
        Method::Post(body) => {
            let mut builder = agent.post(&url);
            if !has_content_type {
                builder = builder.header("Content-Type", body.content_type);
            }
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            builder.send((body.make)())
        }
    };
    let mut response = sent.map_err(|error| describe_error(error, &url, timeout))?;
    if let Some(hook) = on_answer {
        hook(response.headers());
    }
    // Reading the (short) answer lets the connection be used for the next message; what it
    // says does not matter, and the global timeout bounds it.
    let _ = std::io::copy(
        &mut response.body_mut().as_reader().take(64 * 1024),
        &mut std::io::sink(),
    );
    describe_status(response.status().as_u16())
}

/// 2xx is success; anything else is a failure in a few words.
fn describe_status(status: u16) -> Result<(), String> {
    match status {
        200..=299 => Ok(()),
        300..=399 => Err(format!(
            "HTTP {status} (a redirect: configure the URL it points to)"
        )),
        _ => Err(format!("HTTP {status}")),
    }
}

/// ureq's transport errors in plain words; anything quoting the URL gets it redacted.
fn describe_error(error: ureq::Error, url: &str, timeout: Duration) -> String {
    let timed_out = || format!("timed out after {}", seconds(timeout));
    match error {
        ureq::Error::Timeout(_) => timed_out(),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => timed_out(),
            _ => match io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            {
                Some(ureq::Error::Timeout(_)) => timed_out(),
                _ => scrub(&triage_os::describe_io(&io), url),
            },
        },
        ureq::Error::ConnectionFailed => "cannot connect".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::BadUri(_) => "not a valid URL".to_owned(),
        ureq::Error::Rustls(tls) => format!("TLS: {tls}"),
        other => scrub(&other.to_string(), url),
    }
}

/// `5 s`, `0.25 s`: at most six decimals and no trailing zeros, as perfdata writes seconds
/// (counted in whole microseconds here, so notify needs no float formatting from core).
pub(crate) fn seconds(duration: Duration) -> String {
    let micros = (duration.as_nanos() + 500) / 1_000;
    let (whole, fraction) = (micros / 1_000_000, micros % 1_000_000);
    if fraction == 0 {
        return format!("{whole} s");
    }
    let fraction = format!("{fraction:06}");
    format!("{whole}.{} s", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_is_success() {
        assert_eq!(describe_status(200), Ok(()));
        assert_eq!(describe_status(204), Ok(()));
        assert_eq!(describe_status(500), Err("HTTP 500".to_owned()));
        assert_eq!(describe_status(404), Err("HTTP 404".to_owned()));
        assert!(
            describe_status(301)
                .expect_err("a redirect fails")
                .starts_with("HTTP 301 (a redirect")
        );
    }

    #[test]
    fn https_clients_are_made_with_the_system_roots() {
        let made = agent_for("https://hooks.example.com/x", Duration::from_secs(1));
        assert!(made.is_ok(), "{:?}", made.err());
    }

    #[test]
    fn seconds_drop_a_zero_fraction() {
        assert_eq!(seconds(Duration::from_secs(5)), "5 s");
        assert_eq!(seconds(Duration::from_millis(250)), "0.25 s");
        assert_eq!(seconds(Duration::from_secs(120)), "120 s");
        assert_eq!(seconds(Duration::from_millis(1_500)), "1.5 s");
    }

    #[test]
    fn seconds_keep_at_most_six_decimals_rounded() {
        assert_eq!(seconds(Duration::ZERO), "0 s");
        assert_eq!(seconds(Duration::from_nanos(400)), "0 s");
        assert_eq!(seconds(Duration::from_nanos(1_500)), "0.000002 s");
        assert_eq!(seconds(Duration::from_nanos(1_000_000_400)), "1 s");
        assert_eq!(seconds(Duration::from_nanos(2_999_999_700)), "3 s");
    }
}
