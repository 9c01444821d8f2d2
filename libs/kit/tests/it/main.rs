//! Integration tests of the server kit with a small test service: refusal to start with
//! an incomplete permission table, readiness gating, graceful shutdown, and the default
//! deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crm_kit::auth::permissions::{Access, PermissionTable};
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::auth::{KeySet, MeshKey, TokenSigner};
use crm_kit::config::{KitConfig, LimitsConfig};
use crm_kit::server::{ReadyCheck, Server, ServerError, ServiceSpec, bind_ephemeral};
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_server::{ClientService, ClientServiceServer};
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use uuid::Uuid;

const SVC: &str = "crm.clients.v1.ClientService";
const SPEC: ServiceSpec = ServiceSpec {
    name: "clients",
    grpc_services: &[SVC],
};

/// Every method of the service: GetClient readable, the rest writable.
fn table() -> Vec<(&'static str, &'static str, Access)> {
    let mut rows = vec![(SVC, "GetClient", Access::read("clients"))];
    for method in [
        "CreateClient",
        "UpdateClient",
        "ListClients",
        "ArchiveClient",
        "RestoreClient",
        "FindDuplicates",
        "MergeClients",
        "ImportClients",
        "ExportClients",
        "ReassignClients",
        "CreateContact",
        "GetContact",
        "UpdateContact",
        "ListContacts",
        "DeleteContact",
        "CreateOpportunity",
        "GetOpportunity",
        "UpdateOpportunity",
        "ListOpportunities",
        "MoveOpportunityStage",
        "MarkWon",
        "MarkLost",
    ] {
        rows.push((SVC, method, Access::write("clients")));
    }
    rows
}

/// Answers GetClient after a pause (400 ms; 1.5 s for the id "slow"), with the caller's
/// organisation as the client id.
#[derive(Clone)]
struct Slow;

