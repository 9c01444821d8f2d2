//! The resources of the payments service as the domain sees them.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{
    BatchStatus, InstalmentStatus, MandateKind, MandateStatus, PainVersion, PaymentStatus,
    RejectionKind, Scheme,
};

/// An account the organisation collects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorAccount {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// Creditor name (SEPA characters).
    pub name: String,
    /// ICS.
    pub creditor_id: String,
    /// IBAN credited.
    pub iban: String,
    /// BIC, when given.
    pub bic: Option<String>,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

/// The amendment a mandate's next collection carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PendingAmendment {
    /// The reference before, when it changed.
    pub original_reference: Option<String>,
    /// The IBAN before (sealed), when it changed at the same bank.
    pub original_iban_sealed: Option<String>,
    /// The IBAN before, masked, when it changed.
    pub original_iban_masked: Option<String>,
    /// True when the account moved to another bank (SMNDA).
    pub same_mandate_new_account: bool,
    /// When it was amended.
    pub amended_at: Option<DateTime<Utc>>,
}

impl PendingAmendment {
    /// Returns whether it carries anything.
    pub fn is_empty(&self) -> bool {
        self.original_reference.is_none()
            && self.original_iban_masked.is_none()
            && !self.same_mandate_new_account
    }
}

/// A SEPA mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// The creditor account it authorises.
    pub creditor_account_id: Uuid,
    /// That account's ICS at creation, the scope of the reference's uniqueness.
    pub creditor_id: String,
    /// UMR.
    pub reference: String,
    /// The client.
    pub client_id: Uuid,
    /// Debtor name.
    pub debtor_name: String,
    /// Debtor IBAN, sealed.
    pub iban_sealed: String,
    /// Debtor IBAN, masked.
    pub iban_masked: String,
    /// BIC.
    pub bic: Option<String>,
    /// Signature date.
    pub signature_date: Option<NaiveDate>,
    /// Kind.
    pub kind: MandateKind,
    /// Scheme.
    pub scheme: Scheme,
    /// Status.
    pub status: MandateStatus,
    /// Reason code of a failure.
    pub status_reason: Option<String>,
    /// Collection date of the last submitted collection.
    pub last_collection_date: Option<NaiveDate>,
    /// Collections settled since the first one or the last account change (FRST until
    /// one has).
    pub settled_since_reset: i32,
    /// When the debtor account last changed: only payments made since count in
    /// `settled_since_reset`.
    pub account_changed_at: DateTime<Utc>,
    /// The amendment the next collection carries.
    pub amendment: PendingAmendment,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// A schedule of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// Contract.
    pub contract_id: Uuid,
    /// Contract number.
    pub contract_number: String,
    /// Client.
    pub client_id: Uuid,
    /// Mandate.
    pub mandate_id: Uuid,
    /// Day the debtor was pre-notified.
    pub notified_on: NaiveDate,
    /// Creation.
    pub created_at: DateTime<Utc>,
}

/// An instalment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// Id.
    pub id: Uuid,
    /// Schedule.
    pub schedule_id: Uuid,
    /// Position, from 1.
    pub sequence: i32,
    /// Due date.
    pub due_date: NaiveDate,
    /// Period paid for.
    pub period_start: NaiveDate,
    /// Last day of that period.
    pub period_end: NaiveDate,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// False while the amount waits for the invoice.
    pub amount_final: bool,
    /// Whether it is the contract's last collection (FNAL).
    pub last_of_contract: bool,
    /// Attached invoice.
    pub invoice_id: Option<Uuid>,
    /// Its number.
    pub invoice_number: Option<String>,
    /// Status.
    pub status: InstalmentStatus,
}

/// A schedule with its instalments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleView {
    /// The schedule.
    pub schedule: Schedule,
    /// Its instalments by due date.
    pub instalments: Vec<Instalment>,
}

/// A payment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// The instalment.
    pub instalment_id: Uuid,
    /// Its schedule.
    pub schedule_id: Uuid,
    /// The contract.
    pub contract_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The invoice, when attached.
    pub invoice_id: Option<Uuid>,
    /// The mandate.
    pub mandate_id: Uuid,
    /// The creditor account.
    pub creditor_account_id: Uuid,
    /// The payment presented again.
    pub previous_payment_id: Option<Uuid>,
    /// Attempt number from 1.
    pub attempt_number: i32,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Requested collection date.
    pub collection_date: NaiveDate,
    /// Status.
    pub status: PaymentStatus,
    /// Batch.
    pub batch_id: Option<Uuid>,
    /// EndToEndId.
    pub end_to_end_id: String,
    /// Sequence type, once batched.
    pub sequence_type: Option<crm_sepa::SequenceType>,
    /// Reason code of a reject, return or refund.
    pub reason_code: Option<String>,
    /// Reject or return.
    pub rejection_kind: Option<RejectionKind>,
    /// Date of the reject or return.
    pub rejection_date: Option<NaiveDate>,
    /// Settlement date.
    pub settlement_date: Option<NaiveDate>,
    /// Return deadline.
    pub return_deadline: Option<NaiveDate>,
    /// Refund date.
    pub refund_date: Option<NaiveDate>,
    /// Idempotency key of the SchedulePresentation that made it.
    pub request_id: Option<Uuid>,
    /// The amendment its collection carries (snapshot taken when batched).
    pub amendment: PendingAmendment,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// A batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// Creditor account.
    pub creditor_account_id: Uuid,
    /// Collection date.
    pub collection_date: NaiveDate,
    /// Status.
    pub status: BatchStatus,
    /// MsgId.
    pub message_id: String,
    /// Payments in it.
    pub transactions: i32,
    /// Sum of their amounts.
    pub control_sum_minor: i64,
    /// Currency.
    pub currency: String,
    /// Version of the exported file.
    pub version: Option<PainVersion>,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Preparation.
    pub created_at: DateTime<Utc>,
    /// Export.
    pub exported_at: Option<DateTime<Utc>>,
}
