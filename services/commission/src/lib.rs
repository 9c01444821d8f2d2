//! The commission service: the commission plans of an organisation (rules per product
//! or category: upfront, recurring, manager overrides, clawback window and mode), the
//! entries earned from contract signatures and payments and clawed back when contracts
//! fall inside their window, and the monthly statements of each sales agent, closed
//! period by period. Entries are derived from facts stored as events arrive, so
//! redeliveries and recomputations give the same entries.

mod consumer;
mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod remote;
mod repo;

use std::sync::Arc;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::commission::v1::commission_service_server::CommissionServiceServer;

pub use consumer::{Ledger, subscription};
pub use error::Error;
pub use migration::Migrator;
pub use remote::Remote;

const COMMISSION_SERVICE: &str = "crm.commission.v1.CommissionService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "commission",
    grpc_services: &[COMMISSION_SERVICE],
};

/// Returns the access every RPC needs: every member reads plans; entries and statements
/// are read by every role but viewers, agents seeing their own and managers their
/// team's (enforced by the handlers); plans, closing, recomputing and paying are for
/// owners and admins.
pub fn permissions() -> PermissionTable {
    const PLANS_READ: Access = Access::read("commission_plans");
    const PLANS_ADMIN: Access = Access::admin("commission_plans");
    const READ: Access = Access::read("commissions");
    const ADMIN: Access = Access::admin("commissions");
    PermissionTable::new(&[
        (COMMISSION_SERVICE, "CreatePlan", PLANS_ADMIN),
        (COMMISSION_SERVICE, "GetPlan", PLANS_READ),
        (COMMISSION_SERVICE, "UpdatePlan", PLANS_ADMIN),
        (COMMISSION_SERVICE, "ListPlans", PLANS_READ),
        (COMMISSION_SERVICE, "ArchivePlan", PLANS_ADMIN),
        (COMMISSION_SERVICE, "ListEntries", READ),
        (COMMISSION_SERVICE, "GetStatement", READ),
        (COMMISSION_SERVICE, "ClosePeriod", ADMIN),
        (COMMISSION_SERVICE, "Recompute", ADMIN),
        (COMMISSION_SERVICE, "PayStatement", ADMIN),
    ])
}

/// Returns the server of the commission service, ready to serve, with its ledger
/// consumer. It reads commerciaux and products at `deps.config.service_url(..)`.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let remote = Remote::new(SPEC.name, &deps.config, &deps.mesh)
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
    let handler = Arc::new(Ledger::new(remote.clone(), relay.waker()));
    let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
    server.background(Box::new(move |shutdown| {
        bus.subscribe_observed(db, subscription(), handler, metrics, shutdown)
    }));
    let api = grpc::CommissionApi::new(repo::Repo::new(deps.db.clone(), relay.waker()), remote);
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(CommissionServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
