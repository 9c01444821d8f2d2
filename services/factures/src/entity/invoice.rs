//! The `invoices` table: invoices and credit notes, drafts included.

use sea_orm::entity::prelude::*;

/// A row of `invoices`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// "invoice" or "credit_note".
    pub kind: String,
    pub status: String,
    /// Unique per organisation; `None` on a draft.
    pub number: Option<String>,
    pub client_id: Uuid,
    pub client_commercial_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub currency: String,
    /// JSON array of the lines.
    pub lines: String,
    pub service_period_start: Option<Date>,
    pub service_period_end: Option<Date>,
    /// Unique per organisation and contract: the month a billing run billed.
    pub billing_period_start: Option<Date>,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub payment_terms_days: Option<i32>,
    /// JSON of the seller, from issue.
    pub seller: Option<String>,
    /// JSON of the buyer, from issue.
    pub buyer: Option<String>,
    /// "person" or "company", from issue.
    pub client_kind: Option<String>,
    /// JSON array of the VAT subtotals, from issue.
    pub vat: Option<String>,
    pub total_excl_vat: i64,
    pub total_vat: Option<i64>,
    pub total_incl_vat: Option<i64>,
    pub amount_paid: i64,
    pub amount_credited: i64,
    /// JSON array of what credit notes credited per category.
    pub credited: String,
    pub late_penalty_rate_bps: Option<i32>,
    /// JSON of the legal mentions, from issue.
    pub mentions: Option<String>,
    pub credited_invoice_id: Option<Uuid>,
    pub credited_invoice_number: Option<String>,
    pub credit_reason: Option<String>,
    pub overdue_at: Option<DateTimeUtc>,
    pub paid_date: Option<Date>,
    pub write_off_reason: Option<String>,
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
