//! The products service: the catalogue of an organisation (codes, kinds, billing
//! frequencies, VAT categories) and the history of each product's price excluding VAT,
//! as periods that never overlap.

mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
mod migration;
mod repo;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::products::v1::product_service_server::ProductServiceServer;

pub use error::Error;
pub use migration::Migrator;

const PRODUCT_SERVICE: &str = "crm.products.v1.ProductService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "products",
    grpc_services: &[PRODUCT_SERVICE],
};

/// Returns the access every RPC needs. Every member reads the catalogue; owners, admins
/// and managers change it (the kit's manage access).
pub fn permissions() -> PermissionTable {
    PermissionTable::new(&[
        (PRODUCT_SERVICE, "CreateProduct", Access::manage("products")),
        (PRODUCT_SERVICE, "GetProduct", Access::read("products")),
        (PRODUCT_SERVICE, "UpdateProduct", Access::manage("products")),
        (PRODUCT_SERVICE, "ListProducts", Access::read("products")),
        (
            PRODUCT_SERVICE,
            "ArchiveProduct",
            Access::manage("products"),
        ),
        (PRODUCT_SERVICE, "SetPrice", Access::manage("products")),
        (PRODUCT_SERVICE, "GetPriceAt", Access::read("products")),
        (PRODUCT_SERVICE, "ListPrices", Access::read("products")),
    ])
}

/// Returns the server of the products service, ready to serve.
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
    let api = grpc::ProductsApi::new(repo::Repo::new(deps.db.clone(), relay.waker()));
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(ProductServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
