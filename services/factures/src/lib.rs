//! The factures service: the invoices and credit notes of an organisation, French rules.
//! Drafts have no number; issuing numbers them without gaps in the organisation's
//! series, snapshots the seller and the client, fixes the VAT of the issue date (per
//! rate on the summed base, half up) and the legal mentions. Credit notes correct or
//! cancel issued invoices, which are never deleted. Payments (events from payments, or
//! RecordPayment) move invoices to PARTIALLY_PAID and PAID and returns reopen them;
//! MarkOverdue marks late ones once; billing runs issue one invoice per active contract
//! and month; terminated contracts get a prorated credit; late B2B invoices carry
//! penalties. Every change publishes its event through the outbox.

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

use crm_kit::auth::MeshKey;
use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::config::KitConfig;
use crm_kit::{Server, ServiceSpec};
use crm_proto::factures::v1::invoice_service_server::InvoiceServiceServer;

pub use consumer::{Payments, Terminations, contracts_subscription, payments_subscription};
pub use error::Error;
pub use migration::Migrator;

const INVOICE_SERVICE: &str = "crm.factures.v1.InvoiceService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "factures",
    grpc_services: &[INVOICE_SERVICE],
};

/// Returns the access every RPC needs. Every member may call the reading and writing
/// RPCs as far as the kit is concerned; the handlers then let only owners, admins and
/// accountants write (the kit's write access includes agents and managers and excludes
/// accountants, the opposite of what invoicing needs), and show agents the invoices of
/// their own clients and managers their team's. RecordPayment is for the mesh only.
pub fn permissions() -> PermissionTable {
    const READ: Access = Access::read("invoices");
    PermissionTable::new(&[
        (INVOICE_SERVICE, "CreateDraftInvoice", READ),
        (INVOICE_SERVICE, "GetInvoice", READ),
        (INVOICE_SERVICE, "UpdateDraftInvoice", READ),
        (INVOICE_SERVICE, "ListInvoices", READ),
        (INVOICE_SERVICE, "DeleteDraftInvoice", READ),
        (INVOICE_SERVICE, "IssueInvoice", READ),
        (INVOICE_SERVICE, "CreateCreditNote", READ),
        (INVOICE_SERVICE, "RecordPayment", Access::Internal),
        (INVOICE_SERVICE, "WriteOffInvoice", READ),
        (INVOICE_SERVICE, "MarkOverdue", READ),
        (INVOICE_SERVICE, "RunBilling", READ),
        (INVOICE_SERVICE, "GetLatePenalties", READ),
    ])
}

/// Returns the contract.terminated handler, reading organisations at the address
/// `config` gives (for tests that deliver events by hand).
pub fn terminations(config: &KitConfig, mesh: &MeshKey) -> anyhow::Result<Terminations> {
    let remote =
        remote::Remote::new(config, mesh).map_err(|s| anyhow::anyhow!("{}", s.message()))?;
    Ok(Terminations::new(remote))
}

/// Returns the server of the factures service, ready to serve, with its payments and
/// contracts consumers. It reads organisations, clients, contrats, referentiel and
/// commerciaux at `deps.config.service_url(..)` of each.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let remote = remote::Remote::new(&deps.config, &deps.mesh)
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
    let api = grpc::InvoicesApi::new(
        repo::Repo::new(deps.db.clone(), relay.waker()),
        remote.clone(),
    );
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let subscriptions: [(
        crm_events::consume::Subscription,
        Arc<dyn crm_events::consume::Handler>,
    ); 2] = [
        (payments_subscription(), Arc::new(Payments)),
        (
            contracts_subscription(),
            Arc::new(Terminations::new(remote)),
        ),
    ];
    for (subscription, handler) in subscriptions {
        let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
        server.background(Box::new(move |shutdown| {
            bus.subscribe_observed(db, subscription, handler, metrics, shutdown)
        }));
    }
    let limit = server.max_decoding_message_size();
    server
        .add_service(InvoiceServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
