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

/// Returns the outbox row of `event`, unsent.
fn row(id: Uuid, event: NewEvent, created_at: chrono::DateTime<Utc>) -> entity::ActiveModel {
    entity::ActiveModel {
        seq: NotSet,
        id: Set(id),
        event_type: Set(event.event_type.to_owned()),
        organisation_id: Set(event.organisation_id),
        aggregate_id: Set(event.aggregate_id),
        aggregate_version: Set(event.aggregate_version),
        payload: Set(event.payload),
        traceparent: Set(event.traceparent),
        created_at: Set(created_at),
        sent_at: Set(None),
    }
}

/// Writes `event` through `conn`, which must be the transaction of the state change: the
/// event is then published if and only if that transaction commits. Returns the event id.
pub async fn append<C: ConnectionTrait>(conn: &C, event: NewEvent) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let row = row(id, event, Utc::now().trunc_subsecs(6));
    entity::Entity::insert(row).exec(conn).await?;
    Ok(id)
}

/// Rows per multi-row insert in [`append_many`]: 9 bound values each, well under
/// PostgreSQL's 65,535 and SQLite's 32,766 parameters per statement.
const MANY_CHUNK: usize = 2_000;

/// Writes `events` through `conn`, the transaction of the state change, in order, with
/// multi-row inserts (one statement per 2,000 events).
pub async fn append_many<C: ConnectionTrait>(conn: &C, events: Vec<NewEvent>) -> Result<(), DbErr> {
    let created_at = Utc::now().trunc_subsecs(6);
    let mut rows = events
        .into_iter()
        .map(|event| row(Uuid::now_v7(), event, created_at));
    loop {
        let chunk: Vec<entity::ActiveModel> = rows.by_ref().take(MANY_CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        entity::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}
