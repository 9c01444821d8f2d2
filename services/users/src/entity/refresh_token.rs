//! The `refresh_tokens` table: the hash of every refresh token issued, grouped in
//! families (one per sign-in) for reuse detection. Not tenant-owned: the organisation
//! column only says which organisation the next access token is scoped to.

use sea_orm::entity::prelude::*;

/// A row of `refresh_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Every token rotated from the same sign-in shares it.
    pub family_id: Uuid,
    /// Lowercase hex SHA-256 of the token; unique.
    pub token_hash: String,
    pub organisation_id: Option<Uuid>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Set when the token was exchanged; presenting it again is reuse.
    pub used_at: Option<DateTimeUtc>,
    /// Set when its family was revoked.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// Refresh tokens belong to a user, not to an organisation. The table is global: unscoped queries on it are correct.
impl crm_db::Global for Entity {}
