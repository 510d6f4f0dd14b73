//! The API's HTTP/1.1 server: an accept loop around hyper that bounds what
//! clients can hold, so no client behaviour can exhaust the node's file
//! descriptors or memory.
//!
//! - At most [`ServerLimits::max_connections`] connections are open. When
//!   the cap is reached, the connection idle the longest (no request in
//!   progress) is closed to make room; if every connection is busy, the
//!   loop stops accepting until one ends (new clients wait in the kernel's
//!   backlog, which costs no descriptor).
//! - At most [`ServerLimits::max_connections_per_client`] connections per
//!   client address (an IPv6 /64 counts as one, see [`crate::extract::client`]); one
//!   more is answered `429 too_many_connections` and closed.
//! - A request head must arrive within [`ServerLimits::header_read_timeout`]
//!   of when the server starts waiting for it (a new connection, or the end
//!   of the previous answer on a kept-alive one): idle connections close.
//! - While a handler reads a request body, and while an answer is written,
//!   no more than [`ServerLimits::stall_timeout`] may pass without progress.
//! - Request-target, header count and header bytes are bounded
//!   (`414 uri_too_long`, `431 headers_too_large`, JSON). hyper refuses heads
//!   beyond four times those bounds itself (a bare status, then close).
//!
//! Each request carries its peer address as axum's `ConnectInfo`.

use crate::{ApiError, extract::ClientKey};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{Request, Response, StatusCode},
    response::IntoResponse,
};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::{
    collections::{BTreeMap, HashMap},
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Notify,
};
use tower::ServiceExt as _;

/// The server's bounds. All are options of a node's `[api]` configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Most open connections.
    pub max_connections: usize,
    /// Most open connections from one client address.
    pub max_connections_per_client: usize,
    /// Longest wait for a complete request head (also the keep-alive idle time).
    pub header_read_timeout: Duration,
    /// Longest time without progress while a body is read or an answer written.
    pub stall_timeout: Duration,
    /// Longest request-target (path and query), in bytes.
    pub max_uri_bytes: usize,
    /// Most header bytes (names, values and separators).
    pub max_header_bytes: usize,
    /// Most header fields.
    pub max_headers: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_connections_per_client: 64,
            header_read_timeout: Duration::from_secs(20),
            stall_timeout: Duration::from_secs(30),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
        }
    }
}

/// One open connection, as the registry sees it.
struct Conn {
    /// Requests whose answer has not been written completely.
    busy: AtomicUsize,
    /// Set when the registry chose it to close.
    evicted: AtomicBool,
    kill: Notify,
}

#[derive(Default)]
struct State {
    total: usize,
    per_client: HashMap<ClientKey, usize>,
    /// Open connections by acceptance order.
    live: BTreeMap<u64, Arc<Conn>>,
    next: u64,
}

/// Counts connections and chooses the one to close when full.
struct Registry {
    limits: ServerLimits,
    state: Mutex<State>,
    freed: Notify,
}

/// A client's place (released on drop).
struct ClientSlot {
    registry: Arc<Registry>,
    client: ClientKey,
    conn: Option<(u64, Arc<Conn>)>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut st = self.registry.state.lock().expect("connection registry");
        if let Some(n) = st.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                st.per_client.remove(&self.client);
            }
        }
        if let Some((id, _)) = self.conn.take() {
            st.live.remove(&id);
            st.total -= 1;
        }
        drop(st);
        self.registry.freed.notify_waiters();
    }
}

