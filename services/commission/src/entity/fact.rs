//! The `commission_facts` table: what each consumed event said, in arrival order. A
//! contract's signature fact is the service's projection of the contract (seller,
//! start, lines and the terms fixed then).

use sea_orm::entity::prelude::*;

/// A row of `commission_facts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_facts")]
pub struct Model {
    /// Arrival order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub organisation_id: Uuid,
    /// The event; unique per organisation.
    pub event_id: Uuid,
    pub event_type: String,
    pub contract_id: Uuid,
    pub payment_id: Option<Uuid>,
    /// The business date of the event.
    pub event_date: Date,
    /// The month its entries land in ("YYYY-MM").
    pub period: String,
    /// JSON of the fact's body.
    pub body: String,
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
