//! The contrats service: the contracts of an organisation with their clients, numbered
//! without gaps, their lines priced from the catalogue at signature, and their lifecycle
//! (draft, signature, suspension, termination, renunciation, cancellation, amendments),
//! each change publishing its event through the outbox.

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
use crm_proto::contrats::v1::contract_service_server::ContractServiceServer;

pub use error::Error;
pub use migration::Migrator;

const CONTRACT_SERVICE: &str = "crm.contrats.v1.ContractService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "contrats",
    grpc_services: &[CONTRACT_SERVICE],
};

/// Returns the access every RPC needs: every member reads, owners, admins, managers and
/// agents write (viewers and accountants are refused by the kit); agents only see and
/// change their own contracts, which the handlers enforce.
pub fn permissions() -> PermissionTable {
    const READ: Access = Access::read("contracts");
    const WRITE: Access = Access::write("contracts");
    PermissionTable::new(&[
        (CONTRACT_SERVICE, "CreateContract", WRITE),
        (CONTRACT_SERVICE, "GetContract", READ),
        (CONTRACT_SERVICE, "UpdateContract", WRITE),
        (CONTRACT_SERVICE, "ListContracts", READ),
        (CONTRACT_SERVICE, "ListContractsByClient", READ),
        (CONTRACT_SERVICE, "SendForSignature", WRITE),
        (CONTRACT_SERVICE, "SignContract", WRITE),
        (CONTRACT_SERVICE, "SuspendContract", WRITE),
        (CONTRACT_SERVICE, "ResumeContract", WRITE),
        (CONTRACT_SERVICE, "TerminateContract", WRITE),
        (CONTRACT_SERVICE, "CancelContract", WRITE),
        (CONTRACT_SERVICE, "AmendContract", WRITE),
    ])
}

/// Returns the server of the contrats service, ready to serve. It reads clients,
/// commerciaux and products at `deps.config.service_url(..)` of each.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let remote = remote::Remote::new(SPEC.name, &deps.config, &deps.mesh)
        .map_err(|s| anyhow::anyhow!("{}", s.message()))?;
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let relay = crm_events::Relay::new(deps.db.clone(), deps.bus.publisher(SPEC.name))
        .with_metrics(server.event_metrics());
    let api = grpc::ContractsApi::new(repo::Repo::new(deps.db.clone(), relay.waker()), remote);
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(ContractServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
