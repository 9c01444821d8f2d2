//! The HTTP/JSON mode of the load generator: the same request (`GET /v1/clients/<id>`
//! with a bearer token, say) sent over and over to the JSON edge, so that it can be
//! compared with the same call made over gRPC directly.
//!
//! Connections are opened with hyper's low-level client (no pool), so their number is
//! exact: over HTTP/1.1 every worker owns one keep-alive connection (like wrk); over
//! HTTP/2 (cleartext, prior knowledge) the workers are spread over `connections`
//! connections. Every call reads the whole response body. Answers are counted by the
//! gRPC code their HTTP status stands for ([`code_for_status`]), so the report has the
//! same format as the gRPC mode's.
//!
//! A call made on a connection the server closed fails as UNAVAILABLE; the worker's next
//! call re-opens the connection first (over HTTP/2, only the first worker to get there
//! re-opens the shared one), so the re-opening shows in that call's latency.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use ::http::uri::{PathAndQuery, Scheme};
use ::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use anyhow::Context as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tonic::Code;

use super::{LoadReport, RunShape, WorkerStats, measure};

/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP version requests are sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.1 with keep-alive: one connection per worker.
    #[default]
    Http1,
    /// HTTP/2 over cleartext TCP with prior knowledge (no upgrade, no TLS).
    Http2,
}

impl HttpVersion {
    /// Returns the version as written in a request line (`HTTP/1.1`, `HTTP/2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http1 => "HTTP/1.1",
            Self::Http2 => "HTTP/2",
        }
    }
}

/// What to request, where, and how hard.
#[derive(Debug, Clone)]
pub struct HttpLoadConfig {
    /// URL of the resource, `http://127.0.0.1:8080/v1/clients/<id>` (cleartext only).
    pub url: String,
    /// The request method.
    pub method: Method,
    /// A JSON body, sent with `content-type: application/json`; none when `None`.
    pub body: Option<String>,
    /// Bearer token sent as `authorization`; none when `None` or empty.
    pub token: Option<String>,
    /// HTTP/1.1 or HTTP/2.
    pub version: HttpVersion,
    /// Requests in flight at once (one worker each).
    pub concurrency: usize,
    /// HTTP/2 connections the workers are spread over; over HTTP/1.1 every worker has
    /// its own connection and this is not used.
    pub connections: usize,
    /// How long requests are recorded.
    pub duration: Duration,
    /// How long requests are sent, unrecorded, before recording starts.
    pub warmup: Duration,
    /// Deadline of each request, body included.
    pub timeout: Duration,
    /// A server process whose CPU time and memory to report.
    pub server_pid: Option<u32>,
}

impl HttpLoadConfig {
    /// Returns a configuration that GETs `url` over HTTP/1.1 with the gRPC mode's
    /// defaults for everything else.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: Method::GET,
            body: None,
            token: None,
            version: HttpVersion::Http1,
            concurrency: 50,
            connections: 1,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            timeout: Duration::from_secs(20),
            server_pid: None,
        }
    }

    /// Returns the number of connections a run opens.
    fn connection_count(&self) -> usize {
        match self.version {
            HttpVersion::Http1 => self.concurrency,
            HttpVersion::Http2 => self.connections,
        }
    }
}

/// Returns the gRPC code an HTTP status is counted as, following the usual
/// google.rpc ↔ HTTP correspondence: 2xx OK, 400 INVALID_ARGUMENT, 401
/// UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ALREADY_EXISTS, 429
/// RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, any other 5xx INTERNAL,
/// and anything else (3xx, other 4xx) UNKNOWN. Calls that get no answer are counted
/// apart: UNAVAILABLE when the connection fails, DEADLINE_EXCEEDED on timeout.
pub fn code_for_status(status: StatusCode) -> Code {
    match status.as_u16() {
        200..=299 => Code::Ok,
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::AlreadyExists,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        504 => Code::DeadlineExceeded,
        500..=599 => Code::Internal,
        _ => Code::Unknown,
    }
}

