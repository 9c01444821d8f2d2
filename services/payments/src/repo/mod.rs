//! Storage of the payments service. Every query goes through the tenant-scoped helpers;
//! every change writes its events into the outbox in the same transaction and wakes the
//! relay once committed. Creditor accounts and settings are here; mandates, schedules,
//! batches and the payment lifecycle each have their module.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::sealing::Vault;
use crate::domain::{CreditorAccount, Settings};
use crate::entity::{creditor_account, settings};
use crate::error::Error;

pub mod batches;
mod export;
pub mod lifecycle;
mod mandates;
mod pain;
pub mod reads;
pub mod returns;
pub mod rows;
pub mod schedules;
pub mod settle;

pub use mandates::{MandateDraft, MandateFilter};
pub use reads::PaymentFilter;
pub use schedules::{ScheduleDraft, ScheduleFilter};

/// The payments store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
    vault: Vault,
}

/// Returns the current instant as both backends store it (PostgreSQL keeps
/// microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Returns today's date (UTC): the day of pre-notifications and of the lead time.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A creditor account to create.
#[derive(Debug, Clone)]
pub struct AccountDraft {
    /// Name.
    pub name: String,
    /// ICS.
    pub creditor_id: String,
    /// IBAN.
    pub iban: String,
    /// BIC.
    pub bic: Option<String>,
}

/// Returns up to `limit` rows and whether more follow, from `limit + 1` read.
fn page_of<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    (rows, more)
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change and
    /// seals IBANs with `vault`.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>, vault: Vault) -> Self {
        Self { db, relay, vault }
    }

    /// Returns the IBAN vault.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    fn committed(&self) {
        self.relay.notify_one();
    }

    /// Inserts a creditor account, or returns the one created earlier with `request_id`.
    pub async fn create_account(
        &self,
        tenant: Tenant,
        draft: AccountDraft,
        request_id: Option<Uuid>,
    ) -> Result<CreditorAccount, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = creditor_account::Entity::find_in(tenant)
                .filter(creditor_account::Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(rows::account(earlier));
            }
        }
        let account = CreditorAccount {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            name: draft.name,
            creditor_id: draft.creditor_id,
            iban: draft.iban,
            bic: draft.bic,
            created_at: now(),
        };
        creditor_account::Entity::insert(creditor_account::ActiveModel {
            id: Set(account.id),
            organisation_id: Set(account.organisation_id),
            name: Set(account.name.clone()),
            creditor_id: Set(account.creditor_id.clone()),
            iban: Set(account.iban.clone()),
            bic: Set(account.bic.clone()),
            request_id: Set(request_id),
            created_at: Set(account.created_at),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Returns a creditor account of the tenant.
    pub async fn account(&self, tenant: Tenant, id: Uuid) -> Result<CreditorAccount, Error> {
        account_in(&self.db, tenant, id).await
    }

    /// Returns up to `limit` creditor accounts after `after`, newest first.
    pub async fn list_accounts(
        &self,
        tenant: Tenant,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<CreditorAccount>, bool), Error> {
        let mut query = creditor_account::Entity::find_in(tenant);
        if let Some(after) = after {
            query = query.filter(creditor_account::Column::Id.lt(after));
        }
        let rows = query
            .order_by_desc(creditor_account::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let (rows, more) = page_of(rows, limit);
        Ok((rows.into_iter().map(rows::account).collect(), more))
    }

    /// Returns the tenant's settings (the defaults until changed).
    pub async fn settings(&self, tenant: Tenant) -> Result<Settings, Error> {
        settings_in(&self.db, tenant).await
    }

    /// Replaces the tenant's settings; `expected_version` (when not 0) must be the
    /// stored one.
    pub async fn update_settings(
        &self,
        tenant: Tenant,
        next: Settings,
        expected_version: i64,
    ) -> Result<Settings, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = settings_in(&txn, tenant).await?;
        if expected_version != 0 && expected_version != current.version {
            return Err(Error::Aborted(format!(
                "the settings are at version {}, not {expected_version}",
                current.version
            )));
        }
        let row = settings::ActiveModel {
            organisation_id: Set(tenant.id()),
            submission_lead_days: Set(i32::try_from(next.submission_lead_days).unwrap_or(2)),
            prenotification_days: Set(i32::try_from(next.prenotification_days).unwrap_or(14)),
            version: Set(current.version + 1),
            updated_at: Set(now()),
        };
        if current.version == 0 {
            settings::Entity::insert(row).exec(&txn).await?;
        } else {
            let done = settings::Entity::update_many_in(tenant)
                .set(row)
                .filter(settings::Column::Version.eq(current.version))
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(Error::Aborted("the settings changed concurrently".into()));
            }
        }
        txn.commit().await?;
        Ok(Settings {
            version: current.version + 1,
            ..next
        })
    }
}

/// Returns a creditor account of the tenant through `c`.
pub async fn account_in<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<CreditorAccount, Error> {
    creditor_account::Entity::find_by_id_in(tenant, id)
        .one(c)
        .await?
        .map(rows::account)
        .ok_or_else(|| Error::not_found("creditor account", id))
}

/// Returns the tenant's settings through `c`.
pub async fn settings_in<C: ConnectionTrait>(c: &C, tenant: Tenant) -> Result<Settings, Error> {
    Ok(settings::Entity::find_by_id_in(tenant, tenant.id())
        .one(c)
        .await?
        .map(rows::settings)
        .unwrap_or_default())
}
