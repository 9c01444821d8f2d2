//! Billing runs write by batches: one transaction per batch locks the invoice series,
//! leaves out the contracts already invoiced for the month (the check is race-free
//! behind the series lock, and the unique index on (organisation, contract, month)
//! stands behind it), takes one block of numbers for the rest (still gapless: the block
//! rolls back with the batch), and inserts the invoices and their invoice.issued events
//! with multi-row inserts: a few statements per batch instead of several per invoice.

use std::collections::HashSet;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{Repo, now, series, to_active};
use crate::domain::Invoice;
use crate::entity::invoice::{Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// Rows per multi-row insert: about 40 columns each, well under both backends' bound
/// parameter limits.
const INSERT_CHUNK: usize = 200;

/// What a batch wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Invoices issued.
    pub issued: usize,
    /// Contracts another run invoiced for the month meanwhile.
    pub already_billed: usize,
}

impl Repo {
    /// Returns which of `contracts` already have an invoice for the month starting on
    /// `month_start`.
    pub async fn billed_contracts(
        &self,
        tenant: Tenant,
        month_start: NaiveDate,
        contracts: &[Uuid],
    ) -> Result<HashSet<Uuid>, Error> {
        billed(self.db(), tenant, month_start, contracts).await
    }

    /// Numbers and inserts `drafts` (issued documents whose number is still empty) as
    /// the invoices of the month starting on `month_start`, in one transaction.
    pub async fn issue_run_batch(
        &self,
        tenant: Tenant,
        month_start: NaiveDate,
        prefix: &str,
        issue_date: NaiveDate,
        drafts: Vec<Invoice>,
        actor: &Actor,
    ) -> Result<Written, Error> {
        let txn = crm_db::begin_write(self.db()).await?;
        let mut locked = series::lock(&txn, tenant, prefix).await?;
        let contracts: Vec<Uuid> = drafts.iter().filter_map(|i| i.contract_id).collect();
        let done = billed(&txn, tenant, month_start, &contracts).await?;
        let total = drafts.len();
        let mut fresh: Vec<Invoice> = drafts
            .into_iter()
            .filter(|i| i.contract_id.is_none_or(|c| !done.contains(&c)))
            .collect();
        let numbers = series::take(&txn, tenant, &mut locked, fresh.len(), issue_date).await?;
        for (invoice, number) in fresh.iter_mut().zip(numbers) {
            if let Some(issued) = invoice.issued.as_mut() {
                issued.number = number;
            }
        }
        for chunk in fresh.chunks(INSERT_CHUNK) {
            let rows = chunk
                .iter()
                .map(|i| to_active(i, None))
                .collect::<Result<Vec<_>, _>>()?;
            Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        let events: Vec<NewEvent> = fresh
            .iter()
            .filter_map(|i| events::issued(i, actor))
            .collect();
        append_many(&txn, events).await?;
        txn.commit().await?;
        self.wake();
        Ok(Written {
            issued: fresh.len(),
            already_billed: total - fresh.len(),
        })
    }
}

async fn billed<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    month_start: NaiveDate,
    contracts: &[Uuid],
) -> Result<HashSet<Uuid>, Error> {
    if contracts.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Option<Uuid>> = Entity::find_in(tenant)
        .select_only()
        .column(Column::ContractId)
        .filter(Column::BillingPeriodStart.eq(month_start))
        .filter(Column::ContractId.is_in(contracts.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Writes `events` into the outbox with multi-row inserts, in order.
async fn append_many<C: ConnectionTrait>(txn: &C, events: Vec<NewEvent>) -> Result<(), Error> {
    use crm_events::entity::{ActiveModel, Entity as Outbox};
    let at = now();
    let rows: Vec<ActiveModel> = events
        .into_iter()
        .map(|e| ActiveModel {
            seq: NotSet,
            id: Set(Uuid::now_v7()),
            event_type: Set(e.event_type.to_owned()),
            organisation_id: Set(e.organisation_id),
            aggregate_id: Set(e.aggregate_id),
            aggregate_version: Set(e.aggregate_version),
            payload: Set(e.payload),
            traceparent: Set(e.traceparent),
            created_at: Set(at),
            sent_at: Set(None),
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<ActiveModel> = rows.by_ref().take(INSERT_CHUNK * 2).collect();
        Outbox::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
