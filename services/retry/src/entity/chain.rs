//! The `retry_chains` table: one row per rejected collection.

use sea_orm::entity::prelude::*;

/// A row of `retry_chains`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retry_chains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// The payment whose rejection opened the chain; unique per organisation.
    pub root_payment_id: Uuid,
    pub current_payment_id: Uuid,
    pub instalment_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub mandate_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub currency_code: String,
    pub amount_minor: i64,
    pub state: String,
    pub stop_reason: Option<String>,
    pub presentations: i32,
    pub last_reason_code: String,
    pub first_rejection_date: Date,
    pub last_failure_date: Date,
    pub window_end_date: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
