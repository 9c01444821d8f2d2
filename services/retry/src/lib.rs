//! The retry service: re-presentation of rejected SEPA direct debits (domain-rules 6).
//! A rejection (payment.rejected) opens or continues a chain; the organisation's policy
//! decides whether and when to present the debit again (a TARGET day aligned to pay
//! days, inside the window) or to give up and hand over to relance; RunDue asks payments
//! to make the new payments. Payments received, mandates revoked, credit notes and paid
//! invoices close or stop chains.

mod clock;
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
mod workflow;

use std::sync::Arc;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::retry::v1::retry_service_server::RetryServiceServer;

pub use clock::Clock;
pub use consumer::{Chains, subscription};
pub use error::Error;
pub use migration::Migrator;

const RETRY_SERVICE: &str = "crm.retry.v1.RetryService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "retry",
    grpc_services: &[RETRY_SERVICE],
};

/// Returns the access every RPC needs. The kit lets every member of the organisation
/// through (read); the handlers then let owners, admins, managers, accountants and
/// viewers read, and only owners, admins and accountants (who handle collections)
/// change the policy, cancel retries and run due attempts, which the kit's write and
/// manage accesses cannot say. Sales agents see nothing: chains are not tied to an
/// agent here. Services of the mesh may call everything.
pub fn permissions() -> PermissionTable {
    const RETRY: Access = Access::read("retry");
    PermissionTable::new(&[
        (RETRY_SERVICE, "GetPolicy", RETRY),
        (RETRY_SERVICE, "UpdatePolicy", RETRY),
        (RETRY_SERVICE, "ListAttempts", RETRY),
        (RETRY_SERVICE, "GetChain", RETRY),
        (RETRY_SERVICE, "ListChains", RETRY),
        (RETRY_SERVICE, "CancelRetries", RETRY),
        (RETRY_SERVICE, "RunDue", RETRY),
    ])
}

/// Returns the server of the retry service, ready to serve, with its consumer. It calls
/// payments at `deps.config.service_url("payments")`.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    build_with(deps, Clock::System).await
}

async fn build_with(deps: Deps, clock: Clock) -> anyhow::Result<Server> {
    let payments = remote::Payments::new(SPEC.name, &deps.config, &deps.mesh)
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
    let handler = Arc::new(Chains::new(clock.clone()));
    let api = grpc::RetryApi::new(deps.db.clone(), relay.waker(), payments, clock);
    let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
    server.background(Box::new(move |shutdown| {
        bus.subscribe_observed(db, subscription(), handler, metrics, shutdown)
    }));
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(RetryServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}

/// Test support: the service on a clock the test moves.
#[cfg(any(test, feature = "testsuite"))]
pub mod testing {
    use crm_kit::Server;
    use crm_kit::bootstrap::Deps;

    use crate::Clock;

    /// Returns the server of the retry service as [`crate::build`] does, deciding and
    /// running as of `clock`'s today (a [`Clock::manual`] the test keeps a clone of).
    pub async fn build_on(deps: Deps, clock: Clock) -> anyhow::Result<Server> {
        crate::build_with(deps, clock).await
    }
}
