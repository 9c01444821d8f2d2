//! The `instalments` table.

use sea_orm::entity::prelude::*;

/// A row of `instalments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instalments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub schedule_id: Uuid,
    pub contract_id: Uuid,
    pub sequence: i32,
    pub due_date: Date,
    pub period_start: Date,
    pub period_end: Date,
    pub amount_minor: i64,
    pub currency: String,
    pub amount_final: bool,
    pub last_of_contract: bool,
    pub invoice_id: Option<Uuid>,
    pub invoice_number: Option<String>,
    pub status: String,
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
