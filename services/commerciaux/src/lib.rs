//! The commerciaux service: an organisation's sales agents (commerciaux) and their
//! hierarchy, who manages whom, at most ten levels deep and without cycles.

mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod portfolio;
mod repo;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::client::Downstream;
use crm_kit::{Server, ServiceSpec};
use crm_proto::commerciaux::v1::commercial_service_server::CommercialServiceServer;

pub use error::Error;
pub use migration::Migrator;

const COMMERCIAL_SERVICE: &str = "crm.commerciaux.v1.CommercialService";
const RESOURCE: &str = "commerciaux";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "commerciaux",
    grpc_services: &[COMMERCIAL_SERVICE],
};

/// Returns the access every RPC needs. Writes are further limited to owners, admins and
/// managers by the handlers.
pub fn permissions() -> PermissionTable {
    PermissionTable::new(&[
        (
            COMMERCIAL_SERVICE,
            "CreateCommercial",
            Access::manage(RESOURCE),
        ),
        (COMMERCIAL_SERVICE, "GetCommercial", Access::read(RESOURCE)),
        (
            COMMERCIAL_SERVICE,
            "UpdateCommercial",
            Access::manage(RESOURCE),
        ),
        (
            COMMERCIAL_SERVICE,
            "ListCommerciaux",
            Access::read(RESOURCE),
        ),
        (
            COMMERCIAL_SERVICE,
            "DeactivateCommercial",
            Access::manage(RESOURCE),
        ),
        (COMMERCIAL_SERVICE, "GetHierarchy", Access::read(RESOURCE)),
        (COMMERCIAL_SERVICE, "ListTeam", Access::read(RESOURCE)),
        // Moves clients, but through the clients service, which admits this service's
        // call; the handler admits owners, admins and managers like every write here.
        (
            COMMERCIAL_SERVICE,
            "ReassignPortfolio",
            Access::manage(RESOURCE),
        ),
    ])
}

/// Returns the server of the commerciaux service, ready to serve. ReassignPortfolio
/// calls the clients service at `deps.config.service_url("clients")`, connecting on
/// first use so the services may start in any order.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let clients = Downstream::lazy(
        SPEC.name,
        portfolio::CLIENTS,
        &deps.config.service_url(portfolio::CLIENTS),
        deps.mesh.clone(),
    )
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
    let api = grpc::CommerciauxApi::new(
        repo::Repo::new(deps.db.clone(), relay.waker()),
        portfolio::Portfolio::new(clients),
    );
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(CommercialServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rpc_has_a_permission() {
        assert_eq!(
            super::permissions().check(crm_proto::FILE_DESCRIPTOR_SET, super::SPEC.grpc_services),
            Ok(())
        );
    }
}
