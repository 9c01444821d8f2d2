//! Layered configuration: defaults < optional TOML file (`CRM_CONFIG_FILE`) < environment
//! (`CRM_` prefix, `__` between levels: `CRM_AUTH__MESH_KEY`), validated before anything
//! binds a port.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The gRPC port of every service of the platform, as ARCHITECTURE.md assigns them.
pub const SERVICE_PORTS: &[(&str, u16)] = &[
    ("activites", 50051),
    ("clients", 50052),
    ("commerciaux", 50053),
    ("commission", 50054),
    ("contrats", 50055),
    ("dashboard", 50056),
    ("documents", 50057),
    ("email", 50058),
    ("factures", 50059),
    ("logistics", 50060),
    ("notifications", 50061),
    ("organisations", 50062),
    ("payments", 50063),
    ("products", 50064),
    ("referentiel", 50065),
    ("relance", 50066),
    ("users", 50067),
    ("calendar", 50068),
    ("retry", 50070),
];

/// The admin HTTP port is the gRPC port plus this.
pub const ADMIN_PORT_OFFSET: u16 = 1000;

/// Returns the default gRPC port of `service`.
pub fn default_port(service: &str) -> Option<u16> {
    SERVICE_PORTS
        .iter()
        .find(|(name, _)| *name == service)
        .map(|(_, port)| *port)
}

/// A secret string: deserialised from configuration, never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the value; call it only where the secret is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

/// Format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for collectors.
    Json,
    /// Compact human-readable lines, for terminals.
    Pretty,
}

/// Logging settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// Line format.
    pub format: LogFormat,
    /// `tracing` filter directives, for example "info,sqlx=warn".
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            filter: "info,sqlx=warn,h2=warn,tower=warn,hyper=warn".into(),
        }
    }
}

/// Authentication settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Shared secret (at least 32 bytes) signing internal-service tokens. When absent it
    /// is read from, or generated into, `<data_dir>/keys/mesh.key`.
    pub mesh_key: Option<Secret>,
    /// PKCS#8 Ed25519 key the users service signs access tokens with. When absent it is
    /// read from, or generated into, `<data_dir>/keys/signing.pk8`.
    pub signing_key_file: Option<PathBuf>,
    /// How many verified access tokens each service remembers.
    pub token_cache_size: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mesh_key: None,
            signing_key_file: None,
            token_cache_size: 10_000,
        }
    }
}

/// Limits protecting a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// Largest request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.
    pub max_decoding_message_size: usize,
    /// Calls served at once; more are shed with RESOURCE_EXHAUSTED.
    pub concurrency_limit: usize,
    /// Deadline of calls that carry none, in seconds.
    pub default_timeout_secs: u64,
    /// Time between turning NOT_SERVING and closing the listener, in milliseconds, so
    /// load balancers stop sending before calls are refused.
    pub drain_delay_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_decoding_message_size: 4 * 1024 * 1024,
            concurrency_limit: 2048,
            default_timeout_secs: 30,
            drain_delay_ms: 0,
        }
    }
}

/// Configuration every service shares.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct KitConfig {
    /// Address to bind; 0.0.0.0 in containers.
    pub host: IpAddr,
    /// gRPC port; the service's own default when absent, 0 for an ephemeral one.
    pub port: Option<u16>,
    /// Admin HTTP port; gRPC port + 1000 when absent.
    pub admin_port: Option<u16>,
    /// PostgreSQL server (`postgres://user@host:5432`): each service uses its database
    /// `crm_<service>` there. SQLite files under `data_dir` when absent.
    #[serde(serialize_with = "redact_url")]
    pub database_url: Option<String>,
    /// Most connections each service keeps to its database (PostgreSQL; SQLite uses at
    /// most 4). Nineteen services share one server's `max_connections`.
    pub database_max_connections: u32,
    /// Directory for SQLite files and generated keys.
    pub data_dir: PathBuf,
    /// NATS server with JetStream; the in-process bus when absent.
    #[serde(serialize_with = "redact_url")]
    pub nats_url: Option<String>,
    /// Logging.
    pub log: LogConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Limits.
    pub limits: LimitsConfig,
    /// gRPC addresses of other services by name (`organisations =
    /// "http://127.0.0.1:50062"`); each defaults to its port on 127.0.0.1.
    pub services: BTreeMap<String, String>,
}

impl Default for KitConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
            admin_port: None,
            database_url: None,
            database_max_connections: 32,
            data_dir: PathBuf::from("./data"),
            nats_url: None,
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            services: BTreeMap::new(),
        }
    }
}

fn redact_url<S: serde::Serializer>(url: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_some(&redact_password(u)),
        None => s.serialize_none(),
    }
}

