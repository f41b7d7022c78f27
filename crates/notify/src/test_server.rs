//! A tiny HTTP/1.1 server on 127.0.0.1 for the delivery tests: one connection at a time,
//! one request per connection, every request recorded in order. Its thread ends by itself
//! after the connections it was told to expect, or after a few seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server waits for its connections before it stops on its own.
const LIFETIME: Duration = Duration::from_secs(8);

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server does with each connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Reads the request and answers with this status and these headers.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// Accepts, then holds the connection this long without a word.
    Silent(Duration),
}

impl Behaviour {
    pub fn status(status: u16) -> Behaviour {
        Behaviour::Answer {
            status,
            headers: Vec::new(),
        }
    }
}

pub struct TestServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    /// Serves `connections` connections, then stops.
    pub fn start(behaviour: Behaviour, connections: usize) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test port");
        let port = listener.local_addr().expect("the test port").port();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        thread::spawn(move || serve(&listener, &behaviour, connections, &recorded));
        TestServer { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("the request log").clone()
    }
}

fn serve(
    listener: &TcpListener,
    behaviour: &Behaviour,
    connections: usize,
    requests: &Mutex<Vec<Recorded>>,
) {
    let started = Instant::now();
    let mut served = 0;
    while served < connections && started.elapsed() < LIFETIME {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        served += 1;
        let ready = stream.set_nonblocking(false).is_ok()
            && stream
                .set_read_timeout(Some(Duration::from_secs(3)))
                .is_ok()
            && stream
                .set_write_timeout(Some(Duration::from_secs(3)))
                .is_ok();
        if !ready {
            continue;
        }
        match behaviour {
            Behaviour::Silent(hold) => thread::sleep(*hold),
            Behaviour::Answer { status, headers } => {
                if let Some(request) = read_request(&stream) {
                    requests.lock().expect("the request log").push(request);
                    answer(&stream, *status, headers);
                }
            }
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let mut headers = Vec::new();
    for _ in 0..100 {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

fn answer(mut stream: &TcpStream, status: u16, headers: &[(String, String)]) {
    let mut response =
        format!("HTTP/1.1 {status} Test\r\nContent-Length: 0\r\nConnection: close\r\n");
    for (name, value) in headers {
        response += &format!("{name}: {value}\r\n");
    }
    response += "\r\n";
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}
