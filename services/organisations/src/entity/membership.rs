//! The `memberships` table: who belongs to which organisation, with which role.

use sea_orm::entity::prelude::*;

/// A row of `memberships`; (organisation_id, user_id) is unique.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    /// UUIDv7: orders members by joining time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub user_id: Uuid,
    /// `crm_kit::Role` as text.
    pub role: String,
    pub commercial_id: Option<Uuid>,
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
