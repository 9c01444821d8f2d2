//! The ledger consumer: contract.signed, payment.received, payment.refunded,
//! payment.rejected (returns after settlement) and contract.terminated become facts,
//! and each fact settles its contract's entries. Everything is written through the
//! handler's transaction, with the record that the event was processed; the facts are
//! also unique per event and the entries per key, so a redelivered event changes
//! nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use crm_db::Tenant;
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::DatabaseTransaction;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::Cause;
use crate::domain::derive::FactBody;
use crate::domain::terms::{self, Frequency, Line};
use crate::error::Error;
use crate::remote::Remote;
use crate::repo::ledger::{self, NewFact};
use crate::repo::plans;

/// contract.signed.
pub const CONTRACT_SIGNED: &str = "contract.signed";
/// contract.terminated.
pub const CONTRACT_TERMINATED: &str = "contract.terminated";
/// payment.received.
pub const PAYMENT_RECEIVED: &str = "payment.received";
/// payment.refunded.
pub const PAYMENT_REFUNDED: &str = "payment.refunded";
/// payment.rejected.
pub const PAYMENT_REJECTED: &str = "payment.rejected";

/// Returns the subscription of the ledger consumer: one durable consumer for every
/// type, so a contract's events arrive in the order they were published.
pub fn subscription() -> Subscription {
    Subscription {
        service: crate::SPEC.name.to_owned(),
        name: "ledger".to_owned(),
        event_types: [
            CONTRACT_SIGNED,
            CONTRACT_TERMINATED,
            PAYMENT_RECEIVED,
            PAYMENT_REFUNDED,
            PAYMENT_REJECTED,
        ]
        .map(str::to_owned)
        .to_vec(),
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Applies the events the commissions depend on.
#[derive(Debug, Clone)]
pub struct Ledger {
    remote: Remote,
    relay: Arc<Notify>,
}

fn bad(event: &Delivered, what: &str) -> HandlerError {
    HandlerError(format!("{} {}: {what}", event.event_type, event.id))
}

fn failed(e: Error) -> HandlerError {
    HandlerError(e.to_string())
}

fn id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim()).ok()
}

fn date(d: Option<&common::Date>) -> Option<NaiveDate> {
    let d = d?;
    NaiveDate::from_ymd_opt(
        d.year,
        u32::try_from(d.month).ok()?,
        u32::try_from(d.day).ok()?,
    )
}

/// Returns the date the event happened on by its header, for events missing their own.
fn meta_date(meta: Option<&ev::EventMeta>) -> Option<NaiveDate> {
    let t = meta?.occur_time.as_ref()?;
    chrono::DateTime::from_timestamp(t.seconds, 0).map(|t| t.date_naive())
}

fn frequency(value: i32) -> Frequency {
    match ev::BillingFrequency::try_from(value) {
        Ok(ev::BillingFrequency::Monthly) => Frequency::Monthly,
        Ok(ev::BillingFrequency::Quarterly) => Frequency::Quarterly,
        Ok(ev::BillingFrequency::SemiAnnual) => Frequency::SemiAnnual,
        Ok(ev::BillingFrequency::Annual) => Frequency::Annual,
        Ok(ev::BillingFrequency::Unspecified) | Err(_) => Frequency::Once,
    }
}

fn cause(value: i32) -> Cause {
    match ev::TerminationCause::try_from(value) {
        Ok(ev::TerminationCause::Renunciation) => Cause::Renunciation,
        Ok(ev::TerminationCause::EndOfTerm) => Cause::EndOfTerm,
        Ok(
            ev::TerminationCause::Unpaid
            | ev::TerminationCause::ClientCancellation
            | ev::TerminationCause::Other
            | ev::TerminationCause::Unspecified,
        )
        | Err(_) => Cause::Lapse,
    }
}

