//! The `clients` table.

use sea_orm::entity::prelude::*;

/// A row of `clients`. Serialize: imports send rows to PostgreSQL as JSON, keyed by
/// column name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub kind: String,
    pub civility: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub email: Option<String>,
    /// Lowercase e-mail, unique per organisation among clients not archived.
    pub email_key: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<Date>,
    /// JSON of the postal address.
    pub postal_address: Option<String>,
    /// JSON of the billing address.
    pub billing_address: Option<String>,
    pub status: String,
    pub previous_status: Option<String>,
    pub commercial_id: Option<Uuid>,
    /// JSON array of lowercase tags, searched with LIKE on `"tag"`.
    pub tags: String,
    pub source: String,
    /// JSON object of custom fields.
    pub custom_fields: String,
    /// Lowercase names and e-mail for text search.
    pub search_text: String,
    pub request_id: Option<Uuid>,
    /// Normalised "first last" name of a person, matched by FindDuplicates.
    pub name_key: Option<String>,
    /// The client this one was merged into.
    pub merged_into_id: Option<Uuid>,
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
