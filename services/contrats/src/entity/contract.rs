//! The `contracts` table.

use sea_orm::entity::prelude::*;

/// A row of `contracts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// Unique per organisation.
    pub number: String,
    pub client_id: Uuid,
    pub commercial_id: Uuid,
    /// JSON array of the priced lines.
    pub lines: String,
    pub start_date: Date,
    pub term_months: i32,
    pub tacit_renewal: bool,
    pub billing_day: i32,
    pub payment_method: String,
    pub mandate_reference: Option<String>,
    pub sales_channel: String,
    pub status: String,
    pub signature_date: Option<Date>,
    pub signer_name: Option<String>,
    pub client_kind: Option<String>,
    pub suspension_date: Option<Date>,
    pub suspension_reason: Option<String>,
    pub dunning_case_id: Option<Uuid>,
    pub termination_date: Option<Date>,
    pub termination_cause: Option<String>,
    pub termination_reason: Option<String>,
    pub cancellation_reason: Option<String>,
    /// JSON array of the amendments, oldest first.
    pub amendments: String,
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
