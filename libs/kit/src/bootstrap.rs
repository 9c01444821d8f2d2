//! What a service needs from its environment before it can be built (database, keys,
//! config), and the `main` every service binary shares.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

use crate::auth::keys::grpc_jwks_source;
use crate::auth::{KeySet, MeshKey, TokenSigner};
use crate::config::KitConfig;
use crate::server::{ServiceSpec, bind};

/// Everything a service is built from.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The configuration.
    pub config: KitConfig,
    /// Public keys verifying access tokens.
    pub keys: Arc<KeySet>,
    /// The key internal-service tokens are signed with.
    pub mesh: MeshKey,
    /// The service's own database.
    pub db: DatabaseConnection,
    /// The event transport (JetStream or in-process), shared by the platform's services.
    pub bus: crm_events::Bus,
}

/// When migrations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationPolicy {
    /// Apply pending migrations at start (embedded mode, tests).
    Apply,
    /// Refuse to start while migrations are pending (`crm migrate` applies them).
    Require,
}

/// Returns the mesh key: configured, or read from (or generated into)
/// `<data_dir>/keys/mesh.key` so processes sharing a data directory agree.
pub fn mesh_key(config: &KitConfig) -> anyhow::Result<MeshKey> {
    if let Some(secret) = &config.auth.mesh_key {
        return MeshKey::new(secret.expose().as_bytes()).map_err(anyhow::Error::msg);
    }
    let path = config.data_dir.join("keys").join("mesh.key");
    let secret = read_or_create(&path, || {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes())
    })?;
    MeshKey::new(&secret).map_err(anyhow::Error::msg)
}

/// Returns a 32-byte development data key named `name` (a service's encryption key in
/// embedded mode), read from (or generated into) `<data_dir>/keys/<name>`, so data
/// encrypted by one run of `crm up` is readable by the next. Production configures its
/// keys explicitly instead.
pub fn development_data_key(config: &KitConfig, name: &str) -> anyhow::Result<[u8; 32]> {
    let path = config.data_dir.join("keys").join(name);
    let bytes = read_or_create(&path, || {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(bytes.to_vec())
    })?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} does not hold 32 bytes", path.display()))
}

/// Returns the signer of access tokens: from the configured PKCS#8 file, or read from
/// (or generated into) `<data_dir>/keys/signing.pk8`.
pub fn signing_key(config: &KitConfig) -> anyhow::Result<TokenSigner> {
    let path = config
        .auth
        .signing_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("keys").join("signing.pk8"));
    let der = if config.auth.signing_key_file.is_some() {
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?
    } else {
        read_or_create(&path, || Ok(TokenSigner::generate()?.1))?
    };
    Ok(TokenSigner::from_pkcs8_der(&der)?)
}

fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let bytes = make()?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            write_private(path, &bytes)?;
            tracing::info!(path = %path.display(), "generated a development key");
            Ok(bytes)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(bytes)?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Returns the dependencies of `service`: its database (migrated or checked as
/// `policy` says), the mesh key, `keys` or a key set fetched from the users service, and
/// `bus` or the one `CRM_NATS_URL` names (in process without it).
pub async fn deps<M: MigratorTrait>(
    service: &str,
    config: &KitConfig,
    keys: Option<Arc<KeySet>>,
    bus: Option<crm_events::Bus>,
    policy: MigrationPolicy,
) -> anyhow::Result<Deps> {
    let db = crm_db::connect_for_service(
        service,
        config.database_url.as_deref(),
        &config.data_dir,
        config.database_max_connections,
    )
    .await
    .with_context(|| format!("cannot open the database of {service}"))?;
    match policy {
        MigrationPolicy::Apply => crm_db::migrate::<M>(&db)
            .await
            .with_context(|| format!("cannot migrate the database of {service}"))?,
        MigrationPolicy::Require => {
            // A database with no migration applied yet (just created) is migrated here,
            // so a new service comes up on its own; an existing one with pending
            // migrations waits for `crm migrate`, which an operator runs on purpose.
            let applied = M::get_applied_migrations(&db)
                .await
                .map(|a| a.len())
                .unwrap_or(0);
            let pending = M::get_pending_migrations(&db).await?;
            if applied == 0 {
                crm_db::migrate::<M>(&db)
                    .await
                    .with_context(|| format!("cannot migrate the new database of {service}"))?;
            } else if !pending.is_empty() {
                anyhow::bail!(
                    "{} pending migrations in the database of {service}: run `crm migrate {service}` (or set CRM_AUTO_MIGRATE=true)",
                    pending.len()
                );
            }
        }
    }
    let keys = keys.unwrap_or_else(|| {
        Arc::new(KeySet::new(
            vec![],
            Some(grpc_jwks_source(config.service_url("users"))),
        ))
    });
    let bus = match bus {
        Some(bus) => bus,
        None => crm_events::Bus::connect(config.nats_url.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach NATS: {e}"))?,
    };
    Ok(Deps {
        config: config.clone(),
        keys,
        mesh: mesh_key(config)?,
        db,
        bus,
    })
}

/// Returns the migration policy of a standalone service: apply on SQLite or when
/// `CRM_AUTO_MIGRATE=true`, otherwise require `crm migrate` to have run.
pub fn standalone_policy(config: &KitConfig) -> MigrationPolicy {
    let auto = std::env::var("CRM_AUTO_MIGRATE").is_ok_and(|v| v == "true" || v == "1");
    if auto || config.database_url.is_none() {
        MigrationPolicy::Apply
    } else {
        MigrationPolicy::Require
    }
}

/// The whole `main` of a service binary: `--dump-config`, configuration, telemetry,
/// dependencies, build, bind, serve until SIGTERM or Ctrl-C.
pub async fn run_service<M, F, Fut>(spec: ServiceSpec, build: F) -> anyhow::Result<()>
where
    M: MigratorTrait,
    F: FnOnce(Deps) -> Fut,
    Fut: Future<Output = anyhow::Result<crate::server::Server>>,
{
    let config = KitConfig::load()?;
    if std::env::args().any(|a| a == "--dump-config") {
        #[allow(clippy::print_stdout)]
        {
            println!("{}", config.dump());
        }
        return Ok(());
    }
    let _telemetry = crate::telemetry::init(spec.name, &config.log);
    let deps = deps::<M>(spec.name, &config, None, None, standalone_policy(&config)).await?;
    let server = build(deps).await?;
    let (grpc, admin) = bind(&config, spec.name)
        .await
        .with_context(|| format!("cannot bind the ports of {}", spec.name))?;
    server.serve(grpc, admin, crate::shutdown::signal()).await?;
    Ok(())
}