impl Registry {
    /// Counts a connection of `client`, unless it holds its share already.
    fn admit(self: &Arc<Self>, client: ClientKey) -> Option<ClientSlot> {
        let mut st = self.state.lock().expect("connection registry");
        let n = st.per_client.entry(client).or_default();
        if *n >= self.limits.max_connections_per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            registry: self.clone(),
            client,
            conn: None,
        })
    }

    /// Waits until the connection in `slot` fits under the cap (closing the
    /// longest-idle connection if the server is full), then registers it.
    async fn open(self: &Arc<Self>, slot: &mut ClientSlot) -> Arc<Conn> {
        loop {
            let freed = self.freed.notified();
            {
                let mut st = self.state.lock().expect("connection registry");
                if st.total < self.limits.max_connections.max(1) {
                    st.total += 1;
                    let id = st.next;
                    st.next += 1;
                    let conn = Arc::new(Conn {
                        busy: AtomicUsize::new(0),
                        evicted: AtomicBool::new(false),
                        kill: Notify::new(),
                    });
                    st.live.insert(id, conn.clone());
                    slot.conn = Some((id, conn.clone()));
                    return conn;
                }
                let idle = st.live.values().find(|c| {
                    c.busy.load(Ordering::SeqCst) == 0 && !c.evicted.load(Ordering::SeqCst)
                });
                if let Some(victim) = idle {
                    victim.evicted.store(true, Ordering::SeqCst);
                    victim.kill.notify_one();
                }
            }
            // A closing connection wakes us; the timeout covers a victim that
            // turned busy before it saw the notice.
            let _ = tokio::time::timeout(Duration::from_millis(100), freed).await;
        }
    }
}

/// Marks a connection busy while a request's answer is being produced and written.
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: &Arc<Conn>) -> Self {
        conn.busy.fetch_add(1, Ordering::SeqCst);
        Busy(conn.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body that keeps its connection marked busy until hyper has
/// taken all of it.
struct Tracked {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A TCP stream whose writes fail once the client has not read for the stall timeout.
struct StallIo {
    inner: TcpStream,
    stall: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl StallIo {
    fn progress<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let stall = self.stall;
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading the answer",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for StallIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progress(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progress(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.progress(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The JSON refusal of a request head over the bounds, if it is.
fn head_error<B>(req: &Request<B>, limits: &ServerLimits) -> Option<ApiError> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri_bytes {
        return Some(ApiError::status(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request target is {target} bytes; at most {} are accepted",
                limits.max_uri_bytes
            ),
        ));
    }
    if req.headers().len() > limits.max_headers {
        return Some(ApiError::status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{} header fields; at most {} are accepted",
                req.headers().len(),
                limits.max_headers
            ),
        ));
    }
    let bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if bytes > limits.max_header_bytes {
        return Some(ApiError::status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{bytes} bytes of headers; at most {} are accepted",
                limits.max_header_bytes
            ),
        ));
    }
    None
}

async fn handle(
    mut req: Request<Incoming>,
    peer: SocketAddr,
    router: Router,
    limits: Arc<ServerLimits>,
    conn: Arc<Conn>,
) -> Result<Response<Body>, Infallible> {
    let busy = Busy::new(&conn);
    let response = match head_error(&req, &limits) {
        Some(e) => e.into_response(),
        None => {
            req.extensions_mut().insert(ConnectInfo(peer));
            let stall = limits.stall_timeout;
            let req = req.map(|b| Body::new(tower_http::timeout::TimeoutBody::new(stall, b)));
            match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
        }
    };
    Ok(response.map(|inner| Body::new(Tracked { inner, _busy: busy })))
}

/// Answers a connection over its client's share and closes it (best effort:
/// one non-blocking write).
fn refuse(stream: TcpStream, limit: usize) {
    let body = serde_json::json!({
        "code": "too_many_connections",
        "message": format!("at most {limit} connections per client address; close some and retry"),
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<ServerLimits>,
    conn: Arc<Conn>,
    slot: ClientSlot,
) {
    let io = TokioIo::new(StallIo {
        inner: stream,
        stall: limits.stall_timeout,
        deadline: None,
    });
    let service = {
        let conn = conn.clone();
        let limits = limits.clone();
        hyper::service::service_fn(move |req| {
            handle(req, peer, router.clone(), limits.clone(), conn.clone())
        })
    };
    let hard_header_bytes = (limits.max_header_bytes + limits.max_uri_bytes).saturating_mul(4);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers.saturating_mul(2).max(16))
        .max_header_size(hard_header_bytes)
        .max_buf_size(hard_header_bytes.max(8192) + 8192);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    loop {
        tokio::select! {
            r = &mut connection => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "API connection: {e}");
                }
                break;
            }
            _ = conn.kill.notified() => {
                if conn.busy.load(Ordering::SeqCst) == 0 {
                    tracing::debug!(%peer, "closing an idle API connection to make room");
                    break;
                }
                conn.evicted.store(false, Ordering::SeqCst);
            }
        }
    }
    drop(slot);
}

