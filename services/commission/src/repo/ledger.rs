//! The ledger: facts recorded from events, and the entries derived from them. Recording
//! a fact re-derives its contract's entries and writes what is missing or different in
//! open months (entries of closed months never change); the new entries' events go to
//! the outbox in the same transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use crm_kit::team::Scope;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::rows::fact_to_domain;
use super::{Repo, lock_org, month_of, now};
use crate::domain::derive::{Draft, FactBody, derive};
use crate::domain::terms::Terms;
use crate::domain::{EntryStatus, Kind, Month, landing_period};
use crate::entity::{entry, fact};
use crate::error::Error;
use crate::events;

/// A fact to record.
#[derive(Debug, Clone)]
pub struct NewFact {
    /// The event.
    pub event_id: Uuid,
    /// Its type.
    pub event_type: String,
    /// The contract.
    pub contract_id: Uuid,
    /// The payment, for payment events.
    pub payment_id: Option<Uuid>,
    /// The business date of the event.
    pub event_date: NaiveDate,
    /// What it said.
    pub body: FactBody,
}

/// What a derivation wrote.
#[derive(Debug, Default)]
pub struct Settled {
    /// Entries inserted.
    pub created: i32,
    /// Entries whose amount, base, rate or status changed.
    pub updated: i32,
    /// Entries already as derived (or frozen in a closed month).
    pub unchanged: i32,
    /// Keys of every entry derived.
    pub keys: HashSet<String>,
}

/// What a recomputation did.
#[derive(Debug, Default)]
pub struct Recomputed {
    /// Facts of the month.
    pub facts: i32,
    /// The entries written.
    pub settled: Settled,
    /// Pending entries withdrawn.
    pub cancelled: i32,
}

/// Filters of ListEntries and of a statement's lines.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// One sales agent.
    pub commercial_id: Option<Uuid>,
    /// One month.
    pub period: Option<Month>,
    /// One kind.
    pub kind: Option<Kind>,
    /// One contract.
    pub contract_id: Option<Uuid>,
    /// One currency.
    pub currency: Option<String>,
    /// Leave cancelled entries out.
    pub live_only: bool,
}

/// Returns whether the event was already recorded.
pub async fn has_fact<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    event_id: Uuid,
) -> Result<bool, Error> {
    let found = fact::Entity::find_in(tenant)
        .filter(fact::Column::EventId.eq(event_id))
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Returns the terms a contract was signed under, `None` before its signature arrived.
pub async fn contract_terms<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    contract_id: Uuid,
) -> Result<Option<Terms>, Error> {
    let rows = fact::Entity::find_in(tenant)
        .filter(fact::Column::ContractId.eq(contract_id))
        .filter(fact::Column::EventType.eq(crate::consumer::CONTRACT_SIGNED))
        .order_by_asc(fact::Column::Seq)
        .limit(1)
        .all(db)
        .await?;
    for row in &rows {
        if let FactBody::Signed(terms) = fact_to_domain(row)?.body {
            return Ok(Some(terms));
        }
    }
    Ok(None)
}

/// Records `new` (once per event) and settles its contract inside `txn`; returns what
/// was written.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    new: NewFact,
    traceparent: Option<&str>,
) -> Result<Settled, Error> {
    let closed = lock_org(txn, tenant).await?;
    if has_fact(txn, tenant, new.event_id).await? {
        return Ok(Settled::default());
    }
    let period = landing_period(Month::of(new.event_date), closed);
    let body =
        serde_json::to_string(&new.body).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    fact::Entity::insert(fact::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        organisation_id: Set(tenant.id()),
        event_id: Set(new.event_id),
        event_type: Set(new.event_type),
        contract_id: Set(new.contract_id),
        payment_id: Set(new.payment_id),
        event_date: Set(new.event_date),
        period: Set(period.to_string()),
        body: Set(body),
        created_at: Set(now()),
    })
    .exec_without_returning(txn)
    .await?;
    settle(txn, tenant, new.contract_id, closed, None, traceparent).await
}

fn differs(e: &entry::Model, d: &Draft) -> bool {
    e.amount != d.amount || e.base_amount != d.base || e.rate_bps != d.rate_bps
}

