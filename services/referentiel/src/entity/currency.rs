//! The `currencies` table (global).

use sea_orm::entity::prelude::*;

/// A row of `currencies`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "currencies")]
pub struct Model {
    /// ISO 4217 alphabetic code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub numeric_code: String,
    pub name: String,
    pub minor_units: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
