//! The `activities` table: notes, calls, tasks and system activities in one table, the
//! columns of other kinds left null.

use sea_orm::entity::prelude::*;

/// A row of `activities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// note, call, task or system.
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub client_id: Option<Uuid>,
    pub author_user_id: Option<Uuid>,
    pub body: String,
    /// Calls: inbound or outbound.
    pub call_direction: Option<String>,
    pub call_duration_seconds: Option<i32>,
    pub task_title: Option<String>,
    pub task_due_at: Option<DateTimeUtc>,
    pub task_assignee: Option<Uuid>,
    /// Tasks: open or completed.
    pub task_status: Option<String>,
    pub task_completed_at: Option<DateTimeUtc>,
    pub task_completed_by: Option<Uuid>,
    /// System activities: the event recorded, unique per organisation.
    pub event_type: Option<String>,
    pub event_id: Option<Uuid>,
    pub aggregate_id: Option<String>,
    pub request_id: Option<Uuid>,
    pub occurred_at: DateTimeUtc,
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
