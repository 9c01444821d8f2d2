//! The rules of the retry service, free of I/O: the policy and its validation
//! ([`policy`]), the dates of attempts ([`dates`]), the decision after a rejection
//! ([`decide`]) and the states of chains and attempts ([`state`]).

pub mod dates;
pub mod decide;
pub mod policy;
pub mod state;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use decide::{Decision, History, Rejection, decide};
pub use policy::{Policy, ReasonClass, ReasonFacts, RetryableCode, StoredPolicy};
pub use state::{AttemptStatus, ChainState, StopReason};

/// An amount in minor units of a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// ISO 4217 code.
    pub currency_code: String,
    /// Amount in minor units.
    pub amount_minor: i64,
}

/// A collection and its re-presentations.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// UUIDv7.
    pub id: Uuid,
    /// The organisation.
    pub organisation_id: Uuid,
    /// The payment whose rejection opened it.
    pub root_payment_id: Uuid,
    /// The latest payment: the last one rejected, or the one in flight.
    pub current_payment_id: Uuid,
    /// The instalment, if any.
    pub instalment_id: Option<Uuid>,
    /// The invoice, if any.
    pub invoice_id: Option<Uuid>,
    /// The mandate, if known.
    pub mandate_id: Option<Uuid>,
    /// The client, if known.
    pub client_id: Option<Uuid>,
    /// The contract, if any.
    pub contract_id: Option<Uuid>,
    /// Amount to collect.
    pub amount: Money,
    /// Where it stands.
    pub state: ChainState,
    /// Why it stopped.
    pub stop_reason: Option<StopReason>,
    /// Presentations made, the first included.
    pub presentations: u32,
    /// Reason code of the last rejection.
    pub last_reason_code: String,
    /// Day of the first rejection.
    pub first_rejection_date: NaiveDate,
    /// Day of the last rejection.
    pub last_failure_date: NaiveDate,
    /// Last day an attempt may be collected on.
    pub window_end_date: NaiveDate,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Incremented by each change.
    pub version: i64,
}

/// One re-presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// UUIDv7; also the request id of its SchedulePresentation call.
    pub id: Uuid,
    /// The organisation.
    pub organisation_id: Uuid,
    /// The chain.
    pub chain_id: Uuid,
    /// Presentation number of the new payment.
    pub attempt_number: u32,
    /// Where it stands.
    pub status: AttemptStatus,
    /// Collection date planned.
    pub scheduled_date: NaiveDate,
    /// Day RunDue hands it to payments.
    pub due_date: NaiveDate,
    /// The rejected payment it presents again.
    pub presented_payment_id: Uuid,
    /// The payment payments made for it.
    pub new_payment_id: Option<Uuid>,
    /// Collection date given to payments.
    pub collection_date: Option<NaiveDate>,
    /// Reason code of the failure that caused it.
    pub reason_code: String,
    /// Reason code of its own rejection.
    pub failure_reason_code: Option<String>,
    /// The client, if known.
    pub client_id: Option<Uuid>,
    /// The mandate, if known.
    pub mandate_id: Option<Uuid>,
    /// The invoice, if any.
    pub invoice_id: Option<Uuid>,
    /// Amount to collect.
    pub amount: Money,
    /// When it was scheduled.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A chain with its attempts, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainView {
    /// The chain.
    pub chain: Chain,
    /// Its attempts.
    pub attempts: Vec<Attempt>,
}
