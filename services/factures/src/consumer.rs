//! The events factures consumes, each applied through the consumer's transaction so a
//! redelivered event changes nothing twice (its `processed_events` row commits with the
//! change):
//! - payment.received records the payment against its invoice (PARTIALLY_PAID or PAID,
//!   with invoice.paid); payment.rejected of kind RETURN (after settlement) and
//!   payment.refunded reverse it and reopen the balance; a REJECT before settlement
//!   changes nothing, as nothing was recorded as paid;
//! - contract.terminated credits, on each invoice of the contract whose service period
//!   runs past the contract's last day, the unused days (days after it ÷ days of the
//!   line's period, rounded half up), with a credit note in the credit-note series.
//!
//! Events published by these changes wait for the relay's next poll (200 ms): the
//! consumer's transaction commits after the handler returns.

use std::time::Duration;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::{ColumnTrait, DatabaseTransaction, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::domain::{Kind, Status};
use crate::entity::invoice::{Column, Entity};
use crate::error::Error;
use crate::events::Actor;
use crate::remote::{Remote, system_context};
use crate::repo::credit::{self, Mode, TERMINATION_REASON};
use crate::repo::payments::{self, Payment};

/// payment.received.
pub const PAYMENT_RECEIVED: &str = "payment.received";
/// payment.rejected.
pub const PAYMENT_REJECTED: &str = "payment.rejected";
/// payment.refunded.
pub const PAYMENT_REFUNDED: &str = "payment.refunded";
/// contract.terminated.
pub const CONTRACT_TERMINATED: &str = "contract.terminated";

fn subscription(name: &str, event_types: &[&str]) -> Subscription {
    Subscription {
        service: crate::SPEC.name.to_owned(),
        name: name.to_owned(),
        event_types: event_types.iter().map(|t| (*t).to_owned()).collect(),
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Returns the subscription of the payments consumer (durable `factures-payments`).
pub fn payments_subscription() -> Subscription {
    subscription(
        "payments",
        &[PAYMENT_RECEIVED, PAYMENT_REJECTED, PAYMENT_REFUNDED],
    )
}

/// Returns the subscription of the contracts consumer (durable `factures-contracts`).
pub fn contracts_subscription() -> Subscription {
    subscription("contracts", &[CONTRACT_TERMINATED])
}

fn fail(e: impl std::fmt::Display) -> HandlerError {
    HandlerError(e.to_string())
}

fn id(text: &str, what: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(text).map_err(|_| HandlerError(format!("{what} {text:?} is not a UUID")))
}

fn date(d: Option<&crm_proto::common::v1::Date>, what: &str) -> Result<NaiveDate, HandlerError> {
    d.and_then(|d| {
        NaiveDate::from_ymd_opt(
            d.year,
            u32::try_from(d.month).ok()?,
            u32::try_from(d.day).ok()?,
        )
    })
    .ok_or_else(|| HandlerError(format!("{what} is missing or invalid")))
}

fn actor(event: &Delivered) -> Actor {
    Actor {
        user_id: None,
        traceparent: event.traceparent.clone(),
    }
}

/// Applies payment events to invoices.
#[derive(Debug, Default)]
pub struct Payments;

impl Handler for Payments {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let tenant = Tenant::new(event.organisation_id);
            match event.event_type.as_str() {
                PAYMENT_RECEIVED => {
                    let m = ev::PaymentReceived::decode(event.payload.clone()).map_err(fail)?;
                    // A payment of an instalment outside any invoice is not ours.
                    if m.invoice_id.is_empty() {
                        return Ok(());
                    }
                    let amount = m.amount.unwrap_or_default();
                    let payment = Payment {
                        payment_id: id(&m.payment_id, "payment_id")?,
                        amount: amount.amount_minor,
                        currency: amount.currency_code,
                        paid_date: date(m.settlement_date.as_ref(), "settlement_date")?,
                    };
                    let invoice = id(&m.invoice_id, "invoice_id")?;
                    payments::record_in(txn, tenant, invoice, &payment, &actor(event))
                        .await
                        .map_err(fail)?;
                    Ok(())
                }
                PAYMENT_REJECTED => {
                    let m = ev::PaymentRejected::decode(event.payload.clone()).map_err(fail)?;
                    // Rejected before settlement: it was never recorded as paid.
                    if m.kind != ev::RejectionKind::Return as i32 {
                        return Ok(());
                    }
                    let amount = m.amount.unwrap_or_default().amount_minor;
                    payments::reverse_in(txn, tenant, id(&m.payment_id, "payment_id")?, amount)
                        .await
                        .map_err(fail)?;
                    Ok(())
                }
                PAYMENT_REFUNDED => {
                    let m = ev::PaymentRefunded::decode(event.payload.clone()).map_err(fail)?;
                    let amount = m.amount.unwrap_or_default().amount_minor;
                    payments::reverse_in(txn, tenant, id(&m.payment_id, "payment_id")?, amount)
                        .await
                        .map_err(fail)?;
                    Ok(())
                }
                // The in-process bus may hand over other types.
                _ => Ok(()),
            }
        })
    }
}

