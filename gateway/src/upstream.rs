//! The services behind the edge, found from the package of a gRPC service
//! (`crm.clients.v1.ClientService` is served by `clients`): a lazily connected HTTP/2
//! channel per service URL, or, inside `crm up`, the service itself called in process.

use std::collections::HashMap;
use std::time::Duration;

use crm_kit::server::LocalService;
use prost_reflect::DescriptorPool;
use tonic::transport::Endpoint;

/// A service behind the edge, however it is reached.
pub type Upstream = LocalService;

/// Where a platform service is.
#[derive(Clone)]
pub enum Target {
    /// Over the network at this URL.
    Url(String),
    /// In this process.
    Local(LocalService),
}

/// Upstreams by gRPC service full name.
#[derive(Clone, Default)]
pub struct Upstreams {
    by_service: HashMap<String, Upstream>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_service.keys()).finish()
    }
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
    /// Returns upstreams for every `crm.*` service of `pool`, where `target_of` says
    /// each platform service is.
    pub fn new(pool: &DescriptorPool, target_of: impl Fn(&str) -> Target) -> anyhow::Result<Self> {
        let mut by_url: HashMap<String, Upstream> = HashMap::new();
        let mut by_service = HashMap::new();
        for service in pool.services() {
            let Some(name) = service_of(service.full_name()) else {
                continue;
            };
            let url = match target_of(name) {
                Target::Local(local) => {
                    by_service.insert(service.full_name().to_owned(), local);
                    continue;
                }
                Target::Url(url) => url,
            };
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
                    // A transport failure is the UNAVAILABLE answer it stands for.
                    let channel = Upstream::new(crm_kit::server::ErrorsAsStatus(channel));
                    by_url.insert(url, channel.clone());
                    channel
                }
            };
            by_service.insert(service.full_name().to_owned(), channel);
        }
        Ok(Self { by_service })
    }

    /// Returns the upstream of the gRPC service `full_name`.
    pub fn get(&self, full_name: &str) -> Option<&Upstream> {
        self.by_service.get(full_name)
    }

    /// Returns the upstream serving the gRPC path `/pkg.Service/Method`.
    pub fn for_path(&self, path: &str) -> Option<&Upstream> {
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
