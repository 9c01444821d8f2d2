//! The `processed_events` table: which consumer applied which event.

use sea_orm::entity::prelude::*;

/// A row of `processed_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_events")]
pub struct Model {
    /// The durable consumer, `<service>-<subscription>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer: String,
    /// The event id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    /// When it was applied.
    pub processed_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Bookkeeping of the consumer, not data of a tenant.
impl crm_db::Global for Entity {}
