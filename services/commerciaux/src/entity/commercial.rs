//! The `commerciaux` table.

use sea_orm::entity::prelude::*;

/// A row of `commerciaux`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commerciaux")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub code: String,
    /// Lowercase code, unique per organisation.
    pub code_key: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Unique per organisation when set.
    pub user_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub team: String,
    pub status: String,
    pub commission_plan_id: Option<Uuid>,
    pub hire_date: Option<Date>,
    /// Lowercase code, names and e-mail for text search.
    pub search_text: String,
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
