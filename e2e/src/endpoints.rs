//! Where the live services listen, from the environment.

/// Default gRPC URL of the users service.
pub const DEFAULT_USERS_URL: &str = "http://127.0.0.1:50067";
/// Default gRPC URL of the organisations service.
pub const DEFAULT_ORGANISATIONS_URL: &str = "http://127.0.0.1:50062";
/// Default gRPC URL of the clients service.
pub const DEFAULT_CLIENTS_URL: &str = "http://127.0.0.1:50052";
/// Default gRPC URL of the activites service.
pub const DEFAULT_ACTIVITES_URL: &str = "http://127.0.0.1:50051";
/// Default gRPC URL of the commerciaux service.
pub const DEFAULT_COMMERCIAUX_URL: &str = "http://127.0.0.1:50053";
/// Default gRPC URL of the products service.
pub const DEFAULT_PRODUCTS_URL: &str = "http://127.0.0.1:50064";
/// Default gRPC URL of the contrats service.
pub const DEFAULT_CONTRATS_URL: &str = "http://127.0.0.1:50055";
/// Default gRPC URL of the payments service.
pub const DEFAULT_PAYMENTS_URL: &str = "http://127.0.0.1:50063";
/// Default gRPC URL of the factures service.
pub const DEFAULT_FACTURES_URL: &str = "http://127.0.0.1:50059";
/// Default gRPC URL of the retry service.
pub const DEFAULT_RETRY_URL: &str = "http://127.0.0.1:50070";
/// Default gRPC URL of the commission service.
pub const DEFAULT_COMMISSION_URL: &str = "http://127.0.0.1:50054";
/// Default URL of the JSON edge.
pub const DEFAULT_EDGE_URL: &str = "http://127.0.0.1:8080";

/// The admin HTTP port of a service is its gRPC port plus this.
pub const ADMIN_PORT_OFFSET: u16 = 1000;

/// gRPC URLs of the services the live suite talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The users service (`CRM_E2E_USERS_URL`).
    pub users: String,
    /// The organisations service (`CRM_E2E_ORGANISATIONS_URL`).
    pub organisations: String,
    /// The clients service (`CRM_E2E_CLIENTS_URL`).
    pub clients: String,
    /// The activites service (`CRM_E2E_ACTIVITES_URL`).
    pub activites: String,
    /// The commerciaux service (`CRM_E2E_COMMERCIAUX_URL`).
    pub commerciaux: String,
    /// The products service (`CRM_E2E_PRODUCTS_URL`).
    pub products: String,
    /// The contrats service (`CRM_E2E_CONTRATS_URL`).
    pub contrats: String,
    /// The payments service (`CRM_E2E_PAYMENTS_URL`).
    pub payments: String,
    /// The factures service (`CRM_E2E_FACTURES_URL`).
    pub factures: String,
    /// The retry service (`CRM_E2E_RETRY_URL`).
    pub retry: String,
    /// The commission service (`CRM_E2E_COMMISSION_URL`).
    pub commission: String,
    /// The JSON edge (`CRM_E2E_EDGE_URL`).
    pub edge: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            users: DEFAULT_USERS_URL.to_owned(),
            organisations: DEFAULT_ORGANISATIONS_URL.to_owned(),
            clients: DEFAULT_CLIENTS_URL.to_owned(),
            activites: DEFAULT_ACTIVITES_URL.to_owned(),
            commerciaux: DEFAULT_COMMERCIAUX_URL.to_owned(),
            products: DEFAULT_PRODUCTS_URL.to_owned(),
            contrats: DEFAULT_CONTRATS_URL.to_owned(),
            payments: DEFAULT_PAYMENTS_URL.to_owned(),
            factures: DEFAULT_FACTURES_URL.to_owned(),
            retry: DEFAULT_RETRY_URL.to_owned(),
            commission: DEFAULT_COMMISSION_URL.to_owned(),
            edge: DEFAULT_EDGE_URL.to_owned(),
        }
    }
}

