//! The `commission_periods` table: per organisation, the last month closed. Every
//! change to entries first takes this row's lock, so closing a month and recording an
//! event into it never interleave.

use sea_orm::entity::prelude::*;

/// A row of `commission_periods`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_periods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// The last month closed ("YYYY-MM"); months up to it are closed, later ones open.
    pub closed_through: Option<String>,
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
