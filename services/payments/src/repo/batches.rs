//! PrepareBatch: what is due, pre-notified and under a usable mandate becomes the
//! payments of a new batch, one FRST per mandate at a time; the batch's mandates get
//! their last collection date.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait as _, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::mandates::{expire_if_lapsed, save_mandate};
use super::{Repo, account_in, now, rows};
use crate::domain::collect::{prenotified, sequence_of};
use crate::domain::{
    Batch, BatchStatus, Instalment, InstalmentStatus, Mandate, MandateKind, MandateStatus, Payment,
    PaymentStatus, PendingAmendment, Schedule, Settings, new_sepa_id,
};
use crate::entity::{batch, instalment, mandate, payment, schedule};
use crate::error::Error;
use crate::events::Actor;

/// Ids per `IN (...)` list: well under both backends' bound-parameter limits.
pub const CHUNK: usize = 500;

/// Returns the rows of `ids` of a tenant-owned table, read `CHUNK` ids at a time.
pub async fn by_ids<C, E, F>(
    c: &C,
    tenant: Tenant,
    ids: &[Uuid],
    column: F,
) -> Result<Vec<E::Model>, Error>
where
    C: ConnectionTrait,
    E: TenantScoped,
    F: Fn() -> E::Column,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            E::find_in(tenant)
                .filter(column().is_in(chunk.iter().copied()))
                .all(c)
                .await?,
        );
    }
    Ok(out)
}

/// Returns `column` of the payments of batch `id`, as a subquery.
pub fn of_batch(tenant: Tenant, id: Uuid, column: payment::Column) -> SelectStatement {
    Query::select()
        .column(column)
        .from(payment::Entity)
        .and_where(payment::Column::OrganisationId.eq(tenant.id()))
        .and_where(payment::Column::BatchId.eq(id))
        .to_owned()
}

/// A batch with its payments.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The batch.
    pub batch: Batch,
    /// Its payments.
    pub payments: Vec<Payment>,
}

/// Returns the sequence type and the amendment the next collection on `m` carries,
/// clears the amendment from `m` (it travels once) and records in `taken` the mandates
/// whose amendment was taken, to be written.
fn take_collection_terms(
    m: &mut Mandate,
    last_of_contract: bool,
    taken: &mut HashSet<Uuid>,
) -> (crm_sepa::SequenceType, PendingAmendment) {
    let sequence = sequence_of(m, last_of_contract);
    let amendment = std::mem::take(&mut m.amendment);
    if !amendment.is_empty() {
        taken.insert(m.id);
    }
    (sequence, amendment)
}

/// Returns whether the next collection on `m` must wait: it would be FRST while a FRST
/// of the mandate is with the bank or already in this batch. Otherwise, for a FRST,
/// records it in `first_pending`.
fn holds_first(m: &Mandate, last_of_contract: bool, first_pending: &mut HashSet<Uuid>) -> bool {
    if sequence_of(m, last_of_contract) != crm_sepa::SequenceType::Frst {
        return false;
    }
    !first_pending.insert(m.id)
}

