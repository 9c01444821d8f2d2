//! The facts the service stores as events arrive, and the entries derived from them
//! before they are written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::terms::{Manager, Terms};
use super::{Cause, Kind, Source};

/// What an event told the service, stored as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactBody {
    /// contract.signed, with the terms fixed at signature.
    Signed(Terms),
    /// payment.received.
    Received {
        /// Amount collected (minor units, positive).
        amount: i64,
        /// Its currency.
        currency: String,
        /// Last day of the SEPA return window; the payment is final after it.
        return_deadline: Option<NaiveDate>,
        /// Managers above the seller when the payment arrived; `None` when the contract
        /// was not known yet (the signature's upline then applies).
        upline: Option<Vec<Manager>>,
    },
    /// payment.refunded, or payment.rejected after settlement (a return).
    Refunded {
        /// Amount paid back (minor units, positive).
        amount: i64,
        /// Its currency.
        currency: String,
    },
    /// contract.terminated.
    Terminated {
        /// Why it ended.
        cause: Cause,
    },
}

/// A stored fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Arrival order within the service.
    pub seq: i64,
    /// The event.
    pub event_id: Uuid,
    /// Its type, for example "payment.received".
    pub event_type: String,
    /// The contract.
    pub contract_id: Uuid,
    /// The payment, for payment events.
    pub payment_id: Option<Uuid>,
    /// The business date of the event.
    pub event_date: NaiveDate,
    /// What it said.
    pub body: FactBody,
}

/// An entry as the facts give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The fact it comes from.
    pub fact_seq: i64,
    /// Unique per organisation: the same facts always give the same keys.
    pub key: String,
    /// The beneficiary.
    pub commercial_id: Uuid,
    /// The kind.
    pub kind: Kind,
    /// Contract or payment.
    pub source: Source,
    /// The contract.
    pub contract_id: Uuid,
    /// The payment, for payment sources.
    pub payment_id: Option<Uuid>,
    /// The currency.
    pub currency: String,
    /// The base of the computation.
    pub base: i64,
    /// The rate shown, in basis points.
    pub rate_bps: i32,
    /// The amount (negative for a clawback).
    pub amount: i64,
    /// The event's date.
    pub event_date: NaiveDate,
    /// The event's type.
    pub trigger: String,
    /// The event's id.
    pub trigger_event_id: Uuid,
    /// For overrides (and their clawbacks), the subordinate.
    pub source_commercial_id: Option<Uuid>,
    /// For overrides (and their clawbacks), the level.
    pub override_level: i32,
    /// For clawbacks, the key of the entry clawed back.
    pub original_key: Option<String>,
    /// For overrides, the key of the subordinate's entry.
    pub parent_key: Option<String>,
}
