//! Just enough HTTP/1.1 over std::net to poll a server's readiness (`GET /health`,
//! `GET /v1/models`): no TLS, no async runtime, so the runner costs no compile time.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest response body read; model lists are small.
const MAX_BODY: u64 = 1 << 20;

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    /// Accepts `http://host:port`, `host:port` (as aiperf's `--url` does) and a trailing `/`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let bad = |why: &str| format!("--url `{url}`: {why} (expected http://HOST:PORT)");
        if url.starts_with("https://") {
            return Err(bad("https is not supported for readiness checks"));
        }
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err(bad("a path is not expected"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
            _ => return Err(bad("no port")),
        };
        Ok(Endpoint {
            host: host.trim_start_matches('[').trim_end_matches(']').into(),
            port,
        })
    }

    /// `http://host:port`, what clients get as their base URL.
    pub fn base(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }
}

/// A response: status code and body text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path` with `Connection: close`; `timeout` bounds connecting and each read.
pub fn get(ep: &Endpoint, path: &str, timeout: Duration) -> io::Result<Response> {
    let addrs: Vec<_> = (ep.host.as_str(), ep.port).to_socket_addrs()?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "host resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return exchange(stream, ep, path, timeout),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn exchange(
    mut s: TcpStream,
    ep: &Endpoint,
    path: &str,
    timeout: Duration,
) -> io::Result<Response> {
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}:{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        ep.host, ep.port
    )?;
    let mut raw = Vec::new();
    s.take(MAX_BODY).read_to_end(&mut raw)?;
    parse_response(&raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP response"))
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Some(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body, keeping what arrived if it is cut short.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
    out
}

/// The first model id in an OpenAI `/v1/models` body.
pub fn first_model(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("data")?
        .as_array()?
        .iter()
        .find_map(|m| m.get("id")?.as_str().map(String::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_forms() {
        let want = Endpoint {
            host: "127.0.0.1".into(),
            port: 8000,
        };
        assert_eq!(Endpoint::parse("http://127.0.0.1:8000").unwrap(), want);
        assert_eq!(Endpoint::parse("127.0.0.1:8000/").unwrap(), want);
        assert_eq!(want.base(), "http://127.0.0.1:8000");
        assert!(Endpoint::parse("https://x:1")
            .unwrap_err()
            .contains("https"));
        assert!(Endpoint::parse("http://x").unwrap_err().contains("no port"));
        assert!(Endpoint::parse("http://x:1/v1").is_err());
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));
        let r = parse_response(
            b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (503, "abcde"));
        assert!(parse_response(b"garbage").is_none());
    }

    #[test]
    fn first_model_id() {
        let body =
            r#"{"object":"list","data":[{"id":"meta-llama/Llama-3.1-70B","object":"model"}]}"#;
        assert_eq!(
            first_model(body).as_deref(),
            Some("meta-llama/Llama-3.1-70B")
        );
        assert_eq!(first_model(r#"{"data":[]}"#), None);
    }
}