/// Returns `url` with the password of its user info replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***{}",
                &url[..scheme_end],
                &url[scheme_end + at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The sources could not be read or merged.
    #[error("cannot read configuration: {0}")]
    Read(#[from] Box<figment::Error>),
    /// Values that make no sense, each named.
    #[error("invalid configuration: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl KitConfig {
    /// Returns the configuration from defaults, the TOML file named by `CRM_CONFIG_FILE`
    /// and `CRM_` environment variables, validated.
    pub fn load() -> Result<Self, ConfigError> {
        Self::figment()
            .extract::<Self>()
            .map_err(|e| ConfigError::Read(Box::new(e)))
            .and_then(|c| c.validated())
    }

    /// Returns the layered sources, for services that extract a larger structure.
    pub fn figment() -> Figment {
        let mut figment = Figment::from(Serialized::defaults(KitConfig::default()));
        if let Ok(path) = std::env::var("CRM_CONFIG_FILE") {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment.merge(Env::prefixed("CRM_").split("__").ignore(&["config_file"]))
    }

    /// Returns the configuration if every value makes sense, or every problem at once.
    pub fn validated(self) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        if self.data_dir.as_os_str().is_empty() {
            problems.push("data_dir must not be empty".to_owned());
        }
        let db_ok = |url: &str| {
            url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:")
        };
        if let Some(url) = &self.database_url
            && !db_ok(url)
        {
            problems.push(format!(
                "database_url must be postgres:// or sqlite:, not {:?}",
                redact_password(url)
            ));
        }
        if let Some(url) = &self.nats_url
            && !url.starts_with("nats://")
            && !url.starts_with("tls://")
        {
            problems.push("nats_url must start with nats:// or tls://".to_owned());
        }
        if let Some(key) = &self.auth.mesh_key
            && key.expose().len() < 32
        {
            problems.push("auth.mesh_key must be at least 32 characters".to_owned());
        }
        if !(1..=1000).contains(&self.database_max_connections) {
            problems.push("database_max_connections must be between 1 and 1000".to_owned());
        }
        if self.auth.token_cache_size == 0 {
            problems.push("auth.token_cache_size must be positive".to_owned());
        }
        if self.limits.max_decoding_message_size < 1024 {
            problems
                .push("limits.max_decoding_message_size must be at least 1024 bytes".to_owned());
        }
        if self.limits.concurrency_limit == 0 {
            problems.push("limits.concurrency_limit must be positive".to_owned());
        }
        if self.limits.default_timeout_secs == 0 {
            problems.push("limits.default_timeout_secs must be positive".to_owned());
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            problems.push(format!(
                "log.filter {:?} is not a valid filter",
                self.log.filter
            ));
        }
        for (name, url) in &self.services {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                problems.push(format!(
                    "services.{name} must be an http:// or https:// URL"
                ));
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Returns the gRPC address `service` binds.
    pub fn grpc_addr(&self, service: &str) -> SocketAddr {
        let port = self.port.or_else(|| default_port(service)).unwrap_or(0);
        SocketAddr::new(self.host, port)
    }

    /// Returns the admin address `service` binds: gRPC port + 1000 unless configured, and
    /// ephemeral when the gRPC port is.
    pub fn admin_addr(&self, service: &str) -> SocketAddr {
        let grpc = self.grpc_addr(service).port();
        let port = self.admin_port.unwrap_or(if grpc == 0 {
            0
        } else {
            grpc.saturating_add(ADMIN_PORT_OFFSET)
        });
        SocketAddr::new(self.host, port)
    }

    /// Returns the gRPC URL of another service: configured, or its default port locally.
    pub fn service_url(&self, service: &str) -> String {
        self.services
            .get(service)
            .cloned()
            .unwrap_or_else(|| format!("http://127.0.0.1:{}", default_port(service).unwrap_or(0)))
    }

    /// Returns the configuration as TOML with secrets redacted, for `--dump-config`.
    pub fn dump(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot print configuration: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_port_table() {
        let cfg = KitConfig::default().validated().expect("valid");
        assert_eq!(cfg.grpc_addr("clients").port(), 50052);
        assert_eq!(cfg.admin_addr("clients").port(), 51052);
        assert_eq!(cfg.service_url("users"), "http://127.0.0.1:50067");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let cfg = KitConfig {
            database_url: Some("mysql://x".into()),
            limits: LimitsConfig {
                concurrency_limit: 0,
                ..LimitsConfig::default()
            },
            auth: AuthConfig {
                mesh_key: Some(Secret::new("short")),
                ..AuthConfig::default()
            },
            ..KitConfig::default()
        };
        match cfg.validated() {
            Err(ConfigError::Invalid(problems)) => assert_eq!(problems.len(), 3, "{problems:?}"),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn dump_redacts_secrets() {
        let cfg = KitConfig {
            database_url: Some("postgres://crm:hunter2@db:5432".into()),
            auth: AuthConfig {
                mesh_key: Some(Secret::new("x".repeat(40))),
                ..AuthConfig::default()
            },
            ..KitConfig::default()
        };
        let dump = cfg.dump();
        assert!(!dump.contains("hunter2"), "{dump}");
        assert!(!dump.contains(&"x".repeat(40)), "{dump}");
        assert!(dump.contains("postgres://crm:***@db:5432"), "{dump}");
        assert!(dump.contains("[redacted]"), "{dump}");
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("crm.toml", "data_dir = \"/from-file\"\nport = 6000\n")?;
            jail.set_env("CRM_CONFIG_FILE", "crm.toml");
            jail.set_env("CRM_PORT", "7000");
            jail.set_env("CRM_LIMITS__CONCURRENCY_LIMIT", "5");
            let cfg = KitConfig::load().map_err(|e| e.to_string())?;
            assert_eq!(cfg.data_dir, PathBuf::from("/from-file"));
            assert_eq!(cfg.port, Some(7000));
            assert_eq!(cfg.limits.concurrency_limit, 5);
            Ok(())
        });
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact_password("postgres://u:p@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_password("nats://h:4222"), "nats://h:4222");
    }
}
