//! Storage of accounts, failed sign-ins and refresh tokens. The tables are global (not
//! tenant-owned), so queries go through `crm_db::Global` rather than the tenant-scoped
//! helpers.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};
use crm_db::Global as _;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, SqlErr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{Account, User, UserStatus, email_key, lockout};
use crate::entity::{login_attempt, refresh_token, user};
use crate::error::Error;
use crate::events;

mod tokens;

pub use tokens::NewRefresh;

/// The fields of a new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Its id, chosen by the caller (it is also the request id of its organisation).
    pub id: Uuid,
    /// Normalised e-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// The accounts store. A change that has an event writes it into the outbox in its own
/// transaction, and wakes the relay once committed.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

/// Returns the current time at the database's precision (microseconds), so what a
/// call returns equals what a later read returns.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn to_account(m: user::Model) -> Account {
    Account {
        user: User {
            id: m.id,
            email: m.email,
            display_name: m.display_name,
            // Only this service writes the column; an unknown value must not sign in.
            status: UserStatus::parse(&m.status).unwrap_or(UserStatus::Disabled),
            email_verified_at: m.email_verified_at,
            totp_enabled: m.totp_secret.is_some(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        },
        password_hash: m.password_hash,
        totp_secret: m.totp_secret,
        totp_pending: m.totp_pending,
        totp_last_step: m.totp_last_step,
        locked_until: m.locked_until,
    }
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed event.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Returns the account with the e-mail address `email`, case-insensitively.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Account>, Error> {
        Ok(user::Entity::find_global()
            .filter(user::Column::EmailKey.eq(email_key(email)))
            .one(&self.db)
            .await?
            .map(to_account))
    }

    /// Returns the account `id`.
    pub async fn get(&self, id: Uuid) -> Result<Option<Account>, Error> {
        Ok(user::Entity::find_by_id_global(id)
            .one(&self.db)
            .await?
            .map(to_account))
    }

    /// Inserts an account and runs `then`, which returns the account's organisation,
    /// while its transaction is open; `user.created` (naming that organisation, traced
    /// by `traceparent`) is written in the same transaction. The account and its event
    /// are committed only if `then` succeeds, so a failure leaves nothing behind.
    pub async fn create_then<F, Fut>(
        &self,
        new: NewAccount,
        traceparent: Option<String>,
        then: F,
    ) -> Result<(User, Uuid), Error>
    where
        F: FnOnce(User) -> Fut,
        Fut: Future<Output = Result<Uuid, Error>>,
    {
        let now = now();
        let row = user::ActiveModel {
            id: Set(new.id),
            email_key: Set(email_key(&new.email)),
            email: Set(new.email),
            display_name: Set(new.display_name),
            password_hash: Set(new.password_hash),
            status: Set(UserStatus::Active.as_str().to_owned()),
            email_verified_at: Set(None),
            totp_secret: Set(None),
            totp_pending: Set(None),
            totp_last_step: Set(None),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = crm_db::begin_write(&self.db).await?;
        let model = user::Entity::insert(row)
            .exec_with_returning(&txn)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Error::EmailTaken,
                _ => Error::Database(e),
            })?;
        let user = to_account(model).user;
        let organisation_id = then(user.clone()).await?;
        crm_events::append(
            &txn,
            events::user_created(&user, organisation_id, traceparent),
        )
        .await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok((user, organisation_id))
    }

    /// Sets the display name and returns the user.
    pub async fn update_display_name(&self, id: Uuid, name: &str) -> Result<User, Error> {
        let result = user::Entity::update_many_global()
            .col_expr(user::Column::DisplayName, Expr::value(name))
            .col_expr(user::Column::UpdatedAt, Expr::value(now()))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(Error::UserNotFound(id));
        }
        self.get(id)
            .await?
            .map(|a| a.user)
            .ok_or(Error::UserNotFound(id))
    }

    /// Replaces the password hash and revokes every refresh token of the user, together.
    pub async fn change_password(&self, id: Uuid, hash: &str) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let now = now();
        user::Entity::update_many_global()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        refresh_token::Entity::update_many_global()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
            .filter(refresh_token::Column::UserId.eq(id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Stores a sealed secret waiting for confirmation, unless TOTP is already active;
    /// returns whether it was stored.
    pub async fn set_totp_pending(&self, id: Uuid, sealed: &str) -> Result<bool, Error> {
        let result = user::Entity::update_many_global()
            .col_expr(user::Column::TotpPending, Expr::value(sealed))
            .col_expr(user::Column::UpdatedAt, Expr::value(now()))
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::TotpSecret.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Makes the pending secret `sealed` the active one, remembering `step` as used;
    /// returns false when the pending secret changed meanwhile.
    pub async fn activate_totp(&self, id: Uuid, sealed: &str, step: i64) -> Result<bool, Error> {
        let result = user::Entity::update_many_global()
            .col_expr(user::Column::TotpSecret, Expr::value(sealed))
            .col_expr(
                user::Column::TotpPending,
                Expr::value(Option::<String>::None),
            )
            .col_expr(user::Column::TotpLastStep, Expr::value(step))
            .col_expr(user::Column::UpdatedAt, Expr::value(now()))
            .filter(user::Column::Id.eq(id))
            .filter(user::Column::TotpSecret.is_null())
            .filter(user::Column::TotpPending.eq(sealed))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Turns TOTP off and forgets every secret.
    pub async fn disable_totp(&self, id: Uuid) -> Result<(), Error> {
        user::Entity::update_many_global()
            .col_expr(
                user::Column::TotpSecret,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                user::Column::TotpPending,
                Expr::value(Option::<String>::None),
            )
            .col_expr(user::Column::TotpLastStep, Expr::value(Option::<i64>::None))
            .col_expr(user::Column::UpdatedAt, Expr::value(now()))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records `step` as used unless it (or a later one) already was; returns whether
    /// the code may be accepted. Atomic, so two requests with one code cannot both pass.
    pub async fn accept_totp_step(&self, id: Uuid, step: i64) -> Result<bool, Error> {
        let result = user::Entity::update_many_global()
            .col_expr(user::Column::TotpLastStep, Expr::value(step))
            .filter(user::Column::Id.eq(id))
            .filter(
                Condition::any()
                    .add(user::Column::TotpLastStep.is_null())
                    .add(user::Column::TotpLastStep.lt(step)),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records a failed sign-in at `now`; returns whether it locked the account. The
    /// attempt, the count and the lock are one transaction.
    pub async fn record_failure(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let since = lockout::window_start(now);
        login_attempt::Entity::delete_many_global()
            .filter(login_attempt::Column::UserId.eq(id))
            .filter(login_attempt::Column::AttemptedAt.lte(since))
            .exec(&txn)
            .await?;
        login_attempt::Entity::insert(login_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(id),
            attempted_at: Set(now),
        })
        .exec(&txn)
        .await?;
        let failures = login_attempt::Entity::find_global()
            .filter(login_attempt::Column::UserId.eq(id))
            .filter(login_attempt::Column::AttemptedAt.gt(since))
            .count(&txn)
            .await?;
        let locked = match lockout::lock_after(failures, now) {
            Some(until) => {
                user::Entity::update_many_global()
                    .col_expr(user::Column::LockedUntil, Expr::value(until))
                    .filter(user::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                clear_attempts(&txn, id).await?;
                true
            }
            None => false,
        };
        txn.commit().await?;
        Ok(locked)
    }

    /// Forgets the failed sign-ins of a user who just signed in.
    pub async fn clear_failures(&self, id: Uuid) -> Result<(), Error> {
        clear_attempts(&self.db, id).await
    }
}

async fn clear_attempts<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), Error> {
    login_attempt::Entity::delete_many_global()
        .filter(login_attempt::Column::UserId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
