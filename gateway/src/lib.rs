//! The JSON edge: serves every `google.api.http` rule of the descriptor set as JSON over
//! HTTP/1.1 and HTTP/2 with grpc-gateway's semantics and Envoy's strictness, streams as
//! Server-Sent Events or NDJSON, uploads as multipart forms, an OpenAPI document and a
//! docs page from the same descriptors, and one door for native gRPC and gRPC-Web
//! (passed to the owning service by path) with reflection over every service.
//!
//! Request path, outermost first: CORS (answers preflights, decorates every answer) →
//! request id, `x-internal-*` stripped, per-IP limit → gzip → routing: gRPC and gRPC-Web
//! by content type to [`passthrough`], `/openapi.json` and `/docs`, everything else to
//! [`transcode`] (token check and per-organisation limit, then the call).

pub mod auth;
pub mod codec;
pub mod config;
pub mod docs;
pub mod fields;
pub mod headers;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod passthrough;
pub mod public;
pub mod routes;
pub mod status;
pub mod stream;
pub mod template;
pub mod transcode;
pub mod upstream;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::middleware::Next;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use bytes::Bytes;
use crm_kit::auth::KeySet;
use http::{HeaderName, HeaderValue, Method, Request, Response, header};
use prost_reflect::DescriptorPool;
use tokio::net::TcpListener;
use tower::{Layer as _, ServiceExt as _};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use config::GatewayConfig;

use crate::json::JsonCodec;
use crate::limits::Limits;
use crate::passthrough::LocalServices;
use crate::routes::RouteTable;
use crate::status::StatusWriter;
use crate::transcode::RequestFacts;
use crate::upstream::Upstreams;

/// Everything the edge needs to answer a request, shared by every connection.
pub struct Edge {
    routes: RouteTable,
    upstreams: Upstreams,
    json: JsonCodec,
    errors: StatusWriter,
    auth: auth::EdgeAuth,
    limits: Limits,
    config: GatewayConfig,
    forward: Vec<HeaderName>,
    local: LocalServices,
    openapi: Bytes,
    aliases: Vec<(&'static str, String)>,
    metrics: metrics::SharedMetrics,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// Builds the edge over `descriptor_set`, verifying tokens with `keys` and calling
    /// each platform service where `target_of` says it is.
    pub async fn new(
        config: GatewayConfig,
        descriptor_set: &[u8],
        keys: Arc<KeySet>,
        token_cache_size: usize,
        target_of: impl Fn(&str) -> upstream::Target,
    ) -> anyhow::Result<Arc<Self>> {
        let pool = DescriptorPool::decode(descriptor_set)
            .map_err(|e| anyhow::anyhow!("unreadable descriptor set: {e}"))?;
        let routes = RouteTable::build(&pool, &["crm."], public::is_public)?;
        for rpc in public::PUBLIC_RPCS {
            anyhow::ensure!(
                routes.rpc(rpc).is_some(),
                "public RPC {rpc} is not in the descriptor set"
            );
        }
        let mut aliases = Vec::new();
        for (alias, rpc) in public::PUBLIC_ALIASES {
            let target = routes
                .bindings()
                .into_iter()
                .find(|b| {
                    b.rpc.path.path() == *rpc
                        && b.method == Method::GET
                        && b.template.variables.is_empty()
                })
                .ok_or_else(|| {
                    anyhow::anyhow!("{rpc} has no GET route without variables for {alias}")
                })?;
            aliases.push((*alias, target.template.source.clone()));
        }
        let openapi = Bytes::from(serde_json::to_vec(&openapi::document(&routes, &pool))?);
        let json = JsonCodec::default();
        let forward = config
            .forward_headers
            .iter()
            .map(|h| HeaderName::from_lowercase(h.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Self {
            upstreams: Upstreams::new(&pool, target_of)?,
            errors: StatusWriter::new(&pool, json.clone())?,
            json,
            auth: auth::EdgeAuth::new(keys, token_cache_size),
            limits: Limits::new(&config.rate_limits),
            local: LocalServices::new(descriptor_set).await?,
            routes,
            forward,
            openapi,
            aliases,
            metrics: Arc::default(),
            config,
        }))
    }

    /// Returns the OpenAPI document.
    pub fn openapi(&self) -> &Bytes {
        &self.openapi
    }

    /// Returns the route table.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Returns the HTTP application.
    pub fn router(self: &Arc<Self>) -> Router {
        let cors = cors(&self.config.cors_origins);
        // Streams and gRPC frame their own bodies; compressing them would hold events
        // back until a compression block fills.
        let compress = CompressionLayer::new().gzip(true).compress_when(
            SizeAbove::new(1024)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::SSE)
                .and(NotForContentType::const_new("application/x-ndjson"))
                .and(NotForContentType::IMAGES),
        );
        Router::new()
            .route("/openapi.json", get(openapi_json))
            .route("/docs", get(docs::redirect))
            .route("/docs/", get(docs::index))
            .route("/docs/{*tail}", get(docs::page))
            .fallback(dispatch)
            .with_state(self.clone())
            .layer(compress)
            .layer(axum::middleware::from_fn_with_state(self.clone(), outer))
            .layer(cors)
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            headers::IDEMPOTENCY_KEY,
            headers::REQUEST_ID,
            HeaderName::from_static("grpc-timeout"),
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("x-user-agent"),
            HeaderName::from_static("traceparent"),
        ])
        .expose_headers([
            headers::REQUEST_ID,
            header::RETRY_AFTER,
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(3600))
}

