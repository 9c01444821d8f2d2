//! The activites service: the activity timeline of an organisation. Users add notes,
//! calls and tasks; every business event of the platform adds one system activity.

mod consumer;
mod convert;
pub mod domain;
mod entity;
mod error;
mod grpc;
mod migration;
mod repo;

use std::sync::Arc;
use std::time::Duration;

use crm_events::consume::Subscription;
use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::bootstrap::Deps;
use crm_kit::{Server, ServiceSpec};
use crm_proto::activites::v1::activity_service_server::ActivityServiceServer;

pub use consumer::Timeline;
pub use error::Error;
pub use migration::Migrator;

const ACTIVITY_SERVICE: &str = "crm.activites.v1.ActivityService";

/// The service as the kit knows it.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "activites",
    grpc_services: &[ACTIVITY_SERVICE],
};

/// Returns the access every RPC needs.
pub fn permissions() -> PermissionTable {
    PermissionTable::new(&[
        (ACTIVITY_SERVICE, "CreateNote", Access::write("activities")),
        (ACTIVITY_SERVICE, "LogCall", Access::write("activities")),
        (ACTIVITY_SERVICE, "CreateTask", Access::write("activities")),
        (
            ACTIVITY_SERVICE,
            "CompleteTask",
            Access::write("activities"),
        ),
        (ACTIVITY_SERVICE, "ListTimeline", Access::read("activities")),
        (ACTIVITY_SERVICE, "ListMyTasks", Access::read("activities")),
    ])
}

/// Returns the subscription of the timeline consumer: every event type of the catalogue.
pub fn subscription() -> Subscription {
    Subscription {
        service: SPEC.name.to_owned(),
        name: "timeline".to_owned(),
        event_types: crm_proto::EVENT_TYPES
            .iter()
            .map(|(t, _)| (*t).to_owned())
            .collect(),
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Returns the server of the activites service, ready to serve, with its event consumer.
pub async fn build(deps: Deps) -> anyhow::Result<Server> {
    let mut server = Server::new(
        SPEC,
        permissions(),
        &deps.config,
        deps.keys.clone(),
        deps.mesh.clone(),
    )?;
    let handler = Arc::new(Timeline::new()?);
    let (bus, db, metrics) = (deps.bus.clone(), deps.db.clone(), server.event_metrics());
    server.background(Box::new(move |shutdown| {
        bus.subscribe_observed(db, subscription(), handler, metrics, shutdown)
    }));
    let api = grpc::ActivitiesApi::new(repo::Repo::new(deps.db.clone()));
    let limit = server.max_decoding_message_size();
    server
        .add_service(ActivityServiceServer::new(api).max_decoding_message_size(limit))
        .ready_when(crm_kit::server::database_check(deps.db));
    Ok(server)
}
