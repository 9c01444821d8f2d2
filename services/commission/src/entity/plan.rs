//! The `commission_plans` table.

use sea_orm::entity::prelude::*;

/// A row of `commission_plans`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    /// The name trimmed and lowercased: unique per organisation.
    pub name_key: String,
    pub description: String,
    /// At most one default plan per organisation (partial unique index).
    pub is_default: bool,
    pub status: String,
    /// JSON array of the rules.
    pub rules: String,
    pub request_id: Option<Uuid>,
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