impl Ledger {
    /// Returns the consumer, reading commerciaux and products through `remote` and
    /// waking `relay` when it wrote events.
    pub fn new(remote: Remote, relay: Arc<Notify>) -> Self {
        Self { remote, relay }
    }

    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        event: &Delivered,
    ) -> Result<(), HandlerError> {
        let tenant = Tenant::new(event.organisation_id);
        if ledger::has_fact(txn, tenant, event.id)
            .await
            .map_err(failed)?
        {
            return Ok(());
        }
        let fact = match event.event_type.as_str() {
            CONTRACT_SIGNED => self.signed(txn, tenant, event).await?,
            PAYMENT_RECEIVED => self.received(txn, tenant, event).await?,
            PAYMENT_REFUNDED => refunded(event)?,
            PAYMENT_REJECTED => returned(event)?,
            CONTRACT_TERMINATED => terminated(event)?,
            // The in-process bus may hand over other types.
            _ => None,
        };
        let Some(fact) = fact else { return Ok(()) };
        let settled = ledger::record(txn, tenant, fact, event.traceparent.as_deref())
            .await
            .map_err(failed)?;
        if settled.created > 0 {
            tracing::info!(event_id = %event.id, created = settled.created, "commission entries recorded");
            self.relay.notify_one();
        }
        Ok(())
    }

    /// contract.signed: the terms under the seller's plan (or the default plan), with
    /// the managers above them at signature.
    async fn signed(
        &self,
        txn: &DatabaseTransaction,
        tenant: Tenant,
        event: &Delivered,
    ) -> Result<Option<NewFact>, HandlerError> {
        let m = ev::ContractSigned::decode(event.payload.clone())
            .map_err(|e| bad(event, &e.to_string()))?;
        let contract = id(&m.contract_id).ok_or_else(|| bad(event, "no contract id"))?;
        let seller = id(&m.commercial_id).ok_or_else(|| bad(event, "no commercial id"))?;
        if ledger::contract_terms(txn, tenant, contract)
            .await
            .map_err(failed)?
            .is_some()
        {
            // A second signature of the same contract: the first one's terms stand.
            return Ok(None);
        }
        let start = date(m.start_date.as_ref()).ok_or_else(|| bad(event, "no start date"))?;
        let signed_on = date(m.signature_date.as_ref()).unwrap_or(start);
        let mut lines = Vec::with_capacity(m.lines.len());
        for l in &m.lines {
            let product =
                id(&l.product_id).ok_or_else(|| bad(event, "a line without a product"))?;
            let price = l
                .unit_price
                .as_ref()
                .ok_or_else(|| bad(event, "a line without a price"))?;
            lines.push(Line {
                product_id: product,
                quantity: i64::from(l.quantity),
                unit_price: price.amount_minor,
                currency: price.currency_code.clone(),
                frequency: frequency(l.billing_frequency),
            });
        }
        let org = event.organisation_id;
        let found = self
            .remote
            .seller(org, seller)
            .await
            .map_err(|e| failed(e.into()))?;
        if found.is_none() {
            tracing::warn!(commercial_id = %seller, "commerciaux does not know the seller; default plan, no overrides");
        }
        let found = found.unwrap_or_default();
        let plan = plans::applicable(txn, tenant, found.plan_id)
            .await
            .map_err(|e| failed(e.into()))?;
        let categories = match &plan {
            Some(p) => {
                let ids = terms::products_needing_category(&lines, &p.data);
                if ids.is_empty() {
                    HashMap::new()
                } else {
                    self.remote
                        .categories(org, &ids)
                        .await
                        .map_err(|e| failed(e.into()))?
                }
            }
            None => HashMap::new(),
        };
        let terms = terms::terms(
            seller,
            start,
            &lines,
            plan.as_ref().map(|p| (p.id, &p.data)),
            &categories,
            found.upline,
        )
        .map_err(|e| failed(e.into()))?;
        Ok(Some(NewFact {
            event_id: event.id,
            event_type: CONTRACT_SIGNED.to_owned(),
            contract_id: contract,
            payment_id: None,
            event_date: signed_on,
            body: FactBody::Signed(terms),
        }))
    }

    /// payment.received: the amount, and the managers above the seller now (none needed
    /// when the contract's terms carry no override).
    async fn received(
        &self,
        txn: &DatabaseTransaction,
        tenant: Tenant,
        event: &Delivered,
    ) -> Result<Option<NewFact>, HandlerError> {
        let m = ev::PaymentReceived::decode(event.payload.clone())
            .map_err(|e| bad(event, &e.to_string()))?;
        let Some(contract) = id(&m.contract_id) else {
            return Ok(None);
        };
        let Some(amount) = m.amount.as_ref().filter(|a| a.amount_minor > 0) else {
            return Ok(None);
        };
        let settled_on = date(m.settlement_date.as_ref())
            .or_else(|| meta_date(m.meta.as_ref()))
            .ok_or_else(|| bad(event, "no settlement date"))?;
        let upline = match ledger::contract_terms(txn, tenant, contract)
            .await
            .map_err(failed)?
        {
            None => None,
            Some(t) if t.parts.iter().all(|p| p.rule.overrides.is_empty()) => Some(Vec::new()),
            Some(t) => Some(
                self.remote
                    .seller(event.organisation_id, t.commercial_id)
                    .await
                    .map_err(|e| failed(e.into()))?
                    .map_or(t.upline, |s| s.upline),
            ),
        };
        Ok(Some(NewFact {
            event_id: event.id,
            event_type: PAYMENT_RECEIVED.to_owned(),
            contract_id: contract,
            payment_id: id(&m.payment_id),
            event_date: settled_on,
            body: FactBody::Received {
                amount: amount.amount_minor,
                currency: amount.currency_code.clone(),
                return_deadline: date(m.return_deadline.as_ref()),
                upline,
            },
        }))
    }
}

