//! The demo organisation and user `crm up` creates on first start, and the credentials
//! and token it prints.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use crm_kit::Role;
use crm_kit::auth::TokenSigner;
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::config::KitConfig;
use crm_proto::users::v1::user_service_client::UserServiceClient;
use crm_proto::users::v1::{LoginRequest, SignUpRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// E-mail of the demo user.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// Password of the demo user (development only).
pub const DEMO_PASSWORD: &str = "demo-password-2026";
/// Lifetime of the printed development token.
pub const DEV_TOKEN_HOURS: i64 = 12;

/// The demo identity, kept in `<data_dir>/demo.json` for `crm token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demo {
    /// The demo user.
    pub user_id: Uuid,
    /// Its organisation.
    pub organisation_id: Uuid,
    /// A development token valid for [`DEV_TOKEN_HOURS`].
    #[serde(skip)]
    pub token: String,
}

/// Returns where the demo identity is kept.
pub fn demo_file(config: &KitConfig) -> PathBuf {
    config.data_dir.join("demo.json")
}

/// Signs up the demo user (or logs it in when it exists) and mints its dev token.
pub async fn ensure(config: &KitConfig, signer: &TokenSigner) -> anyhow::Result<Demo> {
    let mut client = UserServiceClient::new(
        tonic::transport::Endpoint::from_shared(config.service_url("users"))?
            .timeout(Duration::from_secs(30))
            .connect_lazy(),
    );
    let signed_up = client
        .sign_up(SignUpRequest {
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            display_name: "Demo User".into(),
            organisation_name: "Demo Organisation".into(),
        })
        .await;
    let tokens = match signed_up {
        Ok(r) => r.into_inner().tokens,
        Err(status) if status.code() == tonic::Code::AlreadyExists => {
            client
                .login(LoginRequest {
                    email: DEMO_EMAIL.into(),
                    password: DEMO_PASSWORD.into(),
                    totp_code: String::new(),
                    organisation_id: String::new(),
                })
                .await
                .context("cannot log the demo user in")?
                .into_inner()
                .tokens
        }
        Err(status) => return Err(status).context("cannot sign the demo user up"),
    }
    .context("no tokens in the answer")?;
    let keys =
        crm_kit::auth::KeySet::new(vec![(signer.kid().to_owned(), signer.public_key())], None);
    let claims = keys
        .verify(&tokens.access_token)
        .await
        .map_err(|e| anyhow::anyhow!("the users service answered a token we cannot verify: {e}"))?;
    let user_id = Uuid::parse_str(&claims.sub)?;
    let organisation_id = Uuid::parse_str(
        claims
            .org
            .as_deref()
            .context("the demo token has no organisation")?,
    )?;
    let now = chrono_now();
    let mut dev = AccessClaims::new(user_id, Some(organisation_id), Some(Role::Owner), now);
    dev.exp = now + DEV_TOKEN_HOURS * 3600;
    let token = signer.sign(&dev)?;
    let demo = Demo {
        user_id,
        organisation_id,
        token,
    };
    std::fs::write(demo_file(config), serde_json::to_vec_pretty(&demo)?)?;
    Ok(demo)
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Prints where everything listens, the demo credentials and the token.
#[allow(clippy::print_stdout)]
pub fn print(config: &KitConfig, demo: &Demo) {
    println!();
    println!(
        "CRM platform is up (data in {}).",
        config.data_dir.display()
    );
    for name in crate::services::ALL {
        println!(
            "  {name:<14} grpc {}  admin http://{}",
            config.grpc_addr(name),
            config.admin_addr(name)
        );
    }
    let edge = crm_gateway::GatewayConfig::load().unwrap_or_default();
    println!(
        "  {:<14} http://{}:{}  (JSON, gRPC, gRPC-Web; docs at /docs)",
        "gateway", config.host, edge.port
    );
    println!();
    println!("Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}");
    println!("Demo organisation: {}", demo.organisation_id);
    println!("Access token (valid {DEV_TOKEN_HOURS} h; `crm token` mints another):");
    println!("{}", demo.token);
    println!();
    println!(
        "Try: curl -H \"authorization: Bearer $TOKEN\" http://localhost:{}/v1/clients",
        edge.port
    );
    println!(
        "     grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" localhost:{} crm.clients.v1.ClientService/ListClients",
        edge.port
    );
    println!("Stop with Ctrl-C.");
    println!();
}
