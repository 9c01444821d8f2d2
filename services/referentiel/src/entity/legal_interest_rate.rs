//! The `legal_interest_rates` table (global): one row per country and period.

use sea_orm::entity::prelude::*;

/// A row of `legal_interest_rates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_interest_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: Date,
    /// Exclusive end.
    pub valid_to: Date,
    pub individual_bps: i32,
    pub other_bps: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
