//! A loopback HTTP/HTTPS test server on std threads: canned routes (including misbehaving
//! ones), a log of the requests it got, and a CA made at test time for its certificates.
//!
//! Every connection runs on its own thread with short socket timeouts, so each loop sees
//! the stop flag within a few tens of milliseconds; a server serves 60 s at most.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

/// How long a server serves at most, so a forgotten one cannot outlive its test.
const LIFETIME: Duration = Duration::from_secs(60);
/// Socket read/write timeout: how often a blocked connection looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);
/// Largest request body accepted (larger gets 413).
const MAX_BODY: usize = 1 << 20;
/// Largest request head accepted (larger gets 431).
const MAX_HEAD: usize = 64 << 10;
/// How long `drop` waits for the threads before leaving them to end on their own.
const JOIN_LIMIT: Duration = Duration::from_secs(2);
/// How long a closing connection reads what the client still sends, so unread bytes do
/// not turn the close into a reset that could eat the response.
const LINGER: Duration = Duration::from_secs(1);
/// One block of `Route::EndlessBody`.
const ENDLESS_BLOCK: usize = 64 << 10;

/// What the server answers on a path.
#[derive(Debug, Clone)]
pub enum Route {
    /// A full answer; `Content-Length` is added unless `headers` have `Content-Length` or
    /// `Transfer-Encoding` (or the status is 1xx/204/304), `Connection: close` unless they
    /// have `Connection`.
    Respond {
        status: u16,
        reason: &'static str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A `Transfer-Encoding: chunked` answer, one chunk per element (empty ones skipped),
    /// each written separately.
    Chunked {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
    },
    /// Waits this long (watching the stop flag), then answers with the inner route.
    Delay(Duration, Box<Route>),
    /// An empty answer with this status and `Location`.
    Redirect { status: u16, location: String },
    /// 200 without `Content-Length`, then 64 KiB blocks until the client goes away.
    EndlessBody,
    /// 200 with `Content-Length: 2147483648`, then nothing; the connection stays open.
    HugeContentLength,
    /// Reads the request and never answers; the connection stays open.
    NeverAnswer,
    /// `HTTP/1.1 200 OK\r\n`, then `X-Slow: aaa…` one byte per second, never finishing.
    SlowHeaders,
    /// 200 with headers `X-Filler-1: v` … `X-Filler-N: v` and body `ok`.
    ManyHeaders(usize),
    /// Exactly these bytes, then close.
    Raw(Vec<u8>),
    /// 200 with JSON `{"method","path","headers":{lowercase name: value},"body"}` of the
    /// request (repeated headers joined with ", ", the body as lossy UTF-8).
    Echo,
}

impl Route {
    /// A `Content-Type: application/json` answer.
    pub fn json(status: u16, body: &str) -> Route {
        Route::Respond {
            status,
            reason: reason(status),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A `Content-Type: text/plain; charset=utf-8` answer.
    pub fn text(status: u16, body: &str) -> Route {
        Route::Respond {
            status,
            reason: reason(status),
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds a header to a `Respond` or `Chunked` route (also inside `Delay`); panics otherwise.
    pub fn with_header(self, name: &str, value: &str) -> Route {
        match self {
            Route::Respond {
                status,
                reason,
                mut headers,
                body,
            } => {
                headers.push((name.to_owned(), value.to_owned()));
                Route::Respond {
                    status,
                    reason,
                    headers,
                    body,
                }
            }
            Route::Chunked {
                status,
                mut headers,
                chunks,
            } => {
                headers.push((name.to_owned(), value.to_owned()));
                Route::Chunked {
                    status,
                    headers,
                    chunks,
                }
            }
            Route::Delay(delay, inner) => {
                Route::Delay(delay, Box::new(inner.with_header(name, value)))
            }
            other => {
                panic!("with_header works on Route::Respond and Route::Chunked, not {other:?}")
            }
        }
    }
}

/// The usual reason phrase of `status` ("Status" for ones not listed).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// One request the server received (logged before it is answered).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    /// The request target as sent, with the query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What the accept loop and the connections share.
struct Shared {
    routes: Vec<(String, Route)>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    deadline: Instant,
    tls: Option<Arc<ServerConfig>>,
}

impl Shared {
    fn live(&self) -> bool {
        !self.stop.load(Ordering::SeqCst) && Instant::now() < self.deadline
    }

    fn route(&self, target: &str) -> Route {
        let path = target.split(['?', '#']).next().unwrap_or(target);
        self.routes
            .iter()
            .find(|(key, _)| key == path)
            .or_else(|| self.routes.iter().find(|(key, _)| key == "*"))
            .map(|(_, route)| route.clone())
            .unwrap_or_else(|| Route::text(404, "not found"))
    }
}

/// A running server on a loopback port; it stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    base: String,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Plain HTTP on 127.0.0.1; a route key is a path without query, or `"*"` for any;
    /// unmatched requests get 404 `not found`.
    pub fn http(routes: Vec<(&str, Route)>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        TestServer::start(listener, "http://127.0.0.1", routes, None)
    }

    /// Plain HTTP on [::1]; panics if the IPv6 loopback is unavailable.
    pub fn http_v6(routes: Vec<(&str, Route)>) -> TestServer {
        let listener = TcpListener::bind("[::1]:0").unwrap_or_else(|e| {
            panic!("cannot listen on [::1]:0 (is IPv6 loopback disabled on this machine?): {e}")
        });
        TestServer::start(listener, "http://[::1]", routes, None)
    }

    /// HTTPS on 127.0.0.1 with `cert`; URLs name `localhost`.
    pub fn https(routes: Vec<(&str, Route)>, cert: &ServerCert) -> TestServer {
        TestServer::tls(routes, tls_config(cert, None))
    }

    /// HTTPS that requires a client certificate signed by `client_ca`.
    pub fn https_client_auth(
        routes: Vec<(&str, Route)>,
        cert: &ServerCert,
        client_ca: &TestCa,
    ) -> TestServer {
        let mut roots = RootCertStore::empty();
        roots
            .add(client_ca.der())
            .expect("the client CA is a usable trust anchor");
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .expect("client certificate verifier");
        TestServer::tls(routes, tls_config(cert, Some(verifier)))
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/path`, `http://[::1]:PORT/path` or `https://localhost:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("{}:{}{slash}{path}", self.base, self.port())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    fn tls(routes: Vec<(&str, Route)>, config: Arc<ServerConfig>) -> TestServer {
        let resolved: Vec<SocketAddr> = ("localhost", 0)
            .to_socket_addrs()
            .map(|addrs| addrs.collect())
            .unwrap_or_default();
        assert!(
            resolved
                .iter()
                .any(|a| a.ip() == std::net::Ipv4Addr::LOCALHOST),
            "HTTPS test servers listen on 127.0.0.1 and their URLs name `localhost`, but \
             `localhost` resolves to {resolved:?} here: add `127.0.0.1 localhost` to /etc/hosts"
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        TestServer::start(listener, "https://localhost", routes, Some(config))
    }

    fn start(
        listener: TcpListener,
        base: &str,
        routes: Vec<(&str, Route)>,
        tls: Option<Arc<ServerConfig>>,
    ) -> TestServer {
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("listener address");
        let shared = Arc::new(Shared {
            routes: routes
                .into_iter()
                .map(|(key, route)| (key.to_owned(), route))
                .collect(),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            deadline: Instant::now() + LIFETIME,
            tls,
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("test-http-{}", addr.port()))
                .spawn(move || accept_loop(listener, shared))
                .expect("spawn the accept loop")
        };
        TestServer {
            addr,
            base: base.to_owned(),
            shared,
            thread: Some(thread),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // The accept loop itself waits up to JOIN_LIMIT for the connections.
            join_by(
                thread,
                Instant::now() + JOIN_LIMIT + Duration::from_millis(500),
            );
        }
    }
}

/// A server on 127.0.0.1 that takes a TLS ClientHello, answers with the first bytes of a
/// ServerHello (the record promises 122 bytes, 4 come) and then says nothing more: a
/// handshake stalled half-way. It holds every connection until it is dropped, or for 60 s.
pub struct StalledHandshake {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StalledHandshake {
    /// Listens on a loopback port.
    pub fn start() -> StalledHandshake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("listener address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("test-tls-stall-{port}"))
                .spawn(move || stall(listener, &stop))
                .expect("spawn the stalling server")
        };
        StalledHandshake {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for StalledHandshake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            join_by(thread, Instant::now() + JOIN_LIMIT);
        }
    }
}

fn stall(listener: TcpListener, stop: &AtomicBool) {
    // A handshake record (TLS 1.2) of 122 bytes; in it a ServerHello of 118 bytes.
    const SERVER_HELLO_START: [u8; 8] = [0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00];
    let deadline = Instant::now() + LIFETIME;
    let mut held = Vec::new();
    while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        let Ok((mut stream, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(3));
            continue;
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut hello = [0u8; 4096];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(&SERVER_HELLO_START);
        held.push(stream);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Joins `thread` if it ends before `deadline`; otherwise leaves it detached.
fn join_by(thread: JoinHandle<()>, deadline: Instant) {
    while !thread.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    if thread.is_finished() {
        let _ = thread.join();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while shared.live() {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                let spawned = std::thread::Builder::new()
                    .name("test-http-conn".into())
                    .spawn(move || handle(stream, shared));
                if let Ok(thread) = spawned {
                    connections.push(thread);
                }
                // Finished handles need no join: dropping them is enough.
                connections.retain(|thread| !thread.is_finished());
            }
            Err(_) => std::thread::sleep(Duration::from_millis(3)),
        }
    }
    drop(listener);
    shared.stop.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + JOIN_LIMIT;
    for thread in connections {
        join_by(thread, deadline);
    }
}

/// The socket, plain or under TLS.
enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Transport {
    fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(stream) => stream,
            Transport::Tls(stream) => &stream.sock,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(stream) => stream.read(buf),
            Transport::Tls(stream) => stream.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(stream) => stream.write(buf),
            Transport::Tls(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(stream) => stream.flush(),
            Transport::Tls(stream) => stream.flush(),
        }
    }
}

/// A socket timeout or signal: try again (after looking at the stop flag).
fn transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn stopped() -> io::Error {
    io::Error::other("test server stopped")
}

/// Why a request could not be read.
enum ReadError {
    /// The client closed, the socket failed or the server stopped: just close.
    Gone,
    /// A malformed or too large request: answer with this status, then close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Gone
    }
}

/// One connection: its transport and the bytes read but not yet parsed.
struct Conn {
    io: Transport,
    buf: Vec<u8>,
    shared: Arc<Shared>,
}

impl Conn {
    /// Reads more bytes into `buf`; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 << 10];
        loop {
            if !self.shared.live() {
                return Err(stopped());
            }
            match self.io.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One line without its CRLF (or LF); `Bad(status)` past `limit` bytes.
    fn line(&mut self, limit: usize, status: u16) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > limit {
                return Err(ReadError::Bad(status, "line too long"));
            }
            if self.fill()? == 0 {
                return Err(ReadError::Gone);
            }
        }
    }

    /// Exactly `n` bytes.
    fn take(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            if self.fill()? == 0 {
                return Err(ReadError::Gone);
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Writes all of `bytes` and flushes, giving up when the server stops.
    fn send(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if !self.shared.live() {
                return Err(stopped());
            }
            match self.io.write(bytes) {
                // TLS buffers are full: push records out, then try again.
                Ok(0) => match self.io.flush() {
                    Err(e) if !transient(&e) => return Err(e),
                    _ => {}
                },
                Ok(n) => bytes = &bytes[n..],
                Err(e) if transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        loop {
            if !self.shared.live() {
                return Err(stopped());
            }
            match self.io.flush() {
                Ok(()) => return Ok(()),
                Err(e) if transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sleeps `duration` in slices; false if the server stopped meanwhile.
    fn pause(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        while self.shared.live() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
        false
    }

    /// Keeps the connection open, discarding input, until the client closes or the
    /// server stops.
    fn hold(&mut self) {
        let mut chunk = [0u8; 4096];
        while self.shared.live() {
            match self.io.read(&mut chunk) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if transient(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// Ends the connection: TLS close_notify, FIN, a short drain, then shut the socket.
    fn close(mut self) {
        if let Transport::Tls(stream) = &mut self.io {
            stream.conn.send_close_notify();
        }
        let _ = self.flush();
        let mut tcp: &TcpStream = self.io.tcp();
        let _ = tcp.shutdown(Shutdown::Write);
        let until = Instant::now() + LINGER;
        let mut chunk = [0u8; 4096];
        while self.shared.live() && Instant::now() < until {
            match tcp.read(&mut chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if transient(&e) => {}
                Err(_) => break,
            }
        }
        let _ = tcp.shutdown(Shutdown::Both);
    }
}

fn handle(stream: TcpStream, shared: Arc<Shared>) {
    let setup = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(POLL)))
        .and_then(|()| stream.set_write_timeout(Some(POLL)))
        .and_then(|()| stream.set_nodelay(true));
    if setup.is_err() {
        return;
    }
    let io = match &shared.tls {
        None => Transport::Plain(stream),
        Some(config) => match ServerConnection::new(Arc::clone(config)) {
            Ok(tls) => Transport::Tls(Box::new(StreamOwned::new(tls, stream))),
            Err(_) => return,
        },
    };
    let mut conn = Conn {
        io,
        buf: Vec::new(),
        shared: Arc::clone(&shared),
    };
    match read_request(&mut conn) {
        Ok(request) => {
            lock(&shared.requests).push(request.clone());
            let route = shared.route(&request.path);
            let _ = answer(&mut conn, &route, &request);
        }
        Err(ReadError::Bad(status, message)) => {
            let _ = answer(
                &mut conn,
                &Route::text(status, message),
                &Request::default(),
            );
        }
        Err(ReadError::Gone) => {}
    }
    conn.close();
}

impl Default for Request {
    fn default() -> Request {
        Request {
            method: "GET".into(),
            path: "/".into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

fn read_request(conn: &mut Conn) -> Result<Request, ReadError> {
    let mut line = conn.line(MAX_HEAD, 400)?;
    while line.is_empty() {
        line = conn.line(MAX_HEAD, 400)?;
    }
    let line = String::from_utf8_lossy(&line).into_owned();
    let mut parts = line.split_ascii_whitespace();
    let (Some(method), Some(path), Some(_version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Bad(400, "bad request line"));
    };
    let mut request = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let mut head = line.len();
    loop {
        let line = conn.line(MAX_HEAD, 431)?;
        if line.is_empty() {
            break;
        }
        head += line.len() + 2;
        if head > MAX_HEAD {
            return Err(ReadError::Bad(431, "request head too large"));
        }
        let line = String::from_utf8_lossy(&line);
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "bad header line"));
        };
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(ReadError::Bad(400, "bad header name"));
        }
        request
            .headers
            .push((name.to_owned(), value.trim().to_owned()));
    }

    let chunked = match request.header("transfer-encoding") {
        None => false,
        Some(te) if te.to_ascii_lowercase().trim_end().ends_with("chunked") => true,
        Some(_) => return Err(ReadError::Bad(501, "unsupported transfer-encoding")),
    };
    let length = match request.header("content-length") {
        Some(value) if !chunked => {
            let length: usize = value
                .parse()
                .map_err(|_| ReadError::Bad(400, "bad content-length"))?;
            if length > MAX_BODY {
                return Err(ReadError::Bad(413, "request body too large"));
            }
            length
        }
        _ => 0,
    };
    if (chunked || length > 0)
        && request
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    request.body = if chunked {
        read_chunked(conn)?
    } else {
        conn.take(length)?
    };
    Ok(request)
}

fn read_chunked(conn: &mut Conn) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = conn.line(4096, 400)?;
        let line = String::from_utf8_lossy(&line);
        let size = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| ReadError::Bad(400, "bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !conn.line(MAX_HEAD, 431)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad(413, "request body too large"));
        }
        body.extend(conn.take(size)?);
        if !conn.line(4096, 400)?.is_empty() {
            return Err(ReadError::Bad(400, "chunk without CRLF"));
        }
    }
}

fn has(headers: &[(String, String)], name: &str) -> bool {
    headers
        .iter()
        .any(|(key, _)| key.eq_ignore_ascii_case(name))
}

/// The status line and headers, with the blank line.
fn head(status: u16, reason: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn header(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

fn answer(conn: &mut Conn, route: &Route, request: &Request) -> io::Result<()> {
    let head_only = request.method.eq_ignore_ascii_case("HEAD");
    match route {
        Route::Respond {
            status,
            reason,
            headers,
            body,
        } => {
            let mut headers = headers.clone();
            let bodiless = matches!(status, 100..=199 | 204 | 304);
            if !bodiless && !has(&headers, "content-length") && !has(&headers, "transfer-encoding")
            {
                headers.push(header("Content-Length", body.len()));
            }
            if !has(&headers, "connection") {
                headers.push(header("Connection", "close"));
            }
            let mut out = head(*status, reason, &headers);
            if !head_only {
                out.extend_from_slice(body);
            }
            conn.send(&out)
        }
        Route::Chunked {
            status,
            headers,
            chunks,
        } => {
            let mut headers = headers.clone();
            if !has(&headers, "transfer-encoding") {
                headers.push(header("Transfer-Encoding", "chunked"));
            }
            if !has(&headers, "connection") {
                headers.push(header("Connection", "close"));
            }
            conn.send(&head(*status, reason(*status), &headers))?;
            if head_only {
                return Ok(());
            }
            for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                let mut out = format!("{:x}\r\n", chunk.len()).into_bytes();
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
                conn.send(&out)?;
            }
            conn.send(b"0\r\n\r\n")
        }
        Route::Delay(delay, inner) => {
            if !conn.pause(*delay) {
                return Err(stopped());
            }
            answer(conn, inner, request)
        }
        Route::Redirect { status, location } => {
            let headers = [
                header("Location", location),
                header("Content-Length", 0),
                header("Connection", "close"),
            ];
            conn.send(&head(*status, reason(*status), &headers))
        }
        Route::EndlessBody => {
            let headers = [
                header("Content-Type", "application/octet-stream"),
                header("Connection", "close"),
            ];
            conn.send(&head(200, "OK", &headers))?;
            if head_only {
                return Ok(());
            }
            let block = vec![b'x'; ENDLESS_BLOCK];
            loop {
                conn.send(&block)?;
            }
        }
        Route::HugeContentLength => {
            let headers = [
                header("Content-Type", "application/octet-stream"),
                header("Content-Length", 2_147_483_648u64),
            ];
            conn.send(&head(200, "OK", &headers))?;
            conn.hold();
            Ok(())
        }
        Route::NeverAnswer => {
            conn.hold();
            Ok(())
        }
        Route::SlowHeaders => {
            conn.send(b"HTTP/1.1 200 OK\r\n")?;
            for &byte in b"X-Slow: ".iter().chain(std::iter::repeat(&b'a')) {
                conn.send(&[byte])?;
                if !conn.pause(Duration::from_secs(1)) {
                    return Err(stopped());
                }
            }
            Ok(())
        }
        Route::ManyHeaders(count) => {
            let mut headers: Vec<(String, String)> = (1..=*count)
                .map(|i| header(&format!("X-Filler-{i}"), "v"))
                .collect();
            headers.push(header("Content-Length", 2));
            headers.push(header("Connection", "close"));
            let mut out = head(200, "OK", &headers);
            if !head_only {
                out.extend_from_slice(b"ok");
            }
            conn.send(&out)
        }
        Route::Raw(bytes) => conn.send(bytes),
        Route::Echo => {
            let mut headers = serde_json::Map::new();
            for (name, value) in &request.headers {
                let name = name.to_ascii_lowercase();
                let joined = match headers.get(&name).and_then(|v| v.as_str()) {
                    Some(before) => format!("{before}, {value}"),
                    None => value.clone(),
                };
                headers.insert(name, joined.into());
            }
            let body = serde_json::json!({
                "method": request.method,
                "path": request.path,
                "headers": headers,
                "body": String::from_utf8_lossy(&request.body),
            });
            answer(conn, &Route::json(200, &body.to_string()), request)
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(
    cert: &ServerCert,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
) -> Arc<ServerConfig> {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .expect("server certificate PEM");
    let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("server key PEM");
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("TLS versions");
    let builder = match client_verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    Arc::new(
        builder
            .with_single_cert(chain, key)
            .expect("server certificate matches its key"),
    )
}

/// Seconds since the epoch now.
fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Sets the validity of `params` to `from`..`until` (seconds since the epoch).
fn set_validity(params: &mut rcgen::CertificateParams, from: i64, until: i64) {
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + Duration::from_secs(from.max(0) as u64);
    params.not_after = epoch + Duration::from_secs(until.max(0) as u64);
}

/// A certificate authority made with rcgen at test time.
pub struct TestCa {
    name: String,
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").field("name", &self.name).finish()
    }
}

impl TestCa {
    /// A new CA whose subject CN is `<name> test CA`, valid from a day ago for ten years.
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let now = now_unix();
        set_validity(&mut params, now - 86_400, now + 3650 * 86_400);
        let key = rcgen::KeyPair::generate().expect("CA key");
        let issuer = rcgen::CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        TestCa {
            name: name.to_owned(),
            issuer,
        }
    }

    /// The CA certificate in PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate in DER.
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// Writes the CA certificate to `dir/<name>-ca.pem` and returns that path.
    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}-ca.pem", self.name));
        std::fs::write(&path, self.pem())
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// A server certificate for `hosts` (DNS names, or IPs as IP SANs) valid from
    /// now + `not_before_days` to now + `not_after_days` (negative: the past).
    pub fn server_cert(
        &self,
        hosts: &[&str],
        not_before_days: i64,
        not_after_days: i64,
    ) -> ServerCert {
        let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("server names");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            hosts.first().copied().unwrap_or("test server"),
        );
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = now_unix();
        let not_after_unix = now + not_after_days * 86_400;
        set_validity(&mut params, now + not_before_days * 86_400, not_after_unix);
        let key = rcgen::KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            not_after_unix,
        }
    }

    /// A client certificate with CN `name` (clientAuth), valid from a day ago for 30 days.
    pub fn client_cert(&self, name: &str) -> ClientCert {
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        let now = now_unix();
        set_validity(&mut params, now - 86_400, now + 30 * 86_400);
        let key = rcgen::KeyPair::generate().expect("client key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the client certificate");
        ClientCert {
            name: name.to_owned(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A server certificate (leaf only) and its PKCS#8 key, both PEM.
#[derive(Debug, Clone)]
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
    /// The certificate's notAfter, in seconds since the epoch.
    pub not_after_unix: i64,
}

/// A client certificate and its PKCS#8 key, both PEM.
#[derive(Debug, Clone)]
pub struct ClientCert {
    /// The CN, also used for file names.
    pub name: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl ClientCert {
    /// Writes `dir/<name>-client.pem` and `dir/<name>-client-key.pem`; returns (cert, key).
    pub fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{}-client.pem", self.name));
        let key = dir.join(format!("{}-client-key.pem", self.name));
        for (path, text) in [(&cert, &self.cert_pem), (&key, &self.key_pem)] {
            std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        }
        (cert, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, ClientConnection};

    /// Connects to `addr`, with 5 s timeouts so no test can hang.
    fn connect(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("write timeout");
        stream
    }

    /// Sends `request` and reads the whole answer (the server closes after it).
    fn exchange(addr: SocketAddr, request: &str) -> String {
        let mut stream = connect(addr);
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("read the answer");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Reads up to the end of the head.
    fn read_head(stream: &mut impl Read) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                other => panic!("head cut short ({other:?}): {head:?}"),
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
    }

    fn client_config(ca: &TestCa, client: Option<&ClientCert>) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(ca.der()).expect("trust the CA");
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots);
        Arc::new(match client {
            None => builder.with_no_client_auth(),
            Some(cert) => builder
                .with_client_auth_cert(
                    CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
                        .collect::<Result<_, _>>()
                        .expect("client cert PEM"),
                    PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("client key PEM"),
                )
                .expect("client auth"),
        })
    }

    /// A GET over TLS to `localhost` (resolved by the system), verified by `config`.
    fn tls_get(server: &TestServer, config: Arc<ClientConfig>, path: &str) -> io::Result<String> {
        let addr = ("localhost", server.port())
            .to_socket_addrs()?
            .find(|a| a.is_ipv4())
            .expect("localhost has an IPv4 address");
        let name = ServerName::try_from("localhost").expect("server name");
        let tls = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(tls, connect(addr));
        stream.write_all(get(path).as_bytes())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }

    #[test]
    fn http_server_answers_and_logs_requests() {
        let server = TestServer::http(vec![(
            "/health",
            Route::text(200, "hello").with_header("X-Test", "yes"),
        )]);
        assert!(server.url("/health").starts_with("http://127.0.0.1:"));
        let answer = exchange(server.addr(), &get("/health?full=1"));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains("\r\nX-Test: yes\r\n"), "{answer}");
        assert!(answer.contains("\r\nContent-Length: 5\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhello"), "{answer}");
        let missing = exchange(server.addr(), &get("/elsewhere"));
        assert!(
            missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{missing}"
        );
        assert!(missing.ends_with("not found"), "{missing}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].path, "/health?full=1");
        assert_eq!(requests[0].header("HOST"), Some("test"));
    }

    #[test]
    fn http_server_chunked_redirect_raw_and_many_headers() {
        let server = TestServer::http(vec![
            (
                "/chunked",
                Route::Chunked {
                    status: 200,
                    headers: vec![],
                    chunks: vec![b"hello".to_vec(), Vec::new(), b" world!".to_vec()],
                },
            ),
            (
                "/moved",
                Route::Redirect {
                    status: 301,
                    location: "/health".into(),
                },
            ),
            ("/raw", Route::Raw(b"garbage\r\n\r\n".to_vec())),
            ("/many", Route::ManyHeaders(3)),
            (
                "/slow",
                Route::Delay(Duration::from_millis(30), Box::new(Route::json(503, "{}"))),
            ),
        ]);
        let answer = exchange(server.addr(), &get("/chunked"));
        assert!(
            answer.contains("Transfer-Encoding: chunked\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with("\r\n\r\n5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n"),
            "{answer}"
        );
        let answer = exchange(server.addr(), &get("/moved"));
        assert!(
            answer.starts_with("HTTP/1.1 301 Moved Permanently\r\n"),
            "{answer}"
        );
        assert!(answer.contains("\r\nLocation: /health\r\n"), "{answer}");
        assert_eq!(exchange(server.addr(), &get("/raw")), "garbage\r\n\r\n");
        let answer = exchange(server.addr(), &get("/many"));
        assert!(answer.contains("\r\nX-Filler-3: v\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
        let started = Instant::now();
        let answer = exchange(server.addr(), &get("/slow"));
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert!(
            answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{answer}"
        );
    }

    #[test]
    fn http_server_echoes_a_chunked_request_body() {
        let server = TestServer::http(vec![("*", Route::Echo)]);
        let answer = exchange(
            server.addr(),
            "POST /echo?q=1 HTTP/1.1\r\nHost: test\r\nX-Token: abc\r\n\
             Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n",
        );
        let body = answer.split_once("\r\n\r\n").expect("head and body").1;
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(json["method"], "POST");
        assert_eq!(json["path"], "/echo?q=1");
        assert_eq!(json["headers"]["x-token"], "abc");
        assert_eq!(json["body"], "abcdefg");
        assert_eq!(server.requests()[0].body, b"abcdefg");
    }

    #[test]
    fn http_server_stops_stuck_connections_promptly_on_drop() {
        let server = TestServer::http(vec![
            ("/endless", Route::EndlessBody),
            ("/silent", Route::NeverAnswer),
            ("/huge", Route::HugeContentLength),
            ("/slow", Route::SlowHeaders),
        ]);
        let mut endless = connect(server.addr());
        endless.write_all(get("/endless").as_bytes()).expect("send");
        assert!(read_head(&mut endless).starts_with("HTTP/1.1 200 OK\r\n"));
        let mut huge = connect(server.addr());
        huge.write_all(get("/huge").as_bytes()).expect("send");
        assert!(read_head(&mut huge).contains("Content-Length: 2147483648\r\n"));
        let mut slow = connect(server.addr());
        slow.write_all(get("/slow").as_bytes()).expect("send");
        let mut start = [0u8; 18];
        slow.read_exact(&mut start)
            .expect("status line and a first header byte");
        assert_eq!(&start, b"HTTP/1.1 200 OK\r\nX");
        let mut silent = connect(server.addr());
        silent.write_all(get("/silent").as_bytes()).expect("send");
        let deadline = Instant::now() + Duration::from_secs(2);
        while server.requests().len() < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let started = Instant::now();
        drop(server);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "drop took {:?}",
            started.elapsed()
        );
        for mut stream in [endless, huge, slow, silent] {
            // Whatever was still buffered, then end of stream (or a reset).
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
    }

    #[test]
    fn http_server_on_ipv6_loopback() {
        let server = TestServer::http_v6(vec![("/", Route::text(200, "v6"))]);
        assert!(server.url("/").starts_with("http://[::1]:"));
        assert!(exchange(server.addr(), &get("/")).ends_with("v6"));
    }

    #[test]
    fn http_server_tls_verified_against_the_test_ca() {
        let ca = TestCa::new("tls");
        let cert = ca.server_cert(&["localhost", "127.0.0.1"], -1, 30);
        assert!(cert.not_after_unix > now_unix() + 29 * 86_400);
        let server = TestServer::https(vec![("/health", Route::json(200, "{}"))], &cert);
        assert!(server.url("health").starts_with("https://localhost:"));
        let answer = tls_get(&server, client_config(&ca, None), "/health").expect("TLS GET");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n{}"), "{answer}");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = ca.write_pem(dir.path());
        assert!(path.ends_with("tls-ca.pem"));
        assert_eq!(std::fs::read_to_string(path).expect("read CA"), ca.pem());
    }

    #[test]
    fn http_server_tls_expired_certificate_is_served_and_rejected() {
        let ca = TestCa::new("expired");
        let cert = ca.server_cert(&["localhost"], -30, -1);
        assert!(cert.not_after_unix < now_unix());
        let server = TestServer::https(vec![("*", Route::text(200, "old"))], &cert);
        let error = tls_get(&server, client_config(&ca, None), "/")
            .expect_err("an expired certificate must fail verification");
        assert!(error.to_string().contains("xpired"), "{error}");
        assert!(server.requests().is_empty());
    }

    #[test]
    fn http_server_tls_client_auth() {
        let ca = TestCa::new("server");
        let client_ca = TestCa::new("clients");
        let cert = ca.server_cert(&["localhost"], 0, 1);
        let server = TestServer::https_client_auth(vec![("*", Route::Echo)], &cert, &client_ca);
        let anonymous = tls_get(&server, client_config(&ca, None), "/anonymous")
            .expect_err("a client without a certificate is refused");
        assert!(
            format!("{anonymous:?}").contains("CertificateRequired"),
            "{anonymous:?}"
        );
        let stranger = ca.client_cert("stranger");
        let refused = tls_get(&server, client_config(&ca, Some(&stranger)), "/stranger")
            .expect_err("a client certificate from another CA is refused");
        assert!(format!("{refused:?}").contains("UnknownCA"), "{refused:?}");
        let client = client_ca.client_cert("agent");
        let answer = tls_get(&server, client_config(&ca, Some(&client)), "/known")
            .expect("a client with a certificate from the client CA gets in");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/known"]);
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert_path, key_path) = client.write(dir.path());
        assert!(
            std::fs::read_to_string(cert_path)
                .expect("cert")
                .contains("CERTIFICATE")
        );
        assert!(
            std::fs::read_to_string(key_path)
                .expect("key")
                .contains("PRIVATE KEY")
        );
    }
}