fn is_grpc(request: &Request<Body>) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// Request id, the client's address, no `x-internal-*` header, and the per-IP limit of
/// the JSON routes (gRPC answers its own limits in gRPC form).
async fn outer(
    State(edge): State<Arc<Edge>>,
    mut request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let request_id = headers::request_id(request.headers());
    headers::strip_internal(request.headers_mut());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = headers::client_ip(request.headers(), peer, edge.config.trust_forwarded_for);
    request.extensions_mut().insert(RequestFacts {
        request_id: request_id.clone(),
        client,
    });
    let mut response = if !is_grpc(&request)
        && let Err(error) = edge.limits.check_ip(client)
    {
        edge.errors.edge(&error)
    } else {
        next.run(request).await
    };
    response
        .headers_mut()
        .insert(headers::REQUEST_ID, request_id);
    response
}

async fn dispatch(State(edge): State<Arc<Edge>>, mut request: Request<Body>) -> Response<Body> {
    if is_grpc(&request) {
        let door = edge.clone();
        let service = tonic_web::GrpcWebLayer::new().layer(tower::service_fn(
            move |request: Request<tonic::body::Body>| passthrough::serve(door.clone(), request),
        ));
        return match service.oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
    }
    let facts = request
        .extensions()
        .get::<RequestFacts>()
        .cloned()
        .unwrap_or_else(|| RequestFacts {
            request_id: headers::request_id(request.headers()),
            client: std::net::IpAddr::from([0, 0, 0, 0]),
        });
    if let Some((_, target)) = edge
        .aliases
        .iter()
        .find(|(a, _)| *a == request.uri().path())
        && let Ok(uri) = target.parse()
    {
        *request.uri_mut() = uri;
    }
    transcode::handle(edge, facts, request).await
}

async fn openapi_json(State(edge): State<Arc<Edge>>) -> Response<Body> {
    let mut response = Response::new(Body::from(edge.openapi.clone()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves the edge on `listener` until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    edge: Arc<Edge>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(edge.limits.clone().sweep());
    let health = tokio::spawn(passthrough::watch_health(edge.clone()));
    let app = edge
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    // Small JSON answers must not wait for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    health.abort();
    result
}

/// Runs the edge with the platform configuration until `shutdown`: the JSON/gRPC port
/// and the admin port (`/healthz`, `/readyz`, `/metrics`). Tokens are verified with
/// `keys`, or with the users service's JWKS when none are given. Services named in
/// `local` are called in process; the others at their configured URLs.
pub async fn run(
    platform: &crm_kit::config::KitConfig,
    config: GatewayConfig,
    keys: Option<Arc<KeySet>>,
    local: std::collections::HashMap<String, crm_kit::server::LocalService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let keys = keys.unwrap_or_else(|| {
        Arc::new(KeySet::new(
            Vec::new(),
            Some(crm_kit::auth::keys::grpc_jwks_source(
                platform.service_url("users"),
            )),
        ))
    });
    let addr = SocketAddr::new(platform.host, config.port);
    let admin_addr = SocketAddr::new(platform.host, config.admin_port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind the edge to {addr}: {e}"))?;
    let admin = TcpListener::bind(admin_addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind the edge's admin port {admin_addr}: {e}"))?;
    let edge = Edge::new(
        config,
        crm_proto::FILE_DESCRIPTOR_SET,
        keys,
        platform.auth.token_cache_size,
        |service| match local.get(service) {
            Some(service) => upstream::Target::Local(service.clone()),
            None => upstream::Target::Url(platform.service_url(service)),
        },
    )
    .await?;
    tracing::info!(%addr, admin = %admin_addr, routes = edge.routes.bindings().len(), "edge listening");
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = edge.metrics.clone();
    let admin_task = tokio::spawn(async move {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(|| async { "ready" }))
            .route(
                "/metrics",
                get(move || {
                    let metrics = metrics.clone();
                    async move {
                        (
                            [(
                                header::CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            metrics.encode(),
                        )
                    }
                }),
            );
        axum::serve(admin, app)
            .with_graceful_shutdown(async {
                let _ = admin_stopped.await;
            })
            .await
    });
    let result = serve(edge, listener, shutdown).await;
    let _ = stop_admin.send(());
    let _ = admin_task.await;
    tracing::info!("edge stopped");
    result.map_err(Into::into)
}
