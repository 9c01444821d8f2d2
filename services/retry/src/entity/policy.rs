//! The `retry_policies` table: one row per organisation that changed its policy.

use sea_orm::entity::prelude::*;

/// A row of `retry_policies`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retry_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// JSON array of `{code, max_retries}`.
    pub retryable_codes: String,
    pub max_retries: i32,
    pub window_days: i32,
    pub spacing_days: i32,
    pub align_to_pay_days: bool,
    pub submission_lead_days: i32,
    pub version: i64,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
