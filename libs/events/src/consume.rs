//! Consuming events: one durable pull consumer per (service, subscription), explicit
//! acknowledgement, redelivery with backoff, and after the last attempt a dead letter
//! (subject `crm.dlq.<service>` and a `dead_letters` row) while later events keep
//! flowing. A handler's side effects and its `processed_events` row commit in one
//! transaction, so an event delivered twice changes nothing the second time.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, Context, consumer};
use bytes::Bytes;
use chrono::{SubsecRound as _, Utc};
use futures::StreamExt as _;
use futures::future::BoxFuture;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait};
use uuid::Uuid;

use crm_db::Global as _;

use crate::entity::{dead_letter, processed_event};
use crate::jetstream::StreamSettings;
use crate::metrics::{ConsumerLabels, EventMetrics};

/// An event as a consumer receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The event id.
    pub id: Uuid,
    /// The event type, for example "client.created".
    pub event_type: String,
    /// The organisation it belongs to.
    pub organisation_id: Uuid,
    /// The aggregate it is about.
    pub aggregate_id: String,
    /// The aggregate's version after the change.
    pub aggregate_version: i64,
    /// The protobuf-encoded event message.
    pub payload: Bytes,
    /// The trace context of the request that caused it.
    pub traceparent: Option<String>,
}

/// Why a handler failed an event; it is retried, then dead-lettered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

impl From<DbErr> for HandlerError {
    fn from(e: DbErr) -> Self {
        Self(e.to_string())
    }
}

/// Applies an event inside the consumer's transaction.
pub trait Handler: Send + Sync {
    /// Applies `event`; everything written through `txn` commits with the record that
    /// the event was processed, or not at all.
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// What a consumer listens to and how hard it retries.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The consuming service, for example "activites".
    pub service: String,
    /// The subscription's name within the service, for example "timeline".
    pub name: String,
    /// Event types it receives; empty for every type.
    pub event_types: Vec<String>,
    /// Deliveries before an event is dead-lettered.
    pub max_deliver: i64,
    /// Delays between deliveries.
    pub backoff: Vec<Duration>,
}

