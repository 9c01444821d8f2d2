//! The server of the benchmark comparison. This is a benchmark fixture, not a product
//! surface: it serves `crm.clients.v1.ClientService` whose GetClient answers one fixed
//! client record (built once, for any id) and whose other methods answer
//! FAILED_PRECONDITION, so a load run measures the serving stack and nothing else.
//!
//! - `bare`: a plain `tonic::transport::Server` with just that service.
//! - `kit`: the same handler assembled with `crm_kit::Server` exactly like the real
//!   clients service (request id and trace, metrics, load shedding, authentication and
//!   tenant context, health, reflection, admin port), so a call needs a bearer token.

use std::net::SocketAddr;

use anyhow::Context as _;
use crm_kit::Role;
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::config::KitConfig;
use crm_kit::shutdown::{Shutdown, ShutdownTrigger, channel};
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_server::{ClientService, ClientServiceServer};
use crm_testkit::Keys;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// Lifetime of the token the bench server prints: long enough for any benchmark.
pub const TOKEN_TTL_SECS: i64 = 12 * 3600;

/// How the bench server is assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Plain tonic with only the ClientService.
    Bare,
    /// The kit's server, like every real service.
    Kit,
}

/// Returns the record GetClient answers: a fully filled-in person, like a real one.
pub fn fixed_client() -> pb::Client {
    use crm_proto::common::v1::{Address, Date};
    let now = prost_types::Timestamp {
        seconds: 1_767_225_600,
        nanos: 0,
    };
    let address = Address {
        line1: "12 rue de la Paix".into(),
        line2: "Bâtiment B".into(),
        postal_code: "75002".into(),
        city: "Paris".into(),
        region: "Île-de-France".into(),
        country_code: "FR".into(),
    };
    pb::Client {
        id: "01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b11".into(),
        kind: pb::ClientKind::Person as i32,
        civility: pb::Civility::Mrs as i32,
        first_name: "Jeanne".into(),
        last_name: "Martin".into(),
        email: "jeanne.martin@example.fr".into(),
        phone: "+33612345678".into(),
        birth_date: Some(Date {
            year: 1984,
            month: 5,
            day: 17,
        }),
        postal_address: Some(address.clone()),
        billing_address: Some(address),
        status: pb::ClientStatus::Active as i32,
        commercial_id: "01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b12".into(),
        tags: vec!["vip".into(), "sepa".into()],
        source: "web".into(),
        custom_fields: [("segment".to_owned(), "b2c".to_owned())].into(),
        create_time: Some(now),
        update_time: Some(now),
        version: 3,
        ..Default::default()
    }
}

/// The handler: GetClient answers the fixed record, every other method refuses.
#[derive(Debug, Clone)]
pub struct FixedClient {
    answer: pb::GetClientResponse,
}

impl Default for FixedClient {
    fn default() -> Self {
        Self {
            answer: pb::GetClientResponse {
                client: Some(fixed_client()),
            },
        }
    }
}

fn only_get_client() -> Status {
    Status::failed_precondition("benchmark server serves GetClient only")
}

