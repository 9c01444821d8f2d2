//! The events the commerciaux service publishes, written into its outbox in the
//! transaction of the change they describe.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{date_to_proto, timestamp};
use crate::domain::{Commercial, CommercialData, Status};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(c: &Commercial, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: c.organisation_id.to_string(),
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        occur_time: Some(timestamp(c.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn text(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

fn status(s: Status) -> ev::CommercialStatus {
    match s {
        Status::Active => ev::CommercialStatus::Active,
        Status::Inactive => ev::CommercialStatus::Inactive,
    }
}

fn new_event(
    event_type: &'static str,
    c: &Commercial,
    actor: &Actor,
    payload: Vec<u8>,
) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: c.organisation_id,
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns `commercial.created`.
pub fn created(c: &Commercial, actor: &Actor) -> NewEvent {
    let d = &c.data;
    let message = ev::CommercialCreated {
        meta: Some(meta(c, actor)),
        commercial_id: c.id.to_string(),
        code: d.code.clone(),
        name: d.full_name(),
        email: d.email.clone().unwrap_or_default(),
        phone: d.phone.clone().unwrap_or_default(),
        user_id: text(d.user_id),
        manager_commercial_id: text(d.manager_id),
        team: d.team.clone(),
        status: status(d.status) as i32,
        commission_plan_id: text(d.commission_plan_id),
        hire_date: d.hire_date.map(date_to_proto),
    };
    new_event("commercial.created", c, actor, message.encode_to_vec())
}

/// Returns the paths of `CommercialUpdated` whose values differ between `before` and
/// `after`. A change the message does not carry (the hire date) names no path.
pub fn changed_paths(before: &CommercialData, after: &CommercialData) -> Vec<String> {
    let checks = [
        (before.code != after.code, "code"),
        (before.full_name() != after.full_name(), "name"),
        (before.email != after.email, "email"),
        (before.phone != after.phone, "phone"),
        (before.user_id != after.user_id, "user_id"),
        (
            before.manager_id != after.manager_id,
            "manager_commercial_id",
        ),
        (before.team != after.team, "team"),
        (
            before.commission_plan_id != after.commission_plan_id,
            "commission_plan_id",
        ),
    ];
    checks
        .into_iter()
        .filter(|(changed, _)| *changed)
        .map(|(_, path)| path.to_owned())
        .collect()
}

/// Returns `commercial.updated` for the change from `before` to `after`.
pub fn updated(before: &Commercial, after: &Commercial, actor: &Actor) -> NewEvent {
    let d = &after.data;
    let message = ev::CommercialUpdated {
        meta: Some(meta(after, actor)),
        commercial_id: after.id.to_string(),
        update_mask: Some(prost_types::FieldMask {
            paths: changed_paths(&before.data, d),
        }),
        code: d.code.clone(),
        name: d.full_name(),
        email: d.email.clone().unwrap_or_default(),
        phone: d.phone.clone().unwrap_or_default(),
        user_id: text(d.user_id),
        manager_commercial_id: text(d.manager_id),
        previous_manager_commercial_id: text(before.data.manager_id),
        team: d.team.clone(),
        commission_plan_id: text(d.commission_plan_id),
    };
    new_event("commercial.updated", after, actor, message.encode_to_vec())
}

/// Returns `commercial.deactivated`.
pub fn deactivated(c: &Commercial, actor: &Actor) -> NewEvent {
    let message = ev::CommercialDeactivated {
        meta: Some(meta(c, actor)),
        commercial_id: c.id.to_string(),
        code: c.data.code.clone(),
        manager_commercial_id: text(c.data.manager_id),
    };
    new_event("commercial.deactivated", c, actor, message.encode_to_vec())
}
