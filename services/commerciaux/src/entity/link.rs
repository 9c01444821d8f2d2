//! The `commercial_links` table: the closure of the hierarchy, one row per (ancestor,
//! descendant) pair on a management path, each commercial its own ancestor at depth 0.

use sea_orm::entity::prelude::*;

/// A row of `commercial_links`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commercial_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ancestor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub descendant_id: Uuid,
    pub organisation_id: Uuid,
    /// Levels between the two; 0 when they are the same commercial.
    pub depth: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The higher commercial.
    #[sea_orm(
        belongs_to = "super::commercial::Entity",
        from = "Column::AncestorId",
        to = "super::commercial::Column::Id"
    )]
    Ancestor,
    /// The lower commercial.
    #[sea_orm(
        belongs_to = "super::commercial::Entity",
        from = "Column::DescendantId",
        to = "super::commercial::Column::Id"
    )]
    Descendant,
}

impl ActiveModelBehavior for ActiveModel {}

impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::OrganisationId
    }
}

/// Joins a link to its ancestor's row (for an upline).
#[derive(Debug)]
pub struct ToAncestor;

impl Linked for ToAncestor {
    type FromEntity = Entity;
    type ToEntity = super::commercial::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Ancestor.def()]
    }
}

/// Joins a link to its descendant's row (for a team).
#[derive(Debug)]
pub struct ToDescendant;

impl Linked for ToDescendant {
    type FromEntity = Entity;
    type ToEntity = super::commercial::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Descendant.def()]
    }
}
