//! The edge's Prometheus metrics, on its admin port: requests by protocol, route and
//! HTTP status, and their latency.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `json`, `grpc` or `grpc-web`.
    pub protocol: &'static str,
    /// HTTP status code.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProtocolLabels {
    /// `json`, `grpc` or `grpc-web`.
    pub protocol: &'static str,
}

/// The edge's metrics.
#[derive(Debug)]
pub struct EdgeMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ProtocolLabels, Histogram>,
}

impl Default for EdgeMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // 50 µs to ~26 s: the edge's own overhead sits at the low end.
        let latency = Family::<ProtocolLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 20))
        });
        registry.register(
            "crm_edge_requests",
            "Requests answered by the edge, by protocol and HTTP status",
            requests.clone(),
        );
        registry.register(
            "crm_edge_request_duration_seconds",
            "Time from request to response headers at the edge",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }
}

impl EdgeMetrics {
    /// Records one answered request.
    pub fn record(&self, protocol: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { protocol, status })
            .inc();
        self.latency
            .get_or_create(&ProtocolLabels { protocol })
            .observe(elapsed.as_secs_f64());
    }

    /// Returns the metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Shared handle.
pub type SharedMetrics = Arc<EdgeMetrics>;
