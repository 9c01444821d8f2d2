//! The schedules consumer: contract.signed makes the schedule of a SEPA contract,
//! invoice.issued attaches the invoice to its instalment (and sets its amount),
//! contract.terminated cancels the instalments due after the termination date that were
//! not collected yet. Every write goes through the handler's transaction, which also
//! records the event as processed: a redelivered event changes nothing. An event that
//! cannot apply (no active mandate, no matching instalment) is logged and acknowledged;
//! only database failures are retried.

use std::time::Duration;

use crm_db::{Tenant, TenantScoped};
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::{ColumnTrait, DatabaseTransaction, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::convert::date_from_proto;
use crate::domain::MandateStatus;
use crate::domain::plan::{self, Frequency, Line, Terms};
use crate::entity::mandate;
use crate::error::Error;
use crate::events::Actor;
use crate::repo::rows;
use crate::repo::schedules::{
    InvoiceFacts, NotCreated, ScheduleDraft, attach_invoice, cancel_after, create_schedule_in,
    schedule_of_contract,
};

/// contract.signed.
pub const CONTRACT_SIGNED: &str = "contract.signed";
/// invoice.issued.
pub const INVOICE_ISSUED: &str = "invoice.issued";
/// contract.terminated.
pub const CONTRACT_TERMINATED: &str = "contract.terminated";

/// Returns the subscription of the schedules consumer.
pub fn subscription() -> Subscription {
    Subscription {
        service: crate::SPEC.name.to_owned(),
        name: "schedules".to_owned(),
        event_types: [CONTRACT_SIGNED, INVOICE_ISSUED, CONTRACT_TERMINATED]
            .map(str::to_owned)
            .to_vec(),
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Applies contract.signed, invoice.issued and contract.terminated.
#[derive(Debug, Default)]
pub struct Schedules;

fn failed(e: impl std::fmt::Display) -> HandlerError {
    HandlerError(e.to_string())
}

fn uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim()).ok()
}

impl Handler for Schedules {
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
                CONTRACT_SIGNED => {
                    let message =
                        ev::ContractSigned::decode(event.payload.clone()).map_err(failed)?;
                    contract_signed(txn, tenant, &message, &actor).await
                }
                INVOICE_ISSUED => {
                    let message =
                        ev::InvoiceIssued::decode(event.payload.clone()).map_err(failed)?;
                    invoice_issued(txn, tenant, &message).await
                }
                CONTRACT_TERMINATED => {
                    let message =
                        ev::ContractTerminated::decode(event.payload.clone()).map_err(failed)?;
                    contract_terminated(txn, tenant, &message).await
                }
                // The in-process bus may hand over other types.
                _ => Ok(()),
            }
        })
    }
}

fn frequency(value: i32) -> Option<Frequency> {
    match ev::BillingFrequency::try_from(value).ok()? {
        ev::BillingFrequency::Unspecified => None,
        ev::BillingFrequency::Monthly => Some(Frequency::Monthly),
        ev::BillingFrequency::Quarterly => Some(Frequency::Quarterly),
        ev::BillingFrequency::SemiAnnual => Some(Frequency::SemiAnnual),
        ev::BillingFrequency::Annual => Some(Frequency::Annual),
    }
}

