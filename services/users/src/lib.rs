//! The users service: accounts (e-mail, display name, argon2id password, status),
//! sign-up with the account's first organisation, sign-in with lockout and an optional
//! TOTP second factor, access tokens (EdDSA JWT) with rotating refresh tokens and reuse
//! detection, and the JWKS other services verify tokens with.

mod convert;
pub mod domain;
mod entity;
mod error;
mod events;
mod grpc;
pub mod keys;
mod migration;
mod orgs;
mod repo;
mod service;

use anyhow::Context as _;
use crm_kit::auth::TokenSigner;
use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::client::Downstream;
use crm_kit::{Server, ServiceSpec};
use crm_proto::users::v1::user_service_server::UserServiceServer;

pub use error::Error;
pub use migration::Migrator;

const USER_SERVICE: &str = "crm.users.v1.UserService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "users",
    grpc_services: &[USER_SERVICE],
};

/// Returns the access every RPC needs.
pub fn permissions() -> PermissionTable {
    PermissionTable::new(&[
        (USER_SERVICE, "SignUp", Access::Public),
        (USER_SERVICE, "Login", Access::Public),
        (USER_SERVICE, "Refresh", Access::Public),
        (USER_SERVICE, "Logout", Access::Public),
        (USER_SERVICE, "GetJwks", Access::Public),
        (USER_SERVICE, "SwitchOrganisation", Access::Authenticated),
        (USER_SERVICE, "GetMe", Access::Authenticated),
        (USER_SERVICE, "UpdateProfile", Access::Authenticated),
        (USER_SERVICE, "ChangePassword", Access::Authenticated),
        (USER_SERVICE, "EnrollTotp", Access::Authenticated),
        (USER_SERVICE, "ConfirmTotp", Access::Authenticated),
        (USER_SERVICE, "DisableTotp", Access::Authenticated),
    ])
}

/// Returns the server of the users service, ready to serve. It signs access tokens with
/// `signer` (whose public key it adds to `deps.keys`, so it verifies its own tokens
/// without calling itself), seals TOTP secrets with the data key (see [`keys`]), and
/// calls the organisations service at `deps.config.service_url("organisations")`.
pub async fn build(deps: Deps, signer: TokenSigner) -> anyhow::Result<Server> {
    deps.keys
        .insert(vec![(signer.kid().to_owned(), signer.public_key())]);
    let data_key = keys::data_key(&deps.config.data_dir)?;
    let organisations = Downstream::lazy(
        SPEC.name,
        "organisations",
        &deps.config.service_url("organisations"),
        deps.mesh.clone(),
    )
    .map_err(|s| anyhow::anyhow!("{}", s.message()))?;
    let dummy_hash = tokio::task::spawn_blocking(domain::password::dummy_hash)
        .await
        .context("cannot prepare the password checker")??;
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let relay = crm_events::Relay::new(deps.db.clone(), deps.bus.publisher(SPEC.name))
        .with_metrics(server.event_metrics());
    let users = service::Users::new(
        repo::Repo::new(deps.db.clone(), relay.waker()),
        orgs::Organisations::new(organisations),
        signer,
        domain::sealing::Sealer::for_totp(&data_key),
        dummy_hash,
    );
    server.background(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    let limit = server.max_decoding_message_size();
    server
        .add_service(
            UserServiceServer::new(grpc::UsersApi::new(users)).max_decoding_message_size(limit),
        )
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
