//! Just enough HTTP/1.1 for the Engine API: one request per connection
//! (`Connection: close`), a body framed by `Content-Length`, by chunks or by the end of
//! the connection, and every read bounded in size and by the caller's deadline.
//!
//! Hand-written rather than ureq: ureq reaches a Unix socket only through its
//! `unversioned` transport API, which may break in any minor release, and the Docker API
//! uses a small, fixed corner of HTTP.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// The most header bytes we accept: Docker sends about 300.
const MAX_HEAD_BYTES: u64 = 64 * 1024;
/// A chunk-size line is a hex number and maybe extensions; anything longer is garbage.
const MAX_CHUNK_LINE: u64 = 1024;

/// A byte stream whose reads and writes can be bounded in time.
pub(crate) trait Socket: Read + Write {
    /// Makes the next reads and writes give up after `limit`.
    fn limit_wait(&self, limit: Duration) -> io::Result<()>;
}

impl Socket for UnixStream {
    fn limit_wait(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))?;
        self.set_write_timeout(Some(limit))
    }
}

impl Socket for TcpStream {
    fn limit_wait(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))?;
        self.set_write_timeout(Some(limit))
    }
}

/// An answer: status, headers and the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    /// The deadline passed while waiting.
    #[error("no answer before the deadline")]
    TimedOut,
    /// The operating system's reason.
    #[error("{0}")]
    Io(io::Error),
    /// Not HTTP, or cut short.
    #[error("{0}")]
    Malformed(String),
    /// More body than we accept.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
}

impl From<io::Error> for HttpError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HttpError::TimedOut,
            io::ErrorKind::UnexpectedEof => {
                HttpError::Malformed("the connection closed in the middle of the answer".into())
            }
            _ => HttpError::Io(error),
        }
    }
}

/// Sends one request and reads its answer, all before `deadline`, with at most
/// `max_body` bytes of body.
pub(crate) fn exchange<S: Socket>(
    socket: S,
    method: &str,
    path: &str,
    deadline: Instant,
    max_body: usize,
) -> Result<Response, HttpError> {
    let mut socket = DeadlineSocket { socket, deadline };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: triage/{}\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    socket.write_all(request.as_bytes())?;
    socket.flush()?;
    let mut reader = BufReader::with_capacity(16 * 1024, socket);
    let (status, headers) = read_head(&mut reader)?;
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let bodiless = method == "HEAD" || status / 100 == 1 || status == 204 || status == 304;
    if bodiless {
        return Ok(response);
    }
    let chunked = response
        .header("Transfer-Encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    response.body = if chunked {
        read_chunked(&mut reader, max_body)?
    } else if let Some(length) = response.header("Content-Length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| HttpError::Malformed(format!("bad Content-Length '{length}'")))?;
        read_exactly(&mut reader, length, max_body)?
    } else {
        read_to_end(&mut reader, max_body)?
    };
    Ok(response)
}

/// Reads one answer from `raw` exactly as [`exchange`] reads it from a socket after a
/// `method` request: the entry point of the `docker_json` fuzz target, which has no socket.
#[doc(hidden)]
pub fn read_response(raw: &[u8], method: &str, max_body: usize) -> Result<Response, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let replay = Replay(io::Cursor::new(raw));
    exchange(replay, method, "/", deadline, max_body).map_err(|error| error.to_string())
}

/// A recorded answer to read from; what is written to it is dropped.
struct Replay<'a>(io::Cursor<&'a [u8]>);

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Socket for Replay<'_> {
    fn limit_wait(&self, _: Duration) -> io::Result<()> {
        Ok(())
    }
}

/// Every read and write waits at most until the deadline.
struct DeadlineSocket<S> {
    socket: S,
    deadline: Instant,
}

impl<S: Socket> DeadlineSocket<S> {
    fn arm(&self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.socket.limit_wait(left)
    }
}