impl Endpoints {
    /// Reads `CRM_E2E_USERS_URL`, `CRM_E2E_ORGANISATIONS_URL`, `CRM_E2E_CLIENTS_URL`,
    /// `CRM_E2E_ACTIVITES_URL` and `CRM_E2E_EDGE_URL`;
    /// an unset or empty variable keeps the local default.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Endpoints::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let pick = |name: &str, default: &str| {
            lookup(name)
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            users: pick("CRM_E2E_USERS_URL", DEFAULT_USERS_URL),
            organisations: pick("CRM_E2E_ORGANISATIONS_URL", DEFAULT_ORGANISATIONS_URL),
            clients: pick("CRM_E2E_CLIENTS_URL", DEFAULT_CLIENTS_URL),
            activites: pick("CRM_E2E_ACTIVITES_URL", DEFAULT_ACTIVITES_URL),
            commerciaux: pick("CRM_E2E_COMMERCIAUX_URL", DEFAULT_COMMERCIAUX_URL),
            products: pick("CRM_E2E_PRODUCTS_URL", DEFAULT_PRODUCTS_URL),
            contrats: pick("CRM_E2E_CONTRATS_URL", DEFAULT_CONTRATS_URL),
            payments: pick("CRM_E2E_PAYMENTS_URL", DEFAULT_PAYMENTS_URL),
            factures: pick("CRM_E2E_FACTURES_URL", DEFAULT_FACTURES_URL),
            retry: pick("CRM_E2E_RETRY_URL", DEFAULT_RETRY_URL),
            commission: pick("CRM_E2E_COMMISSION_URL", DEFAULT_COMMISSION_URL),
            edge: pick("CRM_E2E_EDGE_URL", DEFAULT_EDGE_URL),
        }
    }

    /// Returns the same endpoints with every service reached through the edge's one
    /// port (gRPC passed through by path).
    pub fn via_edge(&self) -> Self {
        Self {
            users: self.edge.clone(),
            organisations: self.edge.clone(),
            clients: self.edge.clone(),
            activites: self.edge.clone(),
            commerciaux: self.edge.clone(),
            products: self.edge.clone(),
            contrats: self.edge.clone(),
            payments: self.edge.clone(),
            factures: self.edge.clone(),
            retry: self.edge.clone(),
            commission: self.edge.clone(),
            edge: self.edge.clone(),
        }
    }

    /// Returns the services as (name, gRPC URL) pairs.
    pub fn all(&self) -> [(&'static str, &str); 4] {
        [
            ("users", self.users.as_str()),
            ("organisations", self.organisations.as_str()),
            ("clients", self.clients.as_str()),
            ("activites", self.activites.as_str()),
        ]
    }
}

/// Returns the `host:port` of the admin HTTP port of the service at `grpc_url` (its port
/// plus [`ADMIN_PORT_OFFSET`]).
pub fn admin_authority(grpc_url: &str) -> anyhow::Result<String> {
    let uri: tonic::codegen::http::Uri = grpc_url
        .parse()
        .map_err(|e| anyhow::anyhow!("bad URL {grpc_url:?}: {e}"))?;
    let host = uri
        .host()
        .ok_or_else(|| anyhow::anyhow!("no host in {grpc_url:?}"))?;
    let port = uri
        .port_u16()
        .ok_or_else(|| anyhow::anyhow!("no port in {grpc_url:?}"))?;
    let admin = port
        .checked_add(ADMIN_PORT_OFFSET)
        .ok_or_else(|| anyhow::anyhow!("port {port} has no admin port"))?;
    Ok(format!("{host}:{admin}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let e = Endpoints::from_lookup(|name| match name {
            "CRM_E2E_CLIENTS_URL" => Some("http://10.0.0.1:6000/".into()),
            "CRM_E2E_USERS_URL" => Some("  ".into()),
            _ => None,
        });
        assert_eq!(e.clients, "http://10.0.0.1:6000");
        assert_eq!(e.users, DEFAULT_USERS_URL);
        assert_eq!(e.organisations, DEFAULT_ORGANISATIONS_URL);
    }

    #[test]
    fn admin_port_is_grpc_port_plus_1000() {
        assert_eq!(
            admin_authority("http://127.0.0.1:50052").unwrap(),
            "127.0.0.1:51052"
        );
        assert!(admin_authority("http://127.0.0.1").is_err());
    }
}
