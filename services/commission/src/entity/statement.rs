//! The `commission_statements` table: closed statements, immutable but for payment.

use sea_orm::entity::prelude::*;

/// A row of `commission_statements`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub commercial_id: Uuid,
    /// "YYYY-MM".
    pub period: String,
    pub currency: String,
    pub opening_balance: i64,
    pub earned: i64,
    pub clawbacks: i64,
    pub closing_balance: i64,
    pub payable: i64,
    pub entry_count: i64,
    /// "closed" or "paid".
    pub status: String,
    pub closed_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
