//! Storage of refresh tokens: insert, look up by hash, rotate, revoke a family.

use chrono::{DateTime, Utc};
use crm_db::Global as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Repo, now};
use crate::entity::refresh_token::{self, Column, Entity};
use crate::error::Error;

/// A refresh token to store.
#[derive(Debug, Clone)]
pub struct NewRefresh {
    /// The user it signs in.
    pub user_id: Uuid,
    /// Its family.
    pub family_id: Uuid,
    /// SHA-256 hex of the token.
    pub token_hash: String,
    /// The organisation the next access token is scoped to.
    pub organisation_id: Option<Uuid>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Row id.
    pub id: Uuid,
    /// The user it signs in.
    pub user_id: Uuid,
    /// Its family.
    pub family_id: Uuid,
    /// The organisation the next access token is scoped to.
    pub organisation_id: Option<Uuid>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Whether it was already exchanged.
    pub used: bool,
    /// Whether its family was revoked.
    pub revoked: bool,
}

fn active(new: NewRefresh) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        family_id: Set(new.family_id),
        token_hash: Set(new.token_hash),
        organisation_id: Set(new.organisation_id),
        expires_at: Set(new.expires_at),
        created_at: Set(now()),
        used_at: Set(None),
        revoked_at: Set(None),
    }
}

impl Repo {
    /// Stores a new refresh token, and forgets the user's expired ones (spent and revoked
    /// tokens are kept until they expire, so their reuse is still recognised).
    pub async fn insert_refresh(&self, new: NewRefresh) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        Entity::delete_many_global()
            .filter(Column::UserId.eq(new.user_id))
            .filter(Column::ExpiresAt.lt(now()))
            .exec(&txn)
            .await?;
        Entity::insert(active(new)).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Returns the refresh token whose hash is `token_hash`.
    pub async fn find_refresh(&self, token_hash: &str) -> Result<Option<RefreshRecord>, Error> {
        Ok(Entity::find_global()
            .filter(Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(|m| RefreshRecord {
                id: m.id,
                user_id: m.user_id,
                family_id: m.family_id,
                organisation_id: m.organisation_id,
                expires_at: m.expires_at,
                used: m.used_at.is_some(),
                revoked: m.revoked_at.is_some(),
            }))
    }

    /// Marks `old` used and stores `next`, together; returns false (and stores nothing)
    /// when `old` was used or revoked meanwhile, which is reuse.
    pub async fn rotate(&self, old: Uuid, next: NewRefresh) -> Result<bool, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let spent = Entity::update_many_global()
            .col_expr(Column::UsedAt, Expr::value(now()))
            .filter(Column::Id.eq(old))
            .filter(Column::UsedAt.is_null())
            .filter(Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            return Ok(false);
        }
        Entity::insert(active(next)).exec(&txn).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Revokes every token of a family not revoked yet; returns how many.
    pub async fn revoke_family(&self, family_id: Uuid) -> Result<u64, Error> {
        let result = Entity::update_many_global()
            .col_expr(Column::RevokedAt, Expr::value(now()))
            .filter(Column::FamilyId.eq(family_id))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
