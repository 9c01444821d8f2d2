//! The outermost layer of every server: keeps or creates the request id and the W3C trace
//! context, opens the span every log line of the call carries, and answers an oversized
//! message with RESOURCE_EXHAUSTED as the gRPC spec asks (tonic says OUT_OF_RANGE).
//! Inside it, [`DefaultDeadlineLayer`] gives a call without a deadline the service's.

use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use tracing::Instrument as _;

/// Header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

thread_local! {
    // Trace and request ids need to be unpredictable enough not to collide, not to be
    // secret: a per-thread SplitMix64 seeded once from the OS saves a system call per id.
    static RNG: std::cell::Cell<u64> = std::cell::Cell::new(seed());
}

fn seed() -> u64 {
    let mut buf = [0u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        buf = nanos.to_le_bytes();
    }
    u64::from_le_bytes(buf)
}

/// Returns the next value of the thread's SplitMix64 generator.
fn next_u64() -> u64 {
    RNG.with(|state| {
        let mut z = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// Returns N random bytes from the thread's generator.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    for chunk in buf.chunks_mut(8) {
        let word = next_u64().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    buf
}

/// Returns a new random (version 4) UUID as a header value.
fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(random_bytes::<16>()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Returns the trace id of a `traceparent` value (`00-<trace id>-<span id>-<flags>`) when
/// it is well formed.
pub fn trace_id_of(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (_version, trace, span, _flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = trace.len() == 32
        && span.len() == 16
        && trace.bytes().all(|b| b.is_ascii_hexdigit())
        && trace != "00000000000000000000000000000000";
    ok.then_some(trace)
}

/// Returns a new `traceparent` header value with a random trace id, sampled, formatted
/// without intermediate strings.
fn new_traceparent_value() -> HeaderValue {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = *b"00-00000000000000000000000000000000-0000000000000000-01";
    let random = random_bytes::<24>();
    for (i, b) in random.iter().enumerate() {
        // Trace id: bytes 0..16 at offset 3; span id: bytes 16..24 at offset 36.
        let at = if i < 16 { 3 + 2 * i } else { 36 + 2 * (i - 16) };
        buf[at] = DIGITS[(b >> 4) as usize];
        buf[at + 1] = DIGITS[(b & 0xf) as usize];
    }
    HeaderValue::from_bytes(&buf).unwrap_or_else(|_| {
        HeaderValue::from_static("00-00000000000000000000000000000001-0000000000000001-01")
    })
}

/// Returns a new `traceparent` value with a random trace id, sampled.
pub fn new_traceparent() -> String {
    format!(
        "00-{}-{}-01",
        hex(&random_bytes::<16>()),
        hex(&random_bytes::<8>())
    )
}

/// Layer applying request ids, trace context and the oversize rewrite.
#[derive(Debug, Clone, Default)]
pub struct ObserveLayer;

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner }
    }
}

/// The service produced by [`ObserveLayer`].
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
}

