//! Writing events into the outbox, inside the caller's transaction.

use chrono::{SubsecRound as _, Utc};
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::entity;

/// An event to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The event type, for example "client.created" (subject `crm.events.client.created`).
    pub event_type: &'static str,
    /// The organisation it belongs to.
    pub organisation_id: Uuid,
    /// The aggregate it is about.
    pub aggregate_id: String,
    /// The aggregate's version after the change.
    pub aggregate_version: i64,
    /// The protobuf-encoded message of the event.
    pub payload: Vec<u8>,
    /// The trace context of the request that caused it.
    pub traceparent: Option<String>,
}

/// Writes `event` through `conn`, which must be the transaction of the state change: the
/// event is then published if and only if that transaction commits. Returns the event id.
pub async fn append<C: ConnectionTrait>(conn: &C, event: NewEvent) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let row = entity::ActiveModel {
        seq: NotSet,
        id: Set(id),
        event_type: Set(event.event_type.to_owned()),
        organisation_id: Set(event.organisation_id),
        aggregate_id: Set(event.aggregate_id),
        aggregate_version: Set(event.aggregate_version),
        payload: Set(event.payload),
        traceparent: Set(event.traceparent),
        created_at: Set(Utc::now().trunc_subsecs(6)),
        sent_at: Set(None),
    };
    entity::Entity::insert(row).exec(conn).await?;
    Ok(id)
}