/// Whether an accept error concerns only the connection being accepted.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves `router` on `listener` within `limits`, until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router, limits: ServerLimits) {
    let limits = Arc::new(limits);
    let registry = Arc::new(Registry {
        limits: (*limits).clone(),
        state: Mutex::new(State::default()),
        freed: Notify::new(),
    });
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of descriptors (the cap should prevent it) or another
                // transient failure: wait instead of spinning.
                tracing::warn!("API accept: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let client = ClientKey::of(peer.ip());
        let Some(mut slot) = registry.admit(client) else {
            tracing::debug!(%peer, "API connection refused: too many from this client");
            refuse(stream, limits.max_connections_per_client);
            continue;
        };
        // Small answers go out at once instead of waiting for the client's
        // delayed ACK (streamed bodies are written in pieces).
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        let conn = registry.open(&mut slot).await;
        tokio::spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            limits.clone(),
            conn,
            slot,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Client;
    use axum::routing::{get, post};
    use std::{net::IpAddr, time::Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn app() -> Router {
        Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/ip", get(|Client(c): Client| async move { c.to_string() }))
            .route(
                "/echo",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route(
                "/big",
                get(|| async {
                    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                    let chunks = futures::stream::iter(
                        (0..1024).map(move |_| Ok::<_, Infallible>(chunk.clone())),
                    );
                    Body::from_stream(chunks)
                }),
            )
            .layer(axum::middleware::map_response(crate::json_errors))
    }

    async fn start(limits: ServerLimits) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, app(), limits));
        addr
    }

    async fn connect_from(local: [u8; 4], to: SocketAddr) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(IpAddr::from(local), 0))
            .unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Sends `request` and reads until the server closes: (status, body).
    async fn exchange(stream: &mut TcpStream, request: &[u8]) -> (u16, String) {
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    }

    fn get_req(path: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").into_bytes()
    }

    /// Waits for the server to close `stream` (EOF or reset); how long it took.
    async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(limit.saturating_sub(start.elapsed()), stream.read(&mut buf))
                .await
            {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
                Ok(Ok(_)) => continue,
            }
        }
    }

    #[tokio::test]
    async fn idle_and_slow_heads_are_closed_after_the_header_read_timeout() {
        let addr = start(ServerLimits {
            header_read_timeout: Duration::from_millis(300),
            ..ServerLimits::default()
        })
        .await;
        let mut idle = connect_from([127, 0, 0, 1], addr).await;
        assert!(
            closed_within(&mut idle, Duration::from_secs(5))
                .await
                .is_some()
        );
        let mut slow = connect_from([127, 0, 0, 1], addr).await;
        slow.write_all(b"GET /ok HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        assert!(
            closed_within(&mut slow, Duration::from_secs(5))
                .await
                .is_some()
        );
        // A kept-alive connection is closed once idle for as long.
        let mut kept = connect_from([127, 0, 0, 1], addr).await;
        kept.write_all(b"GET /ok HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        assert!(
            closed_within(&mut kept, Duration::from_secs(5))
                .await
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_client_over_its_share_gets_a_json_429_and_others_are_still_served() {
        let addr = start(ServerLimits {
            max_connections_per_client: 4,
            ..ServerLimits::default()
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(connect_from([127, 0, 0, 2], addr).await);
        }
        let mut extra = connect_from([127, 0, 0, 2], addr).await;
        let (status, body) = exchange(&mut extra, &get_req("/ok")).await;
        assert_eq!(status, 429);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "too_many_connections");
        let mut other = connect_from([127, 0, 0, 3], addr).await;
        assert_eq!(exchange(&mut other, &get_req("/ok")).await.0, 200);
        // The address is counted in the request, for the quotas that need it.
        let mut me = connect_from([127, 0, 0, 7], addr).await;
        assert_eq!(
            exchange(&mut me, &get_req("/ip")).await,
            (200, "127.0.0.7".to_string())
        );
        // A freed place can be taken again.
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = connect_from([127, 0, 0, 2], addr).await;
        assert_eq!(exchange(&mut again, &get_req("/ok")).await.0, 200);
    }

    #[tokio::test]
    async fn a_full_server_closes_its_longest_idle_connection_for_a_new_client() {
        let addr = start(ServerLimits {
            max_connections: 8,
            max_connections_per_client: 100,
            header_read_timeout: Duration::from_secs(60),
            ..ServerLimits::default()
        })
        .await;
        let mut idle = Vec::new();
        for n in 0..8 {
            idle.push(connect_from([127, 0, 1, n], addr).await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = Instant::now();
        for n in 0..3 {
            let mut c = connect_from([127, 0, 0, 1], addr).await;
            assert_eq!(exchange(&mut c, &get_req("/ok")).await.0, 200, "client {n}");
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        // The oldest idle connections were the ones closed.
        assert!(
            closed_within(&mut idle[0], Duration::from_secs(1))
                .await
                .is_some()
        );
    }

    #[tokio::test]
    async fn heads_over_the_bounds_get_json_414_and_431() {
        let addr = start(ServerLimits::default()).await;
        let long = format!("/ok?{}", "a".repeat(9 * 1024));
        let mut c = connect_from([127, 0, 0, 1], addr).await;
        let (status, body) = exchange(&mut c, &get_req(&long)).await;
        assert_eq!(status, 414);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"],
            "uri_too_long"
        );
        let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
        let mut c = connect_from([127, 0, 0, 1], addr).await;
        let req = format!("GET /ok HTTP/1.1\r\nhost: x\r\n{many}connection: close\r\n\r\n");
        let (status, body) = exchange(&mut c, req.as_bytes()).await;
        assert_eq!(status, 431);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"],
            "headers_too_large"
        );
        let big = "v".repeat(20 * 1024);
        let mut c = connect_from([127, 0, 0, 1], addr).await;
        let req =
            format!("GET /ok HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\nconnection: close\r\n\r\n");
        let (status, body) = exchange(&mut c, req.as_bytes()).await;
        assert_eq!(status, 431);
        assert!(body.contains("headers_too_large"), "{body}");
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_the_answer_is_disconnected() {
        let addr = start(ServerLimits {
            max_connections: 1,
            stall_timeout: Duration::from_millis(500),
            header_read_timeout: Duration::from_secs(60),
            ..ServerLimits::default()
        })
        .await;
        let mut reader = connect_from([127, 0, 0, 1], addr).await;
        reader.write_all(&get_req("/big")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The only place is busy writing to a client that reads nothing; the next
        // client is served once the stall timeout ends that.
        let start = Instant::now();
        let mut next = connect_from([127, 0, 0, 2], addr).await;
        assert_eq!(exchange(&mut next, &get_req("/ok")).await.0, 200);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_request_body_that_stops_arriving_is_cut_off() {
        let addr = start(ServerLimits {
            stall_timeout: Duration::from_millis(300),
            ..ServerLimits::default()
        })
        .await;
        let mut c = connect_from([127, 0, 0, 1], addr).await;
        c.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nabc")
            .await
            .unwrap();
        let start = Instant::now();
        let (status, body) = exchange(&mut c, b"").await;
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(status, 400, "{body}");
        assert!(body.starts_with('{'), "{body}");
    }
}
