//! Dead man's switch pings in the Healthchecks.io protocol (also spoken by self-hosted
//! Healthchecks): the service raises the alarm when the pings stop, so a remediate that
//! hangs or no longer runs is noticed by someone.
//!
//! `<ping-url>/start` says a run started, `<ping-url>/0` that it succeeded and
//! `<ping-url>/fail` that it failed; `?rid=<uuid>` pairs a start with its end so the
//! service can show how long the run took. A POST body (remediate's log of the run) is
//! stored, cut by the server to the size it announces in each answer's `Ping-Body-Limit`.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Outbox;
use crate::delivery::{Body, Method, Request};

/// The body limit assumed until the server announced one: the self-hosted default (the
/// hosted service allows 100000 bytes).
pub const DEFAULT_BODY_LIMIT: usize = 10_000;

/// A random version-4 UUID in canonical form (lower-case hex, 8-4-4-4-12), as `rid` needs.
pub fn run_id() -> String {
    format_uuid_v4(random_bytes())
}

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0; 16];
    match std::fs::File::open("/dev/urandom").and_then(|mut file| file.read_exact(&mut bytes)) {
        Ok(()) => bytes,
        Err(_) => fallback_bytes(),
    }
}

/// Unpredictable enough to tell runs apart, which is all a run id needs: std's hasher keys
/// are seeded from the OS once per process and differ per call.
fn fallback_bytes() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0; 16];
    for half in bytes.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        hasher.write_u32(std::process::id());
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    bytes
}

/// RFC 9562 layout: version 4 in the high nibble of byte 6, variant `10` in byte 8.
fn format_uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Pings one check's URL through an [`Outbox`], so a slow ping service never delays a run.
#[derive(Debug)]
pub struct Pinger<'a> {
    base_url: String,
    outbox: &'a Outbox,
    /// The server's `Ping-Body-Limit`, learned by the delivery thread from any answer.
    body_limit: Arc<AtomicUsize>,
}

impl<'a> Pinger<'a> {
    /// A pinger for the check at `base_url` (e.g. `https://hc-ping.com/<uuid>`).
    pub fn new(base_url: &str, outbox: &'a Outbox) -> Pinger<'a> {
        Pinger {
            base_url: base_url.to_owned(),
            outbox,
            body_limit: Arc::new(AtomicUsize::new(DEFAULT_BODY_LIMIT)),
        }
    }

    /// Queues the "run `rid` started" ping (a GET of `<base>/start?rid=<rid>`).
    pub fn start(&self, rid: &str) {
        self.queue(
            "start ping",
            Method::Get,
            ping_url(&self.base_url, "start", rid),
        );
    }

    /// Queues the end of run `rid` (a POST to `<base>/0` or `<base>/fail`) with its log,
    /// cut to the server's body limit.
    pub fn finish(&self, rid: &str, success: bool, log: &str) {
        let (what, endpoint) = if success {
            ("success ping", "0")
        } else {
            ("failure ping", "fail")
        };
        let log = log.to_owned();
        let limit = Arc::clone(&self.body_limit);
        let body = Body {
            content_type: "text/plain; charset=utf-8",
            // Cut when sent, not now: the answer to the start ping, queued just before,
            // may still bring the server's limit.
            make: Box::new(move || truncate_log(&log, limit.load(Ordering::SeqCst)).into_bytes()),
        };
        self.queue(
            what,
            Method::Post(body),
            ping_url(&self.base_url, endpoint, rid),
        );
    }

    fn queue(&self, what: &str, method: Method, url: String) {
        let limit = Arc::clone(&self.body_limit);
        // Keyed by the base URL, not the ping's own URL: one thread for the check, so its
        // start always arrives before its end.
        self.outbox.queue(
            &self.base_url,
            Request {
                what: what.to_owned(),
                method,
                url,
                headers: Vec::new(),
                on_answer: Some(Box::new(move |headers| {
                    if let Some(announced) = headers
                        .get("ping-body-limit")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse().ok())
                    {
                        limit.store(announced, Ordering::SeqCst);
                    }
                })),
            },
        );
    }
}

/// `<base>/<endpoint>?rid=<rid>`, keeping a query the base already has.
pub fn ping_url(base_url: &str, endpoint: &str, rid: &str) -> String {
    let (path, query) = match base_url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (base_url, None),
    };
    let path = path.trim_end_matches('/');
    match query {
        Some(query) if !query.is_empty() => format!("{path}/{endpoint}?{query}&rid={rid}"),
        _ => format!("{path}/{endpoint}?rid={rid}"),
    }
}

/// The log cut to at most `limit` bytes: its head, cut at a character boundary, then a
/// line saying how long it was.
pub fn truncate_log(log: &str, limit: usize) -> String {
    if log.len() <= limit {
        return log.to_owned();
    }
    let marker = format!("\n[truncated: {} bytes in all]", log.len());
    // A limit too small for the marker keeps what text fits: the start of a log says more
    // than the marker.
    let (head_limit, marker) = match limit.checked_sub(marker.len()) {
        Some(room) => (room, marker.as_str()),
        None => (limit, ""),
    };
    let mut end = head_limit;
    while !log.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &log[..end])
}

#[cfg(test)]
mod tests;