impl<S, B, ResBody> tower::Service<Request<B>> for Observe<S>
where
    S: tower::Service<Request<B>, Response = Response<ResBody>> + Send,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let headers = req.headers_mut();
        let request_id = match headers.get(REQUEST_ID_HEADER) {
            Some(v) if !v.is_empty() && v.len() <= 128 => v.clone(),
            _ => {
                let id = new_request_id();
                headers.insert(REQUEST_ID_HEADER, id.clone());
                id
            }
        };
        // A call with no usable trace context starts a trace here, and the header is
        // written back so the auth layer hands it to downstream calls.
        let traceparent = match headers.get("traceparent") {
            Some(v) if v.to_str().ok().and_then(trace_id_of).is_some() => v.clone(),
            _ => {
                let tp = new_traceparent_value();
                headers.insert("traceparent", tp.clone());
                tp
            }
        };
        let trace_id = traceparent
            .to_str()
            .ok()
            .and_then(trace_id_of)
            .unwrap_or_default();
        // Plain &str fields: the JSON formatter writes them directly, where Display
        // fields would go through the formatting machinery on every call.
        let span = tracing::info_span!(
            "rpc",
            rpc = req.uri().path(),
            trace_id = trace_id,
            request_id = request_id.to_str().unwrap_or_default(),
        );
        crate::telemetry::link_remote_parent(&span, req.headers());
        let future = self.inner.call(req);
        Box::pin(
            async move {
                let mut response = future.await?;
                rewrite_oversize(&mut response);
                response.headers_mut().insert(REQUEST_ID_HEADER, request_id);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// Layer giving calls that carry no `grpc-timeout` the service's default deadline: the
/// header is added (handlers and their downstream calls see the deadline) and the call
/// is answered DEADLINE_EXCEEDED when it passes. A call's own deadline, shorter or
/// longer, is kept: tonic enforces it.
#[derive(Debug, Clone, Copy)]
pub struct DefaultDeadlineLayer {
    timeout: Duration,
}

impl DefaultDeadlineLayer {
    /// Returns the layer giving `timeout` to calls without a deadline.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> tower::Layer<S> for DefaultDeadlineLayer {
    type Service = DefaultDeadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DefaultDeadline {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service produced by [`DefaultDeadlineLayer`].
#[derive(Debug, Clone)]
pub struct DefaultDeadline<S> {
    inner: S,
    timeout: Duration,
}

/// Returns the `grpc-timeout` value of `timeout`: whole seconds when exact, else
/// milliseconds (at most 8 digits, as the gRPC spec allows).
fn grpc_timeout_value(timeout: Duration) -> HeaderValue {
    let text = if timeout.subsec_nanos() == 0 && timeout.as_secs() < 100_000_000 {
        format!("{}S", timeout.as_secs())
    } else {
        format!("{}m", timeout.as_millis().min(99_999_999))
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("30S"))
}

impl<S, B, ResBody> tower::Service<Request<B>> for DefaultDeadline<S>
where
    S: tower::Service<Request<B>, Response = Response<ResBody>> + Send,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: Default + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        if crate::auth::layer::grpc_timeout(req.headers()).is_some() {
            return Box::pin(self.inner.call(req));
        }
        let timeout = self.timeout;
        req.headers_mut()
            .insert("grpc-timeout", grpc_timeout_value(timeout));
        let future = self.inner.call(req);
        Box::pin(async move {
            match tokio::time::timeout(timeout, future).await {
                Ok(answer) => answer,
                Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                    "the call took longer than the service's default deadline of {timeout:?}; \
                     send a grpc-timeout to allow more"
                ))
                .into_http()),
            }
        })
    }
}

/// Turns tonic's OUT_OF_RANGE for an oversized message into RESOURCE_EXHAUSTED. The
/// decode error is always answered trailers-only, so the status is in the headers.
fn rewrite_oversize<B>(response: &mut Response<B>) {
    let headers = response.headers_mut();
    let oversized = headers.get("grpc-status").is_some_and(|s| s == "11")
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| {
                m.contains("message%20length%20too%20large")
                    || m.contains("message length too large")
            });
    if oversized {
        headers.insert("grpc-status", HeaderValue::from_static("8"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_differ_and_are_well_formed() {
        let a = new_traceparent();
        let b = new_traceparent();
        assert_ne!(a, b);
        let v = new_traceparent_value();
        let text = v.to_str().expect("ascii");
        assert_eq!(text.len(), 55);
        assert!(trace_id_of(text).is_some(), "{text}");
        assert!(text.ends_with("-01") && text.starts_with("00-"));
        let id = new_request_id();
        let parsed = uuid::Uuid::parse_str(id.to_str().expect("ascii")).expect("uuid");
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn default_deadlines_are_written_as_grpc_timeouts() {
        assert_eq!(grpc_timeout_value(Duration::from_secs(30)), "30S");
        assert_eq!(grpc_timeout_value(Duration::from_millis(1_500)), "1500m");
        let mut h = http::HeaderMap::new();
        h.insert("grpc-timeout", grpc_timeout_value(Duration::from_secs(600)));
        assert_eq!(
            crate::auth::layer::grpc_timeout(&h),
            Some(Duration::from_secs(600))
        );
    }

    #[test]
    fn traceparents_are_checked() {
        let tp = new_traceparent();
        assert_eq!(trace_id_of(&tp).map(str::len), Some(32));
        assert_eq!(trace_id_of("00-abc-def-01"), None);
        assert_eq!(
            trace_id_of("00-00000000000000000000000000000000-0000000000000001-01"),
            None
        );
        assert_eq!(
            trace_id_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    #[test]
    fn oversize_becomes_resource_exhausted() {
        let mut response = Response::new(());
        response
            .headers_mut()
            .insert("grpc-status", HeaderValue::from_static("11"));
        response.headers_mut().insert(
            "grpc-message",
            HeaderValue::from_static("Error,%20decoded%20message%20length%20too%20large"),
        );
        rewrite_oversize(&mut response);
        assert_eq!(response.headers()["grpc-status"], "8");

        let mut other = Response::new(());
        other
            .headers_mut()
            .insert("grpc-status", HeaderValue::from_static("11"));
        rewrite_oversize(&mut other);
        assert_eq!(other.headers()["grpc-status"], "11");
    }
}
