//! Payments against invoices, inside the caller's transaction (RecordPayment opens its
//! own; the payment consumers use the event's). A payment is recorded once per payment
//! id: recording it again changes nothing. A return or refund reverses (part of) a
//! recorded payment, which reopens the invoice's balance.

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{append, locked, now, save};
use crate::domain::Invoice;
use crate::domain::Status;
use crate::domain::state::{Action, settle};
use crate::entity::payment::{ActiveModel, Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// A payment received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its id, the key of idempotency.
    pub payment_id: Uuid,
    /// Amount, minor units.
    pub amount: i64,
    /// Its currency.
    pub currency: String,
    /// Settlement date.
    pub paid_date: NaiveDate,
}

/// Records `p` against `invoice_id` through `txn` and returns the invoice; recording the
/// same payment again returns the invoice unchanged, the same id with other details is
/// `AlreadyExists`.
pub async fn record_in<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    invoice_id: Uuid,
    p: &Payment,
    actor: &Actor,
) -> Result<(Invoice, bool), Error> {
    let invoice = locked(txn, tenant, invoice_id, 0, Action::Pay).await?;
    let earlier = Entity::find_in(tenant)
        .filter(Column::PaymentId.eq(p.payment_id))
        .one(txn)
        .await?;
    if let Some(earlier) = earlier {
        if earlier.invoice_id == invoice_id
            && earlier.amount == p.amount
            && earlier.currency == p.currency
        {
            return Ok((invoice, false));
        }
        return Err(Error::AlreadyExists(format!(
            "payment {} was already recorded with other details",
            p.payment_id
        )));
    }
    if p.currency != invoice.currency {
        return Err(Error::InvalidArgument(vec![(
            "amount.currency_code".into(),
            format!("must be the invoice's currency {}", invoice.currency),
        )]));
    }
    let at = now();
    Entity::insert(ActiveModel {
        organisation_id: Set(tenant.id()),
        payment_id: Set(p.payment_id),
        invoice_id: Set(invoice_id),
        amount: Set(p.amount),
        currency: Set(p.currency.clone()),
        paid_date: Set(p.paid_date),
        reversed: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    })
    .exec_without_returning(txn)
    .await?;
    let mut next = invoice.clone();
    next.amount_paid += p.amount;
    next.status = settle(
        invoice.status,
        invoice.total_incl_vat(),
        invoice.amount_credited,
        next.amount_paid,
        invoice.overdue_at.is_some(),
    );
    let became_paid = next.status == Status::Paid && invoice.status != Status::Paid;
    if became_paid {
        next.paid_date = Some(p.paid_date);
    }
    let next = save(txn, &invoice, next).await?;
    if became_paid {
        append(txn, vec![events::paid(&next, Some(p.payment_id), actor)]).await?;
    }
    Ok((next, true))
}

/// Reverses up to `amount` of the recorded payment `payment_id` (a return after
/// settlement, or a refund) through `txn`, reopening its invoice's balance; returns the
/// invoice, or `None` when the payment was never recorded or is already reversed.
pub async fn reverse_in<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    payment_id: Uuid,
    amount: i64,
) -> Result<Option<Invoice>, Error> {
    let Some(row) = Entity::find_in(tenant)
        .filter(Column::PaymentId.eq(payment_id))
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let undone = amount.min(row.amount - row.reversed);
    if undone <= 0 {
        return Ok(None);
    }
    let invoice = locked(txn, tenant, row.invoice_id, 0, Action::Pay).await?;
    Entity::update_many_in(tenant)
        .col_expr(
            Column::Reversed,
            sea_orm::sea_query::Expr::value(row.reversed + undone),
        )
        .col_expr(Column::UpdatedAt, sea_orm::sea_query::Expr::value(now()))
        .filter(Column::PaymentId.eq(payment_id))
        .exec(txn)
        .await?;
    let mut next = invoice.clone();
    next.amount_paid -= undone;
    next.status = settle(
        invoice.status,
        invoice.total_incl_vat(),
        invoice.amount_credited,
        next.amount_paid,
        invoice.overdue_at.is_some(),
    );
    if next.status != Status::Paid {
        next.paid_date = None;
    }
    Ok(Some(save(txn, &invoice, next).await?))
}
