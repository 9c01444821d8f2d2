//! Which transport events travel on: NATS JetStream (`CRM_NATS_URL` set) or, in embedded
//! mode, an in-process bus. Both are fed by the same outbox, and both apply events to
//! subscribers with the same `processed_events` rule, so a restart loses nothing either
//! way: the in-process bus acknowledges an outbox row only once every subscriber has
//! applied (or dead-lettered) it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_nats::jetstream::Context;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::consume::{self, Delivered, Handler, Subscription};
use crate::entity;
use crate::jetstream::{JetStreamPublisher, StreamSettings, connect, ensure_stream};
use crate::metrics::EventMetrics;
use crate::relay::{Published, Publisher};

/// The transport of a running platform, shared by its services.
#[derive(Clone)]
pub enum Bus {
    /// NATS JetStream.
    JetStream(Arc<JetStreamTransport>),
    /// In-process delivery (embedded mode).
    InProcess(Arc<InProcessBus>),
}

/// A JetStream context and the stream events go to.
pub struct JetStreamTransport {
    /// The JetStream context.
    pub js: Context,
    /// The stream.
    pub settings: StreamSettings,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bus::JetStream(t) => write!(f, "Bus::JetStream({})", t.settings.name),
            Bus::InProcess(_) => f.write_str("Bus::InProcess"),
        }
    }
}

impl Bus {
    /// Returns JetStream at `nats_url` (stream created or updated), or a new in-process
    /// bus when there is no URL.
    pub async fn connect(nats_url: Option<&str>) -> Result<Self, async_nats::Error> {
        match nats_url {
            Some(url) => {
                let js = connect(url).await?;
                let settings = StreamSettings::default();
                ensure_stream(&js, &settings).await?;
                consume::ensure_dead_letter_stream(&js, &settings).await?;
                Ok(Bus::JetStream(Arc::new(JetStreamTransport {
                    js,
                    settings,
                })))
            }
            None => Ok(Bus::InProcess(Arc::new(InProcessBus::default()))),
        }
    }

    /// Returns the publisher `service`'s relay uses.
    pub fn publisher(&self, service: &str) -> Arc<dyn Publisher> {
        match self {
            Bus::JetStream(t) => Arc::new(JetStreamPublisher::new(
                t.js.clone(),
                t.settings.clone(),
                service,
            )),
            Bus::InProcess(bus) => Arc::new(InProcessPublisher(bus.clone())),
        }
    }

    /// Subscribes `handler`, applying events in `db`. With JetStream the returned task
    /// runs the durable consumer until `shutdown`; in process it only waits for
    /// `shutdown` (delivery happens in the publishers).
    pub fn subscribe(
        &self,
        db: DatabaseConnection,
        subscription: Subscription,
        handler: Arc<dyn Handler>,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()> {
        self.subscribe_observed(db, subscription, handler, EventMetrics::default(), shutdown)
    }

    /// Subscribes like [`Bus::subscribe`], recording into the service's `metrics`.
    pub fn subscribe_observed(
        &self,
        db: DatabaseConnection,
        subscription: Subscription,
        handler: Arc<dyn Handler>,
        metrics: EventMetrics,
        shutdown: BoxFuture<'static, ()>,
    ) -> BoxFuture<'static, ()> {
        match self {
            Bus::JetStream(t) => {
                let (js, settings) = (t.js.clone(), t.settings.clone());
                Box::pin(async move {
                    let durable = subscription.durable();
                    if let Err(error) =
                        consume::run(js, settings, db, subscription, handler, metrics, shutdown)
                            .await
                    {
                        tracing::error!(%error, consumer = %durable, "consumer stopped");
                    }
                })
            }
            Bus::InProcess(bus) => {
                bus.add(Subscriber {
                    subscription,
                    db,
                    handler,
                    metrics,
                });
                shutdown
            }
        }
    }
}

struct Subscriber {
    subscription: Subscription,
    db: DatabaseConnection,
    handler: Arc<dyn Handler>,
    metrics: EventMetrics,
}

/// Subscribers of the embedded platform.
#[derive(Default)]
pub struct InProcessBus {
    subscribers: RwLock<Vec<Arc<Subscriber>>>,
}

impl InProcessBus {
    fn add(&self, subscriber: Subscriber) {
        if let Ok(mut subs) = self.subscribers.write() {
            subs.push(Arc::new(subscriber));
        }
    }

    fn matching(&self, event_type: &str) -> Vec<Arc<Subscriber>> {
        self.subscribers
            .read()
            .map(|subs| {
                subs.iter()
                    .filter(|s| {
                        s.subscription.event_types.is_empty()
                            || s.subscription.event_types.iter().any(|t| t == event_type)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Returns the event of an outbox row.
pub fn delivered_from_row(row: &entity::Model) -> Delivered {
    Delivered {
        id: row.id,
        event_type: row.event_type.clone(),
        organisation_id: row.organisation_id,
        aggregate_id: row.aggregate_id.clone(),
        aggregate_version: row.aggregate_version,
        payload: row.payload.clone().into(),
        traceparent: row.traceparent.clone(),
    }
}

struct InProcessPublisher(Arc<InProcessBus>);

/// Delivers `event` to `sub`: applies it, retrying with the subscription's backoff, and
/// dead-letters it after the last attempt. Fails only when even that cannot be stored.
async fn deliver(sub: &Subscriber, event: &Delivered) -> Result<(), String> {
    let consumer = sub.subscription.durable();
    let attempts = sub.subscription.max_deliver.max(1);
    let mut last_error = String::new();
    let labels = EventMetrics::labels(&consumer);
    for attempt in 1..=attempts {
        if attempt > 1 {
            sub.metrics.redeliveries.get_or_create(&labels).inc();
        }
        match consume::apply(&sub.db, &consumer, sub.handler.as_ref(), event).await {
            Ok(outcome) => {
                consume::observe_applied(&sub.metrics, &labels, outcome, event);
                return Ok(());
            }
            Err(error) => {
                last_error = error.0;
                if attempt < attempts {
                    let delay = sub
                        .subscription
                        .backoff
                        .get((attempt as usize).saturating_sub(1))
                        .or(sub.subscription.backoff.last())
                        .copied()
                        .unwrap_or(Duration::from_millis(100));
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
    tracing::error!(error = %last_error, event_id = %event.id, %consumer, "dead-lettering event");
    sub.metrics.dead_letters.get_or_create(&labels).inc();
    consume::record_dead_letter(&sub.db, &consumer, event, attempts, &last_error)
        .await
        .map_err(|e| e.to_string())
}

impl Publisher for InProcessPublisher {
    fn publish<'a>(&'a self, rows: &'a [entity::Model]) -> BoxFuture<'a, Published> {
        Box::pin(async move {
            for (i, row) in rows.iter().enumerate() {
                let event = delivered_from_row(row);
                for sub in self.0.matching(&row.event_type) {
                    if let Err(error) = deliver(&sub, &event).await {
                        return Published {
                            acked: i,
                            error: Some(error),
                        };
                    }
                }
            }
            Published {
                acked: rows.len(),
                error: None,
            }
        })
    }
}
