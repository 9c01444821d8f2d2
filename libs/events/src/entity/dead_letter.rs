//! The `dead_letters` table: events a consumer gave up on, kept for inspection and replay.

use sea_orm::entity::prelude::*;

/// A row of `dead_letters`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dead_letters")]
pub struct Model {
    /// UUIDv7 of the dead letter.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The durable consumer that failed.
    pub consumer: String,
    /// The event id.
    pub event_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The organisation of the event.
    pub organisation_id: Uuid,
    /// The protobuf-encoded event.
    pub payload: Vec<u8>,
    /// The last error.
    pub error: String,
    /// Deliveries made.
    pub attempts: i64,
    /// When it was given up.
    pub created_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Bookkeeping of the consumer, not data of a tenant.
impl crm_db::Global for Entity {}
