//! Issuing a draft: in one transaction the draft is locked and checked unchanged since
//! the facts were read, the next number of its series taken, the issued invoice written
//! and invoice.issued appended.

use chrono::NaiveDate;
use crm_db::Tenant;
use uuid::Uuid;

use super::{Repo, append, locked, save, series};
use crate::domain::Invoice;
use crate::domain::state::Action;
use crate::error::Error;
use crate::events::{self, Actor};

impl Repo {
    /// Issues the draft `id`, read at version `snapshot`, with the next number of the
    /// series `prefix`; `build` makes the issued invoice of the draft and its number.
    pub async fn issue<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        snapshot: i64,
        (prefix, issue_date): (&str, NaiveDate),
        build: F,
        actor: &Actor,
    ) -> Result<Invoice, Error>
    where
        F: FnOnce(&Invoice, String) -> Invoice,
    {
        let txn = crm_db::begin_write(self.db()).await?;
        let current = locked(&txn, tenant, id, 0, Action::Issue).await?;
        if current.version != snapshot {
            return Err(Error::VersionMismatch {
                id,
                expected: snapshot,
                current: current.version,
            });
        }
        let number = series::allocate(&txn, tenant, prefix, 1, issue_date)
            .await?
            .pop()
            .ok_or_else(|| Error::FailedPrecondition("no number could be allocated".into()))?;
        let next = build(&current, number);
        let saved = save(&txn, &current, next).await?;
        append(&txn, events::issued(&saved, actor).into_iter().collect()).await?;
        txn.commit().await?;
        self.wake();
        Ok(saved)
    }
}
