//! The `schedules` table.

use sea_orm::entity::prelude::*;

/// A row of `schedules`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub contract_id: Uuid,
    pub contract_number: String,
    pub client_id: Uuid,
    pub mandate_id: Uuid,
    /// Day the debtor was pre-notified.
    pub notified_on: Date,
    pub request_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
