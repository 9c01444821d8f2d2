//! The services behind the edge: one lazily connected HTTP/2 channel per service,
//! found from the package of a gRPC service (`crm.clients.v1.ClientService` is served
//! by `clients`).

use std::collections::HashMap;
use std::time::Duration;

use prost_reflect::DescriptorPool;
use tonic::transport::{Channel, Endpoint};

/// Channels by gRPC service full name.
#[derive(Debug, Clone, Default)]
pub struct Upstreams {
    by_service: HashMap<String, Channel>,
}

/// Returns the platform service serving the gRPC service `full_name`
/// (`crm.<service>.v1.Name`).
pub fn service_of(full_name: &str) -> Option<&str> {
    let mut parts = full_name.split('.');
    match (parts.next(), parts.next()) {
        (Some("crm"), Some(service)) => Some(service),
        _ => None,
    }
}

impl Upstreams {
    /// Returns channels to every `crm.*` service of `pool`, at the URL `url_of` gives
    /// for each platform service name.
    pub fn new(pool: &DescriptorPool, url_of: impl Fn(&str) -> String) -> anyhow::Result<Self> {
        let mut by_url: HashMap<String, Channel> = HashMap::new();
        let mut by_service = HashMap::new();
        for service in pool.services() {
            let Some(name) = service_of(service.full_name()) else {
                continue;
            };
            let url = url_of(name);
            let channel = match by_url.get(&url) {
                Some(c) => c.clone(),
                None => {
                    let channel = Endpoint::from_shared(url.clone())
                        .map_err(|e| anyhow::anyhow!("bad URL {url:?} for {name}: {e}"))?
                        .connect_timeout(Duration::from_secs(3))
                        .tcp_nodelay(true)
                        .http2_keep_alive_interval(Duration::from_secs(30))
                        .keep_alive_while_idle(true)
                        .connect_lazy();
                    by_url.insert(url, channel.clone());
                    channel
                }
            };
            by_service.insert(service.full_name().to_owned(), channel);
        }
        Ok(Self { by_service })
    }

    /// Returns the channel of the gRPC service `full_name`.
    pub fn get(&self, full_name: &str) -> Option<&Channel> {
        self.by_service.get(full_name)
    }

    /// Returns the channel serving the gRPC path `/pkg.Service/Method`.
    pub fn for_path(&self, path: &str) -> Option<&Channel> {
        let service = path.strip_prefix('/')?.split('/').next()?;
        self.get(service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_come_from_packages() {
        assert_eq!(service_of("crm.clients.v1.ClientService"), Some("clients"));
        assert_eq!(service_of("grpc.health.v1.Health"), None);
    }
}
