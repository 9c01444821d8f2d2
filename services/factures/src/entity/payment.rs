//! The `invoice_payments` table: each payment recorded against an invoice, once.

use sea_orm::entity::prelude::*;

/// A row of `invoice_payments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// The payment's id in the payments service (or the caller's).
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_id: Uuid,
    pub invoice_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub paid_date: Date,
    /// How much of it was returned or refunded since.
    pub reversed: i64,
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
