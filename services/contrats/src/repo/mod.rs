//! Storage of contracts. Every query goes through the tenant-scoped helpers; every change
//! writes its event into the outbox in the same transaction and wakes the relay once
//! committed.

use std::sync::Arc;

use chrono::{Datelike as _, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{Contract, Status, Terms, Visibility, number};
use crate::entity::contract::{Column, Entity};
use crate::entity::counter;
use crate::error::Error;
use crate::events::{self, Actor};

mod rows;

/// Filters of the list methods.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this client's contracts.
    pub client_id: Option<Uuid>,
    /// Only this sales agent's contracts.
    pub commercial_id: Option<Uuid>,
}

/// What the stored version must be for a change to apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect {
    /// The version the caller read (0: any); a mismatch is `VersionMismatch`.
    pub caller: i64,
    /// The version the service read before checking references in other services; a
    /// mismatch means the contract changed meanwhile (`Concurrent`).
    pub snapshot: Option<i64>,
}

/// The contracts store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Returns the contract created earlier with `request_id`, if any.
    pub async fn by_request(
        &self,
        tenant: Tenant,
        request_id: Uuid,
    ) -> Result<Option<Contract>, Error> {
        by_request(&self.db, tenant, request_id).await
    }

    /// Inserts a new draft with the next number of the organisation's sequence for the
    /// current year, or returns the contract created earlier with `request_id`.
    pub async fn create(
        &self,
        tenant: Tenant,
        terms: Terms,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Contract, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id
            && let Some(earlier) = by_request(&txn, tenant, request_id).await?
        {
            return Ok(earlier);
        }
        // PostgreSQL keeps microseconds: store what reads back the same on both backends.
        let now = Utc::now().trunc_subsecs(6);
        let sequence = next_sequence(&txn, tenant, now.year()).await?;
        let contract = Contract {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            number: number::format(now.year(), sequence),
            terms,
            status: Status::Draft,
            signature: None,
            suspension: None,
            termination: None,
            cancellation_reason: None,
            amendments: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let inserted = Entity::insert(rows::to_active(&contract, request_id)?)
            .exec(&txn)
            .await;
        match (inserted, request_id) {
            (Ok(_), _) => {}
            // A concurrent retry with the same request id committed first: this
            // transaction (and the number it took) rolls back and the retry gets the
            // contract the first one created.
            (Err(e), Some(request_id))
                if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                txn.rollback().await?;
                return self
                    .by_request(tenant, request_id)
                    .await?
                    .ok_or(Error::Database(e));
            }
            (Err(e), _) => return Err(e.into()),
        }
        crm_events::append(&txn, events::created(&contract, actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(contract)
    }

    /// Returns a contract of the tenant visible to the caller.
    pub async fn get(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
    ) -> Result<Contract, Error> {
        find(&self.db, tenant, id, visibility).await
    }

    /// Applies `change` to a contract inside one transaction: it is read, checked against
    /// `expect`, changed and written with the event `describe` returns for (before,
    /// after), or nothing is written.
    pub async fn update<F, D>(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
        expect: Expect,
        change: F,
        describe: D,
    ) -> Result<Contract, Error>
    where
        F: FnOnce(&Contract) -> Result<Contract, Error>,
        D: FnOnce(&Contract, &Contract) -> Option<NewEvent>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = find(&txn, tenant, id, visibility).await?;
        check_version(&current, expect)?;
        let mut next = change(&current)?;
        next.version = current.version + 1;
        next.updated_at = Utc::now().trunc_subsecs(6);
        let mut active = rows::to_active(&next, None)?;
        // The request id belongs to the creation; a change leaves it as it was.
        active.request_id = NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            // Only PostgreSQL gets here: another transaction changed the row after this
            // one read it.
            return Err(Error::Concurrent(id));
        }
        if let Some(event) = describe(&current, &next) {
            crm_events::append(&txn, event).await?;
        }
        txn.commit().await?;
        self.relay.notify_one();
        Ok(next)
    }

    /// Returns up to `limit` contracts after the id `after` (newest first), and whether
    /// more follow.
    pub async fn list(
        &self,
        tenant: Tenant,
        filter: &ListFilter,
        visibility: Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Contract>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        match visibility {
            Visibility::All => {}
            Visibility::Commercials(ids) if ids.is_empty() => return Ok((Vec::new(), false)),
            Visibility::Commercials(ids) => {
                query = query.filter(Column::CommercialId.is_in(ids.iter().copied()));
            }
        }
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(client) = filter.client_id {
            query = query.filter(Column::ClientId.eq(client));
        }
        if let Some(commercial) = filter.commercial_id {
            query = query.filter(Column::CommercialId.eq(commercial));
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
        let contracts = found
            .into_iter()
            .map(rows::to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((contracts, more))
    }
}

fn check_version(current: &Contract, expect: Expect) -> Result<(), Error> {
    if expect.caller != 0 && expect.caller != current.version {
        return Err(Error::VersionMismatch {
            id: current.id,
            expected: expect.caller,
            current: current.version,
        });
    }
    if expect.snapshot.is_some_and(|v| v != current.version) {
        return Err(Error::Concurrent(current.id));
    }
    Ok(())
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    visibility: Visibility,
) -> Result<Contract, Error> {
    let found = Entity::find_by_id_in(tenant, id).one(db).await?;
    match found.map(rows::to_domain).transpose()? {
        Some(c) if visibility.allows(Some(c.terms.commercial_id)) => Ok(c),
        _ => Err(Error::NotFound(id)),
    }
}

async fn by_request<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    request_id: Uuid,
) -> Result<Option<Contract>, Error> {
    let found = Entity::find_in(tenant)
        .filter(Column::RequestId.eq(request_id))
        .one(db)
        .await?;
    Ok(found.map(rows::to_domain).transpose()?)
}

/// Returns the next sequence of the organisation's numbering for `year`, taken from its
/// counter row inside the caller's transaction. The upsert locks the row until the
/// transaction ends (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers),
/// so concurrent creations number one after the other, and a transaction that rolls back
/// gives its number back: the sequence has no gaps.
async fn next_sequence<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    year: i32,
) -> Result<i64, DbErr> {
    use counter::Column as K;
    let first = counter::ActiveModel {
        organisation_id: Set(tenant.id()),
        year: Set(year),
        last_value: Set(1),
    };
    counter::Entity::insert(first)
        .on_conflict(
            OnConflict::columns([K::OrganisationId, K::Year])
                .value(
                    K::LastValue,
                    Expr::col((counter::Entity, K::LastValue)).add(1),
                )
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let row = counter::Entity::find_in(tenant)
        .filter(K::Year.eq(year))
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("contract counter".into()))?;
    Ok(row.last_value)
}
