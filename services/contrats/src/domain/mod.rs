//! The rules of a contract, free of I/O: what a contract holds, which status changes
//! are allowed, the renunciation window, how lines are priced from what the catalogue
//! says, and who may see a contract.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod lifecycle;
pub mod number;
pub mod pricing;
pub mod validate;

/// Where a contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being prepared.
    Draft,
    /// Sent for signature.
    PendingSignature,
    /// Signed and in force.
    Active,
    /// Signed, temporarily not in force.
    Suspended,
    /// Ended after signature.
    Terminated,
    /// Abandoned before signature.
    Cancelled,
}

/// How a contract is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// SEPA direct debit under a mandate.
    Sepa,
    /// Card.
    Card,
    /// Credit transfer.
    Transfer,
}

/// How a contract is sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesChannel {
    /// At the seller's premises.
    OnPremises,
    /// Distance selling (phone, web, mail).
    Distance,
    /// Door-to-door selling.
    DoorToDoor,
}

/// How often a line is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnual,
    /// Every year.
    Annual,
}

/// Whether the client is a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A natural person: a consumer (B2C).
    Person,
    /// A company: a professional (B2B).
    Company,
}

/// Why a contract ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationCause {
    /// The consumer renounced within the cooling-off period.
    Renunciation,
    /// Unpaid premium.
    Unpaid,
    /// The client cancelled.
    ClientCancellation,
    /// The term ended without renewal.
    EndOfTerm,
    /// Anything else.
    Other,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Returns the stored text form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Returns the value of a stored text form.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(Status {
    Draft = "draft",
    PendingSignature = "pending_signature",
    Active = "active",
    Suspended = "suspended",
    Terminated = "terminated",
    Cancelled = "cancelled",
});
text_enum!(PaymentMethod { Sepa = "sepa", Card = "card", Transfer = "transfer" });
text_enum!(SalesChannel {
    OnPremises = "on_premises",
    Distance = "distance",
    DoorToDoor = "door_to_door",
});
text_enum!(ClientKind { Person = "person", Company = "company" });
text_enum!(TerminationCause {
    Renunciation = "renunciation",
    Unpaid = "unpaid",
    ClientCancellation = "client_cancellation",
    EndOfTerm = "end_of_term",
    Other = "other",
});

/// An amount in minor units of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// ISO 4217 code.
    pub currency_code: String,
    /// Amount in minor units.
    pub amount_minor: i64,
}

/// A line as a caller asks for it: a product and a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRequest {
    /// The product.
    pub product_id: Uuid,
    /// Number of units.
    pub quantity: i32,
}

/// A priced line, stored as JSON with its contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The product.
    pub product_id: Uuid,
    /// Number of units.
    pub quantity: i32,
    /// The product's code when priced.
    pub product_code: String,
    /// The product's name when priced.
    pub product_name: String,
    /// Unit price excluding VAT.
    pub unit_price: Money,
    /// Billing frequency; `None` for a one-off product.
    pub billing_frequency: Option<Frequency>,
    /// VAT category, a referentiel key.
    pub vat_category: String,
}

/// The terms of a contract a caller sets (and amendments change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The client.
    pub client_id: Uuid,
    /// The sales agent.
    pub commercial_id: Uuid,
    /// The priced lines.
    pub lines: Vec<Line>,
    /// First day.
    pub start_date: NaiveDate,
    /// Term in months.
    pub term_months: i32,
    /// Tacit renewal at the end of the term.
    pub tacit_renewal: bool,
    /// Day of the month of invoices and collections.
    pub billing_day: i32,
    /// How it is paid.
    pub payment_method: PaymentMethod,
    /// SEPA mandate reference.
    pub mandate_reference: Option<String>,
    /// How it is sold.
    pub sales_channel: SalesChannel,
}

/// The signature of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Date of signature.
    pub date: NaiveDate,
    /// Who signed.
    pub signer_name: String,
    /// The client's kind at signature.
    pub client_kind: ClientKind,
}

/// The current suspension of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// First day.
    pub date: NaiveDate,
    /// Why.
    pub reason: String,
    /// The dunning case that recommended it.
    pub dunning_case_id: Option<Uuid>,
}

/// The end of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Termination {
    /// Last day.
    pub date: NaiveDate,
    /// Cause.
    pub cause: TerminationCause,
    /// The organisation's reason.
    pub reason: String,
}

/// An amendment (avenant), stored as JSON with its contract: amendments are always read
/// and written with their contract, under its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// UUIDv7.
    pub id: Uuid,
    /// 1, 2, 3, ...
    pub sequence: i32,
    /// First day it applies.
    pub effective_date: NaiveDate,
    /// Why.
    pub reason: String,
    /// What it changed.
    pub changed_fields: Vec<String>,
    /// The lines in force from the effective date.
    pub lines: Vec<Line>,
    /// The billing day in force from the effective date.
    pub billing_day: i32,
    /// The payment method in force from the effective date.
    pub payment_method: PaymentMethod,
    /// The mandate reference in force from the effective date.
    pub mandate_reference: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Who recorded it.
    pub created_by: Option<Uuid>,
}

/// A stored contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// Number in the organisation's sequence.
    pub number: String,
    /// The terms.
    pub terms: Terms,
    /// The status.
    pub status: Status,
    /// Set once signed.
    pub signature: Option<Signature>,
    /// Set while suspended.
    pub suspension: Option<Suspension>,
    /// Set once terminated.
    pub termination: Option<Termination>,
    /// Set once cancelled.
    pub cancellation_reason: Option<String>,
    /// Amendments, oldest first.
    pub amendments: Vec<Amendment>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

/// Which contracts a caller may see and act on: agents their own, managers their
/// team's, everyone else the whole organisation.
pub use crm_kit::team::Scope as Visibility;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for s in [
            Status::Draft,
            Status::PendingSignature,
            Status::Active,
            Status::Suspended,
            Status::Terminated,
            Status::Cancelled,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for c in [
            TerminationCause::Renunciation,
            TerminationCause::Unpaid,
            TerminationCause::ClientCancellation,
            TerminationCause::EndOfTerm,
            TerminationCause::Other,
        ] {
            assert_eq!(TerminationCause::parse(c.as_str()), Some(c));
        }
        assert_eq!(
            SalesChannel::parse("door_to_door"),
            Some(SalesChannel::DoorToDoor)
        );
        assert_eq!(PaymentMethod::parse("cheque"), None);
    }
}
