//! The `invitations` table. The token is never stored, only its SHA-256.

use sea_orm::entity::prelude::*;

/// A row of `invitations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// Lowercase; one pending invitation per address and organisation.
    pub email: String,
    /// `crm_kit::Role` as text.
    pub role: String,
    /// "pending", "accepted" or "revoked"; expiry is derived from `expires_at`.
    pub state: String,
    /// Lowercase hex SHA-256 of the token, unique.
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub invited_by: Uuid,
    /// The inviter's request id; (organisation_id, request_id) is unique.
    pub request_id: Option<Uuid>,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
