//! The `product_prices` table: one row per price period.

use sea_orm::entity::prelude::*;

/// A row of `product_prices`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub product_id: Uuid,
    /// Price excluding VAT in minor units of `currency_code`.
    pub amount_minor: i64,
    pub currency_code: String,
    /// First day the price applies.
    pub valid_from: Date,
    /// First day it no longer applies; NULL for the latest period.
    pub valid_to: Option<Date>,
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
