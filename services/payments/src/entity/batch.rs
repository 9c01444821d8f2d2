//! The `batches` table.

use sea_orm::entity::prelude::*;

/// A row of `batches`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub creditor_account_id: Uuid,
    pub collection_date: Date,
    pub status: String,
    pub message_id: String,
    pub transactions: i32,
    pub control_sum_minor: i64,
    pub currency: String,
    /// pain.008 version of the exported file.
    pub pain_version: Option<String>,
    pub sha256: Option<String>,
    /// The exported file as written before migration 4 (see `file_lz4`).
    pub xml: Option<String>,
    pub created_at: DateTimeUtc,
    pub exported_at: Option<DateTimeUtc>,
    /// The exported file, LZ4-compressed with its length first, kept so a second export
    /// returns the same bytes.
    pub file_lz4: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
