//! The server every service is assembled with: its gRPC services behind one tower stack,
//! health and reflection always mounted, an admin HTTP port, readiness gated on the
//! service's dependencies, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use http::Request;
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::permissions::{PermissionTable, TableError};
use crate::auth::{AuthLayer, Authenticator, KeySet, MeshKey};
use crate::config::KitConfig;
use crate::layers::{DefaultDeadlineLayer, ObserveLayer};
use crate::metrics::{Metrics, MetricsLayer};

/// What the kit needs to know about a service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name: "clients". The audience of internal tokens addressed to it, and the
    /// suffix of its database `crm_clients`.
    pub name: &'static str,
    /// Fully qualified gRPC services it serves: "crm.clients.v1.ClientService".
    pub grpc_services: &'static [&'static str],
}

/// Why a server could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The permission table does not match the service's methods: the service refuses
    /// to start rather than serve a method nobody decided the access of.
    #[error("permission table of {service}: {source}")]
    Permissions {
        /// The service.
        service: &'static str,
        /// What is wrong.
        source: TableError,
    },
    /// Reflection could not be built from the descriptors.
    #[error("reflection: {0}")]
    Reflection(String),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The admin port failed.
    #[error("admin port: {0}")]
    Admin(#[from] std::io::Error),
}

/// A readiness check: resolves to whether a dependency answers.
pub type ReadyCheck = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// A task that runs beside the server (an outbox relay, an event consumer): given a
/// future that resolves at shutdown, it returns the work to run until then.
pub type BackgroundTask = Box<dyn FnOnce(BoxFuture<'static, ()>) -> BoxFuture<'static, ()> + Send>;

/// A server being assembled.
pub struct Server {
    spec: ServiceSpec,
    config: KitConfig,
    auth: Arc<Authenticator>,
    metrics: Arc<Metrics>,
    routes: RoutesBuilder,
    health: HealthReporter,
    checks: Vec<ReadyCheck>,
    ready: Arc<AtomicBool>,
    background: Vec<BackgroundTask>,
    /// Shared by the network listener and the in-process handles, so the limit holds
    /// for both together.
    in_flight: Arc<tokio::sync::Semaphore>,
}

/// The server's services with all its layers, called in process: what the JSON edge
/// uses inside `crm up` instead of a loopback connection.
/// A failure of a layer (load shed, say) arrives as the gRPC status it stands for, so
/// callers handle one kind of answer.
pub type LocalService = tower::util::BoxCloneSyncService<
    http::Request<tonic::body::Body>,
    http::Response<tonic::body::Body>,
    std::convert::Infallible,
>;

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("service", &self.spec.name)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Returns a server for `spec` whose methods need the access `table` declares; fails
    /// when the table misses a method or names one that does not exist.
    pub fn new(
        spec: ServiceSpec,
        table: PermissionTable,
        config: &KitConfig,
        keys: Arc<KeySet>,
        mesh: MeshKey,
    ) -> Result<Self, ServerError> {
        table
            .check(crm_proto::FILE_DESCRIPTOR_SET, spec.grpc_services)
            .map_err(|source| ServerError::Permissions {
                service: spec.name,
                source,
            })?;
        let mut paths: Vec<String> = table.paths().map(str::to_owned).collect();
        paths.push("/grpc.health.v1.Health/Check".into());
        paths.push("/grpc.health.v1.Health/Watch".into());
        let metrics = Arc::new(Metrics::new(paths.iter().map(String::as_str)));
        let auth = Arc::new(Authenticator::new(
            spec.name,
            keys,
            mesh,
            table,
            config.auth.token_cache_size,
        ));
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        let reflection = || {
            let mut builder = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crm_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(
                    tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
                )
                // Both versions are registered above, so they are not added again.
                .include_reflection_service(false)
                .with_service_name("grpc.health.v1.Health")
                .with_service_name("grpc.reflection.v1.ServerReflection")
                .with_service_name("grpc.reflection.v1alpha.ServerReflection");
            for name in spec.grpc_services {
                builder = builder.with_service_name(*name);
            }
            builder
        };
        let v1 = reflection()
            .build_v1()
            .map_err(|e| ServerError::Reflection(e.to_string()))?;
        let v1alpha = reflection()
            .build_v1alpha()
            .map_err(|e| ServerError::Reflection(e.to_string()))?;
        routes.add_service(v1);
        routes.add_service(v1alpha);
        Ok(Self {
            spec,
            config: config.clone(),
            auth,
            metrics,
            routes,
            health,
            checks: Vec::new(),
            ready: Arc::new(AtomicBool::new(false)),
            background: Vec::new(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.limits.concurrency_limit)),
        })
    }

    /// Returns the server's services behind the same layers as the listener (request
    /// id and trace, metrics, load shedding and the concurrency limit, auth), to be
    /// called in process. Call it once every service is added.
    pub fn local_service(&self) -> LocalService {
        let stack = tower::ServiceBuilder::new()
            .layer(ObserveLayer)
            .layer(MetricsLayer::new(self.metrics.clone()))
            .load_shed()
            .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
                self.in_flight.clone(),
            ))
            .layer(AuthLayer::new(self.auth.clone()))
            .service(self.routes.clone().routes());
        LocalService::new(ErrorsAsStatus(
            tower::ServiceBuilder::new()
                .map_response(|r: http::Response<_>| r.map(tonic::body::Body::new))
                .service(stack),
        ))
    }

    /// Returns the largest request message the service accepts; apply it to generated
    /// servers with `max_decoding_message_size`.
    pub fn max_decoding_message_size(&self) -> usize {
        self.config.limits.max_decoding_message_size
    }

    /// Returns the handles of the event metrics this server exposes on `/metrics`, for
    /// the service's outbox relay and consumers.
    pub fn event_metrics(&self) -> crm_events::EventMetrics {
        self.metrics.events()
    }

    /// Adds a gRPC service.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<Request<Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.routes.add_service(service);
        self
    }

    /// Adds a dependency that must answer before the service reports SERVING.
    pub fn ready_when(&mut self, check: ReadyCheck) -> &mut Self {
        self.checks.push(check);
        self
    }

    /// Runs `task` beside the server from `serve` until shutdown; the server waits for it
    /// before returning.
    pub fn background(&mut self, task: BackgroundTask) -> &mut Self {
        self.background.push(task);
        self
    }

    /// Serves gRPC on `grpc` and the admin port on `admin` until `shutdown` resolves;
    /// then reports NOT_SERVING, waits the drain delay, stops accepting and lets the
    /// calls in flight finish.
    pub async fn serve(
        self,
        grpc: TcpListener,
        admin: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Server {
            spec,
            config,
            auth,
            metrics,
            routes,
            health,
            checks,
            ready,
            background,
            in_flight,
        } = self;
        set_status(&health, spec, ServingStatus::NotServing).await;

        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let watcher = tokio::spawn(watch_readiness(
            spec,
            health.clone(),
            checks,
            ready.clone(),
            stop_rx.clone(),
        ));

        let admin_task = {
            let router = crate::admin::router(metrics.clone(), ready.clone());
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                axum::serve(admin, router)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await
            })
        };

        let tasks: Vec<_> = background
            .into_iter()
            .map(|task| {
                let mut stop = stop_rx.clone();
                let stopped: BoxFuture<'static, ()> = Box::pin(async move {
                    let _ = stop.wait_for(|s| *s).await;
                });
                tokio::spawn(task(stopped))
            })
            .collect();

        let drain = Duration::from_millis(config.limits.drain_delay_ms);
        let signal = {
            let health = health.clone();
            let ready = ready.clone();
            async move {
                shutdown.await;
                ready.store(false, Ordering::SeqCst);
                let _ = stop_tx.send(true);
                set_status(&health, spec, ServingStatus::NotServing).await;
                tracing::info!(
                    service = spec.name,
                    drain_ms = drain.as_millis() as u64,
                    "not serving; draining"
                );
                tokio::time::sleep(drain).await;
            }
        };

        // Outermost first: the request id and trace span wrap everything so every log
        // line of a call carries them; metrics see every answer, including the ones the
        // layers below give (shed, unauthenticated); load shedding refuses work before
        // any token is checked; auth is last so handlers always find a context.
        let stack = tower::ServiceBuilder::new()
            .layer(ObserveLayer)
            .layer(MetricsLayer::new(metrics))
            .layer(DefaultDeadlineLayer::new(Duration::from_secs(
                config.limits.default_timeout_secs,
            )))
            .load_shed()
            .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
                in_flight,
            ))
            .layer(AuthLayer::new(auth))
            .into_inner();

        let local = grpc.local_addr().ok();
        tracing::info!(service = spec.name, addr = ?local, "serving gRPC");
        // No Server::timeout: tonic would cut every call at the shorter of it and the
        // call's own deadline; DefaultDeadlineLayer serves only calls without one.
        let result = tonic::transport::Server::builder()
            .layer(stack)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(
                // Without TCP_NODELAY small responses wait for the peer's delayed ACK
                // (about 40 ms); tonic sets it only on listeners it binds itself.
                tonic::transport::server::TcpIncoming::from(grpc).with_nodelay(Some(true)),
                signal,
            )
            .await;
        watcher.abort();
        for task in tasks {
            if let Err(error) = task.await {
                tracing::warn!(%error, "background task failed");
            }
        }
        match admin_task.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "admin port stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "admin task failed"),
            Ok(Ok(())) => {}
        }
        tracing::info!(service = spec.name, "stopped");
        Ok(result?)
    }
}

