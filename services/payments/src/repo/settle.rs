//! MarkSettled: SUBMITTED payments settle, count towards their mandate's first
//! collection, and publish payment.received with the return deadline.

use std::collections::HashMap;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait as _, QueryFilter};
use uuid::Uuid;

use super::batches::{CHUNK, by_ids, set_instalments};
use super::{Repo, now, rows};
use crate::domain::collect::return_deadline;
use crate::domain::{InstalmentStatus, Mandate, Payment, PaymentStatus};
use crate::entity::{mandate, payment};
use crate::error::Error;
use crate::events::{self, Actor};

/// Which payments MarkSettled settles.
#[derive(Debug, Clone)]
pub enum SettleTarget {
    /// These payments, each SUBMITTED.
    Payments(Vec<Uuid>),
    /// Every SUBMITTED payment of this batch.
    Batch(Uuid),
}

/// Adds `delta` to the settled-collection counters of `mandates`.
pub async fn count_settled<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    counts: &HashMap<Uuid, i32>,
    delta_sign: i32,
) -> Result<(), Error> {
    let at = now();
    for (id, n) in counts {
        let mut update = mandate::Entity::update_many_in(tenant)
            .col_expr(
                mandate::Column::SettledSinceReset,
                Expr::col(mandate::Column::SettledSinceReset).add(n * delta_sign),
            )
            .col_expr(mandate::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                mandate::Column::Version,
                Expr::col(mandate::Column::Version).add(1),
            )
            .filter(mandate::Column::Id.eq(*id));
        if delta_sign < 0 {
            update = update.filter(mandate::Column::SettledSinceReset.gte(*n));
        }
        update.exec(c).await?;
    }
    Ok(())
}

/// Returns, per mandate, how many of `payments` count towards its settled collections:
/// those made since its account last changed.
pub fn counted(payments: &[Payment], mandates: &HashMap<Uuid, Mandate>) -> HashMap<Uuid, i32> {
    let mut out: HashMap<Uuid, i32> = HashMap::new();
    for p in payments {
        if mandates
            .get(&p.mandate_id)
            .is_some_and(|m| p.created_at >= m.account_changed_at)
        {
            *out.entry(p.mandate_id).or_default() += 1;
        }
    }
    out
}

pub async fn mandates_of<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    payments: &[Payment],
) -> Result<HashMap<Uuid, Mandate>, Error> {
    let mut ids: Vec<Uuid> = payments.iter().map(|p| p.mandate_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(
        by_ids::<_, mandate::Entity, _>(c, tenant, &ids, || mandate::Column::Id)
            .await?
            .into_iter()
            .map(|m| (m.id, rows::mandate(m)))
            .collect(),
    )
}

impl Repo {
    /// Settles SUBMITTED payments on `date` and publishes payment.received for each.
    pub async fn mark_settled(
        &self,
        tenant: Tenant,
        target: SettleTarget,
        date: NaiveDate,
        actor: &Actor,
    ) -> Result<Vec<Payment>, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let mut payments: Vec<Payment> = match &target {
            SettleTarget::Payments(ids) => {
                let found: HashMap<Uuid, Payment> =
                    by_ids::<_, payment::Entity, _>(&txn, tenant, ids, || payment::Column::Id)
                        .await?
                        .into_iter()
                        .map(|p| (p.id, rows::payment(p)))
                        .collect();
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let p = found
                        .get(id)
                        .ok_or_else(|| Error::not_found("payment", id))?;
                    out.push(p.clone());
                }
                let wrong: Vec<String> = out
                    .iter()
                    .filter(|p| p.status != PaymentStatus::Submitted)
                    .map(|p| format!("{} is {}", p.id, p.status.as_str()))
                    .collect();
                if !wrong.is_empty() {
                    return Err(Error::FailedPrecondition(format!(
                        "only submitted payments settle: {}",
                        wrong.join(", ")
                    )));
                }
                out
            }
            SettleTarget::Batch(id) => {
                super::reads::batch_in(&txn, tenant, *id).await?;
                let out: Vec<Payment> = payment::Entity::find_in(tenant)
                    .filter(payment::Column::BatchId.eq(*id))
                    .filter(payment::Column::Status.eq(PaymentStatus::Submitted.as_str()))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(rows::payment)
                    .collect();
                if out.is_empty() {
                    return Err(Error::FailedPrecondition(
                        "the batch has no submitted payment to settle".into(),
                    ));
                }
                out
            }
        };
        let early: Vec<(String, String)> = payments
            .iter()
            .filter(|p| date < p.collection_date)
            .map(|p| {
                (
                    "settlement_date".to_owned(),
                    format!(
                        "is before the collection date {} of payment {}",
                        p.collection_date, p.id
                    ),
                )
            })
            .take(20)
            .collect();
        if !early.is_empty() {
            return Err(Error::InvalidArgument(early));
        }
        let deadline = return_deadline(date);
        let at = now();
        let ids: Vec<Uuid> = payments.iter().map(|p| p.id).collect();
        for chunk in ids.chunks(CHUNK) {
            let done = payment::Entity::update_many_in(tenant)
                .col_expr(
                    payment::Column::Status,
                    Expr::value(PaymentStatus::Settled.as_str()),
                )
                .col_expr(payment::Column::SettlementDate, Expr::value(date))
                .col_expr(payment::Column::ReturnDeadline, Expr::value(deadline))
                .col_expr(payment::Column::UpdatedAt, Expr::value(at))
                .col_expr(
                    payment::Column::Version,
                    Expr::col(payment::Column::Version).add(1),
                )
                .filter(payment::Column::Id.is_in(chunk.iter().copied()))
                .filter(payment::Column::Status.eq(PaymentStatus::Submitted.as_str()))
                .exec(&txn)
                .await?;
            if done.rows_affected != chunk.len() as u64 {
                return Err(Error::Aborted(
                    "payments changed concurrently; retry".into(),
                ));
            }
        }
        let instalments: Vec<Uuid> = payments.iter().map(|p| p.instalment_id).collect();
        set_instalments(&txn, tenant, &instalments, InstalmentStatus::Paid).await?;
        let mandates = mandates_of(&txn, tenant, &payments).await?;
        count_settled(&txn, tenant, &counted(&payments, &mandates), 1).await?;
        for p in &mut payments {
            p.status = PaymentStatus::Settled;
            p.settlement_date = Some(date);
            p.return_deadline = Some(deadline);
            p.updated_at = at;
            p.version += 1;
        }
        let received = payments
            .iter()
            .map(|p| events::payment_received(p, actor))
            .collect();
        crm_events::append_many(&txn, received).await?;
        txn.commit().await?;
        self.committed();
        Ok(payments)
    }
}