/// Makes the schedule of a signed SEPA contract under its active mandate.
async fn contract_signed(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    m: &ev::ContractSigned,
    actor: &Actor,
) -> Result<(), HandlerError> {
    if m.payment_method != ev::PaymentMethod::Sepa as i32 {
        return Ok(());
    }
    let (Some(contract_id), Some(client_id)) = (uuid(&m.contract_id), uuid(&m.client_id)) else {
        tracing::warn!(contract_id = %m.contract_id, "contract.signed without usable ids; no schedule");
        return Ok(());
    };
    let reference = m.mandate_reference.trim();
    let found = mandate::Entity::find_in(tenant)
        .filter(mandate::Column::Reference.eq(reference))
        .filter(mandate::Column::Status.eq(MandateStatus::Active.as_str()))
        .order_by_desc(mandate::Column::Id)
        .one(txn)
        .await?
        .map(rows::mandate);
    let Some(mandate) = found else {
        tracing::warn!(%contract_id, reference, "no active mandate with this reference; no schedule");
        return Ok(());
    };
    if schedule_of_contract(txn, tenant, contract_id)
        .await
        .map_err(failed)?
        .is_some()
    {
        return Ok(());
    }
    let start = m
        .start_date
        .as_ref()
        .or(m.signature_date.as_ref())
        .and_then(|d| date_from_proto(d, "start_date", &mut Vec::new()));
    let Some(start) = start else {
        tracing::warn!(%contract_id, "contract.signed without a start date; no schedule");
        return Ok(());
    };
    let lines: Vec<Line> = m
        .lines
        .iter()
        .map(|l| {
            let price = l.unit_price.clone().unwrap_or_default();
            Line {
                quantity: i64::from(l.quantity),
                unit_price_minor: price.amount_minor,
                currency: price.currency_code,
                frequency: frequency(l.billing_frequency),
                exempt: l.vat_category == "exempt",
            }
        })
        .collect();
    let terms = Terms {
        start,
        term_months: u32::try_from(m.term_months).unwrap_or(0),
        billing_day: u32::try_from(m.billing_day).unwrap_or(0),
        tacit_renewal: m.tacit_renewal,
    };
    let instalments = match plan::plan(&lines, &terms) {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(%contract_id, reason = %why, "no schedule for the contract");
            return Ok(());
        }
    };
    let draft = ScheduleDraft {
        contract_id,
        contract_number: m.number.clone(),
        client_id,
        mandate_id: mandate.id,
        notified_on: crate::repo::today(),
        instalments,
    };
    match create_schedule_in(txn, tenant, draft, None, actor).await {
        Ok(view) => {
            tracing::info!(schedule_id = %view.schedule.id, %contract_id, instalments = view.instalments.len(), "schedule created");
            Ok(())
        }
        Err(NotCreated::Lapsed) => {
            tracing::warn!(%contract_id, mandate_id = %mandate.id, "the mandate lapsed; no schedule");
            Ok(())
        }
        Err(NotCreated::Refused(Error::Database(e))) => Err(e.into()),
        Err(NotCreated::Refused(e)) => {
            tracing::warn!(%contract_id, reason = %e, "no schedule for the contract");
            Ok(())
        }
    }
}

/// Attaches an issued invoice of a contract to its instalment.
async fn invoice_issued(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    m: &ev::InvoiceIssued,
) -> Result<(), HandlerError> {
    let (Some(invoice_id), Some(contract_id)) = (uuid(&m.invoice_id), uuid(&m.contract_id)) else {
        return Ok(());
    };
    let total = m.total_incl_vat.clone().unwrap_or_default();
    let date = |d: &Option<crm_proto::common::v1::Date>| {
        d.as_ref()
            .and_then(|d| date_from_proto(d, "date", &mut Vec::new()))
    };
    let facts = InvoiceFacts {
        invoice_id,
        number: m.number.clone(),
        contract_id,
        period_start: date(&m.service_period_start),
        due_date: date(&m.due_date),
        total_minor: total.amount_minor,
        currency: total.currency_code,
    };
    match attach_invoice(txn, tenant, &facts).await.map_err(failed)? {
        Some(i) => tracing::info!(%invoice_id, instalment_id = %i.id, "invoice attached"),
        None => tracing::info!(%invoice_id, %contract_id, "no instalment for the invoice"),
    }
    Ok(())
}

/// Cancels the instalments of a terminated contract due after its last day.
async fn contract_terminated(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    m: &ev::ContractTerminated,
) -> Result<(), HandlerError> {
    let Some(contract_id) = uuid(&m.contract_id) else {
        return Ok(());
    };
    let Some(last_day) = m
        .termination_date
        .as_ref()
        .and_then(|d| date_from_proto(d, "termination_date", &mut Vec::new()))
    else {
        tracing::warn!(%contract_id, "contract.terminated without a date; nothing cancelled");
        return Ok(());
    };
    let cancelled = cancel_after(txn, tenant, contract_id, last_day)
        .await
        .map_err(failed)?;
    tracing::info!(%contract_id, cancelled, "instalments cancelled");
    Ok(())
}
