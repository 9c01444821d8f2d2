//! The `vat_rates` table (global): one row per country, category and period.

use sea_orm::entity::prelude::*;

/// A row of `vat_rates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vat_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_code: String,
    /// Category key ("standard", ...).
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: Date,
    /// Exclusive end; NULL while in force.
    pub valid_to: Option<Date>,
    pub rate_bps: i32,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
