//! Per-service permission tables: every RPC names the access it needs, and a service
//! whose table misses one of its methods refuses to start.

use std::collections::{BTreeSet, HashMap};

use prost_reflect::DescriptorPool;

use super::context::Role;

/// What a caller may do to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read it.
    Read,
    /// Create or change it (agents included: they work on their own clients).
    Write,
    /// Change what the whole organisation shares, such as the catalogue or the sales
    /// force: owners, admins and managers.
    Manage,
    /// Administer the organisation itself (members, settings).
    Admin,
}

/// The access an RPC needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Anyone, without a token (sign-up, login, refresh, public keys).
    Public,
    /// Any signed-in user, whether or not the token names an organisation.
    Authenticated,
    /// Only other services of the mesh.
    Internal,
    /// A member of the token's organisation whose role allows `action` on `resource`.
    Org {
        /// The resource, for example "clients".
        resource: &'static str,
        /// The action on it.
        action: Action,
    },
}

impl Access {
    /// Returns the access to read `resource` in the caller's organisation.
    pub const fn read(resource: &'static str) -> Self {
        Access::Org {
            resource,
            action: Action::Read,
        }
    }

    /// Returns the access to change `resource` in the caller's organisation.
    pub const fn write(resource: &'static str) -> Self {
        Access::Org {
            resource,
            action: Action::Write,
        }
    }

    /// Returns the access to change `resource`, shared by the whole organisation, as an
    /// owner, admin or manager.
    pub const fn manage(resource: &'static str) -> Self {
        Access::Org {
            resource,
            action: Action::Manage,
        }
    }

    /// Returns the access to administer `resource` in the caller's organisation.
    pub const fn admin(resource: &'static str) -> Self {
        Access::Org {
            resource,
            action: Action::Admin,
        }
    }
}

/// Returns whether `role` may perform `action`. Row-level rules (an agent sees only their
/// own clients) are the services' to enforce on top of this.
pub fn role_allows(role: Role, action: Action) -> bool {
    match action {
        Action::Read => true,
        Action::Write => matches!(
            role,
            Role::Owner | Role::Admin | Role::Manager | Role::Agent
        ),
        Action::Manage => matches!(role, Role::Owner | Role::Admin | Role::Manager),
        Action::Admin => matches!(role, Role::Owner | Role::Admin),
    }
}

/// Maps each RPC's full path (`/crm.clients.v1.ClientService/GetClient`) to its access.
#[derive(Debug, Clone, Default)]
pub struct PermissionTable {
    entries: HashMap<String, Access>,
}

/// Why a permission table does not match its services.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    /// A gRPC service named in the spec is not in the descriptor set.
    #[error("service {0} is not in the descriptor set")]
    UnknownService(String),
    /// Methods with no entry in the table.
    #[error("no permission declared for {0:?}")]
    Missing(Vec<String>),
    /// Entries that name no method of the services.
    #[error("permissions declared for methods that do not exist: {0:?}")]
    Unknown(Vec<String>),
}

impl PermissionTable {
    /// Returns a table from `(service, method, access)` rows, for example
    /// `("crm.clients.v1.ClientService", "GetClient", Access::read("clients"))`.
    pub fn new(rows: &[(&str, &str, Access)]) -> Self {
        let entries = rows
            .iter()
            .map(|(service, method, access)| (format!("/{service}/{method}"), *access))
            .collect();
        Self { entries }
    }

    /// Returns the access the method at `path` needs, if the table names it.
    pub fn get(&self, path: &str) -> Option<Access> {
        self.entries.get(path).copied()
    }

    /// Returns the method paths the table names.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Checks that the table names exactly the methods of `services` in `descriptors`.
    pub fn check(&self, descriptors: &[u8], services: &[&str]) -> Result<(), TableError> {
        let pool = DescriptorPool::decode(descriptors)
            .map_err(|e| TableError::UnknownService(format!("descriptor set unreadable: {e}")))?;
        let mut expected = BTreeSet::new();
        for name in services {
            let service = pool
                .get_service_by_name(name)
                .ok_or_else(|| TableError::UnknownService((*name).to_owned()))?;
            for method in service.methods() {
                expected.insert(format!("/{}/{}", service.full_name(), method.name()));
            }
        }
        let declared: BTreeSet<String> = self.entries.keys().cloned().collect();
        let missing: Vec<String> = expected.difference(&declared).cloned().collect();
        if !missing.is_empty() {
            return Err(TableError::Missing(missing));
        }
        let unknown: Vec<String> = declared.difference(&expected).cloned().collect();
        if !unknown.is_empty() {
            return Err(TableError::Unknown(unknown));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVC: &str = "crm.clients.v1.ClientService";

    /// A row for every method the descriptor set gives the service, so the tests follow
    /// the service as it grows.
    fn full_table() -> Vec<(&'static str, &'static str, Access)> {
        let pool = prost_reflect::DescriptorPool::decode(crm_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set");
        let service = pool.get_service_by_name(SVC).expect("service");
        service
            .methods()
            .map(|m| {
                let name: &'static str = Box::leak(m.name().to_owned().into_boxed_str());
                (SVC, name, Access::write("clients"))
            })
            .collect()
    }

    #[test]
    fn a_complete_table_passes() {
        let table = PermissionTable::new(&full_table());
        assert_eq!(table.check(crm_proto::FILE_DESCRIPTOR_SET, &[SVC]), Ok(()));
    }

    #[test]
    fn a_missing_method_is_named() {
        let mut rows = full_table();
        rows.retain(|(_, m, _)| *m != "ArchiveClient");
        let err = PermissionTable::new(&rows)
            .check(crm_proto::FILE_DESCRIPTOR_SET, &[SVC])
            .expect_err("missing method");
        assert_eq!(
            err,
            TableError::Missing(vec![format!("/{SVC}/ArchiveClient")])
        );
    }

    #[test]
    fn an_extra_method_is_named() {
        let mut rows = full_table();
        rows.push((SVC, "DeleteEverything", Access::Public));
        let err = PermissionTable::new(&rows)
            .check(crm_proto::FILE_DESCRIPTOR_SET, &[SVC])
            .expect_err("unknown method");
        assert_eq!(
            err,
            TableError::Unknown(vec![format!("/{SVC}/DeleteEverything")])
        );
    }

    #[test]
    fn an_unknown_service_is_refused() {
        let err = PermissionTable::new(&[])
            .check(crm_proto::FILE_DESCRIPTOR_SET, &["crm.nope.v1.NopeService"])
            .expect_err("unknown service");
        assert!(matches!(err, TableError::UnknownService(_)));
    }

    #[test]
    fn roles_map_to_actions() {
        assert!(role_allows(Role::Viewer, Action::Read));
        assert!(!role_allows(Role::Viewer, Action::Write));
        assert!(!role_allows(Role::Accountant, Action::Write));
        assert!(role_allows(Role::Agent, Action::Write));
        assert!(!role_allows(Role::Manager, Action::Admin));
        for role in [Role::Owner, Role::Admin, Role::Manager] {
            assert!(role_allows(role, Action::Manage), "{role:?}");
        }
        for role in [Role::Agent, Role::Accountant, Role::Viewer] {
            assert!(!role_allows(role, Action::Manage), "{role:?}");
        }
        assert!(role_allows(Role::Admin, Action::Admin));
        assert!(role_allows(Role::Owner, Action::Admin));
    }
}
