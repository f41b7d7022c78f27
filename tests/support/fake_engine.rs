//! A fake Docker Engine API on a Unix socket: it replays answers recorded from real
//! daemons (`../shared/fixtures/docker-api/`) or written by a test, and logs each request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a fake engine serves at most, so a forgotten one cannot outlive its test.
const LIFETIME: Duration = Duration::from_secs(60);

/// How a body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Framing {
    /// `Content-Length`.
    Length,
    /// `Transfer-Encoding: chunked`, in chunks of this many bytes.
    Chunked(usize),
    /// Neither: the body ends when the connection closes.
    Close,
}

/// One canned answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A full HTTP answer.
    Http {
        status_line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        framing: Framing,
    },
    /// Accept the request and never answer (the connection stays open).
    Silence,
    /// These exact bytes, then close.
    Raw(Vec<u8>),
    /// A 200 JSON answer with a body of exactly `bytes` bytes (`{"Id":"x"},` over and
    /// over: never valid JSON, only ever too large), framed as asked. It is made block by
    /// block while it is written, never held whole, and stops when the client goes away.
    Flood { bytes: usize, framing: Framing },
}

/// The fixtures directory of `../shared`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/docker-api")
}

impl Reply {
    /// A recorded answer (`docker-20.10.24/inspect_c_oom.http`), re-framed with
    /// Content-Length (the recorder removed the chunk framing but kept the header).
    pub fn recorded(name: &str) -> Reply {
        Reply::recorded_framed(name, Framing::Length)
    }

    /// A recorded answer, framed as asked.
    pub fn recorded_framed(name: &str, framing: Framing) -> Reply {
        let path = fixtures().join(name);
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8(raw).expect("fixtures are UTF-8");
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").expect("head and body");
        let mut lines = head.lines();
        let status_line = lines.next().expect("status line").to_owned();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("Transfer-Encoding")
                    && !k.eq_ignore_ascii_case("Content-Length")
            })
            .collect();
        Reply::Http {
            status_line,
            headers,
            body: body.as_bytes().to_vec(),
            framing,
        }
    }

    /// A JSON answer with `status`.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Http {
            status_line: format!("HTTP/1.1 {status} {}", reason(status)),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            framing: Framing::Length,
        }
    }

    /// Docker 20.10's `_ping` answer advertising `version`.
    pub fn ping(version: &str) -> Reply {
        Reply::Http {
            status_line: "HTTP/1.1 200 OK".into(),
            headers: vec![
                ("Api-Version".into(), version.into()),
                ("Server".into(), "Docker/20.10.24+dfsg1 (linux)".into()),
            ],
            body: b"OK".to_vec(),
            framing: Framing::Length,
        }
    }

    fn write_to(&self, stream: &mut impl Write) {
        if let Reply::Flood { bytes, framing } = self {
            flood(stream, *bytes, *framing);
            return;
        }
        let Reply::Http {
            status_line,
            headers,
            body,
            framing,
        } = self
        else {
            if let Reply::Raw(bytes) = self {
                let _ = stream.write_all(bytes);
            }
            return;
        };
        let mut out = format!("{status_line}\r\n");
        for (key, value) in headers {
            out.push_str(&format!("{key}: {value}\r\n"));
        }
        match framing {
            Framing::Length => out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len())),
            Framing::Chunked(_) => out.push_str("Transfer-Encoding: chunked\r\n\r\n"),
            Framing::Close => out.push_str("Connection: close\r\n\r\n"),
        }
        let mut bytes = out.into_bytes();
        match framing {
            Framing::Chunked(size) => {
                for piece in body.chunks((*size).max(1)) {
                    bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                    bytes.extend_from_slice(piece);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
            }
            _ => bytes.extend_from_slice(body),
        }
        let _ = stream.write_all(&bytes);
    }
}

/// Writes a [`Reply::Flood`]: the head, then the body in blocks of at most 64 KiB (or the
/// chunk size); the first failed write (the client closed, or stopped reading for the
/// socket's write timeout) ends it.
fn flood(stream: &mut impl Write, bytes: usize, framing: Framing) {
    let framing_header = match framing {
        Framing::Length => format!("Content-Length: {bytes}"),
        Framing::Chunked(_) => "Transfer-Encoding: chunked".to_owned(),
        Framing::Close => "Connection: close".to_owned(),
    };
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing_header}\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let block_size = match framing {
        Framing::Chunked(size) => size.clamp(1, 64 << 10),
        _ => 64 << 10,
    };
    let block: Vec<u8> = br#"{"Id":"x"},"#.iter().copied().cycle().take(block_size).collect();
    let mut left = bytes;
    while left > 0 {
        let piece = &block[..left.min(block.len())];
        let written = match framing {
            Framing::Chunked(_) => stream
                .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .and_then(|()| stream.write_all(piece))
                .and_then(|()| stream.write_all(b"\r\n")),
            _ => stream.write_all(piece),
        };
        if written.is_err() {
            return;
        }
        left -= piece.len();
    }
    if let Framing::Chunked(_) = framing {
        let _ = stream.write_all(b"0\r\n\r\n");
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// A listening socket, Unix or TCP.
trait Listener: Send + 'static {
    type Stream: Read + Write + Send + 'static;
    fn accept_one(&self) -> Option<Self::Stream>;
}