impl<S: Socket> Read for DeadlineSocket<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.socket.read(buf)
    }
}

impl<S: Socket> Write for DeadlineSocket<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

type Headers = Vec<(String, String)>;

fn read_head(reader: &mut impl BufRead) -> Result<(u16, Headers), HttpError> {
    let mut budget = reader.take(MAX_HEAD_BYTES);
    let status_line = read_line(&mut budget, "the status line")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    let status = match (version.starts_with("HTTP/1."), code.parse::<u16>()) {
        (true, Ok(status)) if (100..600).contains(&status) && code.len() == 3 => status,
        _ => {
            return Err(HttpError::Malformed(format!(
                "not an HTTP answer: '{}'",
                printable(&status_line, 80)
            )));
        }
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut budget, "the headers")?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            HttpError::Malformed(format!("bad header '{}'", printable(&line, 80)))
        })?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

/// One CRLF- (or LF-) terminated line, which must end within the reader's limit.
fn read_line(reader: &mut impl BufRead, what: &str) -> Result<String, HttpError> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(HttpError::Malformed(if line.is_empty() {
            format!("the connection closed before {what}")
        } else {
            format!("{what} did not end (too long, or cut short)")
        }));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_exactly(reader: &mut impl Read, length: usize, max: usize) -> Result<Vec<u8>, HttpError> {
    if length > max {
        return Err(HttpError::TooLarge(max));
    }
    let mut body = Vec::with_capacity(length.min(1024 * 1024));
    let got = reader.take(length as u64).read_to_end(&mut body)?;
    if got < length {
        return Err(HttpError::Malformed(format!(
            "the answer ended after {got} of {length} bytes"
        )));
    }
    Ok(body)
}

fn read_to_end(reader: &mut impl Read, max: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    reader.take(max as u64 + 1).read_to_end(&mut body)?;
    if body.len() > max {
        return Err(HttpError::TooLarge(max));
    }
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead, max: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(&mut reader.take(MAX_CHUNK_LINE), "a chunk size")?;
        let digits = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(digits, 16).map_err(|_| {
            HttpError::Malformed(format!("bad chunk size '{}'", printable(&line, 40)))
        })?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            while !read_line(&mut reader.take(MAX_HEAD_BYTES), "the trailers")?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max {
            return Err(HttpError::TooLarge(max));
        }
        let got = reader.take(size as u64).read_to_end(&mut body)?;
        if got < size {
            return Err(HttpError::Malformed(
                "the connection closed in the middle of a chunk".into(),
            ));
        }
        let mut end = [0u8; 2];
        reader.read_exact(&mut end)?;
        if &end != b"\r\n" {
            return Err(HttpError::Malformed(
                "a chunk is longer than its declared size".into(),
            ));
        }
    }
}

