//! Statements: computed for open months, stored when a month closes, then immutable but
//! for being marked paid.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::rows::statement_to_domain;
use super::{Repo, closed_through, lock_org, month_of, now};
use crate::domain::statement::{MonthSums, Statement, StatementStatus, carry, totals};
use crate::domain::{EntryStatus, Kind, Month};
use crate::entity::{entry, period, statement};
use crate::error::Error;
use crate::events;

fn kind_of(text: &str) -> Result<Kind, sea_orm::DbErr> {
    Kind::parse(text)
        .ok_or_else(|| sea_orm::DbErr::Custom(format!("unreadable entry kind {text:?}")))
}

async fn stored<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    commercial: Uuid,
    month: Month,
    currency: &str,
) -> Result<Option<statement::Model>, Error> {
    Ok(statement::Entity::find_in(tenant)
        .filter(statement::Column::CommercialId.eq(commercial))
        .filter(statement::Column::Period.eq(month.to_string()))
        .filter(statement::Column::Currency.eq(currency))
        .one(db)
        .await?)
}

fn missing(commercial: Uuid, month: Month) -> Error {
    Error::NotFound(format!("statement of {commercial} for {month}"))
}

/// Returns the statement rows of (sales agent, currency) for their month `month`.
type Groups = BTreeMap<(Uuid, String), Vec<(Kind, i64)>>;

impl Repo {
    /// Returns the statement of `commercial` for `month` in `currency`: the stored one
    /// for a closed month (NOT_FOUND when the agent had none), otherwise computed from
    /// the entries so far, opening with the balance carried through the open months.
    pub async fn statement(
        &self,
        tenant: Tenant,
        commercial: Uuid,
        month: Month,
        currency: &str,
    ) -> Result<Statement, Error> {
        let closed = closed_through(&self.db, tenant).await?;
        if let Some(c) = closed
            && month <= c
        {
            let row = stored(&self.db, tenant, commercial, month, currency).await?;
            return row
                .map(statement_to_domain)
                .transpose()?
                .ok_or_else(|| missing(commercial, month));
        }
        let last_closing = match closed {
            Some(c) => stored(&self.db, tenant, commercial, c, currency)
                .await?
                .map_or(0, |s| s.closing_balance),
            None => 0,
        };
        use entry::Column as E;
        let mut query = entry::Entity::find_in(tenant)
            .select_only()
            .column(E::Period)
            .column(E::Kind)
            .column(E::Amount)
            .filter(E::CommercialId.eq(commercial))
            .filter(E::Currency.eq(currency))
            .filter(E::Status.ne(EntryStatus::Cancelled.as_str()))
            .filter(E::Period.lte(month.to_string()));
        if let Some(c) = closed {
            query = query.filter(E::Period.gt(c.to_string()));
        }
        let rows: Vec<(String, String, i64)> = query.into_tuple().all(&self.db).await?;
        let mut months: BTreeMap<Month, Vec<(Kind, i64)>> = BTreeMap::new();
        for (p, k, amount) in rows {
            months
                .entry(month_of(&p)?)
                .or_default()
                .push((kind_of(&k)?, amount));
        }
        let this = MonthSums::of(months.remove(&month).unwrap_or_default())?;
        let before = months
            .into_values()
            .map(MonthSums::of)
            .collect::<Result<Vec<_>, _>>()?;
        let previous = carry(last_closing, &before)?;
        Ok(Statement {
            id: None,
            commercial_id: commercial,
            period: month,
            currency: currency.to_owned(),
            status: StatementStatus::Open,
            totals: totals(previous, this)?,
            closed_at: None,
            paid_at: None,
        })
    }

