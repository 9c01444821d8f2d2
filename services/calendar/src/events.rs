//! The events the calendar service publishes, written into its outbox in the
//! transaction of the change they describe.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::timestamp;
use crate::domain::Event;

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(e: &Event, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: e.organisation_id.to_string(),
        aggregate_id: e.id.to_string(),
        aggregate_version: e.version,
        occur_time: Some(timestamp(e.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn new_event(event_type: &'static str, e: &Event, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: e.organisation_id,
        aggregate_id: e.id.to_string(),
        aggregate_version: e.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

fn user_ids(e: &Event) -> Vec<String> {
    e.data
        .attendee_user_ids
        .iter()
        .map(Uuid::to_string)
        .collect()
}

/// Returns `meeting.scheduled` for a new event.
pub fn scheduled(e: &Event, actor: &Actor) -> NewEvent {
    let message = ev::MeetingScheduled {
        meta: Some(meta(e, actor)),
        meeting_id: e.id.to_string(),
        owner_user_id: e.owner_user_id.to_string(),
        title: e.data.title.clone(),
        client_id: e.data.client_id.map(|c| c.to_string()).unwrap_or_default(),
        start_time: Some(timestamp(e.data.start)),
        end_time: Some(timestamp(e.data.end)),
        time_zone: e.data.time_zone.name().to_owned(),
        location: e.data.location.clone(),
        attendee_user_ids: user_ids(e),
    };
    new_event("meeting.scheduled", e, actor, message.encode_to_vec())
}

/// Returns `meeting.cancelled` for an event just cancelled.
pub fn cancelled(e: &Event, actor: &Actor) -> NewEvent {
    let message = ev::MeetingCancelled {
        meta: Some(meta(e, actor)),
        meeting_id: e.id.to_string(),
        owner_user_id: e.owner_user_id.to_string(),
        title: e.data.title.clone(),
        client_id: e.data.client_id.map(|c| c.to_string()).unwrap_or_default(),
        start_time: Some(timestamp(e.data.start)),
        attendee_user_ids: user_ids(e),
    };
    new_event("meeting.cancelled", e, actor, message.encode_to_vec())
}
