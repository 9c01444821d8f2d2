//! Database access shared by every service: one connection per service to PostgreSQL (a
//! database `crm_<service>` per service, created when missing) or SQLite (a file per
//! service under the data directory), migrations, tenant-scoped query helpers so that a
//! tenant-owned row is never read or written without its organisation, and opaque keyset
//! page tokens.

pub mod connect;
pub mod page;
pub mod tenant;
#[cfg(any(test, feature = "testsuite"))]
pub mod testing;

pub use connect::{Backend, DbError, begin_write, connect_for_service, migrate};
pub use page::{PageError, PageToken, page_size};
pub use tenant::{Global, Tenant, TenantScoped};
