//! The outermost layer of every server: keeps or creates the request id and the W3C trace
//! context, opens the span every log line of the call carries, and answers an oversized
//! message with RESOURCE_EXHAUSTED as the gRPC spec asks (tonic says OUT_OF_RANGE).

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use tracing::Instrument as _;

/// Header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Returns 16 random bytes, or a clock-based fallback should the OS source fail.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(1)
            .to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = nanos[i % nanos.len()] ^ (i as u8);
        }
    }
    buf
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
                let id = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
                headers.insert(REQUEST_ID_HEADER, id.clone());
                id
            }
        };
        // A call with no usable trace context starts a trace here, and the header is
        // written back so the auth layer hands it to downstream calls.
        let traceparent = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .filter(|v| trace_id_of(v).is_some())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let tp = new_traceparent();
                if let Ok(v) = HeaderValue::from_str(&tp) {
                    headers.insert("traceparent", v);
                }
                tp
            });
        let trace_id = trace_id_of(&traceparent).unwrap_or_default();
        let span = tracing::info_span!(
            "rpc",
            rpc = %req.uri().path(),
            trace_id = %trace_id,
            request_id = %request_id.to_str().unwrap_or_default(),
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
