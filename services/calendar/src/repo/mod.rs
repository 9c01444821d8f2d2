//! Storage of the calendar: closed days here, events and working hours in their
//! modules. Every query goes through the tenant-scoped helpers; every change that
//! publishes writes its event into the outbox in the same transaction and wakes the
//! relay once committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::ClosedDay;
use crate::entity::closed_day::{self, Column, Entity};
use crate::error::Error;

mod events;
mod hours;

pub use events::EventFilter;

/// The calendar store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

/// Returns the current instant as stored: PostgreSQL keeps microseconds, so both
/// backends read back the same value.
pub fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn closed_day(m: closed_day::Model) -> ClosedDay {
    ClosedDay {
        id: m.id,
        organisation_id: m.organisation_id,
        date: m.day,
        name: m.name,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

/// Returns the sort key of a closed day in page tokens.
pub fn day_key(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Adds a closed day, or returns the one added earlier with `request_id`.
    pub async fn add_closed_day(
        &self,
        tenant: Tenant,
        date: NaiveDate,
        name: String,
        created_by: Option<Uuid>,
        request_id: Option<Uuid>,
    ) -> Result<ClosedDay, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(closed_day(earlier));
            }
        }
        let taken = Entity::find_in(tenant)
            .filter(Column::Day.eq(date))
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(Error::AlreadyClosed(date));
        }
        let day = ClosedDay {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            date,
            name,
            created_by,
            created_at: now(),
        };
        let row = closed_day::ActiveModel {
            id: Set(day.id),
            organisation_id: Set(day.organisation_id),
            day: Set(day.date),
            name: Set(day.name.clone()),
            created_by: Set(day.created_by),
            request_id: Set(request_id),
            created_at: Set(day.created_at),
        };
        Entity::insert(row)
            .exec(&txn)
            .await
            .map_err(|e| match e.sql_err() {
                // A concurrent AddClosedDay won the race for the date.
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::AlreadyClosed(date),
                _ => Error::Database(e),
            })?;
        txn.commit().await?;
        Ok(day)
    }

    /// Removes a closed day of the tenant.
    pub async fn remove_closed_day(&self, tenant: Tenant, id: Uuid) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let result = Entity::delete_many_in(tenant)
            .filter(Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(Error::ClosedDayNotFound(id));
        }
        txn.commit().await?;
        Ok(())
    }

    /// Returns up to `limit` closed days from `from` to `to` (both optional) after the
    /// date `after`, in date order, and whether more follow.
    pub async fn list_closed_days(
        &self,
        tenant: Tenant,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        after: Option<NaiveDate>,
        limit: u64,
    ) -> Result<(Vec<ClosedDay>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        if let Some(from) = from {
            query = query.filter(Column::Day.gte(from));
        }
        if let Some(to) = to {
            query = query.filter(Column::Day.lte(to));
        }
        // Dates are unique per organisation, so the date alone orders the keyset.
        if let Some(after) = after {
            query = query.filter(Column::Day.gt(after));
        }
        let mut rows = query
            .order_by_asc(Column::Day)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows.into_iter().map(closed_day).collect(), more))
    }

    /// Returns the tenant's closed days from `from` to `to`, with their names.
    pub async fn closed_between(
        &self,
        tenant: Tenant,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, String>, Error> {
        let rows = Entity::find_in(tenant)
            .filter(Column::Day.gte(from))
            .filter(Column::Day.lte(to))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (r.day, r.name)).collect())
    }
}
