//! A small blocking HTTP/1.1 client for `jianghu-serve`'s JSON API and its server-sent events,
//! on the standard library alone: the server's tests and `cargo xtask bench --serve` (which
//! must not link libtorch, nor pull an async stack for a load generator) both use it.
//!
//! One request per connection (`Connection: close`); response bodies with a `Content-Length`
//! or in chunked transfer encoding (how the server streams events).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a read may wait for the server before the request fails.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as JSON.
    pub fn json(&self) -> io::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "status {}: body is not JSON ({e}): {}",
                    self.status,
                    String::from_utf8_lossy(&self.body)
                ),
            )
        })
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The `event:` field (`message` when absent).
    pub name: String,
    /// The `data:` lines joined with newlines.
    pub data: String,
}

/// A response whose body is read as server-sent events, one at a time.
pub struct EventStream {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: BufReader<Body>,
}

impl EventStream {
    /// The next event; `None` at the end of the stream.
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        let (mut name, mut data, mut any) = (String::new(), Vec::<String>::new(), false);
        let mut line = String::new();
        loop {
            line.clear();
            if self.body.read_line(&mut line)? == 0 {
                return Ok(any.then(|| Event {
                    name: name.clone(),
                    data: data.join("\n"),
                }));
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if any {
                    return Ok(Some(Event {
                        name: if name.is_empty() {
                            "message".into()
                        } else {
                            name
                        },
                        data: data.join("\n"),
                    }));
                }
                continue;
            }
            if line.starts_with(':') {
                continue; // a comment (keep-alive)
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            any = true;
            match field {
                "event" => name = value.to_owned(),
                "data" => data.push(value.to_owned()),
                _ => {}
            }
        }
    }

    /// The rest of the body, when the response turned out not to be a stream (an error).
    pub fn rest(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.body.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// `GET path`.
pub fn get(addr: SocketAddr, path: &str) -> io::Result<Response> {
    request(addr, "GET", path, None)
}

/// `POST path` with a JSON body.
pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> io::Result<Response> {
    request(addr, "POST", path, Some(body))
}

/// A request with an optional JSON body, read to the end.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> io::Result<Response> {
    let (head, mut body) = send(addr, method, path, body)?;
    let mut bytes = Vec::new();
    body.read_to_end(&mut bytes)?;
    Ok(Response {
        status: head.status,
        headers: head.headers,
        body: bytes,
    })
}

/// `POST path` with a JSON body, its response read as events.
pub fn post_events(addr: SocketAddr, path: &str, body: &str) -> io::Result<EventStream> {
    let (head, body) = send(addr, "POST", path, Some(body))?;
    Ok(EventStream {
        status: head.status,
        headers: head.headers,
        body: BufReader::new(body),
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The status line and headers of a response.
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

/// Sends the request and reads the status line and headers.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> io::Result<(Head, Body)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(body) = body {
        stream.write_all(body.as_bytes())?;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("not an HTTP status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("the connection closed inside the headers".into()));
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let body = if header(&headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        Body::Chunked {
            reader,
            left: 0,
            done: false,
        }
    } else if let Some(length) = header(&headers, "content-length") {
        let length = length
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        Body::Sized(reader.take(length))
    } else {
        Body::Sized(reader.take(u64::MAX))
    };
    Ok((Head { status, headers }, body))
}

/// A response body, decoded from its transfer encoding.
enum Body {
    Sized(io::Take<BufReader<TcpStream>>),
    Chunked {
        reader: BufReader<TcpStream>,
        /// Bytes left in the current chunk.
        left: usize,
        done: bool,
    },
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Sized(reader) => reader.read(buf),
            Body::Chunked { reader, left, done } => {
                if *done || buf.is_empty() {
                    return Ok(0);
                }
                if *left == 0 {
                    let mut line = String::new();
                    reader.read_line(&mut line)?;
                    let size = line.trim().split(';').next().unwrap_or("");
                    *left = usize::from_str_radix(size, 16)
                        .map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
                    if *left == 0 {
                        *done = true;
                        return Ok(0);
                    }
                }
                let want = buf.len().min(*left);
                let n = reader.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection closed inside a chunk",
                    ));
                }
                *left -= n;
                if *left == 0 {
                    let mut crlf = [0u8; 2];
                    reader.read_exact(&mut crlf)?;
                }
                Ok(n)
            }
        }
    }
}
