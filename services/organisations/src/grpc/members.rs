//! ListMembers, UpdateMemberRole, RemoveMember and GetMembership.

use crm_db::Tenant;
use crm_proto::organisations::v1 as pb;
use tonic::{Request, Response, Status};

use super::{invalid, next_page_token, organisation_and_id, own_organisation, page};
use crate::convert::{Violations, membership_to_proto, role_field, uuid_field};
use crate::domain;
use crate::error::Error;
use crate::events::Actor;
use crate::repo::Repo;

/// Lists the members of the caller's organisation in joining order.
pub async fn list(
    repo: &Repo,
    request: Request<pb::ListMembersRequest>,
) -> Result<Response<pb::ListMembersResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let org = uuid_field(&req.organisation_id, "organisation_id", &mut v);
    let page = page(
        req.page_size,
        &req.page_token,
        &["members", &req.organisation_id],
        &mut v,
    );
    invalid(v)?;
    let tenant = own_organisation(ctx, org)?;
    let (members, more) = repo.list_members(tenant, page.after, page.size).await?;
    Ok(Response::new(pb::ListMembersResponse {
        next_page_token: next_page_token(more, members.last().map(|m| m.id), page.fingerprint),
        memberships: members.iter().map(membership_to_proto).collect(),
    }))
}

/// Changes a member's role; only owners grant or take away the owner role, and the last
/// owner keeps it.
pub async fn update_role(
    repo: &Repo,
    request: Request<pb::UpdateMemberRoleRequest>,
) -> Result<Response<pb::UpdateMemberRoleResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let org = uuid_field(&req.organisation_id, "organisation_id", &mut v);
    let user = uuid_field(&req.user_id, "user_id", &mut v);
    let role = role_field(req.role, "role", &mut v);
    invalid(v)?;
    let tenant = own_organisation(ctx, org)?;
    let (Some(user), Some(role)) = (user, role) else {
        return Err(Status::invalid_argument("user_id and role are required"));
    };
    let member = repo.update_role(tenant, user, ctx.role, role).await?;
    tracing::info!(user_id = %user, role = %role, "member role changed");
    Ok(Response::new(pb::UpdateMemberRoleResponse {
        membership: Some(membership_to_proto(&member)),
    }))
}

/// Removes a member. Owners and admins remove others (only owners remove an owner); any
/// member may remove themselves; the last owner is never removed.
pub async fn remove(
    repo: &Repo,
    request: Request<pb::RemoveMemberRequest>,
) -> Result<Response<pb::RemoveMemberResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let (tenant, user) = organisation_and_id(ctx, &req.organisation_id, &req.user_id, "user_id")?;
    let leaving = ctx.user_id()? == user;
    // The table lets every member through (so that anyone may leave); removing someone
    // else is refused here before the member is even looked up.
    if !leaving && !domain::administers(ctx.role) {
        return Err(
            Error::PermissionDenied("only owners and admins remove other members".into()).into(),
        );
    }
    repo.remove_member(tenant, user, ctx.role, leaving, &Actor::of(ctx))
        .await?;
    tracing::info!(user_id = %user, leaving, "member removed");
    Ok(Response::new(pb::RemoveMemberResponse {}))
}

/// Returns a user's membership of an organisation, for services of the mesh (the users
/// service puts its role and sales-agent record into tokens).
pub async fn get_membership(
    repo: &Repo,
    request: Request<pb::GetMembershipRequest>,
) -> Result<Response<pb::GetMembershipResponse>, Status> {
    let req = request.get_ref();
    let mut v = Violations::new();
    let org = uuid_field(&req.organisation_id, "organisation_id", &mut v);
    let user = uuid_field(&req.user_id, "user_id", &mut v);
    invalid(v)?;
    let (Some(org), Some(user)) = (org, user) else {
        return Err(Status::invalid_argument(
            "organisation_id and user_id are required",
        ));
    };
    // Internal-only (the kit refuses user tokens): the calling service is trusted to
    // name the organisation, which is why the tenant comes from the request here.
    let tenant = Tenant::new(org);
    let member = repo.get_membership(tenant, user).await?;
    Ok(Response::new(pb::GetMembershipResponse {
        membership: Some(membership_to_proto(&member)),
    }))
}