async fn set_status(health: &HealthReporter, spec: ServiceSpec, status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in spec.grpc_services {
        health.set_service_status(*name, status).await;
    }
}

/// Turns SERVING once every check passes, and back to NOT_SERVING while one fails.
async fn watch_readiness(
    spec: ServiceSpec,
    health: HealthReporter,
    checks: Vec<ReadyCheck>,
    ready: Arc<AtomicBool>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let mut ok = true;
        for check in &checks {
            if !check().await {
                ok = false;
                break;
            }
        }
        if *stop.borrow() {
            return;
        }
        let was = ready.swap(ok, Ordering::SeqCst);
        if ok != was {
            let status = if ok {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            set_status(&health, spec, status).await;
            tracing::info!(service = spec.name, serving = ok, "health changed");
        }
        let pause = if ok {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(250)
        };
        tokio::time::sleep(pause).await;
    }
}

/// Returns a readiness check that pings a database.
pub fn database_check(db: sea_orm::DatabaseConnection) -> ReadyCheck {
    Arc::new(move || {
        let db = db.clone();
        Box::pin(async move { db.ping().await.is_ok() })
    })
}

/// Binds the gRPC and admin listeners of `service` as configured.
pub async fn bind(
    config: &KitConfig,
    service: &str,
) -> std::io::Result<(TcpListener, TcpListener)> {
    let grpc = TcpListener::bind(config.grpc_addr(service)).await?;
    let admin = TcpListener::bind(config.admin_addr(service)).await?;
    Ok((grpc, admin))
}

