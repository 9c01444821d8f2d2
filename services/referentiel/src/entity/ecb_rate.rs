//! The `ecb_rates` table (global): the steps of the ECB main refinancing operations
//! rate; each applies until the next one.

use sea_orm::entity::prelude::*;

/// A row of `ecb_rates`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ecb_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: Date,
    pub rate_bps: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
