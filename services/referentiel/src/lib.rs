//! The referentiel service: reference data every other service reads (countries,
//! currencies, dated VAT rates, SEPA reason codes, legal interest and ECB rates,
//! civilities, legal forms), seeded by migrations, and the value lists each organisation
//! keeps (lead sources, termination reasons, client tags, ...). Every answer carries a
//! version callers cache on.

mod consumer;
mod convert;
pub mod domain;
mod entity;
mod error;
mod grpc;
mod migration;
mod repo;

use std::sync::Arc;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::referentiel::v1::referentiel_service_server::ReferentielServiceServer;

pub use consumer::{TenantDefaults, subscription};
pub use error::Error;
pub use migration::Migrator;
pub use migration::seed;

const REFERENTIEL_SERVICE: &str = "crm.referentiel.v1.ReferentielService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "referentiel",
    grpc_services: &[REFERENTIEL_SERVICE],
};

/// Returns the access every RPC needs: global data to any authenticated caller (a user
/// with or without an organisation, or a service of the mesh), a list to the members of
/// its organisation, and changes to lists to owners and admins.
pub fn permissions() -> PermissionTable {
    let global = Access::Authenticated;
    PermissionTable::new(&[
        (REFERENTIEL_SERVICE, "ListCountries", global),
        (REFERENTIEL_SERVICE, "GetCountry", global),
        (REFERENTIEL_SERVICE, "ListCurrencies", global),
        (REFERENTIEL_SERVICE, "GetVatRate", global),
        (REFERENTIEL_SERVICE, "ListVatRates", global),
        (REFERENTIEL_SERVICE, "ListReasonCodes", global),
        (REFERENTIEL_SERVICE, "GetReasonCode", global),
        (REFERENTIEL_SERVICE, "GetLegalInterestRate", global),
        (REFERENTIEL_SERVICE, "GetEcbRate", global),
        (REFERENTIEL_SERVICE, "ListCivilities", global),
        (REFERENTIEL_SERVICE, "ListLegalForms", global),
        (
            REFERENTIEL_SERVICE,
            "ListValues",
            Access::read("value_lists"),
        ),
        (
            REFERENTIEL_SERVICE,
            "UpsertValue",
            Access::admin("value_lists"),
        ),
        (
            REFERENTIEL_SERVICE,
            "DeleteValue",
            Access::admin("value_lists"),
        ),
    ])
}

/// Returns the server of the referentiel service, ready to serve, with its
/// `organisation.created` consumer.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let handler = Arc::new(TenantDefaults);
    let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
    server.background(Box::new(move |shutdown| {
        bus.subscribe_observed(db, subscription(), handler, metrics, shutdown)
    }));
    let api = grpc::ReferentielApi::new(repo::Repo::new(deps.db.clone()));
    let limit = server.max_decoding_message_size();
    server
        .add_service(ReferentielServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
