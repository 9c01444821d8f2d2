//! The `invoice_series` table: the last number given per organisation and series.

use sea_orm::entity::prelude::*;

/// A row of `invoice_series`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// The series' prefix, for example "F-".
    #[sea_orm(primary_key, auto_increment = false)]
    pub prefix: String,
    /// The sequence of the last document numbered.
    pub last_value: i64,
    /// Its issue date: later numbers may not be issued earlier.
    pub last_issue_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}
