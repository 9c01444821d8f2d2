//! The `agenda_events` table.

use sea_orm::entity::prelude::*;

/// A row of `agenda_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agenda_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub owner_user_id: Uuid,
    pub title: String,
    pub description: String,
    pub client_id: Option<Uuid>,
    pub start_at: DateTimeUtc,
    pub end_at: DateTimeUtc,
    /// IANA name.
    pub time_zone: String,
    pub location: String,
    /// JSON array of user ids, searched with LIKE on `"<uuid>"`.
    pub attendee_user_ids: String,
    /// JSON array of e-mails.
    pub attendee_emails: String,
    /// JSON array of minutes.
    pub reminder_minutes: String,
    pub status: String,
    pub cancellation_reason: String,
    pub cancelled_at: Option<DateTimeUtc>,
    pub request_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
