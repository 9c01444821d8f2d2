//! The `outbox` table every publishing service has in its own database.

use sea_orm::entity::prelude::*;

/// A row of `outbox`: one event waiting to be published, or published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Insertion order; the relay publishes by increasing `seq`. Rows about one aggregate
    /// are written under that aggregate's row lock, so their `seq` order is their commit
    /// order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The event id (UUIDv7): CloudEvents `ce-id` and `Nats-Msg-Id`.
    pub id: Uuid,
    /// The event type, for example "client.created".
    pub event_type: String,
    /// The organisation the event belongs to.
    pub organisation_id: Uuid,
    /// The aggregate the event is about.
    pub aggregate_id: String,
    /// The aggregate's version after the change.
    pub aggregate_version: i64,
    /// The protobuf-encoded event message.
    pub payload: Vec<u8>,
    /// The W3C trace context of the request that caused the event.
    pub traceparent: Option<String>,
    /// When the event was written.
    pub created_at: DateTimeUtc,
    /// When the broker acknowledged it; `None` while it waits.
    pub sent_at: Option<DateTimeUtc>,
    /// `None` for a row holding one event. `Some(n)`: the row packs `n` events of one
    /// type, organisation and trace written together (see
    /// [`append_packed`](crate::outbox::append_packed)); `id`, `aggregate_id` and
    /// `aggregate_version` are the first one's and `payload` encodes them all. The
    /// relay publishes them one by one, as if each had its row.
    pub packed: Option<i32>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// The outbox is the service's own queue, not data of a tenant: each row names its
// organisation, and the relay reads them all.
impl crm_db::Global for Entity {}