/// Derives the entries of `contract` from its facts and writes them: missing ones are
/// inserted in their fact's month (or the first open one), changed ones in open months
/// updated. With `only`, just the facts of that month are written.
async fn settle<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    contract: Uuid,
    closed: Option<Month>,
    only: Option<Month>,
    traceparent: Option<&str>,
) -> Result<Settled, Error> {
    let rows = fact::Entity::find_in(tenant)
        .filter(fact::Column::ContractId.eq(contract))
        .order_by_asc(fact::Column::Seq)
        .all(txn)
        .await?;
    let facts = rows
        .iter()
        .map(fact_to_domain)
        .collect::<Result<Vec<_>, _>>()?;
    let mut periods = rows
        .iter()
        .map(|r| Ok((r.seq, month_of(&r.period)?)))
        .collect::<Result<HashMap<i64, Month>, sea_orm::DbErr>>()?;
    let drafts = derive(&facts)?;
    let existing: HashMap<String, entry::Model> = entry::Entity::find_in(tenant)
        .filter(entry::Column::ContractId.eq(contract))
        .all(txn)
        .await?
        .into_iter()
        .map(|e| (e.entry_key.clone(), e))
        .collect();
    let mut ids: HashMap<String, Uuid> = existing.iter().map(|(k, e)| (k.clone(), e.id)).collect();
    let mut out = Settled::default();
    for d in drafts {
        let Some(fact_period) = periods.get(&d.fact_seq).copied() else {
            continue;
        };
        if only.is_some_and(|m| m != fact_period) {
            continue;
        }
        out.keys.insert(d.key.clone());
        if let Some(e) = existing.get(&d.key) {
            let status = EntryStatus::parse(&e.status).ok_or_else(|| {
                sea_orm::DbErr::Custom(format!("entry {}: unreadable status", e.id))
            })?;
            let frozen = closed.is_some_and(|c| month_of(&e.period).is_ok_and(|p| p <= c))
                || matches!(status, EntryStatus::Validated | EntryStatus::Paid);
            if !differs(e, &d) && status != EntryStatus::Cancelled {
                out.unchanged += 1;
            } else if frozen {
                tracing::warn!(entry_id = %e.id, "a closed entry differs from its facts; left as closed");
                out.unchanged += 1;
            } else {
                entry::Entity::update_many_in(tenant)
                    .col_expr(entry::Column::Amount, Expr::value(d.amount))
                    .col_expr(entry::Column::BaseAmount, Expr::value(d.base))
                    .col_expr(entry::Column::RateBps, Expr::value(d.rate_bps))
                    .col_expr(
                        entry::Column::Status,
                        Expr::value(EntryStatus::Pending.as_str()),
                    )
                    .col_expr(entry::Column::UpdatedAt, Expr::value(now()))
                    .filter(entry::Column::Id.eq(e.id))
                    .exec(txn)
                    .await?;
                out.updated += 1;
            }
            continue;
        }
        let target = landing_period(fact_period, closed);
        if target != fact_period {
            fact::Entity::update_many_in(tenant)
                .col_expr(fact::Column::Period, Expr::value(target.to_string()))
                .filter(fact::Column::Seq.eq(d.fact_seq))
                .exec(txn)
                .await?;
            periods.insert(d.fact_seq, target);
        }
        let row = new_entry(tenant, &d, target, &ids);
        ids.insert(d.key.clone(), row.id);
        entry::Entity::insert(to_active(&row))
            .exec_without_returning(txn)
            .await?;
        crm_events::append(txn, events::entry_created(&row, traceparent)).await?;
        out.created += 1;
    }
    Ok(out)
}

fn new_entry(
    tenant: Tenant,
    d: &Draft,
    period: Month,
    ids: &HashMap<String, Uuid>,
) -> entry::Model {
    let at = now();
    let link = |key: &Option<String>| key.as_ref().and_then(|k| ids.get(k).copied());
    entry::Model {
        id: Uuid::now_v7(),
        organisation_id: tenant.id(),
        entry_key: d.key.clone(),
        commercial_id: d.commercial_id,
        source: d.source.as_str().to_owned(),
        kind: d.kind.as_str().to_owned(),
        contract_id: d.contract_id,
        payment_id: d.payment_id,
        currency: d.currency.clone(),
        base_amount: d.base,
        rate_bps: d.rate_bps,
        amount: d.amount,
        period: period.to_string(),
        status: EntryStatus::Pending.as_str().to_owned(),
        event_date: d.event_date,
        trigger_type: d.trigger.clone(),
        trigger_event_id: d.trigger_event_id,
        fact_seq: d.fact_seq,
        source_commercial_id: d.source_commercial_id,
        override_level: d.override_level,
        original_key: d.original_key.clone(),
        original_entry_id: link(&d.original_key),
        parent_key: d.parent_key.clone(),
        parent_entry_id: link(&d.parent_key),
        created_at: at,
        updated_at: at,
    }
}

