//! Storage of policies, chains and attempts. Every query goes through the tenant-scoped
//! helpers; the functions take any connection so the consumers run them in their
//! delivery's transaction and the API in its own.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait as _, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::domain::{Attempt, AttemptStatus, Chain, ChainState, StoredPolicy};
use crate::entity::{attempt, chain, policy};
use crate::error::Error;

mod rows;

pub use rows::{attempt_from_row, chain_from_row};

/// Returns the current instant as both backends store it (PostgreSQL keeps
/// microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Returns the organisation's policy: the stored one, or the defaults (version 0).
pub async fn load_policy<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
) -> Result<StoredPolicy, Error> {
    match policy::Entity::find_by_id_in(tenant, tenant.id())
        .one(db)
        .await?
    {
        Some(row) => rows::policy_from_row(row),
        None => Ok(StoredPolicy::default()),
    }
}

/// Writes `next` over the policy stored at version `current` (0: none stored yet).
/// A concurrent writer makes it fail with [`Error::Concurrent`].
pub async fn save_policy<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    current: i64,
    next: &StoredPolicy,
) -> Result<(), Error> {
    let row = rows::policy_to_row(tenant.id(), next);
    if current == 0 {
        policy::Entity::insert(row)
            .exec(db)
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    Error::Concurrent("the policy")
                }
                _ => Error::Database(e),
            })?;
        return Ok(());
    }
    let result = policy::Entity::update_many_in(tenant)
        .set(row)
        .filter(policy::Column::Version.eq(current))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::Concurrent("the policy"));
    }
    Ok(())
}

/// Returns the chain a payment belongs to: the one it opened, or the one of the attempt
/// that made it.
pub async fn chain_of_payment<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    payment: Uuid,
) -> Result<Option<Chain>, Error> {
    if let Some(row) = chain::Entity::find_in(tenant)
        .filter(chain::Column::RootPaymentId.eq(payment))
        .one(db)
        .await?
    {
        return chain_from_row(row).map(Some);
    }
    match attempt_by_new_payment(db, tenant, payment).await? {
        Some(a) => chain_by_id(db, tenant, a.chain_id).await.map(Some),
        None => Ok(None),
    }
}

/// Returns the chain opened by the rejection of `payment`, if any.
pub async fn chain_by_root<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    payment: Uuid,
) -> Result<Option<Chain>, Error> {
    chain::Entity::find_in(tenant)
        .filter(chain::Column::RootPaymentId.eq(payment))
        .one(db)
        .await?
        .map(chain_from_row)
        .transpose()
}

/// Returns a chain of the tenant by id.
pub async fn chain_by_id<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Chain, Error> {
    let row = chain::Entity::find_by_id_in(tenant, id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("attempt of a missing chain {id}")))?;
    chain_from_row(row)
}

/// Returns the attempt whose presentation made `payment`, if any.
pub async fn attempt_by_new_payment<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    payment: Uuid,
) -> Result<Option<Attempt>, Error> {
    attempt::Entity::find_in(tenant)
        .filter(attempt::Column::NewPaymentId.eq(payment))
        .one(db)
        .await?
        .map(attempt_from_row)
        .transpose()
}

/// Returns an attempt of the tenant by id.
pub async fn attempt_by_id<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Option<Attempt>, Error> {
    attempt::Entity::find_by_id_in(tenant, id)
        .one(db)
        .await?
        .map(attempt_from_row)
        .transpose()
}

/// Inserts a new chain.
pub async fn insert_chain<C: ConnectionTrait>(db: &C, c: &Chain) -> Result<(), Error> {
    chain::Entity::insert(rows::chain_to_row(c))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes `next` over the chain stored at version `current`; a concurrent writer makes
/// it fail with [`Error::Concurrent`], so the caller's transaction rolls back.
pub async fn update_chain<C: ConnectionTrait>(
    db: &C,
    current: i64,
    next: &Chain,
) -> Result<(), Error> {
    let result = chain::Entity::update_many_in(Tenant::new(next.organisation_id))
        .set(rows::chain_to_row(next))
        .filter(chain::Column::Id.eq(next.id))
        .filter(chain::Column::Version.eq(current))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::Concurrent("the retry chain"));
    }
    Ok(())
}

