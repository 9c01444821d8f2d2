//! The `payment_settings` table.

use sea_orm::entity::prelude::*;

/// A row of `payment_settings`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_settings")]
pub struct Model {
    /// One row per organisation, created on the first update.
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    pub submission_lead_days: i32,
    pub prenotification_days: i32,
    pub version: i64,
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
