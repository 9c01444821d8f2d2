//! Storage of invoices. Every query goes through the tenant-scoped helpers; every change
//! runs in one transaction that locks the invoice row first (and the series row last,
//! when it numbers), writes its events into the outbox, and wakes the relay once
//! committed.

use std::sync::Arc;

use chrono::{NaiveDate, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::state::{Action, refusal};
use crate::domain::{Invoice, Kind, Status, Visibility};
use crate::entity::invoice::{Column, Entity};
use crate::error::Error;

pub mod billing;
pub mod credit;
mod issue;
pub mod overdue;
pub mod payments;
mod rows;
pub mod series;

pub use rows::{to_active, to_domain};

/// Filters of ListInvoices.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only this contract's.
    pub contract_id: Option<Uuid>,
    /// Service period ending on or after this day.
    pub period_start: Option<NaiveDate>,
    /// Service period starting on or before this day.
    pub period_end: Option<NaiveDate>,
}

/// The invoices store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

/// Returns the current instant as both backends store it (microseconds).
pub fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Returns the connection.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Wakes the relay: call after committing events.
    pub fn wake(&self) {
        self.relay.notify_one();
    }

    /// Returns the document created earlier with `request_id`, if any.
    pub async fn by_request(
        &self,
        tenant: Tenant,
        request_id: Uuid,
    ) -> Result<Option<Invoice>, Error> {
        let found = Entity::find_in(tenant)
            .filter(Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?;
        Ok(found.map(to_domain).transpose()?)
    }

    /// Returns a document of the tenant visible to the caller.
    pub async fn get(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: &Visibility,
    ) -> Result<Invoice, Error> {
        match find(&self.db, tenant, id, false).await? {
            Some(i) if visibility.allows(i.client_commercial_id) => Ok(i),
            _ => Err(Error::NotFound(id)),
        }
    }

    /// Inserts a draft, or returns the one created earlier with `request_id`.
    pub async fn create_draft(
        &self,
        draft: Invoice,
        request_id: Option<Uuid>,
    ) -> Result<Invoice, Error> {
        let tenant = Tenant::new(draft.organisation_id);
        let inserted = Entity::insert(to_active(&draft, request_id)?)
            .exec_without_returning(&self.db)
            .await;
        match (inserted, request_id) {
            (Ok(_), _) => Ok(draft),
            // A concurrent retry with the same request id got there first.
            (Err(e), Some(request_id))
                if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                self.by_request(tenant, request_id)
                    .await?
                    .ok_or(Error::Database(e))
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    /// Changes a draft inside one transaction: read (locked), checked against the
    /// version the caller read (0: any) and still a draft, changed by `change`, written.
    pub async fn update_draft<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: i64,
        change: F,
    ) -> Result<Invoice, Error>
    where
        F: FnOnce(&Invoice) -> Result<Invoice, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = locked(&txn, tenant, id, version, Action::Update).await?;
        let next = change(&current)?;
        let saved = save(&txn, &current, next).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// Deletes a draft (it never had a number, so nothing is lost).
    pub async fn delete_draft(&self, tenant: Tenant, id: Uuid, version: i64) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = locked(&txn, tenant, id, version, Action::Delete).await?;
        Entity::delete_many_in(tenant)
            .filter(Column::Id.eq(current.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Returns up to `limit` documents after the id `after` (newest first), and whether
    /// more follow.
    pub async fn list(
        &self,
        tenant: Tenant,
        filter: &ListFilter,
        visibility: &Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Invoice>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        if let Some(ids) = visibility.limited_to() {
            if ids.is_empty() {
                return Ok((Vec::new(), false));
            }
            query = query.filter(Column::ClientCommercialId.is_in(ids.iter().copied()));
        }
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(Column::Kind.eq(kind.as_str()));
        }
        if let Some(client) = filter.client_id {
            query = query.filter(Column::ClientId.eq(client));
        }
        if let Some(contract) = filter.contract_id {
            query = query.filter(Column::ContractId.eq(contract));
        }
        if let Some(start) = filter.period_start {
            query = query.filter(Column::ServicePeriodEnd.gte(start));
        }
        if let Some(end) = filter.period_end {
            query = query.filter(Column::ServicePeriodStart.lte(end));
        }
        if let Some(after) = after {
            query = query.filter(Column::Id.lt(after));
        }
        let mut found = query
            .order_by_desc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = found.len() as u64 > limit;
        found.truncate(limit as usize);
        let invoices = found
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((invoices, more))
    }
}

/// Returns a document of the tenant, locked until the transaction ends when `lock`
/// (PostgreSQL `FOR UPDATE`; SQLite's write transaction already holds the database).
pub async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    lock: bool,
) -> Result<Option<Invoice>, Error> {
    let mut query = Entity::find_by_id_in(tenant, id);
    if lock {
        query = query.lock_exclusive();
    }
    Ok(query.one(db).await?.map(to_domain).transpose()?)
}

/// Returns the document locked, checked against `version` (0: any) and allowed to
/// undergo `action`.
pub async fn locked<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    id: Uuid,
    version: i64,
    action: Action,
) -> Result<Invoice, Error> {
    let current = find(txn, tenant, id, true)
        .await?
        .ok_or(Error::NotFound(id))?;
    if version != 0 && version != current.version {
        return Err(Error::VersionMismatch {
            id,
            expected: version,
            current: current.version,
        });
    }
    if let Some(why) = refusal(current.kind, current.status, action) {
        return Err(Error::FailedPrecondition(why));
    }
    Ok(current)
}

/// Writes `next` over `current` (locked by the caller's transaction), one version
/// later; returns `next` as stored.
pub async fn save<C: ConnectionTrait>(
    txn: &C,
    current: &Invoice,
    mut next: Invoice,
) -> Result<Invoice, Error> {
    next.version = current.version + 1;
    next.updated_at = now();
    let mut active = to_active(&next, None)?;
    // The request id belongs to the creation; a change leaves it as it was.
    active.request_id = NotSet;
    let tenant = Tenant::new(current.organisation_id);
    let result = Entity::update_many_in(tenant)
        .set(active)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::VersionMismatch {
            id: current.id,
            expected: current.version,
            current: current.version + 1,
        });
    }
    Ok(next)
}

/// Writes `events` through the caller's transaction.
pub async fn append<C: ConnectionTrait>(txn: &C, events: Vec<NewEvent>) -> Result<(), Error> {
    for event in events {
        crm_events::append(txn, event).await?;
    }
    Ok(())
}
