//! The tonic implementation of `crm.clients.v1.ClientService`: decode, authorise, call
//! the domain and the store, encode. Each RPC's body lives in the module of its
//! resource; this file holds the trait impl and the shared helpers. It is the only
//! module that knows tonic.

mod clients;
mod contacts;
mod duplicates;
mod opportunities;
mod transfer;

use crm_kit::{RequestContext, Role};
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_server::ClientService;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use crate::convert::Violations;
use crate::domain::Visibility;
use crate::error::Error;
use crate::events::Actor;
use crate::remote::Remote;
use crate::repo::Repo;

/// The clients API.
#[derive(Debug, Clone)]
pub struct ClientsApi {
    repo: Repo,
    remote: Remote,
}

impl ClientsApi {
    /// Returns the API over `repo`, asking other services through `remote`.
    pub fn new(repo: Repo, remote: Remote) -> Self {
        Self { repo, remote }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Returns the sales agent a new record of the caller goes to when it names none:
/// agents and managers keep what they create, the others leave it unassigned.
fn default_commercial(ctx: &RequestContext, given: Option<Uuid>) -> Option<Uuid> {
    match ctx.role {
        Some(Role::Agent | Role::Manager) if given.is_none() => ctx.commercial_id,
        _ => given,
    }
}

/// Checks the caller may hand a record to `commercial`: agents only to themselves,
/// managers within their team (both must keep seeing what they assign), the other roles
/// to anyone.
fn check_assignment(scope: &Visibility, commercial: Option<Uuid>) -> Result<(), Error> {
    if scope.allows(commercial) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(ASSIGNMENT_REFUSED.into()))
    }
}

/// Why an assignment outside the caller's scope is refused.
const ASSIGNMENT_REFUSED: &str =
    "an agent may only assign records to themselves, a manager to their team";

/// Returns `INVALID_ARGUMENT` with every violation, or nothing when there is none.
fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns `INVALID_ARGUMENT` naming one missing field.
fn required(field: &str) -> Status {
    Error::InvalidArgument(vec![(field.to_owned(), "is required".into())]).into()
}

/// A keyset page request, checked.
struct Page {
    size: u64,
    after: Option<Uuid>,
    fingerprint: u64,
}

/// Returns the page a request asks for, recording violations of `page_size` and
/// `page_token`; `filters` are what the token is bound to.
fn page(page_size: i32, page_token: &str, filters: &[&str], v: &mut Violations) -> Page {
    let fingerprint = crm_db::page::fingerprint(filters);
    let size = crm_db::page_size(page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = crm_db::PageToken::decode(page_token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten()
        .map(|t| t.after);
    Page {
        size,
        after,
        fingerprint,
    }
}

/// Returns the token of the page after the one ending at `last`, empty when none follows.
fn next_page_token(more: bool, last: Option<Uuid>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some(after)) => crm_db::PageToken {
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ClientService for ClientsApi {
    async fn create_client(
        &self,
        r: Request<pb::CreateClientRequest>,
    ) -> Answer<pb::CreateClientResponse> {
        clients::create(self, r).await
    }

    async fn get_client(&self, r: Request<pb::GetClientRequest>) -> Answer<pb::GetClientResponse> {
        clients::get(self, r).await
    }

    async fn update_client(
        &self,
        r: Request<pb::UpdateClientRequest>,
    ) -> Answer<pb::UpdateClientResponse> {
        clients::update(self, r).await
    }

    async fn list_clients(
        &self,
        r: Request<pb::ListClientsRequest>,
    ) -> Answer<pb::ListClientsResponse> {
        clients::list(self, r).await
    }

    async fn archive_client(
        &self,
        r: Request<pb::ArchiveClientRequest>,
    ) -> Answer<pb::ArchiveClientResponse> {
        clients::archive(self, r).await
    }

    async fn restore_client(
        &self,
        r: Request<pb::RestoreClientRequest>,
    ) -> Answer<pb::RestoreClientResponse> {
        clients::restore(self, r).await
    }

    async fn find_duplicates(
        &self,
        r: Request<pb::FindDuplicatesRequest>,
    ) -> Answer<pb::FindDuplicatesResponse> {
        duplicates::find(self, r).await
    }

    async fn merge_clients(
        &self,
        r: Request<pb::MergeClientsRequest>,
    ) -> Answer<pb::MergeClientsResponse> {
        duplicates::merge(self, r).await
    }

    async fn import_clients(
        &self,
        r: Request<Streaming<pb::ImportClientsRequest>>,
    ) -> Answer<pb::ImportClientsResponse> {
        transfer::import(self, r).await
    }

    type ExportClientsStream = transfer::ExportStream;

    async fn export_clients(
        &self,
        r: Request<pb::ExportClientsRequest>,
    ) -> Answer<Self::ExportClientsStream> {
        transfer::export(self, r).await
    }

    async fn reassign_clients(
        &self,
        r: Request<pb::ReassignClientsRequest>,
    ) -> Answer<pb::ReassignClientsResponse> {
        transfer::reassign(self, r).await
    }

    async fn create_contact(
        &self,
        r: Request<pb::CreateContactRequest>,
    ) -> Answer<pb::CreateContactResponse> {
        contacts::create(self, r).await
    }

    async fn get_contact(
        &self,
        r: Request<pb::GetContactRequest>,
    ) -> Answer<pb::GetContactResponse> {
        contacts::get(self, r).await
    }

    async fn update_contact(
        &self,
        r: Request<pb::UpdateContactRequest>,
    ) -> Answer<pb::UpdateContactResponse> {
        contacts::update(self, r).await
    }

    async fn list_contacts(
        &self,
        r: Request<pb::ListContactsRequest>,
    ) -> Answer<pb::ListContactsResponse> {
        contacts::list(self, r).await
    }

    async fn delete_contact(
        &self,
        r: Request<pb::DeleteContactRequest>,
    ) -> Answer<pb::DeleteContactResponse> {
        contacts::delete(self, r).await
    }

    async fn create_opportunity(
        &self,
        r: Request<pb::CreateOpportunityRequest>,
    ) -> Answer<pb::CreateOpportunityResponse> {
        opportunities::create(self, r).await
    }

    async fn get_opportunity(
        &self,
        r: Request<pb::GetOpportunityRequest>,
    ) -> Answer<pb::GetOpportunityResponse> {
        opportunities::get(self, r).await
    }

    async fn update_opportunity(
        &self,
        r: Request<pb::UpdateOpportunityRequest>,
    ) -> Answer<pb::UpdateOpportunityResponse> {
        opportunities::update(self, r).await
    }

    async fn list_opportunities(
        &self,
        r: Request<pb::ListOpportunitiesRequest>,
    ) -> Answer<pb::ListOpportunitiesResponse> {
        opportunities::list(self, r).await
    }

    async fn move_opportunity_stage(
        &self,
        r: Request<pb::MoveOpportunityStageRequest>,
    ) -> Answer<pb::MoveOpportunityStageResponse> {
        opportunities::move_stage(self, r).await
    }

    async fn mark_won(&self, r: Request<pb::MarkWonRequest>) -> Answer<pb::MarkWonResponse> {
        opportunities::mark_won(self, r).await
    }

    async fn mark_lost(&self, r: Request<pb::MarkLostRequest>) -> Answer<pb::MarkLostResponse> {
        opportunities::mark_lost(self, r).await
    }
}
