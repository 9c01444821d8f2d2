//! The `opportunities` table: the sales pipeline.

use sea_orm::entity::prelude::*;

/// A row of `opportunities`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub client_id: Uuid,
    pub commercial_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub product_interest: String,
    /// With `amount_minor`: the expected amount, both set or both empty.
    pub currency_code: Option<String>,
    pub amount_minor: Option<i64>,
    pub stage: String,
    pub probability: i32,
    pub expected_close_date: Option<Date>,
    pub lost_reason: String,
    pub closed_at: Option<DateTimeUtc>,
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
