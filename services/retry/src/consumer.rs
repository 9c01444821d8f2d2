//! The retry consumer: payment.rejected opens or continues a chain and decides;
//! payment.received closes it; mandate.revoked, credit_note.issued and invoice.paid stop
//! the chains they concern. Everything is written through the delivery's transaction,
//! with the `processed_events` row, so a redelivered event changes nothing twice; a
//! repeated report of the same fact under a new event id is recognised too (a payment
//! opens one chain, an attempt fails or succeeds once).

use std::time::Duration;

use crm_db::Tenant;
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::clock::Clock;
use crate::convert::{date_from_event, reason_class_from_event};
use crate::domain::policy::table_facts;
use crate::domain::{Decision, Money, StopReason};
use crate::events::{
    Actor, CREDIT_NOTE_ISSUED, INVOICE_PAID, MANDATE_REVOKED, PAYMENT_RECEIVED, PAYMENT_REJECTED,
};
use crate::repo::ChainsOf;
use crate::workflow::{self, Recorded, Rejected};

/// Returns the subscription of the retry consumer.
pub fn subscription() -> Subscription {
    Subscription {
        service: crate::SPEC.name.to_owned(),
        name: "chains".to_owned(),
        event_types: [
            PAYMENT_REJECTED,
            PAYMENT_RECEIVED,
            MANDATE_REVOKED,
            CREDIT_NOTE_ISSUED,
            INVOICE_PAID,
        ]
        .map(str::to_owned)
        .to_vec(),
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Applies the events the retry service consumes.
#[derive(Debug, Clone, Default)]
pub struct Chains {
    clock: Clock,
}

impl Chains {
    /// Returns the handler, deciding dates as of `clock`'s today.
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }
}

fn decode<M: Message + Default>(event: &Delivered) -> Result<M, HandlerError> {
    M::decode(event.payload.clone())
        .map_err(|e| HandlerError(format!("{} payload: {e}", event.event_type)))
}

fn required(text: &str, field: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| HandlerError(format!("{field} is not a UUID: {text:?}")))
}

fn optional(text: &str, field: &str) -> Result<Option<Uuid>, HandlerError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        required(text, field).map(Some)
    }
}

fn failed(e: crate::error::Error) -> HandlerError {
    HandlerError(e.to_string())
}

impl Handler for Chains {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let tenant = Tenant::new(event.organisation_id);
            let actor = Actor {
                user_id: None,
                traceparent: event.traceparent.clone(),
            };
            match event.event_type.as_str() {
                PAYMENT_REJECTED => {
                    let e: ev::PaymentRejected = decode(event)?;
                    let rejected = rejected(&e)?;
                    let recorded = workflow::record_rejection(
                        txn,
                        tenant,
                        &rejected,
                        self.clock.today(),
                        &actor,
                    )
                    .await
                    .map_err(failed)?;
                    log(&rejected, recorded);
                }
                PAYMENT_RECEIVED => {
                    let e: ev::PaymentReceived = decode(event)?;
                    let payment = required(&e.payment_id, "payment_id")?;
                    workflow::record_payment(txn, tenant, payment)
                        .await
                        .map_err(failed)?;
                }
                MANDATE_REVOKED => {
                    let e: ev::MandateRevoked = decode(event)?;
                    let inactive = matches!(
                        ev::MandateStatus::try_from(e.status),
                        Ok(ev::MandateStatus::Revoked
                            | ev::MandateStatus::Expired
                            | ev::MandateStatus::Failed)
                    );
                    if inactive {
                        let mandate = required(&e.mandate_id, "mandate_id")?;
                        let of = ChainsOf::Mandate(mandate);
                        workflow::stop_chains(
                            txn,
                            tenant,
                            of,
                            StopReason::MandateInactive,
                            None,
                            &actor,
                        )
                        .await
                        .map_err(failed)?;
                    }
                }
                CREDIT_NOTE_ISSUED => {
                    // domain-rules 6.2: never retry a credit-noted invoice, whether the
                    // credit note cancels it or lowers what is due (re-presenting the
                    // rejected amount would then collect too much).
                    let e: ev::CreditNoteIssued = decode(event)?;
                    if let Some(invoice) = optional(&e.invoice_id, "invoice_id")? {
                        let of = ChainsOf::Invoice(invoice);
                        workflow::stop_chains(
                            txn,
                            tenant,
                            of,
                            StopReason::InvoiceCredited,
                            None,
                            &actor,
                        )
                        .await
                        .map_err(failed)?;
                    }
                }
                INVOICE_PAID => {
                    let e: ev::InvoicePaid = decode(event)?;
                    if let Some(invoice) = optional(&e.invoice_id, "invoice_id")? {
                        let keep = optional(&e.payment_id, "payment_id")?;
                        let of = ChainsOf::Invoice(invoice);
                        workflow::stop_chains(
                            txn,
                            tenant,
                            of,
                            StopReason::InvoicePaid,
                            keep,
                            &actor,
                        )
                        .await
                        .map_err(failed)?;
                    }
                }
                // The in-process bus filters by type too; anything else is not ours.
                _ => {}
            }
            Ok(())
        })
    }
}

/// Logs what a rejection led to.
fn log(r: &Rejected, recorded: Recorded) {
    let payment_id = r.payment_id;
    match recorded {
        Recorded::Decided(Decision::Retry {
            attempt_number,
            scheduled,
            ..
        }) => {
            tracing::info!(%payment_id, code = %r.code, attempt_number, %scheduled, "retry scheduled")
        }
        Recorded::Decided(Decision::Stop(reason)) => {
            tracing::info!(%payment_id, code = %r.code, reason = reason.as_str(), "retries stopped");
        }
        Recorded::Ignored => tracing::debug!(%payment_id, "rejection already recorded"),
    }
}

/// Returns the rejection a payment.rejected reports.
fn rejected(e: &ev::PaymentRejected) -> Result<Rejected, HandlerError> {
    let code = e.reason_code.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(HandlerError(
            "payment.rejected without a reason code".into(),
        ));
    }
    let amount = e.amount.as_ref().map_or(
        Money {
            currency_code: String::new(),
            amount_minor: 0,
        },
        |m| Money {
            currency_code: m.currency_code.clone(),
            amount_minor: m.amount_minor,
        },
    );
    Ok(Rejected {
        payment_id: required(&e.payment_id, "payment_id")?,
        instalment_id: optional(&e.instalment_id, "instalment_id")?,
        invoice_id: optional(&e.invoice_id, "invoice_id")?,
        mandate_id: optional(&e.mandate_id, "mandate_id")?,
        client_id: optional(&e.client_id, "client_id")?,
        contract_id: optional(&e.contract_id, "contract_id")?,
        amount,
        code: code.chars().take(8).collect(),
        // The event's class, else the platform's reason table.
        class: reason_class_from_event(e.reason_class)
            .or_else(|| table_facts(&code).map(|f| f.class)),
        attempt_number: u32::try_from(e.attempt_number).unwrap_or(0).max(1),
        rejection_date: e.rejection_date.as_ref().and_then(date_from_event),
        debtor_country: Some(e.debtor_country.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase())),
    })
}
