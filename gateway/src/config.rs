//! The edge's settings: the `[gateway]` table of the platform configuration
//! (`CRM_GATEWAY__PORT=8080`, `CRM_GATEWAY__CORS_ORIGINS=["https://app.example.com"]`).

use serde::{Deserialize, Serialize};

/// The port the edge listens on by default.
pub const DEFAULT_PORT: u16 = 8080;

/// Rate limits; a rate of 0 turns a limit off.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RateLimits {
    /// Requests per second from one client IP address.
    pub per_ip_per_second: u32,
    /// Requests an IP address may send at once above its rate.
    pub per_ip_burst: u32,
    /// Requests per second for one organisation (from the verified token).
    pub per_organisation_per_second: u32,
    /// Requests an organisation may send at once above its rate.
    pub per_organisation_burst: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip_per_second: 200,
            per_ip_burst: 400,
            per_organisation_per_second: 500,
            per_organisation_burst: 1000,
        }
    }
}

/// Settings of the edge.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct GatewayConfig {
    /// Port of HTTP/1.1, HTTP/2 (h2c), gRPC and gRPC-Web.
    pub port: u16,
    /// Port of /metrics, /healthz and /readyz.
    pub admin_port: u16,
    /// Origins a browser may call from; `["*"]` allows every origin.
    pub cors_origins: Vec<String>,
    /// Largest JSON body, in bytes (413 above).
    pub body_limit_bytes: usize,
    /// Largest upload (multipart or streamed JSON), in bytes (413 above).
    pub upload_limit_bytes: usize,
    /// Deadline of a call that sends no `Grpc-Timeout`, in milliseconds.
    pub default_timeout_ms: u64,
    /// Longest deadline a caller may ask for, in milliseconds.
    pub max_timeout_ms: u64,
    /// Request headers passed to the services as metadata, besides `authorization`,
    /// `x-request-id` and `Grpc-Metadata-*` ones. Lowercase.
    pub forward_headers: Vec<String>,
    /// Whether the client address comes from `X-Forwarded-For` (behind a trusted proxy
    /// or ingress) rather than from the connection.
    pub trust_forwarded_for: bool,
    /// Rate limits.
    pub rate_limits: RateLimits,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            admin_port: DEFAULT_PORT + crm_kit::config::ADMIN_PORT_OFFSET,
            cors_origins: [
                "http://localhost:3000",
                "http://localhost:5173",
                "http://127.0.0.1:3000",
                "http://127.0.0.1:5173",
            ]
            .map(str::to_owned)
            .to_vec(),
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 64 * 1024 * 1024,
            default_timeout_ms: 30_000,
            max_timeout_ms: 300_000,
            forward_headers: [
                "accept-language",
                "traceparent",
                "tracestate",
                "baggage",
                "user-agent",
            ]
            .map(str::to_owned)
            .to_vec(),
            trust_forwarded_for: false,
            rate_limits: RateLimits::default(),
        }
    }
}

impl GatewayConfig {
    /// Loads the `[gateway]` table from the platform's configuration sources.
    pub fn load() -> anyhow::Result<Self> {
        let config: Self = match crm_kit::config::KitConfig::figment().extract_inner("gateway") {
            Ok(config) => config,
            // No [gateway] table at all: the defaults.
            Err(e) if e.missing() => Self::default(),
            Err(e) => anyhow::bail!("invalid gateway configuration: {e}"),
        };
        config.validated()
    }

    /// Returns the configuration, or every problem with it.
    pub fn validated(self) -> anyhow::Result<Self> {
        let mut problems = Vec::new();
        if self.body_limit_bytes < 1024 {
            problems.push("gateway.body_limit_bytes must be at least 1024".to_owned());
        }
        if self.upload_limit_bytes < self.body_limit_bytes {
            problems
                .push("gateway.upload_limit_bytes must be at least body_limit_bytes".to_owned());
        }
        if self.default_timeout_ms == 0 || self.default_timeout_ms > self.max_timeout_ms {
            problems.push(
                "gateway.default_timeout_ms must be positive and at most max_timeout_ms".to_owned(),
            );
        }
        for origin in &self.cors_origins {
            if origin != "*" && http::HeaderValue::from_str(origin).is_err() {
                problems.push(format!(
                    "gateway.cors_origins: {origin:?} is not a valid origin"
                ));
            }
        }
        for name in &self.forward_headers {
            if http::HeaderName::from_lowercase(name.as_bytes()).is_err() {
                problems.push(format!(
                    "gateway.forward_headers: {name:?} is not a lowercase header name"
                ));
            }
            if name.starts_with("x-internal-") {
                problems.push(format!(
                    "gateway.forward_headers: {name:?} is reserved for calls inside the mesh"
                ));
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            anyhow::bail!("invalid configuration: {}", problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_all_reported() {
        assert!(GatewayConfig::default().validated().is_ok());
        let bad = GatewayConfig {
            body_limit_bytes: 10,
            default_timeout_ms: 0,
            forward_headers: vec!["X-Upper".into(), "x-internal-service".into()],
            ..GatewayConfig::default()
        };
        let message = bad
            .validated()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for needle in [
            "body_limit_bytes",
            "default_timeout_ms",
            "X-Upper",
            "reserved",
        ] {
            assert!(message.contains(needle), "{message}");
        }
    }
}