// Only GetClient answers; the other methods refuse (they are here because the trait
// has them).
#[tonic::async_trait]
impl ClientService for Slow {
    async fn get_client(
        &self,
        request: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::GetClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let org = ctx.tenant()?.id();
        let pause = if request.get_ref().client_id == "slow" {
            1_500
        } else {
            400
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        Ok(Response::new(pb::GetClientResponse {
            client: Some(pb::Client {
                id: org.to_string(),
                ..Default::default()
            }),
        }))
    }

    async fn create_client(
        &self,
        _: Request<pb::CreateClientRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn update_client(
        &self,
        _: Request<pb::UpdateClientRequest>,
    ) -> Result<Response<pb::UpdateClientResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn list_clients(
        &self,
        _: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn archive_client(
        &self,
        _: Request<pb::ArchiveClientRequest>,
    ) -> Result<Response<pb::ArchiveClientResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn restore_client(
        &self,
        _: Request<pb::RestoreClientRequest>,
    ) -> Result<Response<pb::RestoreClientResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn find_duplicates(
        &self,
        _: Request<pb::FindDuplicatesRequest>,
    ) -> Result<Response<pb::FindDuplicatesResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn merge_clients(
        &self,
        _: Request<pb::MergeClientsRequest>,
    ) -> Result<Response<pb::MergeClientsResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn reassign_clients(
        &self,
        _: Request<pb::ReassignClientsRequest>,
    ) -> Result<Response<pb::ReassignClientsResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn create_contact(
        &self,
        _: Request<pb::CreateContactRequest>,
    ) -> Result<Response<pb::CreateContactResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn get_contact(
        &self,
        _: Request<pb::GetContactRequest>,
    ) -> Result<Response<pb::GetContactResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn update_contact(
        &self,
        _: Request<pb::UpdateContactRequest>,
    ) -> Result<Response<pb::UpdateContactResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn list_contacts(
        &self,
        _: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn delete_contact(
        &self,
        _: Request<pb::DeleteContactRequest>,
    ) -> Result<Response<pb::DeleteContactResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn create_opportunity(
        &self,
        _: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::CreateOpportunityResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn get_opportunity(
        &self,
        _: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::GetOpportunityResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn update_opportunity(
        &self,
        _: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::UpdateOpportunityResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn list_opportunities(
        &self,
        _: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn move_opportunity_stage(
        &self,
        _: Request<pb::MoveOpportunityStageRequest>,
    ) -> Result<Response<pb::MoveOpportunityStageResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn mark_won(
        &self,
        _: Request<pb::MarkWonRequest>,
    ) -> Result<Response<pb::MarkWonResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn mark_lost(
        &self,
        _: Request<pb::MarkLostRequest>,
    ) -> Result<Response<pb::MarkLostResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }
    async fn import_clients(
        &self,
        _: Request<tonic::Streaming<pb::ImportClientsRequest>>,
    ) -> Result<Response<pb::ImportClientsResponse>, Status> {
        Err(Status::failed_precondition("test service"))
    }

    type ExportClientsStream = futures::stream::Empty<Result<pb::ExportClientsResponse, Status>>;

    async fn export_clients(
        &self,
        _: Request<pb::ExportClientsRequest>,
    ) -> Result<Response<Self::ExportClientsStream>, Status> {
        Err(Status::failed_precondition("test service"))
    }
}

fn keys() -> (TokenSigner, Arc<KeySet>, MeshKey) {
    let (signer, _) = TokenSigner::generate().expect("key");
    let keys = Arc::new(KeySet::new(
        vec![(signer.kid().to_owned(), signer.public_key())],
        None,
    ));
    (signer, keys, MeshKey::new(&[9u8; 32]).expect("mesh"))
}

fn config(drain_ms: u64) -> KitConfig {
    KitConfig {
        limits: LimitsConfig {
            drain_delay_ms: drain_ms,
            ..LimitsConfig::default()
        },
        ..KitConfig::default()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A service whose permission table misses one of its methods refuses to start.
#[test]
fn an_incomplete_permission_table_refuses_to_start() {
    let (_, keys, mesh) = keys();
    let mut rows = table();
    rows.retain(|(_, m, _)| *m != "RestoreClient");
    let err = Server::new(SPEC, PermissionTable::new(&rows), &config(0), keys, mesh)
        .expect_err("incomplete");
    assert!(matches!(err, ServerError::Permissions { .. }), "{err}");
    assert!(err.to_string().contains("RestoreClient"), "{err}");
}

async fn health(channel: tonic::transport::Channel) -> Result<i32, Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: SVC.into(),
        })
        .await
        .map(|r| r.into_inner().status)
}

/// The service reports NOT_SERVING until its readiness check passes, then SERVING.
#[tokio::test]
async fn serving_only_once_dependencies_answer() {
    let (_, keys, mesh) = keys();
    let db_up = Arc::new(AtomicBool::new(false));
    let flag = db_up.clone();
    let check: ReadyCheck = Arc::new(move || {
        let up = flag.load(Ordering::SeqCst);
        Box::pin(async move { up })
    });
    let (channel, trigger, task) = start_slow(&config(0), keys, mesh, Some(check)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health(channel.clone()).await.expect("health"),
        ServingStatus::NotServing as i32
    );
    db_up.store(true, Ordering::SeqCst);
    let mut serving = false;
    for _ in 0..40 {
        if health(channel.clone()).await.expect("health") == ServingStatus::Serving as i32 {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(serving, "SERVING once the check passes");
    trigger.fire();
    task.await.expect("join").expect("clean stop");
}

/// On shutdown the service turns NOT_SERVING at once, finishes the call in flight, and
/// then stops.
#[tokio::test]
async fn shutdown_reports_not_serving_then_drains() {
    let (signer, keys, mesh) = keys();
    let (channel, trigger, task) = serve_slow(&config(300), keys, mesh).await;
    let org = Uuid::now_v7();
    let request = as_viewer(&signer, org, pb::GetClientRequest::default());
    let mut client =
        crm_proto::clients::v1::client_service_client::ClientServiceClient::new(channel.clone());
    let in_flight = tokio::spawn(async move { client.get_client(request).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    trigger.fire();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        health(channel.clone()).await.expect("health during drain"),
        ServingStatus::NotServing as i32
    );
    let answer = in_flight
        .await
        .expect("join")
        .expect("the call in flight completes");
    assert_eq!(
        answer.into_inner().client.map(|c| c.id),
        Some(org.to_string())
    );
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean stop");
}

/// A call without a deadline gets the service's default (here 1 s) and is answered
/// DEADLINE_EXCEEDED when it passes; a call carrying a longer deadline of its own is
/// served to the end.
#[tokio::test]
async fn the_default_deadline_applies_to_calls_without_one() {
    let (signer, keys, mesh) = keys();
    let mut config = config(0);
    config.limits.default_timeout_secs = 1;
    let (channel, trigger, task) = serve_slow(&config, keys, mesh).await;
    let org = Uuid::now_v7();
    let slow = |timeout: Option<Duration>| {
        let message = pb::GetClientRequest {
            client_id: "slow".into(),
        };
        let mut request = as_viewer(&signer, org, message);
        if let Some(t) = timeout {
            request.set_timeout(t);
        }
        request
    };
    let mut client =
        crm_proto::clients::v1::client_service_client::ClientServiceClient::new(channel.clone());
    let err = client
        .get_client(slow(None))
        .await
        .expect_err("past the default deadline");
    assert_eq!(err.code(), tonic::Code::DeadlineExceeded, "{err:?}");
    let answer = client
        .get_client(slow(Some(Duration::from_secs(10))))
        .await
        .expect("a longer deadline of its own is kept");
    assert_eq!(
        answer.into_inner().client.map(|c| c.id),
        Some(org.to_string())
    );
    trigger.fire();
    task.await.expect("join").expect("clean stop");
}

/// What [`start_slow`] returns: the service's channel, the trigger that stops it, and
/// its task.
type Started = (
    tonic::transport::Channel,
    crm_kit::shutdown::ShutdownTrigger,
    tokio::task::JoinHandle<Result<(), ServerError>>,
);

/// Starts the [`Slow`] service with `config` (and the readiness check `ready`) on
/// ephemeral ports, without waiting for it to serve.
async fn start_slow(
    config: &KitConfig,
    keys: Arc<KeySet>,
    mesh: MeshKey,
    ready: Option<ReadyCheck>,
) -> Started {
    let mut server =
        Server::new(SPEC, PermissionTable::new(&table()), config, keys, mesh).expect("server");
    server.add_service(ClientServiceServer::new(Slow));
    if let Some(check) = ready {
        server.ready_when(check);
    }
    let (grpc, admin) = bind_ephemeral().await.expect("bind");
    let url = format!("http://{}", grpc.local_addr().expect("addr"));
    let (trigger, shutdown) = crm_kit::shutdown::channel();
    let task = tokio::spawn(server.serve(grpc, admin, shutdown.wait()));
    let channel = tonic::transport::Channel::from_shared(url)
        .expect("url")
        .connect_lazy();
    (channel, trigger, task)
}

/// Starts the [`Slow`] service with `config` and waits until it serves.
async fn serve_slow(config: &KitConfig, keys: Arc<KeySet>, mesh: MeshKey) -> Started {
    let started = start_slow(config, keys, mesh, None).await;
    crm_testkit_wait(started.0.clone()).await;
    started
}

/// Returns `message` as a call of a viewer of `org`, signed by `signer`.
fn as_viewer<T>(signer: &TokenSigner, org: Uuid, message: T) -> Request<T> {
    let token = signer
        .sign(&AccessClaims::new(
            Uuid::now_v7(),
            Some(org),
            Some(crm_kit::Role::Viewer),
            now(),
        ))
        .expect("sign");
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

async fn crm_testkit_wait(channel: tonic::transport::Channel) {
    for _ in 0..100 {
        if health(channel.clone()).await.ok() == Some(ServingStatus::Serving as i32) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not serving");
}
