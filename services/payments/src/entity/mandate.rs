//! The `mandates` table.

use sea_orm::entity::prelude::*;

/// A row of `mandates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mandates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub creditor_account_id: Uuid,
    /// ICS of the creditor account at creation.
    pub creditor_id: String,
    pub reference: String,
    pub client_id: Uuid,
    pub debtor_name: String,
    /// The IBAN sealed with AES-256-GCM; never in clear.
    pub iban_sealed: String,
    pub iban_masked: String,
    pub bic: Option<String>,
    pub signature_date: Option<Date>,
    pub kind: String,
    pub scheme: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub last_collection_date: Option<Date>,
    pub settled_since_reset: i32,
    /// When the debtor account last changed (creation or IBAN amendment): only
    /// payments made since count in `settled_since_reset`.
    pub account_changed_at: DateTimeUtc,
    pub amend_original_reference: Option<String>,
    /// Sealed like `iban_sealed`.
    pub amend_original_iban_sealed: Option<String>,
    pub amend_original_iban_masked: Option<String>,
    pub amend_smnda: bool,
    pub amended_at: Option<DateTimeUtc>,
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
