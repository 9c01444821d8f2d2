//! The `retry_attempts` table: one row per re-presentation.

use sea_orm::entity::prelude::*;

/// A row of `retry_attempts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retry_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub chain_id: Uuid,
    pub attempt_number: i32,
    pub status: String,
    pub scheduled_date: Date,
    pub due_date: Date,
    pub presented_payment_id: Uuid,
    /// The payment made by payments; unique per organisation once set.
    pub new_payment_id: Option<Uuid>,
    pub collection_date: Option<Date>,
    pub reason_code: String,
    pub failure_reason_code: Option<String>,
    pub client_id: Option<Uuid>,
    pub mandate_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub currency_code: String,
    pub amount_minor: i64,
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