    /// Closes `month` for every sales agent (`current` is the month in progress, which
    /// cannot close): stores their statements, validates the month's entries, publishes
    /// statement.closed for each. Returns how many statements were closed.
    pub async fn close_period(
        &self,
        tenant: Tenant,
        month: Month,
        current: Month,
        actor: &events::Actor,
    ) -> Result<usize, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let closed = lock_org(&txn, tenant).await?;
        if month >= current {
            return Err(Error::FailedPrecondition(format!("{month} has not ended")));
        }
        if closed.is_some_and(|c| month <= c) {
            return Err(Error::FailedPrecondition(format!(
                "{month} is already closed"
            )));
        }
        use entry::Column as E;
        let live = E::Status.ne(EntryStatus::Cancelled.as_str());
        let mut earlier = entry::Entity::find_in(tenant)
            .filter(live.clone())
            .filter(E::Period.lt(month.to_string()));
        if let Some(c) = closed {
            earlier = earlier.filter(E::Period.gt(c.to_string()));
        }
        if let Some(open) = earlier.order_by_asc(E::Period).one(&txn).await? {
            return Err(Error::FailedPrecondition(format!(
                "{} has entries and is still open; close it first",
                open.period
            )));
        }
        let rows: Vec<(Uuid, String, String, i64)> = entry::Entity::find_in(tenant)
            .select_only()
            .column(E::CommercialId)
            .column(E::Currency)
            .column(E::Kind)
            .column(E::Amount)
            .filter(live)
            .filter(E::Period.eq(month.to_string()))
            .into_tuple()
            .all(&txn)
            .await?;
        let mut groups = Groups::new();
        for (commercial, currency, kind, amount) in rows {
            groups
                .entry((commercial, currency))
                .or_default()
                .push((kind_of(&kind)?, amount));
        }
        let previous: HashMap<(Uuid, String), i64> = match closed {
            Some(c) => statement::Entity::find_in(tenant)
                .filter(statement::Column::Period.eq(c.to_string()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|s| ((s.commercial_id, s.currency), s.closing_balance))
                .collect(),
            None => HashMap::new(),
        };
        // Agents with entries this month, and those still owing a negative balance.
        let keys: BTreeSet<(Uuid, String)> = groups
            .keys()
            .cloned()
            .chain(
                previous
                    .iter()
                    .filter(|(_, c)| **c < 0)
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        let at = now();
        for key in &keys {
            let sums = MonthSums::of(groups.remove(key).unwrap_or_default())?;
            let t = totals(previous.get(key).copied().unwrap_or(0), sums)?;
            let row = statement::Model {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                commercial_id: key.0,
                period: month.to_string(),
                currency: key.1.clone(),
                opening_balance: t.opening,
                earned: t.earned,
                clawbacks: t.clawbacks,
                closing_balance: t.closing,
                payable: t.payable,
                entry_count: t.count,
                status: StatementStatus::Closed.as_str().to_owned(),
                closed_at: at,
                paid_at: None,
            };
            statement::Entity::insert(statement_active(&row))
                .exec_without_returning(&txn)
                .await?;
            crm_events::append(&txn, events::statement_closed(&row, month, actor)).await?;
        }
        entry::Entity::update_many_in(tenant)
            .col_expr(E::Status, Expr::value(EntryStatus::Validated.as_str()))
            .col_expr(E::UpdatedAt, Expr::value(at))
            .filter(E::Period.eq(month.to_string()))
            .filter(E::Status.eq(EntryStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
        period::Entity::update_many_in(tenant)
            .col_expr(
                period::Column::ClosedThrough,
                Expr::value(month.to_string()),
            )
            .col_expr(period::Column::UpdatedAt, Expr::value(at))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(keys.len())
    }

    /// Marks a closed statement and its entries paid.
    pub async fn pay_statement(
        &self,
        tenant: Tenant,
        commercial: Uuid,
        month: Month,
        currency: &str,
    ) -> Result<Statement, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let closed = lock_org(&txn, tenant).await?;
        if closed.is_none_or(|c| month > c) {
            return Err(Error::FailedPrecondition(format!("{month} is still open")));
        }
        let row = stored(&txn, tenant, commercial, month, currency)
            .await?
            .ok_or_else(|| missing(commercial, month))?;
        if row.status == StatementStatus::Paid.as_str() {
            return Err(Error::FailedPrecondition(format!(
                "the statement of {commercial} for {month} is already paid"
            )));
        }
        let at = now();
        statement::Entity::update_many_in(tenant)
            .col_expr(
                statement::Column::Status,
                Expr::value(StatementStatus::Paid.as_str()),
            )
            .col_expr(statement::Column::PaidAt, Expr::value(Some(at)))
            .filter(statement::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        use entry::Column as E;
        entry::Entity::update_many_in(tenant)
            .col_expr(E::Status, Expr::value(EntryStatus::Paid.as_str()))
            .col_expr(E::UpdatedAt, Expr::value(at))
            .filter(E::CommercialId.eq(commercial))
            .filter(E::Period.eq(month.to_string()))
            .filter(E::Currency.eq(currency))
            .filter(E::Status.eq(EntryStatus::Validated.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let paid = statement::Model {
            status: StatementStatus::Paid.as_str().to_owned(),
            paid_at: Some(at),
            ..row
        };
        Ok(statement_to_domain(paid)?)
    }
}

fn statement_active(m: &statement::Model) -> statement::ActiveModel {
    statement::ActiveModel {
        id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        commercial_id: Set(m.commercial_id),
        period: Set(m.period.clone()),
        currency: Set(m.currency.clone()),
        opening_balance: Set(m.opening_balance),
        earned: Set(m.earned),
        clawbacks: Set(m.clawbacks),
        closing_balance: Set(m.closing_balance),
        payable: Set(m.payable),
        entry_count: Set(m.entry_count),
        status: Set(m.status.clone()),
        closed_at: Set(m.closed_at),
        paid_at: Set(m.paid_at),
    }
}
