//! The `countries` table (global).

use sea_orm::entity::prelude::*;

/// A row of `countries`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "countries")]
pub struct Model {
    /// ISO 3166-1 alpha-2 code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub name_fr: String,
    pub sepa: bool,
    pub eu_member: bool,
    /// NULL for a country without IBANs.
    pub iban_length: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::Global for Entity {}
