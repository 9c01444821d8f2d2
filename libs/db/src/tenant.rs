//! Tenant scoping. Every tenant-owned entity implements [`TenantScoped`]; repositories
//! reach those tables only through its methods, each of which takes the [`Tenant`] and
//! filters on the organisation column, so a query that forgets the tenant cannot be
//! written with them. Another organisation's row is then simply absent: NOT_FOUND.

use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};
use uuid::Uuid;

/// The organisation a request acts in, taken from its verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tenant(Uuid);

impl Tenant {
    /// Returns the tenant of organisation `id`. Only the request context and tests
    /// should build one: the id must come from a verified token.
    pub fn new(id: Uuid) -> Self {
        Self(id)
    }

    /// Returns the organisation id.
    pub fn id(self) -> Uuid {
        self.0
    }
}

/// An entity whose rows belong to one organisation.
///
/// The workspace's clippy.toml refuses sea-orm's unscoped entry points (`find`,
/// `find_by_id`, `update_many`, `delete_many`, `delete_by_id`); these methods are the
/// only place allowed to call them for tenant-owned tables.
#[allow(clippy::disallowed_methods)]
pub trait TenantScoped: EntityTrait {
    /// Returns the column holding the organisation id.
    fn tenant_column() -> Self::Column;

    /// Returns a select over the tenant's rows only.
    fn find_in(tenant: Tenant) -> Select<Self> {
        Self::find().filter(Self::tenant_column().eq(tenant.id()))
    }

    /// Returns a select of the row with primary key `id`, if the tenant owns it.
    fn find_by_id_in<T>(tenant: Tenant, id: T) -> Select<Self>
    where
        T: Into<<Self::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
    {
        Self::find_by_id(id).filter(Self::tenant_column().eq(tenant.id()))
    }

    /// Returns an update over the tenant's rows only.
    fn update_many_in(tenant: Tenant) -> UpdateMany<Self> {
        Self::update_many().filter(Self::tenant_column().eq(tenant.id()))
    }

    /// Returns a delete over the tenant's rows only.
    fn delete_many_in(tenant: Tenant) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::tenant_column().eq(tenant.id()))
    }
}

/// An entity whose rows belong to no organisation (user accounts, the organisations
/// themselves). Implementing it is the explicit, reviewable statement that unscoped
/// queries on the table are correct.
#[allow(clippy::disallowed_methods)]
pub trait Global: EntityTrait {
    /// Returns a select over every row.
    fn find_global() -> Select<Self> {
        Self::find()
    }

    /// Returns a select of the row with primary key `id`.
    fn find_by_id_global<T>(id: T) -> Select<Self>
    where
        T: Into<<Self::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
    {
        Self::find_by_id(id)
    }

    /// Returns an update over every row (filter it).
    fn update_many_global() -> UpdateMany<Self> {
        Self::update_many()
    }

    /// Returns a delete over every row (filter it).
    fn delete_many_global() -> DeleteMany<Self> {
        Self::delete_many()
    }
}