/// Inserts a new attempt.
pub async fn insert_attempt<C: ConnectionTrait>(db: &C, a: &Attempt) -> Result<(), Error> {
    attempt::Entity::insert(rows::attempt_to_row(a))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes `next` over the attempt stored in status `current`; a concurrent writer makes
/// it fail with [`Error::Concurrent`].
pub async fn update_attempt<C: ConnectionTrait>(
    db: &C,
    current: AttemptStatus,
    next: &Attempt,
) -> Result<(), Error> {
    let result = attempt::Entity::update_many_in(Tenant::new(next.organisation_id))
        .set(rows::attempt_to_row(next))
        .filter(attempt::Column::Id.eq(next.id))
        .filter(attempt::Column::Status.eq(current.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::Concurrent("the retry attempt"));
    }
    Ok(())
}

/// Returns the attempts of `chains`, each chain's oldest first.
pub async fn attempts_of<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    chains: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Attempt>>, Error> {
    let mut out: HashMap<Uuid, Vec<Attempt>> = HashMap::new();
    if chains.is_empty() {
        return Ok(out);
    }
    let rows = attempt::Entity::find_in(tenant)
        .filter(attempt::Column::ChainId.is_in(chains.iter().copied()))
        .order_by_asc(attempt::Column::AttemptNumber)
        .all(db)
        .await?;
    for row in rows {
        let a = attempt_from_row(row)?;
        out.entry(a.chain_id).or_default().push(a);
    }
    Ok(out)
}

/// Which chains a consumer stops.
#[derive(Debug, Clone, Copy)]
pub enum ChainsOf {
    /// The chains collecting with this mandate.
    Mandate(Uuid),
    /// The chains collecting this invoice.
    Invoice(Uuid),
}

/// Returns the open chains (WAITING, SCHEDULED, IN_FLIGHT) of a mandate or an invoice.
pub async fn open_chains<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    of: ChainsOf,
) -> Result<Vec<Chain>, Error> {
    let open: Vec<&str> = ChainState::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(ChainState::as_str)
        .collect();
    let query = chain::Entity::find_in(tenant).filter(chain::Column::State.is_in(open));
    let query = match of {
        ChainsOf::Mandate(id) => query.filter(chain::Column::MandateId.eq(id)),
        ChainsOf::Invoice(id) => query.filter(chain::Column::InvoiceId.eq(id)),
    };
    query
        .order_by_asc(chain::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(chain_from_row)
        .collect()
}

/// Filters of ListAttempts.
#[derive(Debug, Clone, Default)]
pub struct AttemptFilter {
    /// Only this chain's attempts.
    pub chain: Option<Uuid>,
    /// Only this client's.
    pub client: Option<Uuid>,
    /// Only in this status.
    pub status: Option<AttemptStatus>,
}

/// Returns up to `limit` attempts after the id `after`, newest first, and whether more
/// follow.
pub async fn list_attempts<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    filter: &AttemptFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<Attempt>, bool), Error> {
    let mut query = attempt::Entity::find_in(tenant);
    if let Some(chain) = filter.chain {
        query = query.filter(attempt::Column::ChainId.eq(chain));
    }
    if let Some(client) = filter.client {
        query = query.filter(attempt::Column::ClientId.eq(client));
    }
    if let Some(status) = filter.status {
        query = query.filter(attempt::Column::Status.eq(status.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(attempt::Column::Id.lt(after));
    }
    let mut rows = query
        .order_by_desc(attempt::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let attempts = rows
        .into_iter()
        .map(attempt_from_row)
        .collect::<Result<_, _>>()?;
    Ok((attempts, more))
}

/// Filters of ListChains.
#[derive(Debug, Clone, Default)]
pub struct ChainFilter {
    /// Only this client's.
    pub client: Option<Uuid>,
    /// Only this mandate's.
    pub mandate: Option<Uuid>,
    /// Only this invoice's.
    pub invoice: Option<Uuid>,
    /// Only in this state.
    pub state: Option<ChainState>,
}

/// Returns up to `limit` chains after the id `after`, newest first, and whether more
/// follow.
pub async fn list_chains<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    filter: &ChainFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<Chain>, bool), Error> {
    let mut query = chain::Entity::find_in(tenant);
    if let Some(client) = filter.client {
        query = query.filter(chain::Column::ClientId.eq(client));
    }
    if let Some(mandate) = filter.mandate {
        query = query.filter(chain::Column::MandateId.eq(mandate));
    }
    if let Some(invoice) = filter.invoice {
        query = query.filter(chain::Column::InvoiceId.eq(invoice));
    }
    if let Some(state) = filter.state {
        query = query.filter(chain::Column::State.eq(state.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(chain::Column::Id.lt(after));
    }
    let mut rows = query
        .order_by_desc(chain::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let chains = rows
        .into_iter()
        .map(chain_from_row)
        .collect::<Result<_, _>>()?;
    Ok((chains, more))
}

/// Returns up to `limit` SCHEDULED attempts due on or before `as_of`, oldest due first,
/// and how many are due in all.
pub async fn due_attempts<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    as_of: NaiveDate,
    limit: u64,
) -> Result<(Vec<Attempt>, u64), Error> {
    let query = attempt::Entity::find_in(tenant)
        .filter(attempt::Column::Status.eq(AttemptStatus::Scheduled.as_str()))
        .filter(attempt::Column::DueDate.lte(as_of));
    let total = query.clone().count(db).await?;
    let attempts = query
        .order_by_asc(attempt::Column::DueDate)
        .order_by_asc(attempt::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(attempt_from_row)
        .collect::<Result<_, _>>()?;
    Ok((attempts, total))
}