/// Credits the unused part of terminated contracts' invoices.
#[derive(Debug)]
pub struct Terminations {
    remote: Remote,
}

impl Terminations {
    /// Returns the consumer, reading organisations through `remote`.
    pub fn new(remote: Remote) -> Self {
        Self { remote }
    }
}

impl Handler for Terminations {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type != CONTRACT_TERMINATED {
                return Ok(());
            }
            let m = ev::ContractTerminated::decode(event.payload.clone()).map_err(fail)?;
            let contract = id(&m.contract_id, "contract_id")?;
            let last_day = date(m.termination_date.as_ref(), "termination_date")?;
            let tenant = Tenant::new(event.organisation_id);
            let invoices = to_credit(txn, tenant, contract, last_day)
                .await
                .map_err(fail)?;
            if invoices.is_empty() {
                return Ok(());
            }
            let ctx = system_context(event.organisation_id, event.traceparent.clone());
            let org = self
                .remote
                .organisation(&ctx)
                .await
                .map_err(fail)?
                .ok_or_else(|| {
                    HandlerError("the organisation is unknown to organisations".into())
                })?;
            let request = credit::Request {
                mode: Mode::Termination(last_day),
                reason: TERMINATION_REASON.to_owned(),
                request_id: None,
                issue_date: org.today(),
                seller: org.seller.clone(),
                prefix: org.credit_note_prefix.clone(),
            };
            for invoice in invoices {
                let done = credit::credit_in(txn, tenant, invoice, &request, &actor(event)).await;
                match done {
                    Ok(Some(c)) => tracing::info!(
                        invoice_id = %invoice,
                        credit_note = %c.credit_note.number(),
                        "termination prorata credited"
                    ),
                    Ok(None) => {}
                    Err(e) => return Err(fail(e)),
                }
            }
            Ok(())
        })
    }
}

/// Returns the contract's invoices that may have days to credit after `last_day` and
/// were not credited for a termination yet.
async fn to_credit(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    contract: Uuid,
    last_day: NaiveDate,
) -> Result<Vec<Uuid>, Error> {
    let creditable = [
        Status::Issued,
        Status::PartiallyPaid,
        Status::Overdue,
        Status::Paid,
    ]
    .map(Status::as_str);
    let candidates: Vec<Uuid> = Entity::find_in(tenant)
        .select_only()
        .column(Column::Id)
        .filter(Column::ContractId.eq(contract))
        .filter(Column::Kind.eq(Kind::Invoice.as_str()))
        .filter(Column::Status.is_in(creditable))
        .filter(Column::ServicePeriodEnd.gt(last_day))
        .into_tuple()
        .all(txn)
        .await?;
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let credited: Vec<Option<Uuid>> = Entity::find_in(tenant)
        .select_only()
        .column(Column::CreditedInvoiceId)
        .filter(Column::CreditedInvoiceId.is_in(candidates.iter().copied()))
        .filter(Column::CreditReason.eq(TERMINATION_REASON))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(candidates
        .into_iter()
        .filter(|c| !credited.contains(&Some(*c)))
        .collect())
}
