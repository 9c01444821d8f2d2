//! MarkOverdue: every issued or partially paid invoice due before a day, never marked
//! before, becomes OVERDUE with its invoice.overdue event, by batches of one transaction
//! each. The rows are locked and checked again inside the transaction, so two runs at
//! once mark (and announce) each invoice once.

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Repo, append, now, save, to_domain};
use crate::domain::state::becomes_overdue;
use crate::domain::{Kind, Status};
use crate::entity::invoice::{Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// Invoices marked per transaction.
const BATCH: u64 = 500;

impl Repo {
    /// Marks the tenant's unpaid invoices due before `as_of` overdue; returns how many.
    pub async fn mark_overdue(
        &self,
        tenant: Tenant,
        as_of: NaiveDate,
        actor: &Actor,
    ) -> Result<u64, Error> {
        let mut marked = 0;
        loop {
            let txn = crm_db::begin_write(self.db()).await?;
            let rows = Entity::find_in(tenant)
                .filter(Column::Kind.eq(Kind::Invoice.as_str()))
                .filter(
                    Column::Status.is_in([Status::Issued.as_str(), Status::PartiallyPaid.as_str()]),
                )
                .filter(Column::DueDate.lt(as_of))
                .filter(Column::OverdueAt.is_null())
                .order_by_asc(Column::Id)
                .limit(BATCH)
                .lock_exclusive()
                .all(&txn)
                .await?;
            let found = rows.len() as u64;
            let before = marked;
            let at = now();
            let mut out = Vec::new();
            for row in rows {
                let current = to_domain(row)?;
                let Some(due) = current.issued.as_ref().map(|i| i.due_date) else {
                    continue;
                };
                if !becomes_overdue(current.status, due, as_of, current.overdue_at.is_some()) {
                    continue;
                }
                let mut next = current.clone();
                next.status = Status::Overdue;
                next.overdue_at = Some(at);
                let next = save(&txn, &current, next).await?;
                out.extend(events::overdue(&next, actor));
                marked += 1;
            }
            append(&txn, out).await?;
            txn.commit().await?;
            self.wake();
            // A full batch of which nothing changed would be found again: stop there.
            if found < BATCH || marked == before {
                return Ok(marked);
            }
        }
    }
}
