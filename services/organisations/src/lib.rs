//! The organisations service: the tenants themselves, who belongs to each and with which
//! role, and the invitations that bring new members in. Other services learn a user's
//! role in an organisation through `GetMembership` (the users service puts it in tokens).

mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod repo;
mod token;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::organisations::v1::organisation_service_server::OrganisationServiceServer;

pub use error::Error;
pub use migration::Migrator;

const ORGANISATION_SERVICE: &str = "crm.organisations.v1.OrganisationService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "organisations",
    grpc_services: &[ORGANISATION_SERVICE],
};

/// Returns the access every RPC needs.
pub fn permissions() -> PermissionTable {
    const S: &str = ORGANISATION_SERVICE;
    PermissionTable::new(&[
        // Any signed-in user may found an organisation, even with a token scoped to none.
        (S, "CreateOrganisation", Access::Authenticated),
        (S, "GetOrganisation", Access::read("organisation")),
        (S, "UpdateOrganisation", Access::admin("organisation")),
        // Lists the caller's own memberships, across organisations.
        (S, "ListMyOrganisations", Access::Authenticated),
        (S, "InviteMember", Access::admin("members")),
        (S, "ListInvitations", Access::admin("members")),
        // The invitee is not a member yet: the token is the capability.
        (S, "AcceptInvitation", Access::Authenticated),
        (S, "RevokeInvitation", Access::admin("members")),
        (S, "ListMembers", Access::read("members")),
        (S, "UpdateMemberRole", Access::admin("members")),
        // Any member may leave; removing someone else needs admin, checked in the handler.
        (S, "RemoveMember", Access::read("members")),
        (S, "GetMembership", Access::Internal),
    ])
}

/// Returns the server of the organisations service, ready to serve.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let relay = crm_events::Relay::new(deps.db.clone(), deps.bus.publisher(SPEC.name))
        .with_metrics(server.event_metrics());
    let api = grpc::OrganisationsApi::new(repo::Repo::new(deps.db.clone(), relay.waker()));
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(OrganisationServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
