//! `crm events tail [subject]`: prints events from the JetStream stream as JSON lines,
//! with their headers and the payload decoded by its protobuf type (there is no NATS
//! command-line client on these machines).

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer};
use clap::Args;
use crm_kit::config::KitConfig;
use futures::StreamExt as _;
use prost_reflect::{DescriptorPool, DynamicMessage};

/// Arguments of `crm events tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Subject filter, for example `crm.events.client.>`.
    #[arg(default_value = "crm.events.>")]
    subject: String,
    /// Starts from the first event kept instead of the next one published.
    #[arg(long)]
    from_start: bool,
    /// Stops after this many events (0: never).
    #[arg(long, default_value_t = 0)]
    limit: usize,
}

/// Returns the JSON of a payload of event type `event_type`, or its base64 when the type
/// is unknown.
pub fn decode(pool: &DescriptorPool, event_type: &str, payload: &[u8]) -> serde_json::Value {
    let message = crm_proto::EVENT_TYPES
        .iter()
        .find(|(t, _)| *t == event_type)
        .and_then(|(_, name)| pool.get_message_by_name(name))
        .and_then(|desc| DynamicMessage::decode(desc, payload).ok())
        .and_then(|m| serde_json::to_value(&m).ok());
    message.unwrap_or_else(|| {
        use base64::Engine as _;
        serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(payload) })
    })
}

/// Runs `crm events tail`.
#[allow(clippy::print_stdout)]
pub async fn tail(args: TailArgs) -> anyhow::Result<()> {
    let config = KitConfig::load()?;
    let url = config
        .nats_url
        .clone()
        .context("CRM_NATS_URL is not set: events travel in process, there is no stream to tail")?;
    let client = async_nats::connect(&url)
        .await
        .with_context(|| format!("cannot reach NATS at {url}"))?;
    let js = jetstream::new(client);
    let settings = crm_events::jetstream::StreamSettings::default();
    let stream = js
        .get_stream(&settings.name)
        .await
        .context("no CRM_EVENTS stream yet")?;
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: args.subject.clone(),
            deliver_policy: if args.from_start {
                consumer::DeliverPolicy::All
            } else {
                consumer::DeliverPolicy::New
            },
            ..Default::default()
        })
        .await?;
    let pool = DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET)?;
    let mut messages = consumer.messages().await?;
    let mut printed = 0;
    while let Some(message) = messages.next().await {
        let message = message?;
        let mut headers = serde_json::Map::new();
        let mut event_type = String::new();
        if let Some(h) = &message.headers {
            for (name, values) in h.iter() {
                let value = values
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                if AsRef::<str>::as_ref(name) == "ce-type" {
                    event_type = value.clone();
                }
                headers.insert(name.to_string(), serde_json::Value::String(value));
            }
        }
        let line = serde_json::json!({
            "subject": message.subject.as_str(),
            "headers": headers,
            "data": decode(&pool, &event_type, &message.payload),
        });
        println!("{line}");
        printed += 1;
        if args.limit != 0 && printed >= args.limit {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    #[test]
    fn payloads_decode_by_type() {
        let pool = DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET).expect("pool");
        let event = crm_proto::events::v1::ClientCreated {
            client_id: "c1".into(),
            email: "a@b.fr".into(),
            ..Default::default()
        };
        let json = decode(&pool, "client.created", &event.encode_to_vec());
        assert_eq!(json["clientId"], "c1");
        assert_eq!(json["email"], "a@b.fr");
        let unknown = decode(&pool, "nope.nothing", b"\x01\x02");
        assert_eq!(unknown["base64"], "AQI=");
    }
}
