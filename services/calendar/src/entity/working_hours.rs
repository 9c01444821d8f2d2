//! The `working_hours` table: one row per user who set theirs.

use sea_orm::entity::prelude::*;

/// A row of `working_hours`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "working_hours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// Unique per organisation.
    pub user_id: Uuid,
    /// IANA name.
    pub time_zone: String,
    pub calendar: String,
    /// JSON array of periods `{"d": day, "s": start, "e": end}` in minutes.
    pub periods: String,
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
