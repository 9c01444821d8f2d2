//! The `payments` table.

use sea_orm::entity::prelude::*;

/// A row of `payments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub instalment_id: Uuid,
    pub schedule_id: Uuid,
    pub contract_id: Uuid,
    pub client_id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub mandate_id: Uuid,
    pub creditor_account_id: Uuid,
    pub previous_payment_id: Option<Uuid>,
    pub attempt_number: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub collection_date: Date,
    pub status: String,
    pub batch_id: Option<Uuid>,
    pub end_to_end_id: String,
    pub sequence_type: Option<String>,
    pub reason_code: Option<String>,
    pub rejection_kind: Option<String>,
    pub rejection_date: Option<Date>,
    pub settlement_date: Option<Date>,
    pub return_deadline: Option<Date>,
    pub refund_date: Option<Date>,
    /// Idempotency key of the SchedulePresentation that made it.
    pub request_id: Option<Uuid>,
    pub amend_original_reference: Option<String>,
    /// Sealed with the mandate's IBANs.
    pub amend_original_iban_sealed: Option<String>,
    pub amend_original_iban_masked: Option<String>,
    pub amend_smnda: bool,
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