fn to_active(m: &entry::Model) -> entry::ActiveModel {
    entry::ActiveModel {
        id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        entry_key: Set(m.entry_key.clone()),
        commercial_id: Set(m.commercial_id),
        source: Set(m.source.clone()),
        kind: Set(m.kind.clone()),
        contract_id: Set(m.contract_id),
        payment_id: Set(m.payment_id),
        currency: Set(m.currency.clone()),
        base_amount: Set(m.base_amount),
        rate_bps: Set(m.rate_bps),
        amount: Set(m.amount),
        period: Set(m.period.clone()),
        status: Set(m.status.clone()),
        event_date: Set(m.event_date),
        trigger_type: Set(m.trigger_type.clone()),
        trigger_event_id: Set(m.trigger_event_id),
        fact_seq: Set(m.fact_seq),
        source_commercial_id: Set(m.source_commercial_id),
        override_level: Set(m.override_level),
        original_key: Set(m.original_key.clone()),
        original_entry_id: Set(m.original_entry_id),
        parent_key: Set(m.parent_key.clone()),
        parent_entry_id: Set(m.parent_entry_id),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}

impl Repo {
    /// Rebuilds the entries of the open month `month` from its facts: missing ones
    /// inserted, changed ones updated, pending ones the facts no longer give cancelled.
    pub async fn recompute(&self, tenant: Tenant, month: Month) -> Result<Recomputed, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let closed = lock_org(&txn, tenant).await?;
        if closed.is_some_and(|c| month <= c) {
            return Err(Error::FailedPrecondition(format!(
                "{month} is closed; its entries can no longer change"
            )));
        }
        let contracts: Vec<Uuid> = fact::Entity::find_in(tenant)
            .select_only()
            .column(fact::Column::ContractId)
            .filter(fact::Column::Period.eq(month.to_string()))
            .order_by_asc(fact::Column::Seq)
            .into_tuple()
            .all(&txn)
            .await?;
        let mut out = Recomputed {
            facts: i32::try_from(contracts.len()).unwrap_or(i32::MAX),
            ..Recomputed::default()
        };
        let mut seen = HashSet::new();
        for contract in contracts {
            if !seen.insert(contract) {
                continue;
            }
            let s = settle(&txn, tenant, contract, closed, Some(month), None).await?;
            out.settled.created += s.created;
            out.settled.updated += s.updated;
            out.settled.unchanged += s.unchanged;
            out.settled.keys.extend(s.keys);
        }
        let pending: Vec<(Uuid, String)> = entry::Entity::find_in(tenant)
            .select_only()
            .column(entry::Column::Id)
            .column(entry::Column::EntryKey)
            .filter(entry::Column::Period.eq(month.to_string()))
            .filter(entry::Column::Status.eq(EntryStatus::Pending.as_str()))
            .into_tuple()
            .all(&txn)
            .await?;
        let stale: Vec<Uuid> = pending
            .into_iter()
            .filter(|(_, key)| !out.settled.keys.contains(key))
            .map(|(id, _)| id)
            .collect();
        for chunk in stale.chunks(500) {
            entry::Entity::update_many_in(tenant)
                .col_expr(
                    entry::Column::Status,
                    Expr::value(EntryStatus::Cancelled.as_str()),
                )
                .col_expr(entry::Column::UpdatedAt, Expr::value(now()))
                .filter(entry::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
        out.cancelled = i32::try_from(stale.len()).unwrap_or(i32::MAX);
        txn.commit().await?;
        self.relay.notify_one();
        Ok(out)
    }

    /// Returns up to `limit` entries visible in `scope` after `after` (newest first),
    /// and whether more follow.
    pub async fn list_entries(
        &self,
        tenant: Tenant,
        filter: &EntryFilter,
        scope: &Scope,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<entry::Model>, bool), Error> {
        use entry::Column as E;
        let mut query = entry::Entity::find_in(tenant);
        if let Some(ids) = scope.limited_to() {
            if ids.is_empty() {
                return Ok((Vec::new(), false));
            }
            query = query.filter(E::CommercialId.is_in(ids.iter().copied()));
        }
        if let Some(c) = filter.commercial_id {
            query = query.filter(E::CommercialId.eq(c));
        }
        if let Some(p) = filter.period {
            query = query.filter(E::Period.eq(p.to_string()));
        }
        if let Some(k) = filter.kind {
            query = query.filter(E::Kind.eq(k.as_str()));
        }
        if let Some(c) = filter.contract_id {
            query = query.filter(E::ContractId.eq(c));
        }
        if let Some(c) = &filter.currency {
            query = query.filter(E::Currency.eq(c.as_str()));
        }
        if filter.live_only {
            query = query.filter(E::Status.ne(EntryStatus::Cancelled.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(E::Id.lt(after));
        }
        let mut rows = query
            .order_by_desc(E::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}
