//! Prometheus metrics per RPC: calls by method and code, and a latency histogram. The
//! code is read from the response headers (trailers-only answers) or from the trailers
//! at the end of the body, so successful unary calls and streams both count.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    grpc_service: String,
    grpc_method: String,
    grpc_code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_service: String,
    grpc_method: String,
}

/// gRPC code names, indexed by code number, as Prometheus label values.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// Handles of one method's metrics, resolved once so a call does no label allocation.
struct MethodMetrics {
    service: String,
    method: String,
    latency: Histogram,
    codes: [OnceLock<Counter>; 17],
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    methods: HashMap<String, Arc<MethodMetrics>>,
    unknown: Arc<MethodMetrics>,
    events: crm_events::EventMetrics,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("methods", &self.methods.len())
            .finish_non_exhaustive()
    }
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        10.0,
    ]
    .into_iter()
}

impl Metrics {
    /// Returns metrics for the methods at `paths` (`/pkg.Service/Method`).
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        let latency = Family::<MethodLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        registry.register(
            "grpc_server_handled",
            "Calls completed, by method and gRPC code",
            calls.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Time from request to the end of the response, by method",
            latency.clone(),
        );
        let make = |path: &str| {
            let (service, method) = split_path(path);
            let histogram = latency
                .get_or_create(&MethodLabels {
                    grpc_service: service.to_owned(),
                    grpc_method: method.to_owned(),
                })
                .clone();
            Arc::new(MethodMetrics {
                service: service.to_owned(),
                method: method.to_owned(),
                latency: histogram,
                codes: Default::default(),
            })
        };
        let methods = paths.into_iter().map(|p| (p.to_owned(), make(p))).collect();
        let unknown = make("/unknown/unknown");
        let events = crm_events::EventMetrics::register(&mut registry);
        Self {
            registry,
            calls,
            methods,
            unknown,
            events,
        }
    }

    /// Returns the event backbone's metrics, registered in this server's registry.
    pub fn events(&self) -> crm_events::EventMetrics {
        self.events.clone()
    }

    fn method(&self, path: &str) -> Arc<MethodMetrics> {
        self.methods.get(path).unwrap_or(&self.unknown).clone()
    }

    fn record(&self, m: &MethodMetrics, code: usize, started: Instant) {
        let code = code.min(CODE_NAMES.len() - 1);
        let counter = m.codes[code].get_or_init(|| {
            self.calls
                .get_or_create(&CallLabels {
                    grpc_service: m.service.clone(),
                    grpc_method: m.method.clone(),
                    grpc_code: CODE_NAMES[code],
                })
                .clone()
        });
        counter.inc();
        m.latency.observe(started.elapsed().as_secs_f64());
    }

    /// Returns the registry in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(%error, "cannot encode metrics");
        }
        out
    }
}

fn split_path(path: &str) -> (&str, &str) {
    let trimmed = path.trim_start_matches('/');
    trimmed.split_once('/').unwrap_or((trimmed, ""))
}

fn status_code(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Records a call exactly once: when its code is known, or as cancelled if dropped first.
struct Recorder {
    metrics: Arc<Metrics>,
    method: Arc<MethodMetrics>,
    started: Instant,
    done: bool,
}

impl Recorder {
    fn finish(&mut self, code: usize) {
        if !self.done {
            self.done = true;
            self.metrics.record(&self.method, code, self.started);
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // The client went away before the response ended.
        self.finish(1);
    }
}

pin_project_lite::pin_project! {
    /// A response body that records the call when its trailers arrive.
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        recorder: Option<Recorder>,
    }
}

impl<B: Body> Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let Some(recorder) = this.recorder.as_mut() {
            match &polled {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(trailers) = frame.trailers_ref() {
                        recorder.finish(status_code(trailers).unwrap_or(2));
                    }
                }
                Poll::Ready(Some(Err(_))) => recorder.finish(2),
                // A body that ends without trailers carries no status: Unknown.
                Poll::Ready(None) => recorder.finish(2),
                Poll::Pending => {}
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Layer recording [`Metrics`].
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    metrics: Arc<Metrics>,
}

impl MetricsLayer {
    /// Returns the layer.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service produced by [`MetricsLayer`].
#[derive(Debug, Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B, ResBody> tower::Service<Request<B>> for MetricsService<S>
where
    S: tower::Service<Request<B>, Response = Response<ResBody>> + Send,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResBody: 'static,
{
    type Response = Response<MetricsBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let mut recorder = Recorder {
            method: self.metrics.method(req.uri().path()),
            metrics: self.metrics.clone(),
            started: Instant::now(),
            done: false,
        };
        let future = self.inner.call(req);
        Box::pin(async move {
            match future.await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let recorder = match status_code(&parts.headers) {
                        Some(code) => {
                            recorder.finish(code);
                            None
                        }
                        None => Some(recorder),
                    };
                    Ok(Response::from_parts(
                        parts,
                        MetricsBody {
                            inner: body,
                            recorder,
                        },
                    ))
                }
                Err(error) => {
                    // Layers below fail only when shedding load.
                    recorder.finish(8);
                    Err(error)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_code() {
        let path = "/crm.clients.v1.ClientService/GetClient";
        let metrics = Metrics::new([path]);
        let m = metrics.method(path);
        metrics.record(&m, 0, Instant::now());
        metrics.record(&m, 0, Instant::now());
        metrics.record(&m, 5, Instant::now());
        let text = metrics.encode();
        assert!(text.contains(
            "grpc_server_handled_total{grpc_service=\"crm.clients.v1.ClientService\",grpc_method=\"GetClient\",grpc_code=\"OK\"} 2"
        ), "{text}");
        assert!(text.contains("grpc_code=\"NotFound\"} 1"), "{text}");
        assert!(text.contains("grpc_server_handling_seconds_count{grpc_service=\"crm.clients.v1.ClientService\",grpc_method=\"GetClient\"} 3"), "{text}");
    }
}