/// The parts of the URL a run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// `http://host:port`, as the report names the server.
    origin: String,
    /// Where to connect, as written in the URL (`host:port`).
    connect_to: String,
    /// The absolute URI, for HTTP/2 (`:scheme` and `:authority` come from it).
    absolute: Uri,
    /// The path and query, for the HTTP/1.1 request line.
    path: PathAndQuery,
    /// The `host` header of HTTP/1.1 requests.
    host: HeaderValue,
}

impl Target {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let absolute: Uri = url.parse().with_context(|| format!("bad URL {url:?}"))?;
        anyhow::ensure!(
            absolute.scheme() == Some(&Scheme::HTTP),
            "URL {url:?} is not http://… (only cleartext HTTP is supported)"
        );
        let authority = absolute
            .authority()
            .with_context(|| format!("URL {url:?} has no host"))?;
        anyhow::ensure!(
            !authority.as_str().contains('@'),
            "URL {url:?} holds credentials; pass a bearer token instead"
        );
        let port = authority.port_u16().unwrap_or(80);
        let connect_to = format!("{}:{port}", authority.host());
        let path = absolute
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let host = HeaderValue::from_str(authority.as_str())
            .with_context(|| format!("URL {url:?} has a bad host"))?;
        Ok(Self {
            origin: format!("http://{authority}"),
            connect_to,
            absolute,
            path,
            host,
        })
    }
}

/// What every worker shares: the request, where to send it, and when.
struct Plan {
    addr: SocketAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
    record_from: Instant,
    end: Instant,
}

impl Plan {
    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// Runs the load and returns what it measured, in the gRPC mode's report format.
pub async fn run(config: &HttpLoadConfig) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(config.concurrency >= 1, "--concurrency must be at least 1");
    anyhow::ensure!(config.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(!config.duration.is_zero(), "--duration must be positive");
    let target = Target::parse(&config.url)?;
    let addr = tokio::net::lookup_host(&target.connect_to)
        .await
        .with_context(|| format!("cannot resolve {}", target.connect_to))?
        .next()
        .with_context(|| format!("{} has no address", target.connect_to))?;

    let mut headers = HeaderMap::new();
    if let Some(token) = config
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("the token is not a valid header value")?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    if config.body.is_some() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    // HTTP/1.1 requests carry origin-form targets and a host header; HTTP/2 ones the
    // absolute URI, which hyper turns into the :scheme and :authority pseudo-headers.
    let uri = match config.version {
        HttpVersion::Http1 => {
            headers.insert(HOST, target.host.clone());
            Uri::from(target.path.clone())
        }
        HttpVersion::Http2 => target.absolute.clone(),
    };

    // Every connection is opened before the clock starts, so that a server that is
    // not there is an error rather than a run of failed calls.
    let cannot_connect = || format!("cannot connect to {}", config.url);
    let conns: Vec<Conn> = match config.version {
        HttpVersion::Http1 => {
            let opened = futures::future::try_join_all(
                (0..config.concurrency).map(|_| with_connect_timeout(open_h1(addr))),
            )
            .await
            .with_context(cannot_connect)?;
            opened.into_iter().map(|s| Conn::H1(Some(s))).collect()
        }
        HttpVersion::Http2 => {
            let opened = futures::future::try_join_all(
                (0..config.connections).map(|_| with_connect_timeout(open_h2(addr))),
            )
            .await
            .with_context(cannot_connect)?;
            let shared: Vec<_> = opened
                .into_iter()
                .map(|sender| SharedH2::new(addr, sender))
                .collect();
            shared
                .iter()
                .cycle()
                .take(config.concurrency)
                .map(|(slot, sender)| Conn::H2 {
                    sender: Some(sender.clone()),
                    generation: 0,
                    slot: Arc::clone(slot),
                })
                .collect()
        }
    };

    let started = Instant::now();
    let record_from = started + config.warmup;
    let plan = Arc::new(Plan {
        addr,
        method: config.method.clone(),
        uri,
        headers,
        body: Bytes::from(config.body.clone().unwrap_or_default()),
        timeout: config.timeout,
        record_from,
        end: record_from + config.duration,
    });
    let end = plan.end;
    let workers: Vec<_> = conns
        .into_iter()
        .map(|conn| tokio::spawn(worker(conn, Arc::clone(&plan))))
        .collect();
    let shape = RunShape {
        target: target.origin,
        method: format!(
            "{} {} {}",
            config.method,
            target.path,
            config.version.as_str()
        ),
        concurrency: config.concurrency,
        connections: config.connection_count(),
        warmup: config.warmup,
        duration: config.duration,
    };
    measure(shape, workers, record_from, end, config.server_pid).await
}

/// Sends requests back to back until the plan ends, recording those started after the
/// warm-up.
async fn worker(mut conn: Conn, plan: Arc<Plan>) -> anyhow::Result<WorkerStats> {
    let mut stats = WorkerStats::new()?;
    loop {
        let request = plan.request();
        let sent = Instant::now();
        if sent >= plan.end {
            break;
        }
        // On timeout the call's future is dropped: an HTTP/1.1 connection goes with it
        // (it is mid-response and cannot carry another request), an HTTP/2 stream is
        // reset and its connection kept.
        let code = tokio::time::timeout(plan.timeout, conn.call(&plan, request))
            .await
            .unwrap_or(Code::DeadlineExceeded);
        stats.record(sent, plan.record_from, code);
    }
    Ok(stats)
}

/// A worker's connection.
enum Conn {
    /// HTTP/1.1: the worker's own connection; `None` once it failed, until the next
    /// call re-opens it.
    H1(Option<http1::SendRequest<Full<Bytes>>>),
    /// HTTP/2: a handle on a connection shared with other workers; `None` once it
    /// closed, until the next call takes the re-opened one from `slot`.
    H2 {
        sender: Option<http2::SendRequest<Full<Bytes>>>,
        /// Which opening of the shared connection `sender` is a handle on.
        generation: u64,
        slot: Arc<SharedH2>,
    },
}

/// Gives up opening a connection after [`CONNECT_TIMEOUT`].
async fn with_connect_timeout<T>(
    open: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(CONNECT_TIMEOUT, open)
        .await
        .context("timed out")?
}

async fn connect(addr: SocketAddr) -> anyhow::Result<TokioIo<TcpStream>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(TokioIo::new(stream))
}

