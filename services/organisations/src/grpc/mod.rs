//! The tonic implementation of `crm.organisations.v1.OrganisationService`: decode,
//! authorise, call the domain and the store, encode. Each RPC's body lives in the
//! module of its resource; this file holds the trait impl and the shared helpers.

mod invitations;
mod members;
mod organisations;

use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_proto::organisations::v1 as pb;
use crm_proto::organisations::v1::organisation_service_server::OrganisationService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::Violations;
use crate::error::Error;
use crate::repo::Repo;

/// The organisations API.
#[derive(Debug, Clone)]
pub struct OrganisationsApi {
    repo: Repo,
}

impl OrganisationsApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

/// Returns `INVALID_ARGUMENT` with every violation, or nothing when there is none.
fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the tenant of the caller's token when `requested` is that organisation.
/// Another organisation answers NOT_FOUND, exactly like one that does not exist.
fn own_organisation(ctx: &RequestContext, requested: Option<Uuid>) -> Result<Tenant, Status> {
    let tenant = ctx.tenant()?;
    match requested {
        Some(id) if id == tenant.id() => Ok(tenant),
        Some(id) => Err(Error::not_found("organisation", id).into()),
        None => Err(
            Error::InvalidArgument(vec![("organisation_id".into(), "is required".into())]).into(),
        ),
    }
}

/// Returns the caller's organisation and the id in `id_text` for a request that names an
/// organisation and one resource in it: both ids checked together, and another
/// organisation answered NOT_FOUND.
fn organisation_and_id(
    ctx: &RequestContext,
    org_text: &str,
    id_text: &str,
    id_field: &str,
) -> Result<(Tenant, Uuid), Status> {
    let mut v = Violations::new();
    let org = crate::convert::uuid_field(org_text, "organisation_id", &mut v);
    let id = crate::convert::uuid_field(id_text, id_field, &mut v);
    invalid(v)?;
    let tenant = own_organisation(ctx, org)?;
    let id = id.ok_or_else(|| Status::invalid_argument(format!("{id_field} is required")))?;
    Ok((tenant, id))
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

#[tonic::async_trait]
impl OrganisationService for OrganisationsApi {
    async fn create_organisation(
        &self,
        request: Request<pb::CreateOrganisationRequest>,
    ) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
        organisations::create(&self.repo, request).await
    }

    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> Result<Response<pb::GetOrganisationResponse>, Status> {
        organisations::get(&self.repo, request).await
    }

    async fn update_organisation(
        &self,
        request: Request<pb::UpdateOrganisationRequest>,
    ) -> Result<Response<pb::UpdateOrganisationResponse>, Status> {
        organisations::update(&self.repo, request).await
    }

    async fn list_my_organisations(
        &self,
        request: Request<pb::ListMyOrganisationsRequest>,
    ) -> Result<Response<pb::ListMyOrganisationsResponse>, Status> {
        organisations::list_mine(&self.repo, request).await
    }

    async fn invite_member(
        &self,
        request: Request<pb::InviteMemberRequest>,
    ) -> Result<Response<pb::InviteMemberResponse>, Status> {
        invitations::invite(&self.repo, request).await
    }

    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Result<Response<pb::ListInvitationsResponse>, Status> {
        invitations::list(&self.repo, request).await
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
        invitations::accept(&self.repo, request).await
    }

    async fn revoke_invitation(
        &self,
        request: Request<pb::RevokeInvitationRequest>,
    ) -> Result<Response<pb::RevokeInvitationResponse>, Status> {
        invitations::revoke(&self.repo, request).await
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        members::list(&self.repo, request).await
    }

    async fn update_member_role(
        &self,
        request: Request<pb::UpdateMemberRoleRequest>,
    ) -> Result<Response<pb::UpdateMemberRoleResponse>, Status> {
        members::update_role(&self.repo, request).await
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Result<Response<pb::RemoveMemberResponse>, Status> {
        members::remove(&self.repo, request).await
    }

    async fn get_membership(
        &self,
        request: Request<pb::GetMembershipRequest>,
    ) -> Result<Response<pb::GetMembershipResponse>, Status> {
        members::get_membership(&self.repo, request).await
    }
}