fn refund_fact(
    event: &Delivered,
    contract: &str,
    payment: &str,
    amount: Option<&common::Money>,
    on: Option<NaiveDate>,
) -> Result<Option<NewFact>, HandlerError> {
    let Some(contract) = id(contract) else {
        return Ok(None);
    };
    let Some(amount) = amount.filter(|a| a.amount_minor > 0) else {
        return Ok(None);
    };
    let on = on.ok_or_else(|| bad(event, "no date"))?;
    Ok(Some(NewFact {
        event_id: event.id,
        event_type: event.event_type.clone(),
        contract_id: contract,
        payment_id: id(payment),
        event_date: on,
        body: FactBody::Refunded {
            amount: amount.amount_minor,
            currency: amount.currency_code.clone(),
        },
    }))
}

/// payment.refunded: a premium paid back (MD06, MD01 or by the organisation).
fn refunded(event: &Delivered) -> Result<Option<NewFact>, HandlerError> {
    let m = ev::PaymentRefunded::decode(event.payload.clone())
        .map_err(|e| bad(event, &e.to_string()))?;
    let on = date(m.refund_date.as_ref()).or_else(|| meta_date(m.meta.as_ref()));
    refund_fact(event, &m.contract_id, &m.payment_id, m.amount.as_ref(), on)
}

/// payment.rejected: only a return after settlement takes back a premium that was
/// received; a rejection before settlement never was.
fn returned(event: &Delivered) -> Result<Option<NewFact>, HandlerError> {
    let m = ev::PaymentRejected::decode(event.payload.clone())
        .map_err(|e| bad(event, &e.to_string()))?;
    if m.kind != ev::RejectionKind::Return as i32 {
        return Ok(None);
    }
    let on = date(m.rejection_date.as_ref()).or_else(|| meta_date(m.meta.as_ref()));
    refund_fact(event, &m.contract_id, &m.payment_id, m.amount.as_ref(), on)
}

/// contract.terminated: the cause and the last day.
fn terminated(event: &Delivered) -> Result<Option<NewFact>, HandlerError> {
    let m = ev::ContractTerminated::decode(event.payload.clone())
        .map_err(|e| bad(event, &e.to_string()))?;
    let contract = id(&m.contract_id).ok_or_else(|| bad(event, "no contract id"))?;
    let on = date(m.termination_date.as_ref())
        .or_else(|| meta_date(m.meta.as_ref()))
        .ok_or_else(|| bad(event, "no termination date"))?;
    Ok(Some(NewFact {
        event_id: event.id,
        event_type: CONTRACT_TERMINATED.to_owned(),
        contract_id: contract,
        payment_id: None,
        event_date: on,
        body: FactBody::Terminated {
            cause: cause(m.cause),
        },
    }))
}

impl Handler for Ledger {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(self.apply(txn, event))
    }
}
