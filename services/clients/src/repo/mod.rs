//! Storage of clients, contacts and opportunities. Every query goes through the
//! tenant-scoped helpers; every change writes its events into the outbox in the same
//! transaction, and wakes the relay once committed.

mod clients;
mod contacts;
mod duplicates;
mod import;
mod opportunities;
mod reassign;
mod rows;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QuerySelect, SqlErr};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{Client, Visibility};
use crate::entity::client::{Column, Entity};
use crate::error::Error;

pub use clients::ListFilter;
pub use duplicates::DuplicateTarget;
pub use import::{ImportRow, RowOutcome};
pub use opportunities::OpportunityFilter;

/// The store.
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
}

/// Returns the current instant as both backends store it: PostgreSQL keeps microseconds.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Returns the client `id` of the tenant if the caller may see it, read under a row
/// lock when `lock` (inside a write transaction), or NOT_FOUND.
async fn load_client<C: ConnectionTrait>(
    conn: &C,
    tenant: Tenant,
    id: Uuid,
    visibility: &Visibility,
    lock: bool,
) -> Result<Client, Error> {
    let mut query = Entity::find_by_id_in(tenant, id);
    if lock {
        query = query.lock_exclusive();
    }
    query
        .one(conn)
        .await?
        .map(rows::client_of)
        .filter(|c| visibility.allows(c.data.commercial_id))
        .ok_or(Error::client_not_found(id))
}

/// Returns the condition "the client is live (not archived)" with the status as a
/// literal, as the partial unique index on e-mails states it: with a bound parameter
/// PostgreSQL's cached generic plan cannot prove the index's predicate and scans every
/// client of the organisation instead.
pub(super) fn live() -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust("status <> 'archived'")
}

/// Checks no live client but `except` uses `email`.
async fn ensure_email_free<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    email: Option<&str>,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let Some(email) = email else { return Ok(()) };
    let mut query = Entity::find_in(tenant)
        .filter(Column::EmailKey.eq(email.to_lowercase()))
        .filter(live());
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    if query.one(db).await?.is_some() {
        return Err(Error::EmailTaken(email.to_owned()));
    }
    Ok(())
}

/// Maps a unique-index violation on the clients' e-mail (a concurrent writer won the
/// race) to its meaning.
fn unique_violation(error: sea_orm::DbErr, client: &Client) -> Error {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::EmailTaken(client.data.email.clone().unwrap_or_default())
        }
        _ => Error::Database(error),
    }
}

/// Writes a client's new state if it is still at `previous_version`; ABORTED when a
/// concurrent change got there first.
async fn write_client<C: ConnectionTrait>(
    conn: &C,
    tenant: Tenant,
    next: &Client,
    previous_version: i64,
) -> Result<(), Error> {
    let mut active = rows::client_row(next, None);
    // The request id belongs to the creation; an update leaves it as it was.
    active.request_id = NotSet;
    let result = Entity::update_many_in(tenant)
        .set(active)
        .filter(Column::Id.eq(next.id))
        .filter(Column::Version.eq(previous_version))
        .exec(conn)
        .await
        .map_err(|e| unique_violation(e, next))?;
    if result.rows_affected != 1 {
        return Err(Error::VersionMismatch {
            id: next.id,
            expected: previous_version,
            current: previous_version + 1,
        });
    }
    Ok(())
}

/// Writes `events` into the outbox in `conn`, the transaction of the change.
async fn append_all<C: ConnectionTrait>(conn: &C, events: Vec<NewEvent>) -> Result<(), Error> {
    Ok(crm_events::append_many(conn, events).await?)
}
