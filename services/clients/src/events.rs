//! The events the clients service publishes, written into its outbox in the transaction
//! of the change they describe.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{client_to_proto, timestamp};
use crate::domain::{Client, Kind};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(c: &Client, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: c.organisation_id.to_string(),
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        occur_time: Some(timestamp(c.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn display_name(c: &Client) -> String {
    match c.data.kind {
        Kind::Company => c.data.company_name.clone(),
        Kind::Person => [c.data.first_name.as_str(), c.data.last_name.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn new_event(event_type: &'static str, c: &Client, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: c.organisation_id,
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns `client.created`.
pub fn created(c: &Client, actor: &Actor) -> NewEvent {
    let p = client_to_proto(c);
    let message = ev::ClientCreated {
        meta: Some(meta(c, actor)),
        client_id: p.id,
        kind: p.kind,
        civility: p.civility,
        first_name: p.first_name,
        last_name: p.last_name,
        company_name: p.company_name,
        display_name: display_name(c),
        email: p.email,
        phone: p.phone,
        commercial_id: p.commercial_id,
        status: p.status,
        source: p.source,
        tags: p.tags,
    };
    new_event("client.created", c, actor, message.encode_to_vec())
}

/// Returns `client.updated` for the change from `before` to `after` of the fields `paths`.
pub fn updated(before: &Client, after: &Client, paths: &[String], actor: &Actor) -> NewEvent {
    let (b, a) = (client_to_proto(before), client_to_proto(after));
    let message = ev::ClientUpdated {
        meta: Some(meta(after, actor)),
        client_id: a.id,
        update_mask: Some(prost_types::FieldMask {
            paths: paths.to_vec(),
        }),
        display_name: display_name(after),
        email: a.email,
        phone: a.phone,
        status: a.status,
        previous_status: b.status,
        commercial_id: a.commercial_id,
        previous_commercial_id: b.commercial_id,
        tags: a.tags,
    };
    new_event("client.updated", after, actor, message.encode_to_vec())
}

/// Returns `client.archived`.
pub fn archived(before: &Client, after: &Client, actor: &Actor) -> NewEvent {
    let b = client_to_proto(before);
    let message = ev::ClientArchived {
        meta: Some(meta(after, actor)),
        client_id: after.id.to_string(),
        previous_status: b.status,
        commercial_id: b.commercial_id,
    };
    new_event("client.archived", after, actor, message.encode_to_vec())
}