impl Subscription {
    /// Returns the durable consumer name: `<service>-<name>`.
    pub fn durable(&self) -> String {
        format!("{}-{}", self.service, self.name)
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Applied before: nothing changed.
    Duplicate,
    /// Failed; will be delivered again.
    Retry,
    /// Failed for the last time; dead-lettered.
    DeadLettered,
}

/// Applies `event` with `handler` unless `consumer` already processed it, recording it
/// as processed in the same transaction.
pub async fn apply(
    db: &DatabaseConnection,
    consumer: &str,
    handler: &dyn Handler,
    event: &Delivered,
) -> Result<Outcome, HandlerError> {
    let txn = crm_db::begin_write(db).await?;
    let seen = processed_event::Entity::find_by_id_global((consumer.to_owned(), event.id))
        .one(&txn)
        .await?;
    if seen.is_some() {
        txn.commit().await?;
        return Ok(Outcome::Duplicate);
    }
    handler.handle(&txn, event).await?;
    processed_event::Entity::insert(processed_event::ActiveModel {
        consumer: Set(consumer.to_owned()),
        event_id: Set(event.id),
        processed_at: Set(Utc::now().trunc_subsecs(6)),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Outcome::Applied)
}

/// Most events applied in one transaction by a JetStream consumer.
const BATCH: usize = 256;

/// Applies `events` in one transaction: each in a savepoint, so a failing handler undoes
/// only its own writes; the applied ones and their `processed_events` rows commit
/// together. Returns each event's outcome, in order; an error of the transaction itself
/// fails the whole batch.
pub async fn apply_batch(
    db: &DatabaseConnection,
    consumer: &str,
    handler: &dyn Handler,
    events: &[Delivered],
) -> Result<Vec<Result<Outcome, HandlerError>>, DbErr> {
    use sea_orm::TransactionTrait as _;
    let txn = crm_db::begin_write(db).await?;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let seen = processed_event::Entity::find_by_id_global((consumer.to_owned(), event.id))
            .one(&txn)
            .await?;
        if seen.is_some() {
            outcomes.push(Ok(Outcome::Duplicate));
            continue;
        }
        let savepoint = txn.begin().await?;
        match handler.handle(&savepoint, event).await {
            Ok(()) => {
                processed_event::Entity::insert(processed_event::ActiveModel {
                    consumer: Set(consumer.to_owned()),
                    event_id: Set(event.id),
                    processed_at: Set(Utc::now().trunc_subsecs(6)),
                })
                .exec(&savepoint)
                .await?;
                savepoint.commit().await?;
                outcomes.push(Ok(Outcome::Applied));
            }
            Err(error) => {
                savepoint.rollback().await?;
                outcomes.push(Err(error));
            }
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}

/// Counts an applied event and its lag from commit (its time is the aggregate's version
/// time in the outbox, approximated by the event id's UUIDv7 timestamp).
pub fn observe_applied(
    metrics: &EventMetrics,
    labels: &ConsumerLabels,
    outcome: Outcome,
    event: &Delivered,
) {
    if outcome != Outcome::Applied {
        return;
    }
    metrics.applied.get_or_create(labels).inc();
    if let Some(ts) = event.id.get_timestamp() {
        let (secs, nanos) = ts.to_unix();
        let committed = secs as f64 + f64::from(nanos) / 1e9;
        let now = Utc::now();
        let now = now.timestamp() as f64 + f64::from(now.timestamp_subsec_nanos()) / 1e9;
        metrics
            .consumer_lag
            .get_or_create(labels)
            .observe((now - committed).max(0.0));
    }
}

/// Records a dead letter, and marks the event handled for `consumer` in the same
/// transaction so a later redelivery neither applies nor dead-letters it again (replaying
/// a dead letter removes both rows).
pub async fn record_dead_letter(
    db: &DatabaseConnection,
    consumer: &str,
    event: &Delivered,
    attempts: i64,
    error: &str,
) -> Result<(), DbErr> {
    let txn = crm_db::begin_write(db).await?;
    let seen = processed_event::Entity::find_by_id_global((consumer.to_owned(), event.id))
        .one(&txn)
        .await?;
    if seen.is_some() {
        return txn.commit().await;
    }
    let now = Utc::now().trunc_subsecs(6);
    dead_letter::Entity::insert(dead_letter::ActiveModel {
        id: Set(Uuid::now_v7()),
        consumer: Set(consumer.to_owned()),
        event_id: Set(event.id),
        event_type: Set(event.event_type.clone()),
        organisation_id: Set(event.organisation_id),
        payload: Set(event.payload.to_vec()),
        error: Set(error.chars().take(2000).collect()),
        attempts: Set(attempts),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    processed_event::Entity::insert(processed_event::ActiveModel {
        consumer: Set(consumer.to_owned()),
        event_id: Set(event.id),
        processed_at: Set(now),
    })
    .exec(&txn)
    .await?;
    txn.commit().await
}

/// Returns the event carried by a JetStream message, from its CloudEvents headers.
pub fn delivered(message: &jetstream::Message) -> Option<Delivered> {
    let headers = message.headers.as_ref()?;
    let get = |k: &str| headers.get(k).map(|v| v.as_str().to_owned());
    Some(Delivered {
        id: Uuid::parse_str(&get("ce-id")?).ok()?,
        event_type: get("ce-type")?,
        organisation_id: Uuid::parse_str(&get("ce-subject")?).ok()?,
        aggregate_id: get("ce-aggregateid").unwrap_or_default(),
        aggregate_version: get("ce-aggregateversion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        payload: message.payload.clone(),
        traceparent: get("traceparent"),
    })
}

/// Creates the dead-letter stream over `crm.dlq.>` (or the settings' equivalent).
pub async fn ensure_dead_letter_stream(
    js: &Context,
    settings: &StreamSettings,
) -> Result<(), async_nats::Error> {
    js.create_or_update_stream(jetstream::stream::Config {
        name: format!("{}_DLQ", settings.name),
        subjects: vec![format!("{}.>", dlq_prefix(settings))],
        max_age: settings.max_age,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await?;
    Ok(())
}

/// Returns the dead-letter subject prefix: `crm.dlq` for `crm.events`.
pub fn dlq_prefix(settings: &StreamSettings) -> String {
    match settings.subject_prefix.strip_suffix(".events") {
        Some(root) => format!("{root}.dlq"),
        None => format!("{}.dlq", settings.subject_prefix),
    }
}

/// Runs the durable consumer of `subscription` until `shutdown` resolves.
pub async fn run(
    js: Context,
    settings: StreamSettings,
    db: DatabaseConnection,
    subscription: Subscription,
    handler: std::sync::Arc<dyn Handler>,
    metrics: EventMetrics,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), async_nats::Error> {
    ensure_dead_letter_stream(&js, &settings).await?;
    let stream = js.get_stream(&settings.name).await?;
    let durable = subscription.durable();
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &durable,
            consumer::pull::Config {
                durable_name: Some(durable.clone()),
                filter_subjects: subscription
                    .event_types
                    .iter()
                    .map(|t| settings.subject(t))
                    .collect(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_deliver: subscription.max_deliver,
                // JetStream wants fewer delays than deliveries: the first comes at once.
                backoff: subscription
                    .backoff
                    .iter()
                    .take(usize::try_from(subscription.max_deliver.saturating_sub(1)).unwrap_or(0))
                    .copied()
                    .collect(),
                max_ack_pending: 1000,
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer.messages().await?;
    let dlq_subject = format!("{}.{}", dlq_prefix(&settings), subscription.service);
    let labels = EventMetrics::labels(&durable);
    tokio::pin!(shutdown);
    loop {
        let next = tokio::select! {
            () = &mut shutdown => return Ok(()),
            next = messages.next() => next,
        };
        let Some(first) = next else { return Ok(()) };
        // Take what has already arrived with the first message, so one transaction (one
        // commit) applies a batch: at a steady rate each commit otherwise waits for its own
        // log flush.
        let mut batch = Vec::with_capacity(BATCH);
        batch.push(first);
        while batch.len() < BATCH {
            match futures::FutureExt::now_or_never(messages.next()) {
                Some(Some(m)) => batch.push(m),
                _ => break,
            }
        }
        let mut events = Vec::with_capacity(batch.len());
        let mut carried = Vec::with_capacity(batch.len());
        for message in batch {
            let message = match message {
                Ok(m) => m,
                Err(error) => {
                    tracing::warn!(%error, consumer = %durable, "consumer stream error");
                    continue;
                }
            };
            match delivered(&message) {
                Some(event) => {
                    events.push(event);
                    carried.push(message);
                }
                None => {
                    tracing::error!(consumer = %durable, "message without CloudEvents headers; terminated");
                    let _ = message.ack_with(AckKind::Term).await;
                }
            }
        }
        let outcomes = match apply_batch(&db, &durable, handler.as_ref(), &events).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                // The batch's transaction failed as a whole: every event comes back.
                tracing::warn!(%error, consumer = %durable, "batch not applied; redelivering");
                for message in &carried {
                    let _ = message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                        .await;
                }
                continue;
            }
        };
        for ((message, event), outcome) in carried.iter().zip(&events).zip(outcomes) {
            let attempt = message.info().map(|i| i.delivered).unwrap_or(1);
            if attempt > 1 {
                metrics.redeliveries.get_or_create(&labels).inc();
            }
            match outcome {
                Ok(outcome) => {
                    observe_applied(&metrics, &labels, outcome, event);
                    if let Err(error) = message.ack().await {
                        tracing::warn!(%error, event_id = %event.id, "ack lost; the event will be seen again and skipped");
                    }
                }
                Err(error) if attempt >= subscription.max_deliver => {
                    tracing::error!(%error, event_id = %event.id, consumer = %durable, attempt, "dead-lettering event");
                    metrics.dead_letters.get_or_create(&labels).inc();
                    let mut headers = message.headers.clone().unwrap_or_default();
                    headers.insert("crm-dlq-consumer", durable.as_str());
                    headers.insert(
                        "crm-dlq-error",
                        error.0.chars().take(500).collect::<String>().as_str(),
                    );
                    let published = js
                        .publish_with_headers(dlq_subject.clone(), headers, message.payload.clone())
                        .await;
                    let recorded =
                        record_dead_letter(&db, &durable, event, attempt, &error.0).await;
                    match (published, recorded) {
                        (Ok(ack), Ok(())) => {
                            let _ = ack.await;
                            let _ = message.ack_with(AckKind::Term).await;
                        }
                        (p, r) => {
                            tracing::error!(
                                published = p.is_ok(),
                                recorded = r.is_ok(),
                                "dead letter not stored; redelivering"
                            );
                            let _ = message
                                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                                .await;
                        }
                    }
                }
                Err(error) => {
                    let delay = subscription
                        .backoff
                        .get((attempt as usize).saturating_sub(1))
                        .or(subscription.backoff.last())
                        .copied();
                    tracing::warn!(%error, event_id = %event.id, consumer = %durable, attempt, "event failed; will retry");
                    let _ = message.ack_with(AckKind::Nak(delay)).await;
                }
            }
        }
    }
}
