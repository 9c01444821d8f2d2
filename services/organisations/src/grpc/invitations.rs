//! InviteMember, ListInvitations, AcceptInvitation and RevokeInvitation.

use crm_proto::organisations::v1 as pb;
use crm_shared::validate::validate_email;
use tonic::{Request, Response, Status};

use super::{invalid, next_page_token, organisation_and_id, own_organisation, page};
use crate::convert::{
    Violations, invitation_to_proto, membership_to_proto, optional_uuid, role_field, uuid_field,
};
use crate::domain;
use crate::error::Error;
use crate::events::Actor;
use crate::repo::{NewInvitation, Repo};
use crate::token;

/// Invites an address with a role and returns the token once. A retry with the same
/// request id returns the same invitation with an EMPTY token: the token is stored only
/// as its hash, so it cannot be shown again (revoke and re-invite to get a new one).
pub async fn invite(
    repo: &Repo,
    request: Request<pb::InviteMemberRequest>,
) -> Result<Response<pb::InviteMemberResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let org = uuid_field(&req.organisation_id, "organisation_id", &mut v);
    let email = match validate_email(&req.email) {
        // Stored lowercase so that one address has one pending invitation.
        Ok(e) => Some(e.as_str().to_lowercase()),
        Err(e) => {
            v.push(("email".into(), e.to_string()));
            None
        }
    };
    let role = role_field(req.role, "role", &mut v);
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    invalid(v)?;
    let tenant = own_organisation(ctx, org)?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(Status::invalid_argument("email and role are required"));
    };
    domain::check_invite(ctx.role, role).map_err(Error::from)?;
    let new = NewInvitation {
        email,
        role,
        invited_by: ctx.user_id()?,
        request_id,
    };
    let (invitation, token) = repo.invite(tenant, new, &Actor::of(ctx)).await?;
    if token.is_some() {
        tracing::info!(invitation_id = %invitation.id, role = %role, "member invited");
    }
    Ok(Response::new(pb::InviteMemberResponse {
        invitation: Some(invitation_to_proto(&invitation, crate::repo::now())),
        token: token.unwrap_or_default(),
    }))
}

/// Lists the organisation's invitations, newest first, expiry derived from the clock.
pub async fn list(
    repo: &Repo,
    request: Request<pb::ListInvitationsRequest>,
) -> Result<Response<pb::ListInvitationsResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let org = uuid_field(&req.organisation_id, "organisation_id", &mut v);
    let page = page(
        req.page_size,
        &req.page_token,
        &["invitations", &req.organisation_id],
        &mut v,
    );
    invalid(v)?;
    let tenant = own_organisation(ctx, org)?;
    let (list, more) = repo.list_invitations(tenant, page.after, page.size).await?;
    let now = crate::repo::now();
    Ok(Response::new(pb::ListInvitationsResponse {
        next_page_token: next_page_token(more, list.last().map(|i| i.id), page.fingerprint),
        invitations: list.iter().map(|i| invitation_to_proto(i, now)).collect(),
    }))
}

/// Joins the invitation's organisation as the calling user, spending the invitation.
/// The token is the capability: the caller's own token needs no organisation.
pub async fn accept(
    repo: &Repo,
    request: Request<pb::AcceptInvitationRequest>,
) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let user = ctx.user_id()?;
    let text = request.get_ref().token.trim();
    if text.is_empty() {
        return Err(Error::InvalidArgument(vec![("token".into(), "is required".into())]).into());
    }
    if !token::is_well_formed(text) {
        return Err(Error::InvalidArgument(vec![(
            "token".into(),
            "is not an invitation token".into(),
        )])
        .into());
    }
    let member = repo
        .accept(
            &token::hash(text),
            user,
            crate::repo::now(),
            &Actor::of(ctx),
        )
        .await?;
    tracing::info!(organisation_id = %member.organisation_id, user_id = %user, "invitation accepted");
    Ok(Response::new(pb::AcceptInvitationResponse {
        membership: Some(membership_to_proto(&member)),
    }))
}

/// Revokes a pending invitation.
pub async fn revoke(
    repo: &Repo,
    request: Request<pb::RevokeInvitationRequest>,
) -> Result<Response<pb::RevokeInvitationResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let (tenant, id) = organisation_and_id(
        ctx,
        &req.organisation_id,
        &req.invitation_id,
        "invitation_id",
    )?;
    let now = crate::repo::now();
    let invitation = repo.revoke(tenant, id, now).await?;
    tracing::info!(invitation_id = %id, "invitation revoked");
    Ok(Response::new(pb::RevokeInvitationResponse {
        invitation: Some(invitation_to_proto(&invitation, now)),
    }))
}