/// At most `max` characters of `text`, control characters replaced: for error messages.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > max {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// An in-memory socket: reads come from `input`, writes are kept.
    struct Canned {
        input: Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Socket for &mut Canned {
        fn limit_wait(&self, _: Duration) -> io::Result<()> {
            Ok(())
        }
    }

    fn answer(raw: &[u8], max: usize) -> Result<Response, HttpError> {
        let mut canned = Canned {
            input: Cursor::new(raw.to_vec()),
            sent: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let response = exchange(&mut canned, "GET", "/v1.41/_ping", deadline, max);
        let sent = String::from_utf8(canned.sent).expect("utf-8");
        assert!(
            sent.starts_with("GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n"),
            "{sent}"
        );
        assert!(sent.ends_with("Connection: close\r\n\r\n"), "{sent}");
        response
    }

    #[test]
    fn answers_read_from_bytes_as_from_a_socket() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let response = read_response(raw, "GET", 1024).expect("an answer");
        assert_eq!(response, answer(raw, 1024).expect("an answer"));
        assert_eq!(response.body, b"abc");
        assert_eq!(
            read_response(raw, "HEAD", 1024).expect("an answer").body,
            b""
        );
        assert_eq!(
            read_response(raw, "GET", 2),
            Err("the answer is larger than 2 bytes".to_owned())
        );
    }

    #[test]
    fn content_length_bodies_are_read_exactly() {
        let r = answer(
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOKextra",
            100,
        )
        .expect("answer");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"OK"[..]));
        assert_eq!(r.header("api-version"), Some("1.41"));
    }

    #[test]
    fn chunked_bodies_are_joined_and_trailers_skipped() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    3;ext=1\r\n[1,\r\n2\r\n2]\r\n0\r\nX-Trailer: y\r\n\r\n";
        let r = answer(raw, 100).expect("answer");
        assert_eq!(r.body, b"[1,2]");
    }

    #[test]
    fn the_recorded_chunked_inspect_is_checked_against_its_declared_size() {
        let raw = include_bytes!(
            "../../../../shared/fixtures/docker-api/docker-20.10.24/raw_chunked_inspect_h1.http"
        );
        // The recording's one chunk holds 8 bytes more than its size line says (it was
        // edited after capture): a decoder that trusted the data would accept it.
        match answer(raw, 1 << 20) {
            Err(HttpError::Malformed(reason)) => {
                assert_eq!(reason, "a chunk is longer than its declared size")
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
        // The same document re-framed in three honest chunks decodes whole.
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
        let body = &raw[split..];
        let data_start = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line")
            + 2;
        let data = &body[data_start..body.len() - b"\r\n0\r\n\r\n".len()];
        let mut reframed = raw[..split].to_vec();
        for piece in data.chunks(data.len() / 3 + 1) {
            reframed.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            reframed.extend_from_slice(piece);
            reframed.extend_from_slice(b"\r\n");
        }
        reframed.extend_from_slice(b"0\r\n\r\n");
        let r = answer(&reframed, 1 << 20).expect("answer");
        let doc: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(doc["Name"], "/h1");
    }

    #[test]
    fn bodies_without_framing_end_with_the_connection() {
        let r = answer(b"HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", 100).expect("answer");
        assert_eq!(r.body, b"{\"a\":1}");
    }

    #[test]
    fn no_content_has_no_body() {
        let r =
            answer(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 100).expect("answer");
        assert_eq!((r.status, r.body.len()), (204, 0));
    }

    #[test]
    fn oversized_bodies_are_refused_whatever_their_framing() {
        let too_long = |raw: &[u8]| matches!(answer(raw, 4), Err(HttpError::TooLarge(4)));
        assert!(too_long(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n"
        ));
        assert!(too_long(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n"
        ));
        assert!(too_long(b"HTTP/1.1 200 OK\r\n\r\n0123456789"));
    }

    #[test]
    fn garbage_and_truncation_are_malformed_with_a_reason() {
        let reason = |raw: &[u8]| match answer(raw, 1000) {
            Err(HttpError::Malformed(reason)) => reason,
            other => panic!("expected Malformed, got {other:?}"),
        };
        assert_eq!(reason(b""), "the connection closed before the status line");
        assert_eq!(
            reason(b"SSH-2.0-OpenSSH\r\n"),
            "not an HTTP answer: 'SSH-2.0-OpenSSH'"
        );
        assert_eq!(
            reason(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
            "the answer ended after 3 of 9 bytes"
        );
        assert_eq!(
            reason(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
            "bad Content-Length 'x'"
        );
        assert_eq!(
            reason(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            "bad chunk size 'zz'"
        );
        assert_eq!(
            reason(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
            "the connection closed in the middle of a chunk"
        );
        assert_eq!(
            reason(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n"),
            "bad header 'no colon'"
        );
        let endless_header = [&b"HTTP/1.1 200 OK\r\nX: "[..], &vec![b'a'; 70_000]].concat();
        assert_eq!(
            reason(&endless_header),
            "the headers did not end (too long, or cut short)"
        );
    }
}