impl Repo {
    /// Gathers into a new batch for `account` and `date` every PLANNED instalment due by
    /// `date`, with its final amount, pre-notified early enough and whose mandate of
    /// that account is ACTIVE and not lapsed, and every re-presentation scheduled by
    /// `date` for that account. The date's calendar rules are checked before. Nothing
    /// to collect is FAILED_PRECONDITION; no empty batch is made.
    pub async fn prepare_batch(
        &self,
        tenant: Tenant,
        account: Uuid,
        date: NaiveDate,
        settings: Settings,
        actor: &Actor,
    ) -> Result<Prepared, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let account = account_in(&txn, tenant, account).await?;
        let mut mandates: HashMap<Uuid, Mandate> = mandate::Entity::find_in(tenant)
            .filter(mandate::Column::CreditorAccountId.eq(account.id))
            .filter(mandate::Column::Status.eq(MandateStatus::Active.as_str()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| (m.id, rows::mandate(m)))
            .collect();
        let mut usable: HashSet<Uuid> = HashSet::new();
        let ids: Vec<Uuid> = mandates.keys().copied().collect();
        for id in ids {
            let Some(m) = mandates.get_mut(&id) else {
                continue;
            };
            if !expire_if_lapsed(&txn, tenant, m, date, actor).await? {
                usable.insert(id);
            }
        }

        // Re-presentations scheduled for the date (or an earlier one left behind): they
        // have no batch yet.
        let again: Vec<Payment> = payment::Entity::find_in(tenant)
            .filter(payment::Column::CreditorAccountId.eq(account.id))
            .filter(payment::Column::BatchId.is_null())
            .filter(payment::Column::Status.eq(PaymentStatus::Scheduled.as_str()))
            .filter(payment::Column::CollectionDate.lte(date))
            .order_by_asc(payment::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(rows::payment)
            .filter(|p| usable.contains(&p.mandate_id))
            .collect();
        // Instalments due, then their schedules under the account's usable mandates.
        let due: Vec<Instalment> = instalment::Entity::find_in(tenant)
            .filter(instalment::Column::Status.eq(InstalmentStatus::Planned.as_str()))
            .filter(instalment::Column::AmountFinal.eq(true))
            .filter(instalment::Column::AmountMinor.gt(0))
            .filter(instalment::Column::DueDate.lte(date))
            .order_by_asc(instalment::Column::DueDate)
            .order_by_asc(instalment::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(rows::instalment)
            .collect();
        let mut schedule_ids: Vec<Uuid> = due.iter().map(|i| i.schedule_id).collect();
        schedule_ids.extend(again.iter().map(|p| p.schedule_id));
        schedule_ids.sort_unstable();
        schedule_ids.dedup();
        let schedules: HashMap<Uuid, Schedule> =
            by_ids::<_, schedule::Entity, _>(&txn, tenant, &schedule_ids, || schedule::Column::Id)
                .await?
                .into_iter()
                .map(|s| (s.id, rows::schedule(s)))
                .collect();
        let again_instalments: Vec<Uuid> = again.iter().map(|p| p.instalment_id).collect();
        let again_instalments: HashMap<Uuid, Instalment> =
            by_ids::<_, instalment::Entity, _>(&txn, tenant, &again_instalments, || {
                instalment::Column::Id
            })
            .await?
            .into_iter()
            .map(|i| (i.id, rows::instalment(i)))
            .collect();

        // A first collection still with the bank holds the mandate's next ones: two
        // FRST for one mandate are rejected as duplicates (AM05).
        let mut first_pending: HashSet<Uuid> = payment::Entity::find_in(tenant)
            .filter(payment::Column::CreditorAccountId.eq(account.id))
            .filter(payment::Column::Status.is_in([
                PaymentStatus::Exported.as_str(),
                PaymentStatus::Submitted.as_str(),
            ]))
            .filter(payment::Column::SequenceType.eq(crm_sepa::SequenceType::Frst.code()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| p.mandate_id)
            .collect();
        let batch_id = Uuid::now_v7();
        let at = now();
        let mut payments: Vec<Payment> = Vec::new();
        let mut presented: Vec<Payment> = Vec::new();
        let mut one_off_used: HashSet<Uuid> = HashSet::new();
        let mut taken: HashSet<Uuid> = HashSet::new();
        for mut p in again {
            let (Some(m), Some(i)) = (
                mandates.get_mut(&p.mandate_id),
                again_instalments.get(&p.instalment_id),
            ) else {
                continue;
            };
            if holds_first(m, i.last_of_contract, &mut first_pending) {
                continue;
            }
            let (sequence, amendment) = take_collection_terms(m, i.last_of_contract, &mut taken);
            p.sequence_type = Some(sequence);
            p.amendment = amendment;
            p.collection_date = date;
            p.status = PaymentStatus::Exported;
            p.batch_id = Some(batch_id);
            p.version += 1;
            p.updated_at = at;
            one_off_used.insert(m.id);
            presented.push(p);
        }
        for i in due {
            let Some(s) = schedules.get(&i.schedule_id) else {
                continue;
            };
            if !usable.contains(&s.mandate_id)
                || !prenotified(s.notified_on, date, settings.prenotification_days)
            {
                continue;
            }
            let Some(m) = mandates.get_mut(&s.mandate_id) else {
                continue;
            };
            if m.kind == MandateKind::OneOff
                && (m.last_collection_date.is_some() || !one_off_used.insert(m.id))
            {
                continue;
            }
            if holds_first(m, i.last_of_contract, &mut first_pending) {
                continue;
            }
            let (sequence, amendment) = take_collection_terms(m, i.last_of_contract, &mut taken);
            payments.push(Payment {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                instalment_id: i.id,
                schedule_id: s.id,
                contract_id: s.contract_id,
                client_id: s.client_id,
                invoice_id: i.invoice_id,
                mandate_id: m.id,
                creditor_account_id: account.id,
                previous_payment_id: None,
                attempt_number: 1,
                amount_minor: i.amount_minor,
                currency: i.currency.clone(),
                collection_date: date,
                status: PaymentStatus::Exported,
                batch_id: Some(batch_id),
                end_to_end_id: new_sepa_id('E'),
                sequence_type: Some(sequence),
                reason_code: None,
                rejection_kind: None,
                rejection_date: None,
                settlement_date: None,
                return_deadline: None,
                refund_date: None,
                request_id: None,
                amendment,
                created_at: at,
                updated_at: at,
                version: 1,
            });
        }
        if payments.is_empty() && presented.is_empty() {
            // Lapsed mandates found on the way stay expired.
            txn.commit().await?;
            self.committed();
            return Err(Error::FailedPrecondition(format!(
                "nothing is due for collection on {date} for creditor account {}",
                account.id
            )));
        }
        let control: i64 = payments
            .iter()
            .chain(&presented)
            .map(|p| p.amount_minor)
            .sum();
        let b = Batch {
            id: batch_id,
            organisation_id: tenant.id(),
            creditor_account_id: account.id,
            collection_date: date,
            status: BatchStatus::Prepared,
            message_id: new_sepa_id('M'),
            transactions: i32::try_from(payments.len() + presented.len()).unwrap_or(i32::MAX),
            control_sum_minor: control,
            currency: "EUR".into(),
            version: None,
            sha256: None,
            created_at: at,
            exported_at: None,
        };
        batch::Entity::insert(batch::ActiveModel {
            id: Set(b.id),
            organisation_id: Set(b.organisation_id),
            creditor_account_id: Set(b.creditor_account_id),
            collection_date: Set(b.collection_date),
            status: Set(b.status.as_str().to_owned()),
            message_id: Set(b.message_id.clone()),
            transactions: Set(b.transactions),
            control_sum_minor: Set(b.control_sum_minor),
            currency: Set(b.currency.clone()),
            pain_version: Set(None),
            sha256: Set(None),
            xml: Set(None),
            created_at: Set(at),
            exported_at: Set(None),
            file_lz4: Set(None),
        })
        .exec(&txn)
        .await?;
        for chunk in payments.chunks(CHUNK / 4) {
            payment::Entity::insert_many(chunk.iter().map(rows::payment_row))
                .exec(&txn)
                .await?;
        }
        for p in &presented {
            let done = payment::Entity::update_many_in(tenant)
                .set(rows::payment_row(p))
                .filter(payment::Column::Id.eq(p.id))
                .filter(payment::Column::Status.eq(PaymentStatus::Scheduled.as_str()))
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(Error::Aborted(
                    "a re-presentation changed concurrently; retry".into(),
                ));
            }
        }
        let mut moved: Vec<Uuid> = payments.iter().map(|p| p.instalment_id).collect();
        moved.extend(presented.iter().map(|p| p.instalment_id));
        set_instalments(&txn, tenant, &moved, InstalmentStatus::Submitted).await?;
        for id in &taken {
            if let Some(m) = mandates.get(id) {
                let mut next = m.clone();
                next.version += 1;
                next.updated_at = at;
                save_mandate(&txn, tenant, m.version, &next).await?;
            }
        }
        // Every mandate of the batch now has a collection on `date`, in one statement
        // whatever the batch's size: a one-off mandate is not taken again, and the
        // 36 months of lapse count from here.
        mandate::Entity::update_many_in(tenant)
            .col_expr(mandate::Column::LastCollectionDate, Expr::value(date))
            .col_expr(mandate::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                mandate::Column::Version,
                Expr::col(mandate::Column::Version).add(1),
            )
            .filter(mandate::Column::Id.in_subquery(of_batch(
                tenant,
                batch_id,
                payment::Column::MandateId,
            )))
            .filter(
                mandate::Column::LastCollectionDate
                    .is_null()
                    .or(mandate::Column::LastCollectionDate.lt(date)),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.committed();
        payments.extend(presented);
        tracing::info!(batch_id = %b.id, payments = payments.len(), %date, "batch prepared");
        Ok(Prepared { batch: b, payments })
    }
}

/// Sets the status of the instalments `ids`.
pub async fn set_instalments<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    ids: &[Uuid],
    status: InstalmentStatus,
) -> Result<(), Error> {
    let at = now();
    for chunk in ids.chunks(CHUNK) {
        instalment::Entity::update_many_in(tenant)
            .col_expr(instalment::Column::Status, Expr::value(status.as_str()))
            .col_expr(instalment::Column::UpdatedAt, Expr::value(at))
            .filter(instalment::Column::Id.is_in(chunk.iter().copied()))
            .exec(c)
            .await?;
    }
    Ok(())
}
