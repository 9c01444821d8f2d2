//! The `commission_entries` table.

use sea_orm::entity::prelude::*;

/// A row of `commission_entries`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// Deterministic key (source event, kind, beneficiary); unique per organisation.
    pub entry_key: String,
    pub commercial_id: Uuid,
    pub source: String,
    pub kind: String,
    pub contract_id: Uuid,
    pub payment_id: Option<Uuid>,
    pub currency: String,
    pub base_amount: i64,
    pub rate_bps: i32,
    pub amount: i64,
    /// "YYYY-MM".
    pub period: String,
    pub status: String,
    pub event_date: Date,
    pub trigger_type: String,
    pub trigger_event_id: Uuid,
    /// The fact it was derived from.
    pub fact_seq: i64,
    pub source_commercial_id: Option<Uuid>,
    pub override_level: i32,
    pub original_key: Option<String>,
    pub original_entry_id: Option<Uuid>,
    pub parent_key: Option<String>,
    pub parent_entry_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