// Every method but GetClient refuses: the benchmark measures GetClient alone.
#[tonic::async_trait]
impl ClientService for FixedClient {
    async fn get_client(
        &self,
        _: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::GetClientResponse>, Status> {
        Ok(Response::new(self.answer.clone()))
    }

    async fn create_client(
        &self,
        _: Request<pb::CreateClientRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        Err(only_get_client())
    }
    async fn update_client(
        &self,
        _: Request<pb::UpdateClientRequest>,
    ) -> Result<Response<pb::UpdateClientResponse>, Status> {
        Err(only_get_client())
    }
    async fn list_clients(
        &self,
        _: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        Err(only_get_client())
    }
    async fn archive_client(
        &self,
        _: Request<pb::ArchiveClientRequest>,
    ) -> Result<Response<pb::ArchiveClientResponse>, Status> {
        Err(only_get_client())
    }
    async fn restore_client(
        &self,
        _: Request<pb::RestoreClientRequest>,
    ) -> Result<Response<pb::RestoreClientResponse>, Status> {
        Err(only_get_client())
    }
    async fn find_duplicates(
        &self,
        _: Request<pb::FindDuplicatesRequest>,
    ) -> Result<Response<pb::FindDuplicatesResponse>, Status> {
        Err(only_get_client())
    }
    async fn merge_clients(
        &self,
        _: Request<pb::MergeClientsRequest>,
    ) -> Result<Response<pb::MergeClientsResponse>, Status> {
        Err(only_get_client())
    }
    async fn reassign_clients(
        &self,
        _: Request<pb::ReassignClientsRequest>,
    ) -> Result<Response<pb::ReassignClientsResponse>, Status> {
        Err(only_get_client())
    }
    async fn create_contact(
        &self,
        _: Request<pb::CreateContactRequest>,
    ) -> Result<Response<pb::CreateContactResponse>, Status> {
        Err(only_get_client())
    }
    async fn get_contact(
        &self,
        _: Request<pb::GetContactRequest>,
    ) -> Result<Response<pb::GetContactResponse>, Status> {
        Err(only_get_client())
    }
    async fn update_contact(
        &self,
        _: Request<pb::UpdateContactRequest>,
    ) -> Result<Response<pb::UpdateContactResponse>, Status> {
        Err(only_get_client())
    }
    async fn list_contacts(
        &self,
        _: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        Err(only_get_client())
    }
    async fn delete_contact(
        &self,
        _: Request<pb::DeleteContactRequest>,
    ) -> Result<Response<pb::DeleteContactResponse>, Status> {
        Err(only_get_client())
    }
    async fn create_opportunity(
        &self,
        _: Request<pb::CreateOpportunityRequest>,
    ) -> Result<Response<pb::CreateOpportunityResponse>, Status> {
        Err(only_get_client())
    }
    async fn get_opportunity(
        &self,
        _: Request<pb::GetOpportunityRequest>,
    ) -> Result<Response<pb::GetOpportunityResponse>, Status> {
        Err(only_get_client())
    }
    async fn update_opportunity(
        &self,
        _: Request<pb::UpdateOpportunityRequest>,
    ) -> Result<Response<pb::UpdateOpportunityResponse>, Status> {
        Err(only_get_client())
    }
    async fn list_opportunities(
        &self,
        _: Request<pb::ListOpportunitiesRequest>,
    ) -> Result<Response<pb::ListOpportunitiesResponse>, Status> {
        Err(only_get_client())
    }
    async fn move_opportunity_stage(
        &self,
        _: Request<pb::MoveOpportunityStageRequest>,
    ) -> Result<Response<pb::MoveOpportunityStageResponse>, Status> {
        Err(only_get_client())
    }
    async fn mark_won(
        &self,
        _: Request<pb::MarkWonRequest>,
    ) -> Result<Response<pb::MarkWonResponse>, Status> {
        Err(only_get_client())
    }
    async fn mark_lost(
        &self,
        _: Request<pb::MarkLostRequest>,
    ) -> Result<Response<pb::MarkLostResponse>, Status> {
        Err(only_get_client())
    }
    async fn import_clients(
        &self,
        _: Request<tonic::Streaming<pb::ImportClientsRequest>>,
    ) -> Result<Response<pb::ImportClientsResponse>, Status> {
        Err(only_get_client())
    }

    type ExportClientsStream = futures::stream::Empty<Result<pb::ExportClientsResponse, Status>>;

    async fn export_clients(
        &self,
        _: Request<pb::ExportClientsRequest>,
    ) -> Result<Response<Self::ExportClientsStream>, Status> {
        Err(only_get_client())
    }
}

/// Keys of a bench server and a token its `kit` mode accepts.
#[derive(Debug, Clone)]
pub struct BenchKeys {
    /// Signer, public keys and mesh key, made in memory (no file).
    pub keys: Keys,
    /// An owner token of a random organisation, valid [`TOKEN_TTL_SECS`].
    pub token: String,
}

impl BenchKeys {
    /// Returns fresh keys and a token signed with them.
    pub fn new() -> anyhow::Result<Self> {
        let keys = Keys::new()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("clock before 1970")?
            .as_secs() as i64;
        let mut claims =
            AccessClaims::new(Uuid::now_v7(), Some(Uuid::now_v7()), Some(Role::Owner), now);
        claims.exp = now + TOKEN_TTL_SECS;
        let token = keys.signer.sign(&claims)?;
        Ok(Self { keys, token })
    }
}

/// A bench server running in this process.
#[derive(Debug)]
pub struct BenchServer {
    /// Where it serves gRPC.
    pub addr: SocketAddr,
    /// Where its admin port listens (`kit` only).
    pub admin_addr: Option<SocketAddr>,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl BenchServer {
    /// Starts the server in `mode` on `listener`; `kit` also binds an ephemeral admin
    /// port and verifies tokens with `keys`.
    pub async fn start(
        mode: Mode,
        listener: TcpListener,
        keys: &BenchKeys,
        config: &KitConfig,
    ) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        let (trigger, shutdown) = channel();
        let (admin_addr, task) = match mode {
            Mode::Bare => (None, tokio::spawn(serve_bare(listener, shutdown))),
            Mode::Kit => {
                let admin = TcpListener::bind("127.0.0.1:0").await?;
                let admin_addr = admin.local_addr()?;
                let server = kit_server(keys, config)?;
                let task = tokio::spawn(async move {
                    server
                        .serve(listener, admin, shutdown.wait())
                        .await
                        .context("kit server failed")
                });
                (Some(admin_addr), task)
            }
        };
        Ok(Self {
            addr,
            admin_addr,
            trigger,
            task,
        })
    }

    /// Returns the gRPC URL, `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.fire();
        self.task.await.context("bench server task failed")?
    }

    /// Serves until `signal` resolves, then stops.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let Self { trigger, task, .. } = self;
        tokio::pin!(task);
        tokio::select! {
            () = signal => {
                trigger.fire();
                task.await.context("bench server task failed")?
            }
            ended = &mut task => ended.context("bench server task failed")?,
        }
    }
}

/// Plain tonic, only the ClientService, with tonic's default socket options: `serve`
/// sets TCP_NODELAY on accepted connections (tonic's default), but the `_with_incoming`
/// variants leave it to the incoming stream, so it is set here.
async fn serve_bare(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(ClientServiceServer::new(FixedClient::default()))
        .serve_with_incoming_shutdown(incoming, shutdown.wait())
        .await
        .context("bare server failed")
}

/// The handler assembled like `crm_clients::build` assembles the real one.
fn kit_server(keys: &BenchKeys, config: &KitConfig) -> anyhow::Result<crm_kit::Server> {
    let mut server = crm_kit::Server::new(
        crm_clients::SPEC,
        crm_clients::permissions(),
        config,
        keys.keys.keys.clone(),
        keys.keys.mesh.clone(),
    )?;
    let limit = server.max_decoding_message_size();
    server.add_service(
        ClientServiceServer::new(FixedClient::default()).max_decoding_message_size(limit),
    );
    Ok(server)
}
