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
        packed: Set(None),
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

/// Events per row in [`append_packed`]: a row of a few hundred kilobytes.
pub const PACK: usize = 1_000;

/// The payload of a packed row: its events, in order.
#[derive(Clone, PartialEq, prost::Message)]
struct Pack {
    #[prost(message, repeated, tag = "1")]
    events: Vec<Packed>,
}

/// One event of a packed row: what differs from the row's other events.
#[derive(Clone, PartialEq, prost::Message)]
struct Packed {
    /// The event id, 16 bytes.
    #[prost(bytes = "vec", tag = "1")]
    id: Vec<u8>,
    #[prost(string, tag = "2")]
    aggregate_id: String,
    #[prost(int64, tag = "3")]
    aggregate_version: i64,
    #[prost(bytes = "vec", tag = "4")]
    payload: Vec<u8>,
}

/// Writes `events` through `conn`, the transaction of the state change, in order, for
/// operations that change thousands of aggregates at once: each run of events of one
/// type, organisation and trace goes into rows of up to [`PACK`] events, instead of a
/// row each. The relay publishes every event of a row as its own message, with its own
/// id, in order; consumers cannot tell the difference. Writing 100,000 events takes
/// a hundred rows instead of 100,000.
pub async fn append_packed<C: ConnectionTrait>(
    conn: &C,
    events: Vec<NewEvent>,
) -> Result<(), DbErr> {
    let created_at = Utc::now().trunc_subsecs(6);
    let mut rows: Vec<entity::ActiveModel> = Vec::new();
    let mut run: Vec<(Uuid, NewEvent)> = Vec::new();
    for event in events {
        let same = run.first().is_some_and(|(_, first)| {
            first.event_type == event.event_type
                && first.organisation_id == event.organisation_id
                && first.traceparent == event.traceparent
        });
        if !same || run.len() == PACK {
            rows.extend(pack(std::mem::take(&mut run), created_at));
        }
        run.push((Uuid::now_v7(), event));
    }
    rows.extend(pack(run, created_at));
    // Statements of a few megabytes: a packed row weighs what a thousand rows do.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut bytes = 0;
        let mut chunk = Vec::new();
        while let Some(next) = rows.next_if(|_| chunk.len() < MANY_CHUNK && bytes < STATEMENT_BYTES)
        {
            if let Set(payload) = &next.payload {
                bytes += payload.len();
            }
            chunk.push(next);
        }
        entity::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Payload bytes after which [`append_packed`] starts another statement.
const STATEMENT_BYTES: usize = 4 << 20;

/// Returns the row of `run`, events of one type, organisation and trace: a plain row for
/// one event, a packed row for more.
fn pack(
    run: Vec<(Uuid, NewEvent)>,
    created_at: chrono::DateTime<Utc>,
) -> Option<entity::ActiveModel> {
    let (id, first) = run.first()?;
    let id = *id;
    if run.len() == 1 {
        let (_, event) = run.into_iter().next()?;
        return Some(row(id, event, created_at));
    }
    let count = i32::try_from(run.len()).unwrap_or(i32::MAX);
    // The row's shared fields and its first event's id, aggregate and version.
    let mut head = NewEvent {
        payload: Vec::new(),
        aggregate_id: first.aggregate_id.clone(),
        traceparent: first.traceparent.clone(),
        ..*first
    };
    let events = run
        .into_iter()
        .map(|(id, e)| Packed {
            id: id.as_bytes().to_vec(),
            aggregate_id: e.aggregate_id,
            aggregate_version: e.aggregate_version,
            payload: e.payload,
        })
        .collect();
    head.payload = prost::Message::encode_to_vec(&Pack { events });
    let mut model = row(id, head, created_at);
    model.packed = Set(Some(count));
    Some(model)
}

/// A packed row whose payload cannot be read: written by something else than
/// [`append_packed`], or damaged.
#[derive(Debug, thiserror::Error)]
#[error("outbox row {seq} does not hold the {expected} events it announces: {reason}")]
pub struct DamagedPack {
    /// The row.
    pub seq: i64,
    /// The events it announces.
    pub expected: i32,
    /// What is wrong.
    pub reason: String,
}

/// Returns the events of an outbox row, each as a row of its own (a packed row's
/// events share its `seq`, type, organisation, trace and times).
pub fn expand(row: entity::Model) -> Result<Vec<entity::Model>, DamagedPack> {
    let Some(expected) = row.packed else {
        return Ok(vec![row]);
    };
    let damaged = |reason: String| DamagedPack {
        seq: row.seq,
        expected,
        reason,
    };
    let pack: Pack =
        prost::Message::decode(row.payload.as_slice()).map_err(|e| damaged(e.to_string()))?;
    if usize::try_from(expected).ok() != Some(pack.events.len()) {
        return Err(damaged(format!("it holds {}", pack.events.len())));
    }
    pack.events
        .into_iter()
        .map(|e| {
            Ok(entity::Model {
                seq: row.seq,
                id: Uuid::from_slice(&e.id).map_err(|e| damaged(e.to_string()))?,
                event_type: row.event_type.clone(),
                organisation_id: row.organisation_id,
                aggregate_id: e.aggregate_id,
                aggregate_version: e.aggregate_version,
                payload: e.payload,
                traceparent: row.traceparent.clone(),
                created_at: row.created_at,
                sent_at: row.sent_at,
                packed: None,
            })
        })
        .collect()
}