/// Opens an HTTP/1.1 connection to `addr` and spawns the task that drives it.
async fn open_h1(addr: SocketAddr) -> anyhow::Result<http1::SendRequest<Full<Bytes>>> {
    let (sender, connection) = http1::handshake(connect(addr).await?).await?;
    // Its errors reach the worker through the sender, as failed calls.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Opens an HTTP/2 connection (prior knowledge) to `addr` and spawns the task that
/// drives it.
async fn open_h2(addr: SocketAddr) -> anyhow::Result<http2::SendRequest<Full<Bytes>>> {
    let (sender, connection) = http2::handshake(TokioExecutor::new(), connect(addr).await?).await?;
    // Its errors reach the workers through the sender, as failed calls.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

impl Conn {
    /// Makes one call (re-opening the connection first if the last one broke it) and
    /// returns the code its answer is counted as.
    async fn call(&mut self, plan: &Plan, request: Request<Full<Bytes>>) -> Code {
        match self {
            Self::H1(slot) => {
                // Taken out for the call and put back only when the call went through:
                // after an error or a timeout the connection's state is unknown.
                let mut sender = match slot.take() {
                    Some(sender) => sender,
                    None => match open_h1(plan.addr).await {
                        Ok(sender) => sender,
                        Err(_) => return Code::Unavailable,
                    },
                };
                if sender.ready().await.is_err() {
                    return Code::Unavailable;
                }
                match exchange(sender.send_request(request)).await {
                    Some(status) => {
                        *slot = Some(sender);
                        code_for_status(status)
                    }
                    None => Code::Unavailable,
                }
            }
            Self::H2 {
                sender,
                generation,
                slot,
            } => {
                let current = match sender {
                    Some(current) => current,
                    None => match slot.reopen(*generation).await {
                        Ok((g, reopened)) => {
                            *generation = g;
                            sender.insert(reopened)
                        }
                        Err(_) => return Code::Unavailable,
                    },
                };
                let answer = match current.ready().await {
                    Ok(()) => exchange(current.send_request(request)).await,
                    Err(_) => None,
                };
                match answer {
                    Some(status) => code_for_status(status),
                    None => {
                        // A failed stream leaves the connection usable; a closed
                        // connection is re-opened by the next call.
                        if current.is_closed() {
                            *sender = None;
                        }
                        Code::Unavailable
                    }
                }
            }
        }
    }
}

/// Awaits the response and its whole body; returns its status, or `None` when the
/// connection failed before the body ended.
async fn exchange(
    response: impl Future<Output = hyper::Result<hyper::Response<hyper::body::Incoming>>>,
) -> Option<StatusCode> {
    let response = response.await.ok()?;
    let status = response.status();
    response.into_body().collect().await.ok()?;
    Some(status)
}

/// An HTTP/2 connection several workers share, and its re-opening.
struct SharedH2 {
    addr: SocketAddr,
    /// The current connection and how many times it was re-opened.
    current: tokio::sync::Mutex<(u64, http2::SendRequest<Full<Bytes>>)>,
}

impl SharedH2 {
    /// Shares a freshly opened connection; returns it with a handle on it.
    fn new(
        addr: SocketAddr,
        sender: http2::SendRequest<Full<Bytes>>,
    ) -> (Arc<Self>, http2::SendRequest<Full<Bytes>>) {
        let handle = sender.clone();
        let shared = Arc::new(Self {
            addr,
            current: tokio::sync::Mutex::new((0, sender)),
        });
        (shared, handle)
    }

    /// Returns the current connection and its generation, re-opening it first when it
    /// is still generation `closed` (the one the caller saw close): the first worker to
    /// get here re-opens, the others wait for it and take the new connection.
    async fn reopen(&self, closed: u64) -> anyhow::Result<(u64, http2::SendRequest<Full<Bytes>>)> {
        let mut current = self.current.lock().await;
        if current.0 == closed {
            *current = (closed + 1, open_h2(self.addr).await?);
        }
        Ok((current.0, current.1.clone()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_codes() {
        let code = |n: u16| code_for_status(StatusCode::from_u16(n).unwrap());
        assert_eq!(code(200), Code::Ok);
        assert_eq!(code(204), Code::Ok);
        assert_eq!(code(400), Code::InvalidArgument);
        assert_eq!(code(401), Code::Unauthenticated);
        assert_eq!(code(403), Code::PermissionDenied);
        assert_eq!(code(404), Code::NotFound);
        assert_eq!(code(409), Code::AlreadyExists);
        assert_eq!(code(429), Code::ResourceExhausted);
        assert_eq!(code(500), Code::Internal);
        assert_eq!(code(502), Code::Internal);
        assert_eq!(code(503), Code::Unavailable);
        assert_eq!(code(504), Code::DeadlineExceeded);
        assert_eq!(code(302), Code::Unknown);
        assert_eq!(code(418), Code::Unknown);
    }

    #[test]
    fn urls_are_split_for_both_versions() {
        let t = Target::parse("http://127.0.0.1:8080/v1/clients/abc?x=1").unwrap();
        assert_eq!(t.origin, "http://127.0.0.1:8080");
        assert_eq!(t.connect_to, "127.0.0.1:8080");
        assert_eq!(t.path.as_str(), "/v1/clients/abc?x=1");
        assert_eq!(t.host, "127.0.0.1:8080");
        let t = Target::parse("http://localhost").unwrap();
        assert_eq!(t.connect_to, "localhost:80");
        assert_eq!(t.path.as_str(), "/");
        let t = Target::parse("http://[::1]:8080/a").unwrap();
        assert_eq!(t.connect_to, "[::1]:8080");
        assert!(Target::parse("https://127.0.0.1:8443/").is_err());
        assert!(Target::parse("/v1/clients").is_err());
        assert!(Target::parse("http://u:p@127.0.0.1/").is_err());
    }
}