impl Listener for UnixListener {
    type Stream = std::os::unix::net::UnixStream;
    fn accept_one(&self) -> Option<Self::Stream> {
        let (stream, _) = self.accept().ok()?;
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        // A client that stops reading cannot hold the (single) serving thread for ever.
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .ok()?;
        Some(stream)
    }
}

impl Listener for TcpListener {
    type Stream = std::net::TcpStream;
    fn accept_one(&self) -> Option<Self::Stream> {
        let (stream, _) = self.accept().ok()?;
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        // A client that stops reading cannot hold the (single) serving thread for ever.
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .ok()?;
        Some(stream)
    }
}

/// A running fake engine; it stops when dropped.
pub struct FakeEngine {
    pub socket: PathBuf,
    address: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeEngine {
    /// Serves `routes` on `socket`. A route is `"GET /containers/json"` (matched with and
    /// without the query, after dropping the `/vX.Y` prefix) or `"*"` for anything else;
    /// unmatched requests get Docker's 404 `page not found`.
    pub fn start(socket: &Path, routes: Vec<(&str, Reply)>) -> FakeEngine {
        let listener = UnixListener::bind(socket).expect("bind the fake engine's socket");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = format!("unix://{}", socket.display());
        FakeEngine::serving(listener, socket.to_owned(), address, routes)
    }

    /// Serves one recorded set (a folder under the fixtures) on `socket`: its ping, its
    /// container list (chunked, as Docker sends it), the inspect answer of each
    /// `(id, fixture)` in `containers` (Content-Length), then the `extra` routes.
    pub fn recorded(
        socket: &Path,
        set: &str,
        containers: &[(&str, &str)],
        extra: Vec<(String, Reply)>,
    ) -> FakeEngine {
        let mut routes: Vec<(String, Reply)> = vec![
            (
                "GET /_ping".into(),
                Reply::recorded_framed(&format!("{set}/ping.http"), Framing::Close),
            ),
            (
                "GET /containers/json?all=1".into(),
                Reply::recorded_framed(
                    &format!("{set}/containers_json_all.http"),
                    Framing::Chunked(1000),
                ),
            ),
        ];
        for (id, fixture) in containers {
            routes.push((
                format!("GET /containers/{id}/json"),
                Reply::recorded(&format!("{set}/{fixture}.http")),
            ));
        }
        routes.extend(extra);
        let routes = routes
            .iter()
            .map(|(route, reply)| (route.as_str(), reply.clone()))
            .collect();
        FakeEngine::start(socket, routes)
    }

    /// The same on a TCP port of 127.0.0.1.
    pub fn start_tcp(routes: Vec<(&str, Reply)>) -> FakeEngine {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = format!("tcp://{}", listener.local_addr().expect("address"));
        FakeEngine::serving(listener, PathBuf::new(), address, routes)
    }

    fn serving(
        listener: impl Listener,
        socket: PathBuf,
        address: String,
        routes: Vec<(&str, Reply)>,
    ) -> FakeEngine {
        let routes: Vec<(String, Reply)> =
            routes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(listener, routes, requests, stop))
        };
        FakeEngine {
            socket,
            address,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `DOCKER_HOST`/`--host` for this engine.
    pub fn host(&self) -> String {
        self.address.clone()
    }

    /// Request lines received so far (`GET /v1.41/containers/json?all=1`).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests").clone()
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve<L: Listener>(
    listener: L,
    routes: Vec<(String, Reply)>,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) {
    let started = Instant::now();
    let mut silent = Vec::new();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < LIFETIME {
        let Some(mut stream) = listener.accept_one() else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let Some(line) = read_request(&mut stream) else {
            continue;
        };
        requests.lock().expect("requests").push(line.clone());
        let reply = route(&routes, &line);
        if matches!(reply, Reply::Silence) {
            silent.push(stream);
        } else {
            reply.write_to(&mut stream);
        }
    }
}

/// The request line, after reading the whole head.
fn read_request(stream: &mut impl Read) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = first.split_whitespace();
    Some(format!("{} {}", parts.next()?, parts.next()?))
}

fn route(routes: &[(String, Reply)], request: &str) -> Reply {
    let (method, target) = request.split_once(' ').unwrap_or((request, ""));
    let target = strip_version(target);
    let path = target.split('?').next().unwrap_or(target);
    let with_query = format!("{method} {target}");
    let without = format!("{method} {path}");
    routes
        .iter()
        .find(|(key, _)| *key == with_query)
        .or_else(|| routes.iter().find(|(key, _)| *key == without))
        .or_else(|| routes.iter().find(|(key, _)| key == "*"))
        .map(|(_, reply)| reply.clone())
        .unwrap_or_else(|| Reply::json(404, r#"{"message":"page not found"}"#))
}

/// `/v1.41/containers/json` -> `/containers/json`.
fn strip_version(target: &str) -> &str {
    let Some(rest) = target.strip_prefix("/v") else {
        return target;
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let version = &rest[..end];
    if version
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        &rest[end..]
    } else {
        target
    }
}
