//! Prometheus metrics of the event backbone, registered in the service's own registry
//! (the admin port's `/metrics`): outbox backlog, publish latency, consumer lag,
//! redeliveries and dead letters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of consumer metrics.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerLabels {
    /// The durable consumer, `<service>-<subscription>`.
    pub consumer: String,
}

/// Handles of the event metrics; clones share the same series.
#[derive(Debug, Clone)]
pub struct EventMetrics {
    /// Events in the outbox not yet acknowledged by the broker.
    pub outbox_backlog: Gauge,
    /// Events the broker acknowledged.
    pub published: Counter,
    /// Seconds from an event's commit to the broker's acknowledgement.
    pub publish_latency: Histogram,
    /// Events applied, by consumer.
    pub applied: Family<ConsumerLabels, Counter>,
    /// Deliveries after the first, by consumer.
    pub redeliveries: Family<ConsumerLabels, Counter>,
    /// Events given up, by consumer.
    pub dead_letters: Family<ConsumerLabels, Counter>,
    /// Seconds from an event's commit to its application, by consumer.
    pub consumer_lag: Family<ConsumerLabels, Histogram>,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ]
    .into_iter()
}

impl Default for EventMetrics {
    fn default() -> Self {
        Self {
            outbox_backlog: Gauge::default(),
            published: Counter::default(),
            publish_latency: Histogram::new(latency_buckets()),
            applied: Family::default(),
            redeliveries: Family::default(),
            dead_letters: Family::default(),
            consumer_lag: Family::new_with_constructor(|| Histogram::new(latency_buckets())),
        }
    }
}

impl EventMetrics {
    /// Returns new metrics registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "crm_outbox_backlog",
            "Events waiting in the outbox",
            m.outbox_backlog.clone(),
        );
        registry.register(
            "crm_outbox_published",
            "Events acknowledged by the broker",
            m.published.clone(),
        );
        registry.register(
            "crm_outbox_publish_latency_seconds",
            "Time from commit to the broker's acknowledgement",
            m.publish_latency.clone(),
        );
        registry.register(
            "crm_consumer_applied",
            "Events applied by a consumer",
            m.applied.clone(),
        );
        registry.register(
            "crm_consumer_redeliveries",
            "Deliveries of an event after its first",
            m.redeliveries.clone(),
        );
        registry.register(
            "crm_consumer_dead_letters",
            "Events a consumer gave up",
            m.dead_letters.clone(),
        );
        registry.register(
            "crm_consumer_lag_seconds",
            "Time from commit to application by a consumer",
            m.consumer_lag.clone(),
        );
        m
    }

    /// Returns the labels of `consumer`.
    pub fn labels(consumer: &str) -> ConsumerLabels {
        ConsumerLabels {
            consumer: consumer.to_owned(),
        }
    }
}
