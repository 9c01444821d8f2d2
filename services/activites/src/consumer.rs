//! The timeline consumer: every business event of the catalogue becomes one system
//! activity in its organisation. Payloads are decoded generically from the descriptor
//! set, so a new event type needs no code here; the client, actor and time are read
//! from the fields every event shares (`client_id` when it has one, `meta`).

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound as _, Utc};
use crm_events::consume::{Delivered, Handler, HandlerError};
use futures::future::BoxFuture;
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage as _, Value,
};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::domain::{self, Activity, Details, Subject, SystemEvent};
use crate::repo;

/// Writes one system activity per event, once.
#[derive(Debug)]
pub struct Timeline {
    messages: HashMap<&'static str, MessageDescriptor>,
}

impl Timeline {
    /// Returns the handler, with the payload message of every event type of the catalogue.
    pub fn new() -> anyhow::Result<Self> {
        let pool = DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET)?;
        let mut messages = HashMap::new();
        for &(event_type, name) in crm_proto::EVENT_TYPES {
            let message = pool
                .get_message_by_name(name)
                .ok_or_else(|| anyhow::anyhow!("{name} is not in the descriptor set"))?;
            messages.insert(event_type, message);
        }
        Ok(Self { messages })
    }

    /// Returns the system activity recording `event`, or why its payload is unreadable.
    pub fn describe(
        &self,
        event: &Delivered,
        now: DateTime<Utc>,
    ) -> Result<Activity, HandlerError> {
        let mut client_id = None;
        let mut author = None;
        let mut occurred = None;
        if let Some(descriptor) = self.messages.get(event.event_type.as_str()) {
            let message = DynamicMessage::decode(descriptor.clone(), event.payload.clone())
                .map_err(|e| HandlerError(format!("{} payload: {e}", event.event_type)))?;
            client_id = string_field(&message, "client_id").and_then(|s| Uuid::parse_str(&s).ok());
            if let Some(Value::Message(meta)) = message.get_field_by_name("meta").as_deref() {
                author = string_field(meta, "actor_user_id").and_then(|s| Uuid::parse_str(&s).ok());
                occurred = meta_time(meta);
            }
        }
        let aggregate_kind = domain::aggregate_kind(&event.event_type);
        let subject = match (aggregate_kind.as_str(), client_id) {
            ("client", Some(c)) => Subject::client(c),
            _ => Subject {
                kind: aggregate_kind,
                id: event.aggregate_id.chars().take(64).collect(),
            },
        };
        Ok(Activity {
            id: Uuid::now_v7(),
            organisation_id: event.organisation_id,
            subject,
            client_id,
            author,
            body: domain::summary(&event.event_type),
            details: Details::System(SystemEvent {
                event_type: event.event_type.chars().take(64).collect(),
                event_id: event.id,
                aggregate_id: event.aggregate_id.chars().take(64).collect(),
            }),
            occurred_at: occurred.unwrap_or(now).trunc_subsecs(6),
            created_at: now,
        })
    }
}

/// Returns the non-empty top-level string field `name`, if the message has one.
fn string_field(message: &DynamicMessage, name: &str) -> Option<String> {
    message.descriptor().get_field_by_name(name)?;
    match message.get_field_by_name(name).as_deref() {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Returns `meta.occur_time`, when set.
fn meta_time(meta: &DynamicMessage) -> Option<DateTime<Utc>> {
    if !meta.has_field_by_name("occur_time") {
        return None;
    }
    let value = meta.get_field_by_name("occur_time")?;
    let Value::Message(ts) = value.as_ref() else {
        return None;
    };
    let seconds = ts.get_field_by_name("seconds")?.as_i64()?;
    let nanos = ts.get_field_by_name("nanos")?.as_i32()?;
    DateTime::from_timestamp(seconds, u32::try_from(nanos).ok()?)
}

impl Handler for Timeline {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let activity = self.describe(event, repo::now())?;
            repo::insert_system(txn, &activity)
                .await
                .map_err(|e| HandlerError(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns an encoded payload of `name` with `meta` and, when the message has one,
    /// `client_id` set.
    fn payload(pool: &DescriptorPool, name: &str, client: Uuid, actor: Uuid) -> Vec<u8> {
        let descriptor = pool.get_message_by_name(name).expect("message");
        let mut message = DynamicMessage::new(descriptor.clone());
        let meta_desc = pool
            .get_message_by_name("crm.events.v1.EventMeta")
            .expect("meta");
        let mut meta = DynamicMessage::new(meta_desc);
        meta.set_field_by_name("actor_user_id", Value::String(actor.to_string()));
        message.set_field_by_name("meta", Value::Message(meta));
        if descriptor.get_field_by_name("client_id").is_some() {
            message.set_field_by_name("client_id", Value::String(client.to_string()));
        }
        prost::Message::encode_to_vec(&message)
    }

    #[test]
    fn every_event_type_becomes_a_system_activity() {
        let timeline = Timeline::new().expect("timeline");
        let pool = DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET).expect("pool");
        let (org, client, actor) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut with_client = 0;
        for &(event_type, name) in crm_proto::EVENT_TYPES {
            let has_client = pool
                .get_message_by_name(name)
                .and_then(|m| m.get_field_by_name("client_id"))
                .is_some();
            let event = Delivered {
                id: Uuid::now_v7(),
                event_type: event_type.into(),
                organisation_id: org,
                aggregate_id: Uuid::now_v7().to_string(),
                aggregate_version: 1,
                payload: payload(&pool, name, client, actor).into(),
                traceparent: None,
            };
            let a = timeline.describe(&event, Utc::now()).expect(event_type);
            assert_eq!(a.organisation_id, org, "{event_type}");
            assert_eq!(a.author, Some(actor), "{event_type}");
            assert_eq!(a.body, domain::summary(event_type));
            assert_eq!(a.client_id, has_client.then_some(client), "{event_type}");
            match &a.details {
                Details::System(s) => {
                    assert_eq!(s.event_id, event.id);
                    assert_eq!(s.event_type, event_type);
                    assert_eq!(s.aggregate_id, event.aggregate_id);
                }
                other => panic!("{other:?}"),
            }
            with_client += usize::from(has_client);
        }
        assert!(with_client > 20, "{with_client}");
    }

    #[test]
    fn a_garbled_payload_fails_the_event() {
        let timeline = Timeline::new().expect("timeline");
        let event = Delivered {
            id: Uuid::now_v7(),
            event_type: "client.created".into(),
            organisation_id: Uuid::now_v7(),
            aggregate_id: String::new(),
            aggregate_version: 1,
            payload: vec![0xff, 0xff, 0xff].into(),
            traceparent: None,
        };
        assert!(timeline.describe(&event, Utc::now()).is_err());
    }
}
