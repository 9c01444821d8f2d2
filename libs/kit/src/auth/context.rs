//! The request context the auth layer puts in every request's extensions.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use crm_db::Tenant;
use tonic::Status;
use uuid::Uuid;

/// The role of a user in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including making other owners.
    Owner,
    /// Members, settings and all business data.
    Admin,
    /// A team of agents and their data.
    Manager,
    /// A sales agent: their own clients.
    Agent,
    /// Reads business and billing data.
    Accountant,
    /// Reads business data.
    Viewer,
}

impl Role {
    /// Every role, from most to least powerful.
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Manager,
        Role::Agent,
        Role::Accountant,
        Role::Viewer,
    ];

    /// Returns the lowercase name used in tokens and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Accountant => "accountant",
            Role::Viewer => "viewer",
        }
    }

    /// Returns the role of a `crm.common.v1.Role` value, or `None` for unspecified and
    /// unknown values.
    pub fn from_proto(value: i32) -> Option<Role> {
        use crm_proto::common::v1::Role as P;
        match P::try_from(value).ok()? {
            P::Unspecified => None,
            P::Owner => Some(Role::Owner),
            P::Admin => Some(Role::Admin),
            P::Manager => Some(Role::Manager),
            P::Agent => Some(Role::Agent),
            P::Accountant => Some(Role::Accountant),
            P::Viewer => Some(Role::Viewer),
        }
    }

    /// Returns the `crm.common.v1.Role` value of the role.
    pub fn to_proto(self) -> i32 {
        use crm_proto::common::v1::Role as P;
        let p = match self {
            Role::Owner => P::Owner,
            Role::Admin => P::Admin,
            Role::Manager => P::Manager,
            Role::Agent => P::Agent,
            Role::Accountant => P::Accountant,
            Role::Viewer => P::Viewer,
        };
        p as i32
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials (only public methods get this far).
    Anonymous,
    /// A user with a verified access token.
    User {
        /// The user's id (`sub`).
        user_id: Uuid,
    },
    /// Another service of the mesh, acting for a user or for itself.
    Service {
        /// The calling service's name.
        name: String,
        /// The user it acts for, when it acts for one.
        on_behalf_of: Option<Uuid>,
    },
}

/// What a handler knows about the caller, read with [`context`].
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Who is calling.
    pub principal: Principal,
    /// The organisation the call acts in, when there is one.
    pub organisation_id: Option<Uuid>,
    /// The caller's role in that organisation, when known.
    pub role: Option<Role>,
    /// The caller's sales-agent record in that organisation, when linked.
    pub commercial_id: Option<Uuid>,
    /// When the caller stops waiting, from its `grpc-timeout`.
    pub deadline: Option<Instant>,
    /// The W3C trace context of the call, forwarded to downstream calls.
    pub traceparent: Option<String>,
}

impl RequestContext {
    /// Returns a context for an anonymous caller.
    pub fn anonymous() -> Self {
        Self {
            principal: Principal::Anonymous,
            organisation_id: None,
            role: None,
            commercial_id: None,
            deadline: None,
            traceparent: None,
        }
    }

    /// Returns the organisation the call acts in, or `PERMISSION_DENIED` when the token
    /// names none.
    pub fn tenant(&self) -> Result<Tenant, Status> {
        self.organisation_id
            .map(Tenant::new)
            .ok_or_else(|| Status::permission_denied("the token is not scoped to an organisation"))
    }

    /// Returns the user the call acts for, or `UNAUTHENTICATED` when there is none.
    pub fn user_id(&self) -> Result<Uuid, Status> {
        match &self.principal {
            Principal::User { user_id } => Ok(*user_id),
            Principal::Service {
                on_behalf_of: Some(user_id),
                ..
            } => Ok(*user_id),
            _ => Err(Status::unauthenticated("no user behind this call")),
        }
    }

    /// Returns the calling service's name when the call is internal.
    pub fn calling_service(&self) -> Option<&str> {
        match &self.principal {
            Principal::Service { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Returns the role, or `PERMISSION_DENIED` when the call carries none.
    pub fn role(&self) -> Result<Role, Status> {
        self.role
            .ok_or_else(|| Status::permission_denied("the call carries no role"))
    }
}

/// Returns the context the auth layer attached to the request, or `UNAUTHENTICATED` when
/// the request did not pass through it (which only happens in a misassembled server).
pub fn context<T>(request: &tonic::Request<T>) -> Result<&RequestContext, Status> {
    request
        .extensions()
        .get::<RequestContext>()
        .ok_or_else(|| Status::unauthenticated("no request context"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text_and_proto() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(Role::from_proto(role.to_proto()), Some(role));
        }
        assert_eq!(Role::from_proto(0), None);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn tenant_requires_an_organisation() {
        let ctx = RequestContext::anonymous();
        assert_eq!(
            ctx.tenant().expect_err("no org").code(),
            tonic::Code::PermissionDenied
        );
        assert_eq!(
            ctx.user_id().expect_err("no user").code(),
            tonic::Code::Unauthenticated
        );
    }
}
