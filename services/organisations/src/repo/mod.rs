//! Storage of organisations, memberships and invitations. Tenant-owned rows are reached
//! through the tenant-scoped helpers; the few queries that must cross tenants (a user's
//! own memberships, global slug uniqueness, an invitation found by its token) say why.

mod invitations;
mod members;
mod organisations;

pub use invitations::NewInvitation;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};

use crm_db::{Tenant, TenantScoped};
use crm_kit::Role;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, PaginatorTrait, QueryFilter, SqlErr,
};
use tokio::sync::Notify;

use crate::domain::{Invitation, Membership, Organisation, OrganisationData, Stored};
use crate::entity::{invitation, membership, organisation};
use crate::error::Error;

/// How many times a write that lost a race on a unique index is retried.
const ATTEMPTS: usize = 3;

/// The organisations store. Each change writes its event into the outbox in its own
/// transaction, and wakes the relay once committed.
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

/// Returns the current instant at the precision the databases keep (microseconds), so
/// what a call returns equals what a later read finds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Returns whether `error` is a unique-index violation (a concurrent writer won).
fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn corrupt(what: &str, value: &str) -> Error {
    Error::Internal(anyhow::anyhow!("stored {what} {value:?} is not valid"))
}

fn role_of(text: &str) -> Result<Role, Error> {
    text.parse::<Role>().map_err(|_| corrupt("role", text))
}

fn organisation_from_row(m: organisation::Model) -> Result<Organisation, Error> {
    let settings = serde_json::from_str::<BTreeMap<String, String>>(&m.settings)
        .map_err(|_| corrupt("settings", &m.settings))?;
    Ok(Organisation {
        id: m.id,
        data: OrganisationData {
            name: m.name,
            slug: m.slug,
            legal_name: m.legal_name,
            siren: m.siren,
            country_code: m.country_code,
            default_currency: m.default_currency,
            time_zone: m.time_zone,
            sepa_creditor_id: m.sepa_creditor_id,
            invoice_prefix: m.invoice_prefix,
            settings,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn membership_from_row(m: membership::Model) -> Result<Membership, Error> {
    Ok(Membership {
        id: m.id,
        organisation_id: m.organisation_id,
        user_id: m.user_id,
        role: role_of(&m.role)?,
        commercial_id: m.commercial_id,
        created_at: m.created_at,
    })
}

fn invitation_from_row(m: invitation::Model) -> Result<Invitation, Error> {
    Ok(Invitation {
        id: m.id,
        organisation_id: m.organisation_id,
        role: role_of(&m.role)?,
        stored: Stored::parse(&m.state).ok_or_else(|| corrupt("invitation state", &m.state))?,
        email: m.email,
        expires_at: m.expires_at,
        invited_by: m.invited_by,
        created_at: m.created_at,
    })
}

/// Bumps the organisation's membership version. As the first write of a membership
/// change's transaction it takes the organisation's row lock (PostgreSQL) or the write
/// lock (SQLite) before anything is read, so two changes of one organisation's members
/// run one after the other and the owner count each sees stays true until it commits.
/// Returns the new version, the aggregate version of the change's event.
async fn lock_members<C: ConnectionTrait>(db: &C, tenant: Tenant) -> Result<i64, Error> {
    let result = organisation::Entity::update_many_in(tenant)
        .col_expr(
            organisation::Column::MembershipVersion,
            Expr::col(organisation::Column::MembershipVersion).add(1),
        )
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::not_found("organisation", tenant.id()));
    }
    let row = organisation::Entity::find_in(tenant)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("organisation", tenant.id()))?;
    Ok(row.membership_version)
}

/// Returns how many owners the organisation has.
async fn count_owners<C: ConnectionTrait>(db: &C, tenant: Tenant) -> Result<u64, Error> {
    Ok(membership::Entity::find_in(tenant)
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await?)
}
