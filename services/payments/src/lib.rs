//! The payments service: an organisation's SEPA creditor accounts, its debtors' mandates
//! (IBANs encrypted at rest, references never reused), the schedules of its contracts
//! (made from contract.signed, completed by invoice.issued, cut by
//! contract.terminated), the pain.008 batches that collect them, and what the banks
//! answer: settlements, rejects and returns, re-presentations (for the retry service)
//! and refunds. Each change publishes its event through the outbox.

pub mod config;
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
use crm_proto::payments::v1::payment_service_server::PaymentServiceServer;

pub use config::{IbanKey, PaymentsConfig};
pub use consumer::{Schedules, subscription};
pub use error::Error;
pub use migration::Migrator;

const PAYMENT_SERVICE: &str = "crm.payments.v1.PaymentService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "payments",
    grpc_services: &[PAYMENT_SERVICE],
};

/// Returns the access every RPC needs. Every member of the organisation reads; the
/// changes ask for read access here because the kit's kinds do not let accountants
/// write, and the handlers narrow them to owners, admins and accountants.
/// SchedulePresentation is for services of the mesh, and the handler only lets the
/// retry service through.
pub fn permissions() -> PermissionTable {
    const READ: Access = Access::read("payments");
    // Owners, admins and accountants; checked again in the handlers.
    const CHANGE: Access = Access::read("payments");
    PermissionTable::new(&[
        (PAYMENT_SERVICE, "CreateCreditorAccount", CHANGE),
        (PAYMENT_SERVICE, "GetCreditorAccount", READ),
        (PAYMENT_SERVICE, "ListCreditorAccounts", READ),
        (PAYMENT_SERVICE, "GetPaymentSettings", READ),
        (PAYMENT_SERVICE, "UpdatePaymentSettings", CHANGE),
        (PAYMENT_SERVICE, "CreateMandate", CHANGE),
        (PAYMENT_SERVICE, "GetMandate", READ),
        (PAYMENT_SERVICE, "ListMandates", READ),
        (PAYMENT_SERVICE, "ActivateMandate", CHANGE),
        (PAYMENT_SERVICE, "SuspendMandate", CHANGE),
        (PAYMENT_SERVICE, "ResumeMandate", CHANGE),
        (PAYMENT_SERVICE, "RevokeMandate", CHANGE),
        (PAYMENT_SERVICE, "AmendMandate", CHANGE),
        (PAYMENT_SERVICE, "CreateSchedule", CHANGE),
        (PAYMENT_SERVICE, "GetSchedule", READ),
        (PAYMENT_SERVICE, "ListSchedules", READ),
        (PAYMENT_SERVICE, "PrepareBatch", CHANGE),
        (PAYMENT_SERVICE, "ExportBatch", CHANGE),
        (PAYMENT_SERVICE, "GetBatch", READ),
        (PAYMENT_SERVICE, "ListBatches", READ),
        (PAYMENT_SERVICE, "GetPayment", READ),
        (PAYMENT_SERVICE, "ListPayments", READ),
        (PAYMENT_SERVICE, "MarkSettled", CHANGE),
        (PAYMENT_SERVICE, "ImportReturns", CHANGE),
        (PAYMENT_SERVICE, "SchedulePresentation", Access::Internal),
        (PAYMENT_SERVICE, "RefundPayment", CHANGE),
    ])
}

/// Returns the server of the payments service, ready to serve, with the IBAN key of
/// the `[payments]` configuration (`CRM_PAYMENTS__IBAN_KEY`); without one it refuses to
/// start.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let key = PaymentsConfig::load()?.iban_key()?;
    build_with(deps, key).await
}

/// Returns the server of the payments service sealing IBANs with `key`: for tests and
/// the embedded platform, which keep the key themselves. It checks collection dates
/// with the calendar service at `deps.config.service_url("calendar")` and consumes
/// contract.signed, invoice.issued and contract.terminated.
pub async fn build_with(deps: Deps, key: IbanKey) -> anyhow::Result<Server> {
    let calendar = remote::Calendar::new(SPEC.name, &deps.config, &deps.mesh)
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
    let vault = domain::sealing::Vault::new(&key);
    let repo = repo::Repo::new(deps.db.clone(), relay.waker(), vault);
    let api = grpc::PaymentsApi::new(repo, calendar);
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let handler = Arc::new(Schedules);
    let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
    server.background(Box::new(move |shutdown| {
        bus.subscribe_observed(db, subscription(), handler, metrics, shutdown)
    }));
    let limit = server.max_decoding_message_size();
    server
        .add_service(PaymentServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
