//! Storage of plans, facts, entries and statements. Every query goes through the
//! tenant-scoped helpers; every change runs in one transaction with the events it
//! publishes, and wakes the relay once committed.

use std::sync::Arc;

use chrono::{SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::Notify;

use crate::domain::Month;
use crate::entity::period;

pub mod ledger;
pub mod plans;
mod rows;
pub mod statements;

/// The commission store.
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

/// Returns the current instant as both backends store it (microseconds).
pub fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn month_of(text: &str) -> Result<Month, DbErr> {
    Month::parse(text).ok_or_else(|| DbErr::Custom(format!("unreadable month {text:?}")))
}

/// Takes the lock of the organisation's period row (creating it on first use) and
/// returns the last closed month. Recording an event, recomputing and closing a month
/// all start here, so they never interleave within an organisation (the upsert holds the
/// row lock until the transaction ends on PostgreSQL; SQLite serialises writers).
pub async fn lock_org<C: ConnectionTrait>(txn: &C, tenant: Tenant) -> Result<Option<Month>, DbErr> {
    use period::Column as P;
    period::Entity::insert(period::ActiveModel {
        organisation_id: Set(tenant.id()),
        closed_through: Set(None),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(P::OrganisationId)
            .update_column(P::UpdatedAt)
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    closed_through(txn, tenant).await
}

/// Returns the organisation's last closed month, without locking.
pub async fn closed_through<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
) -> Result<Option<Month>, DbErr> {
    let row = period::Entity::find_by_id_in(tenant, tenant.id())
        .one(db)
        .await?;
    row.and_then(|r| r.closed_through)
        .map(|m| month_of(&m))
        .transpose()
}
