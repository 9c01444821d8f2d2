//! The `organisations` table: the tenants themselves.

use sea_orm::entity::prelude::*;

/// A row of `organisations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    /// The organisation id, which is also the tenant id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Unique across organisations.
    pub slug: String,
    pub legal_name: String,
    pub siren: Option<String>,
    pub country_code: String,
    pub default_currency: String,
    pub time_zone: String,
    pub sepa_creditor_id: Option<String>,
    pub invoice_prefix: String,
    /// JSON object of the settings.
    pub settings: String,
    /// The user who created it (and who became its first owner).
    pub created_by: Uuid,
    /// The creator's request id; (created_by, request_id) is unique.
    pub request_id: Option<Uuid>,
    /// Incremented by every membership change. The increment is the first write of such
    /// a change's transaction, so it also serialises membership changes per organisation.
    pub membership_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The organisations table is the tenant itself: its tenant column is its id, so
/// `find_in(tenant)` reads the caller's own organisation and nothing else.
impl crm_db::TenantScoped for Entity {
    fn tenant_column() -> Self::Column {
        Column::Id
    }
}
