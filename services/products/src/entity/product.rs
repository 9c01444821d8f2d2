//! The `products` table.

use sea_orm::entity::prelude::*;

/// A row of `products`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// The code as given.
    pub code: String,
    /// Lowercase code, unique per organisation.
    pub code_key: String,
    pub name: String,
    pub description: String,
    pub category: String,
    /// Lowercase category, for the category filter.
    pub category_key: String,
    pub kind: String,
    pub billing_frequency: Option<String>,
    pub vat_category: String,
    pub status: String,
    pub currency_code: String,
    /// Lowercase code and name for text search.
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
