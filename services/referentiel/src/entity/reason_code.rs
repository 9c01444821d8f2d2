//! The `reason_codes` table (global): SEPA R-transaction reason codes.

use sea_orm::entity::prelude::*;

/// A row of `reason_codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reason_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub meaning: String,
    /// Class key ("soft", "hard", "technical", "dispute").
    pub class: String,
    pub action: String,
    pub retryable: bool,
    pub retry_limit: i32,
    /// Comma-separated country codes; empty when unrestricted.
    pub retry_countries: String,
    pub fails_mandate: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
