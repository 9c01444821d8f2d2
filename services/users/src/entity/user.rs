//! The `users` table: one row per account, global (not tenant-owned).

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The address as given, domain lowercased.
    pub email: String,
    /// The address lowercased; unique.
    pub email_key: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub status: String,
    pub email_verified_at: Option<DateTimeUtc>,
    /// Active TOTP secret, sealed with AES-256-GCM.
    pub totp_secret: Option<String>,
    /// TOTP secret waiting for ConfirmTotp, sealed.
    pub totp_pending: Option<String>,
    /// Last TOTP step accepted (replay protection).
    pub totp_last_step: Option<i64>,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

// An account exists once, whatever organisations it belongs to. The table is global: unscoped queries on it are correct.
impl crm_db::Global for Entity {}
