//! Unit tests of the client against a fake node: a local HTTP server that answers each request
//! with what the test's handler says and records what it was asked, so the tests see the
//! requests the client builds and how it reads every kind of answer.

mod errors;
mod outcome;
mod pagination;
mod proofs;
mod requests;

use crate::Client;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request the fake node received.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// An answer: status and body.
pub(crate) type Answer = (u16, Vec<u8>);

/// A JSON answer.
pub(crate) fn json(status: u16, body: serde_json::Value) -> Answer {
    (status, body.to_string().into_bytes())
}

/// A local HTTP server standing in for a node.
pub(crate) struct FakeNode {
    /// Its base URL.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeNode {
    /// Starts a node answering every request with `handler`.
    pub(crate) fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let (status, body) = handler(&request);
                seen.lock().unwrap().push(request);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        Self { url, requests }
    }

    /// A client of this node.
    pub(crate) fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// The requests received so far, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The path and query of every request so far.
    pub(crate) fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.target).collect()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_lowercase(), value.trim().to_string()));
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, v): &(String, String)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = find("content-length") {
        body.resize(len.parse().ok()?, 0);
        reader.read_exact(&mut body).ok()?;
    } else if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// The status a node at height 7 of chain `devnet-00000000` gives.
pub(crate) fn status_json() -> serde_json::Value {
    serde_json::json!({
        "chain_id": "devnet-00000000", "token_symbol": "SOV",
        "finalized_height": 7, "finalized_id": "00", "state_root": "00",
        "validators": [], "node_key": "00", "peers": 0, "mempool_txs": 2,
        "sync": "synced", "network_height": 7, "lag": 0, "tip_age_ms": 10,
    })
}

/// An account at height `height` with finalized nonce `nonce` (and `next_nonce` when given).
pub(crate) fn account_json(nonce: u64, next_nonce: Option<u64>, height: u64) -> serde_json::Value {
    let mut a = serde_json::json!({
        "did": "did:key:z6MkoPG9WCBUmGy4nhwh2bxpaMFUE24PzP55jkdL3gVdA4vR", "balance": 10,
        "nonce": nonce, "receipt_head": "00", "receipt_count": nonce, "height": height,
    });
    if let Some(n) = next_nonce {
        a["next_nonce"] = n.into();
    }
    a
}
