//! Billing runs write by batches. A run reads once which contracts the month already
//! invoiced ([`Repo::billed_in_month`]); then one transaction per batch locks the
//! invoice series, takes one block of numbers (still gapless: the block rolls back
//! with the batch), and inserts the invoices and their invoice.issued events with
//! multi-row inserts that skip a contract the month already has (the unique index on
//! (organisation, contract, month)). A skipped row means another run invoiced it
//! meanwhile: the batch rolls back, leaves those contracts out and is written again,
//! so numbers never go to an invoice that was not written. No statement of a batch
//! depends on how many invoices the organisation already has.

use std::collections::HashSet;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Repo, series, to_active};
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

/// Times a batch is written again because another run invoiced some of its contracts
/// meanwhile.
const CONFLICT_RETRIES: usize = 3;

impl Repo {
    /// Returns the contracts that have an invoice for the month starting on
    /// `month_start`: one read per run.
    pub async fn billed_in_month(
        &self,
        tenant: Tenant,
        month_start: NaiveDate,
    ) -> Result<HashSet<Uuid>, Error> {
        let found: Vec<Option<Uuid>> = Entity::find_in(tenant)
            .select_only()
            .column(Column::ContractId)
            .filter(Column::BillingPeriodStart.eq(month_start))
            .filter(Column::ContractId.is_not_null())
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Numbers and inserts `drafts` (issued documents whose number is still empty) as
    /// the invoices of the month starting on `month_start`, in one transaction, leaving
    /// out the contracts another run invoiced for the month meanwhile.
    pub async fn issue_run_batch(
        &self,
        tenant: Tenant,
        month_start: NaiveDate,
        prefix: &str,
        issue_date: NaiveDate,
        drafts: Vec<Invoice>,
        actor: &Actor,
    ) -> Result<Written, Error> {
        let total = drafts.len();
        let mut fresh = drafts;
        for _ in 0..CONFLICT_RETRIES {
            if fresh.is_empty() {
                break;
            }
            if self
                .write_run_batch(tenant, prefix, issue_date, &mut fresh, actor)
                .await?
            {
                self.wake();
                return Ok(Written {
                    issued: fresh.len(),
                    already_billed: total - fresh.len(),
                });
            }
            // Rolled back: another run wrote some of these; leave them out.
            let contracts: Vec<Uuid> = fresh.iter().filter_map(|i| i.contract_id).collect();
            let done = billed(self.db(), tenant, month_start, &contracts).await?;
            fresh.retain(|i| i.contract_id.is_none_or(|c| !done.contains(&c)));
        }
        if fresh.is_empty() {
            return Ok(Written {
                issued: 0,
                already_billed: total,
            });
        }
        Err(Error::Aborted(
            "other billing runs for the month kept writing the same contracts; run it again".into(),
        ))
    }

    /// Writes `fresh` in one transaction: numbers, invoices, events. Returns false,
    /// having written nothing, when a contract of `fresh` already has its invoice for
    /// the month.
    async fn write_run_batch(
        &self,
        tenant: Tenant,
        prefix: &str,
        issue_date: NaiveDate,
        fresh: &mut [Invoice],
        actor: &Actor,
    ) -> Result<bool, Error> {
        let txn = crm_db::begin_write(self.db()).await?;
        let mut locked = series::lock(&txn, tenant, prefix).await?;
        let numbers = series::take(&txn, tenant, &mut locked, fresh.len(), issue_date).await?;
        for (invoice, number) in fresh.iter_mut().zip(numbers) {
            if let Some(issued) = invoice.issued.as_mut() {
                issued.number = number;
            }
        }
        let once_a_month = OnConflict::columns([
            Column::OrganisationId,
            Column::ContractId,
            Column::BillingPeriodStart,
        ])
        .do_nothing()
        .to_owned();
        for chunk in fresh.chunks(INSERT_CHUNK) {
            let rows = chunk
                .iter()
                .map(|i| to_active(i, None))
                .collect::<Result<Vec<_>, _>>()?;
            let written = Entity::insert_many(rows)
                .on_conflict(once_a_month.clone())
                .exec_without_returning(&txn)
                .await?;
            if written != chunk.len() as u64 {
                // Dropping the transaction rolls it back, numbers included.
                return Ok(false);
            }
        }
        let events: Vec<NewEvent> = fresh
            .iter()
            .filter_map(|i| events::issued(i, actor))
            .collect();
        crm_events::append_many(&txn, events).await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// Returns which of `contracts` already have an invoice for the month starting on
/// `month_start`.
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
