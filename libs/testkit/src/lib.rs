//! Test helpers shared by every service's integration tests: a key pair and mesh key per
//! test, tokens for any organisation, user and role, fresh databases on each backend,
//! and services started in-process on ephemeral ports.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crm_db::Backend;
use crm_kit::Role;
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::auth::{KeySet, MeshKey, TokenSigner};
use crm_kit::bootstrap::Deps;
use crm_kit::config::KitConfig;
use crm_kit::server::{Server, bind_ephemeral};
use crm_kit::shutdown::{ShutdownTrigger, channel};
use sea_orm_migration::MigratorTrait;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use uuid::Uuid;

pub use crm_db::testing::{TestDatabase, backends, fresh};

/// Keys of one test: the token signer, the public key set, and the mesh key.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Signs access tokens.
    pub signer: TokenSigner,
    /// Verifies them.
    pub keys: Arc<KeySet>,
    /// Signs internal tokens.
    pub mesh: MeshKey,
}

impl Keys {
    /// Returns new random keys.
    pub fn new() -> anyhow::Result<Self> {
        let (signer, _) = TokenSigner::generate()?;
        let keys = Arc::new(KeySet::new(
            vec![(signer.kid().to_owned(), signer.public_key())],
            None,
        ));
        let mut secret = [0u8; 32];
        for (i, b) in Uuid::new_v4()
            .as_bytes()
            .iter()
            .chain(Uuid::new_v4().as_bytes())
            .enumerate()
        {
            secret[i] = *b;
        }
        let mesh = MeshKey::new(&secret).map_err(anyhow::Error::msg)?;
        Ok(Self { signer, keys, mesh })
    }

    /// Returns an access token for `user` acting in `org` with `role`.
    pub fn token(&self, org: Uuid, user: Uuid, role: Role) -> String {
        self.token_with_commercial(org, user, role, None)
    }

    /// Returns an access token that also names the member's sales-agent record.
    pub fn token_with_commercial(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        commercial: Option<Uuid>,
    ) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let claims =
            AccessClaims::new(user, Some(org), Some(role), now).with_commercial(commercial);
        self.signer.sign(&claims).unwrap_or_default()
    }
}

/// Returns dependencies for a service over `db` (migrated with `M`), using `keys`.
pub async fn deps<M: MigratorTrait>(keys: &Keys, db: &TestDatabase) -> anyhow::Result<Deps> {
    crm_db::migrate::<M>(&db.db).await?;
    let config = KitConfig {
        port: Some(0),
        admin_port: Some(0),
        ..KitConfig::default()
    };
    let bus = crm_events::Bus::connect(None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Deps {
        config,
        keys: keys.keys.clone(),
        mesh: keys.mesh.clone(),
        db: db.db.clone(),
        bus,
    })
}

/// A service running in the test's process.
#[derive(Debug)]
pub struct Running {
    /// Its gRPC URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its admin URL.
    pub admin_url: String,
    /// A channel to it.
    pub channel: Channel,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), crm_kit::server::ServerError>>,
}

impl Running {
    /// Stops the service and waits for it to finish, keeping the handle: its address
    /// then refuses connections, as a service that is down.
    pub async fn halt(&mut self) -> anyhow::Result<()> {
        self.trigger.fire();
        (&mut self.task).await??;
        Ok(())
    }

    /// Stops the service and waits for it to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.fire();
        self.task.await??;
        Ok(())
    }
}

/// Ports bound before their service is built, so that services which call each other
/// can each be told the other's address.
#[derive(Debug)]
pub struct Ports {
    grpc: tokio::net::TcpListener,
    admin: tokio::net::TcpListener,
    /// The gRPC URL the service will answer at, `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Ports {
    /// Binds two ephemeral ports on 127.0.0.1.
    pub async fn bind() -> anyhow::Result<Self> {
        let (grpc, admin) = bind_ephemeral().await?;
        let url = format!("http://{}", grpc.local_addr()?);
        Ok(Self { grpc, admin, url })
    }
}

/// Starts the server `build` returns on ephemeral ports and waits until it reports
/// SERVING.
pub async fn spawn<F, Fut>(deps: Deps, build: F) -> anyhow::Result<Running>
where
    F: FnOnce(Deps) -> Fut,
    Fut: Future<Output = anyhow::Result<Server>>,
{
    spawn_on(Ports::bind().await?, deps, build).await
}

/// Starts the server `build` returns on `ports` and waits until it reports SERVING.
pub async fn spawn_on<F, Fut>(ports: Ports, deps: Deps, build: F) -> anyhow::Result<Running>
where
    F: FnOnce(Deps) -> Fut,
    Fut: Future<Output = anyhow::Result<Server>>,
{
    let server = build(deps).await?;
    let Ports { grpc, admin, url } = ports;
    let admin_url = format!("http://{}", admin.local_addr()?);
    let (trigger, shutdown) = channel();
    let task = tokio::spawn(server.serve(grpc, admin, shutdown.wait()));
    let channel = Channel::from_shared(url.clone())?.connect_lazy();
    wait_serving(channel.clone()).await?;
    Ok(Running {
        url,
        admin_url,
        channel,
        trigger,
        task,
    })
}

/// Waits (at most 10 s) until the health service at `channel` answers SERVING.
pub async fn wait_serving(channel: Channel) -> anyhow::Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut client = HealthClient::new(channel);
    for _ in 0..200 {
        let answer = client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await;
        if let Ok(r) = answer
            && r.into_inner().status == ServingStatus::Serving as i32
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("service did not report SERVING within 10 s")
}

/// Returns a request carrying `message` with `token` as its bearer token.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = MetadataValue::try_from(format!("Bearer {token}")) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// Returns a fresh database per backend to run (SQLite, and PostgreSQL when configured).
pub async fn each_backend() -> anyhow::Result<Vec<TestDatabase>> {
    let mut out = Vec::new();
    for backend in backends() {
        out.push(fresh(backend).await.map_err(|e| match backend {
            Backend::Postgres => {
                anyhow::anyhow!("PostgreSQL named by CRM_TEST_DATABASE_URL is unreachable: {e}")
            }
            Backend::Sqlite => anyhow::anyhow!("cannot create a SQLite database: {e}"),
        })?);
    }
    Ok(out)
}