/// Binds two ephemeral loopback listeners, for tests.
pub async fn bind_ephemeral() -> std::io::Result<(TcpListener, TcpListener)> {
    Ok((
        TcpListener::bind("127.0.0.1:0").await?,
        TcpListener::bind("127.0.0.1:0").await?,
    ))
}

/// Result type of gRPC handlers.
pub type GrpcResult<T> = Result<tonic::Response<T>, tonic::Status>;

/// Turns a service's errors (load shed, a broken connection) into the gRPC answers they
/// stand for, so it fits [`LocalService`].
#[derive(Debug, Clone)]
pub struct ErrorsAsStatus<S>(pub S);

impl<S, B> tower::Service<http::Request<B>> for ErrorsAsStatus<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // The layers here refuse work in `call` (load shedding answers there); a
        // readiness error would come back from `call` too, and be answered there.
        self.0.poll_ready(cx).map(|_| Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let future = self.0.call(request);
        Box::pin(async move {
            Ok(match future.await {
                Ok(response) => response,
                Err(error) => {
                    let error = error.into();
                    // tonic reports its own grpc-timeout timer as CANCELLED; for the
                    // caller it is the deadline that passed.
                    if error.downcast_ref::<tonic::TimeoutExpired>().is_some() {
                        tonic::Status::deadline_exceeded("the deadline passed").into_http()
                    } else {
                        tonic::Status::from_error(error).into_http()
                    }
                }
            })
        })
    }
}
