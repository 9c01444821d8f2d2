//! Gapless numbering (domain-rules §5.2): numbers come from a per-(organisation,
//! series) counter row read with `SELECT … FOR UPDATE` inside the issuing transaction,
//! never from a database sequence (which gives numbers away on rollback). The lock
//! holds until the transaction ends, so concurrent issuers number one after the other;
//! a transaction that rolls back takes its numbers back with it. On SQLite the write
//! transaction (`BEGIN IMMEDIATE`) already serialises writers and `FOR UPDATE` is left
//! out by sea-query. A billing run takes a block of numbers at once the same way.
//!
//! The row also keeps the last issue date: a document may not be numbered with an
//! earlier date than the one before it, so numbers stay chronological.

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::domain::number;
use crate::entity::series::{ActiveModel, Column, Entity};
use crate::error::Error;

/// The series row, locked by the caller's transaction.
#[derive(Debug, Clone)]
pub struct Locked {
    prefix: String,
    last_value: i64,
    last_issue_date: Option<NaiveDate>,
}

/// Locks the series `prefix` (creating it at 0 on first use) until the caller's
/// transaction ends.
pub async fn lock<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    prefix: &str,
) -> Result<Locked, Error> {
    // Make sure the row exists; a concurrent first issue waits here for the other's
    // insert to commit, then does nothing.
    Entity::insert(ActiveModel {
        organisation_id: Set(tenant.id()),
        prefix: Set(prefix.to_owned()),
        last_value: Set(0),
        last_issue_date: Set(None),
    })
    .on_conflict(
        OnConflict::columns([Column::OrganisationId, Column::Prefix])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let row = Entity::find_in(tenant)
        .filter(Column::Prefix.eq(prefix))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("series {prefix}")))?;
    Ok(Locked {
        prefix: row.prefix,
        last_value: row.last_value,
        last_issue_date: row.last_issue_date,
    })
}

/// Takes the next `count` numbers of the locked series for documents issued on
/// `issue_date`; returns them in order.
pub async fn take<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    series: &mut Locked,
    count: usize,
    issue_date: NaiveDate,
) -> Result<Vec<String>, Error> {
    use chrono::Datelike as _;
    let prefix = series.prefix.clone();
    if let Some(last) = series.last_issue_date
        && last > issue_date
    {
        return Err(Error::FailedPrecondition(format!(
            "the series {prefix} already numbered a document issued on {last}: numbers must \
             follow the issue dates"
        )));
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    let first = series.last_value + 1;
    let last = series.last_value + i64::try_from(count).unwrap_or(i64::MAX);
    let mut numbers = Vec::with_capacity(count);
    for sequence in first..=last {
        let formatted = number::format(&prefix, issue_date.year(), sequence).ok_or_else(|| {
            Error::FailedPrecondition(format!(
                "the series {prefix} cannot make a number of at most 35 characters"
            ))
        })?;
        numbers.push(formatted);
    }
    Entity::update_many_in(tenant)
        .col_expr(Column::LastValue, Expr::value(last))
        .col_expr(Column::LastIssueDate, Expr::value(Some(issue_date)))
        .filter(Column::Prefix.eq(prefix.as_str()))
        .exec(txn)
        .await?;
    series.last_value = last;
    series.last_issue_date = Some(issue_date);
    Ok(numbers)
}

/// Takes `count` numbers of the series `prefix` for documents issued on `issue_date`,
/// inside the caller's transaction; returns them in order.
pub async fn allocate<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    prefix: &str,
    count: usize,
    issue_date: NaiveDate,
) -> Result<Vec<String>, Error> {
    let mut series = lock(txn, tenant, prefix).await?;
    take(txn, tenant, &mut series, count, issue_date).await
}
