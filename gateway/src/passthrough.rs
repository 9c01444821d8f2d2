//! One door for gRPC clients: native gRPC and gRPC-Web requests to the edge go to the
//! service that owns their path, and the edge itself answers reflection (v1 and
//! v1alpha, for every service at once) and health, so `grpcurl -plaintext
//! localhost:8080 list` shows the whole platform.

use std::convert::Infallible;
use std::sync::Arc;

use http::{HeaderValue, Request, Response};
use tonic::body::Body;
use tower::ServiceExt as _;

use crate::Edge;
use crate::headers::strip_internal;

const REFLECTION_V1: &str = "/grpc.reflection.v1.ServerReflection/";
const REFLECTION_V1ALPHA: &str = "/grpc.reflection.v1alpha.ServerReflection/";
const HEALTH: &str = "/grpc.health.v1.Health/";

type Local = tower::util::BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>;

/// The services the edge answers itself.
#[derive(Clone)]
pub struct LocalServices {
    reflection_v1: Local,
    reflection_v1alpha: Local,
    health: Local,
    reporter: tonic_health::server::HealthReporter,
}

impl std::fmt::Debug for LocalServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalServices")
    }
}

impl LocalServices {
    /// Returns reflection over `descriptor_set` and a health service reporting the edge
    /// as serving.
    pub async fn new(descriptor_set: &[u8]) -> anyhow::Result<Self> {
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(descriptor_set)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(descriptor_set)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        Ok(Self {
            reflection_v1: Local::new(reflection_v1),
            reflection_v1alpha: Local::new(reflection_v1alpha),
            health: Local::new(health),
            reporter,
        })
    }
}

/// Serves one gRPC request (gRPC-Web ones arrive here already translated).
pub async fn serve(
    edge: Arc<Edge>,
    mut request: Request<Body>,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path();
    if path.starts_with(REFLECTION_V1) {
        return edge.local.reflection_v1.clone().oneshot(request).await;
    }
    if path.starts_with(REFLECTION_V1ALPHA) {
        return edge.local.reflection_v1alpha.clone().oneshot(request).await;
    }
    if path.starts_with(HEALTH) {
        return edge.local.health.clone().oneshot(request).await;
    }
    let Some(channel) = edge.upstreams.for_path(path).cloned() else {
        return Ok(tonic::Status::unimplemented(format!("no service serves {path}")).into_http());
    };
    // The limits and the token check of the JSON routes apply here as well.
    let facts = request
        .extensions()
        .get::<crate::transcode::RequestFacts>()
        .cloned();
    if let Some(facts) = &facts {
        if let Err(e) = edge.limits.check_ip(facts.client) {
            return Ok(e.to_status().into_http());
        }
        if let Ok(Some(caller)) = edge.auth.caller(request.headers()).await
            && let Some(org) = caller.organisation.as_deref()
            && let Err(e) = edge.limits.check_organisation(org)
        {
            return Ok(e.to_status().into_http());
        }
    }
    let headers = request.headers_mut();
    strip_internal(headers);
    if let Some(facts) = &facts {
        headers.insert(crate::headers::REQUEST_ID, facts.request_id.clone());
        if let Ok(ip) = HeaderValue::from_str(&facts.client.to_string()) {
            headers.insert("x-forwarded-for", ip);
        }
    }
    channel.oneshot(request).await
}

/// How often the edge asks each service for its health.
const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps the edge's health answers for each `crm.*` gRPC service in step with the
/// service itself, so `Health.Check("crm.clients.v1.ClientService")` at the edge says
/// whether clients serves; the empty name is the edge, which is serving while it runs.
pub async fn watch_health(edge: Arc<Edge>) {
    let names: Vec<String> = edge
        .routes
        .bindings()
        .iter()
        .map(|b| b.rpc.method.parent_service().full_name().to_owned())
        .chain(edge.routes.services())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut tick = tokio::time::interval(HEALTH_INTERVAL);
    loop {
        tick.tick().await;
        for name in &names {
            let Some(channel) = edge.upstreams.get(name).cloned() else {
                continue;
            };
            let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
            let mut request = tonic::Request::new(tonic_health::pb::HealthCheckRequest {
                service: name.clone(),
            });
            request.set_timeout(std::time::Duration::from_secs(2));
            let serving = matches!(
                client.check(request).await,
                Ok(r) if r.get_ref().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            );
            let status = if serving {
                tonic_health::ServingStatus::Serving
            } else {
                tonic_health::ServingStatus::NotServing
            };
            edge.local.reporter.set_service_status(name, status).await;
        }
    }
}
