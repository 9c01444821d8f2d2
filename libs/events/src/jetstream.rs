//! The JetStream side: the `CRM_EVENTS` stream and the publisher that sends outbox rows
//! with the CloudEvents NATS binding headers.

use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, Context, stream};
use futures::future::BoxFuture;

use crate::entity;
use crate::relay::{Published, Publisher};

/// The stream events go to and its limits.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Stream name; `CRM_EVENTS`.
    pub name: String,
    /// Subject prefix; `crm.events` (subjects `crm.events.<type>`).
    pub subject_prefix: String,
    /// How long events are kept.
    pub max_age: Duration,
    /// Most bytes kept; the oldest go first.
    pub max_bytes: i64,
    /// Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate.
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            name: "CRM_EVENTS".into(),
            subject_prefix: "crm.events".into(),
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_bytes: 1024 * 1024 * 1024,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

impl StreamSettings {
    /// Returns the subject of an event type.
    pub fn subject(&self, event_type: &str) -> String {
        format!("{}.{event_type}", self.subject_prefix)
    }
}

/// Creates the stream, or updates it to `settings`, with explicit limits.
pub async fn ensure_stream(
    js: &Context,
    settings: &StreamSettings,
) -> Result<stream::Info, async_nats::Error> {
    let config = stream::Config {
        name: settings.name.clone(),
        subjects: vec![format!("{}.>", settings.subject_prefix)],
        max_age: settings.max_age,
        max_bytes: settings.max_bytes,
        max_messages: -1,
        max_message_size: 1024 * 1024,
        duplicate_window: settings.duplicate_window,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        num_replicas: 1,
        ..Default::default()
    };
    Ok(js.create_or_update_stream(config).await?)
}

/// Connects to NATS at `url` and returns a JetStream context.
pub async fn connect(url: &str) -> Result<Context, async_nats::Error> {
    let client = async_nats::ConnectOptions::new()
        .name("crm")
        .retry_on_initial_connect()
        .connect(url)
        .await?;
    Ok(jetstream::new(client))
}

/// Publishes outbox rows to JetStream.
pub struct JetStreamPublisher {
    js: Context,
    settings: StreamSettings,
    source: String,
}

impl std::fmt::Debug for JetStreamPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamPublisher")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl JetStreamPublisher {
    /// Returns a publisher for service `service` (CloudEvents `ce-source` = "crm/<service>").
    pub fn new(js: Context, settings: StreamSettings, service: &str) -> Self {
        Self {
            js,
            settings,
            source: format!("crm/{service}"),
        }
    }

    fn message(&self, row: &entity::Model) -> PublishMessage {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("ce-specversion", "1.0");
        headers.insert("ce-id", row.id.to_string().as_str());
        headers.insert("ce-type", row.event_type.as_str());
        headers.insert("ce-source", self.source.as_str());
        headers.insert(
            "ce-time",
            row.created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .as_str(),
        );
        headers.insert("ce-subject", row.organisation_id.to_string().as_str());
        headers.insert("ce-aggregateid", row.aggregate_id.as_str());
        headers.insert(
            "ce-aggregateversion",
            row.aggregate_version.to_string().as_str(),
        );
        headers.insert("content-type", "application/protobuf");
        if let Some(tp) = &row.traceparent {
            headers.insert("traceparent", tp.as_str());
        }
        PublishMessage::build()
            .payload(row.payload.clone().into())
            .headers(headers)
            .message_id(row.id.to_string())
    }
}

impl Publisher for JetStreamPublisher {
    fn publish<'a>(&'a self, rows: &'a [entity::Model]) -> BoxFuture<'a, Published> {
        Box::pin(async move {
            // Send the whole batch, then collect the acknowledgements in order: one round
            // trip per batch rather than per event, and the acknowledged prefix is exact.
            let mut pending = Vec::with_capacity(rows.len());
            let mut send_error = None;
            for row in rows {
                match self
                    .js
                    .send_publish(self.settings.subject(&row.event_type), self.message(row))
                    .await
                {
                    Ok(ack) => pending.push(ack),
                    Err(e) => {
                        send_error = Some(e.to_string());
                        break;
                    }
                }
            }
            let mut acked = 0;
            for ack in pending {
                match ack.await {
                    Ok(_) => acked += 1,
                    Err(e) => {
                        return Published {
                            acked,
                            error: Some(e.to_string()),
                        };
                    }
                }
            }
            Published {
                acked,
                error: send_error,
            }
        })
    }
}
