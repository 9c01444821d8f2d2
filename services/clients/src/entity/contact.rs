//! The `contacts` table: people to talk to at company clients.

use sea_orm::entity::prelude::*;

/// A row of `contacts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub client_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// At most one per client (a partial unique index).
    pub is_primary: bool,
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
