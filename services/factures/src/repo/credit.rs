//! Issuing a credit note, inside the caller's transaction (CreateCreditNote opens its
//! own; the contract.terminated consumer uses the event's): the invoice is locked, the
//! credit computed from what it still has to credit, the credit note numbered in its
//! series and inserted, the invoice's credited amounts and status updated, and the events
//! written.

use chrono::NaiveDate;
use crm_db::Tenant;
use sea_orm::{ConnectionTrait, EntityTrait, SqlErr};
use uuid::Uuid;

use super::{append, locked, now, save, series, to_active};
use crate::domain::credit::{self, Plan};
use crate::domain::issue::{exemptions, french_date};
use crate::domain::state::{Action, settle};
use crate::domain::{CreditOf, Invoice, Issued, Kind, Line, Mentions, Period, Seller, Status};
use crate::entity::invoice::Entity;
use crate::error::Error;
use crate::events::{self, Actor};

/// Reason of the credit notes the contract.terminated consumer issues.
pub const TERMINATION_REASON: &str = "termination prorata";

/// What to credit.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Everything not yet credited.
    Full,
    /// These lines (category and amounts; the invoice's rates apply).
    Lines(Vec<Line>),
    /// The unused part of the invoice's periods after the contract's last day.
    Termination(NaiveDate),
}

/// A credit note to issue.
#[derive(Debug, Clone)]
pub struct Request {
    /// What to credit.
    pub mode: Mode,
    /// Why.
    pub reason: String,
    /// The caller's idempotency key.
    pub request_id: Option<Uuid>,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// The seller on that date.
    pub seller: Seller,
    /// The credit-note series.
    pub prefix: String,
}

/// A credit note issued and the invoice it credited.
#[derive(Debug, Clone)]
pub struct Credited {
    /// The credit note.
    pub credit_note: Invoice,
    /// The invoice after the credit.
    pub invoice: Invoice,
}

/// Issues the credit note `req` against `invoice_id` through `txn`; `Ok(None)` when a
/// termination leaves nothing to credit.
pub async fn credit_in<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    invoice_id: Uuid,
    req: &Request,
    actor: &Actor,
) -> Result<Option<Credited>, Error> {
    let invoice = locked(txn, tenant, invoice_id, 0, Action::Credit).await?;
    let Some(issued) = invoice.issued.as_ref() else {
        return Err(Error::FailedPrecondition(
            "a draft is not credited: delete it".into(),
        ));
    };
    let plan = match &req.mode {
        Mode::Full => credit::full(&invoice.lines, &issued.subtotals, &invoice.credited)
            .ok_or_else(|| Error::FailedPrecondition("nothing is left to credit".into()))?,
        Mode::Lines(lines) => credit::partial(lines, &issued.subtotals, &invoice.credited)
            .map_err(Error::InvalidArgument)?,
        Mode::Termination(last_day) => {
            let left = credit::remaining(&issued.subtotals, &invoice.credited);
            let lines = credit::termination_lines(&invoice.lines, *last_day, &left);
            if lines.is_empty() {
                return Ok(None);
            }
            credit::partial(&lines, &issued.subtotals, &invoice.credited)
                .map_err(Error::InvalidArgument)?
        }
    };
    let number = series::allocate(txn, tenant, &req.prefix, 1, req.issue_date)
        .await?
        .pop()
        .ok_or_else(|| Error::FailedPrecondition("no number could be allocated".into()))?;
    let credit_note = note(&invoice, issued, &plan, req, number);
    let inserted = Entity::insert(to_active(&credit_note, req.request_id)?)
        .exec_without_returning(txn)
        .await;
    if let Err(e) = inserted {
        return Err(match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::AlreadyExists(
                "a credit note was created with this request_id meanwhile; retry to read it".into(),
            ),
            _ => e.into(),
        });
    }
    let mut next = invoice.clone();
    next.credited = plan.credited_after.clone();
    next.amount_credited += plan.totals.incl_vat;
    next.status = settle(
        invoice.status,
        invoice.total_incl_vat(),
        next.amount_credited,
        next.amount_paid,
        invoice.overdue_at.is_some(),
    );
    if next.status == Status::Paid && invoice.status != Status::Paid {
        next.paid_date = Some(req.issue_date);
    }
    let next = save(txn, &invoice, next).await?;
    let mut out = Vec::new();
    out.extend(events::credit_note_issued(
        &credit_note,
        &next,
        next.status == Status::CancelledByCreditNote,
        actor,
    ));
    if next.status == Status::CancelledByCreditNote && invoice.status != next.status {
        out.push(events::cancelled(&next, &credit_note, actor));
    }
    if next.status == Status::Paid && invoice.status != Status::Paid {
        out.push(events::paid(&next, None, actor));
    }
    append(txn, out).await?;
    Ok(Some(Credited {
        credit_note,
        invoice: next,
    }))
}

/// Returns the credit note of `plan` against `invoice`.
fn note(invoice: &Invoice, issued: &Issued, plan: &Plan, req: &Request, number: String) -> Invoice {
    let at = now();
    let periods: Vec<Period> = plan.lines.iter().filter_map(|l| l.service_period).collect();
    let service_period = match (
        periods.iter().map(|p| p.start).min(),
        periods.iter().map(|p| p.end).max(),
    ) {
        (Some(start), Some(end)) => Some(Period { start, end }),
        _ => invoice.service_period,
    };
    Invoice {
        id: Uuid::now_v7(),
        organisation_id: invoice.organisation_id,
        kind: Kind::CreditNote,
        status: Status::Issued,
        client_id: invoice.client_id,
        client_commercial_id: invoice.client_commercial_id,
        contract_id: invoice.contract_id,
        currency: invoice.currency.clone(),
        lines: plan.lines.clone(),
        service_period,
        billing_period_start: None,
        issued: Some(Issued {
            number,
            issue_date: req.issue_date,
            due_date: req.issue_date,
            payment_terms_days: 0,
            seller: req.seller.clone(),
            buyer: issued.buyer.clone(),
            subtotals: plan.subtotals.clone(),
            totals: plan.totals,
            late_penalty_rate_bps: None,
            mentions: Mentions {
                vat_exemptions: exemptions(&plan.subtotals),
                credited_invoice: format!(
                    "Avoir sur la facture n° {} du {}.",
                    issued.number,
                    french_date(issued.issue_date)
                ),
                ..Mentions::default()
            },
        }),
        amount_paid: 0,
        amount_credited: 0,
        credited: Vec::new(),
        credit_of: Some(CreditOf {
            invoice_id: invoice.id,
            invoice_number: issued.number.clone(),
            reason: req.reason.clone(),
        }),
        overdue_at: None,
        paid_date: None,
        write_off_reason: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}
