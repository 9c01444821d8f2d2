//! The clients service: the people and companies an organisation sells to (contact
//! details, addresses, status, assigned sales agent, tags, custom fields), the contacts
//! of company clients, the opportunities pipeline, duplicate detection and merging, and
//! streaming import and export.

mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod remote;
mod repo;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::clients::v1::client_service_server::ClientServiceServer;

pub use error::Error;
pub use migration::Migrator;

const CLIENT_SERVICE: &str = "crm.clients.v1.ClientService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "clients",
    grpc_services: &[CLIENT_SERVICE],
};

/// Returns the access every RPC needs.
pub fn permissions() -> PermissionTable {
    PermissionTable::new(&[
        (CLIENT_SERVICE, "CreateClient", Access::write("clients")),
        (CLIENT_SERVICE, "GetClient", Access::read("clients")),
        (CLIENT_SERVICE, "UpdateClient", Access::write("clients")),
        (CLIENT_SERVICE, "ListClients", Access::read("clients")),
        (CLIENT_SERVICE, "ArchiveClient", Access::write("clients")),
        (CLIENT_SERVICE, "RestoreClient", Access::write("clients")),
        (CLIENT_SERVICE, "FindDuplicates", Access::read("clients")),
        (CLIENT_SERVICE, "MergeClients", Access::write("clients")),
        (CLIENT_SERVICE, "ImportClients", Access::write("clients")),
        (CLIENT_SERVICE, "ExportClients", Access::read("clients")),
        // Agents pass the table; the handler then admits owners, admins, managers and
        // the commerciaux service only.
        (CLIENT_SERVICE, "ReassignClients", Access::write("clients")),
        (CLIENT_SERVICE, "CreateContact", Access::write("clients")),
        (CLIENT_SERVICE, "GetContact", Access::read("clients")),
        (CLIENT_SERVICE, "UpdateContact", Access::write("clients")),
        (CLIENT_SERVICE, "ListContacts", Access::read("clients")),
        (CLIENT_SERVICE, "DeleteContact", Access::write("clients")),
        (
            CLIENT_SERVICE,
            "CreateOpportunity",
            Access::write("clients"),
        ),
        (CLIENT_SERVICE, "GetOpportunity", Access::read("clients")),
        (
            CLIENT_SERVICE,
            "UpdateOpportunity",
            Access::write("clients"),
        ),
        (CLIENT_SERVICE, "ListOpportunities", Access::read("clients")),
        (
            CLIENT_SERVICE,
            "MoveOpportunityStage",
            Access::write("clients"),
        ),
        (CLIENT_SERVICE, "MarkWon", Access::write("clients")),
        (CLIENT_SERVICE, "MarkLost", Access::write("clients")),
    ])
}

/// Returns the server of the clients service, ready to serve.
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
    let remote = remote::Remote::new(&deps.config, &deps.mesh)?;
    let api = grpc::ClientsApi::new(repo::Repo::new(deps.db.clone(), relay.waker()), remote);
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(ClientServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
