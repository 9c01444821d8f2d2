//! InviteMember, ListInvitations, AcceptInvitation and RevokeInvitation.

use chrono::{TimeDelta, Utc};
use crm_kit::Role;
use crm_proto::organisations::v1 as pb;
use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, Org, envs, state, violation_fields};

fn invite(org: Uuid, email: &str, role: Role, request_id: &str) -> pb::InviteMemberRequest {
    pb::InviteMemberRequest {
        organisation_id: org.to_string(),
        email: email.into(),
        role: role.to_proto(),
        request_id: request_id.into(),
    }
}

fn revoke(org: Uuid, id: &str) -> pb::RevokeInvitationRequest {
    pb::RevokeInvitationRequest {
        organisation_id: org.to_string(),
        invitation_id: id.into(),
    }
}

/// Moves an invitation's expiry into the past, as if seven days had gone by.
async fn expire(env: &Env, id: &str) {
    let id: Uuid = id.parse().expect("id");
    let past = Utc::now() - TimeDelta::minutes(1);
    let statement = Query::update()
        .table(Alias::new("invitations"))
        .value(Alias::new("expires_at"), past)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let done = env.db.db.execute(&statement).await.expect("expire");
    assert_eq!(done.rows_affected(), 1);
}

/// An invitation carries a single-use token shown once; accepting it makes the caller a
/// member with the invitation's role and spends it, for that user and anyone else.
#[tokio::test]
async fn an_invitation_is_accepted_once() {
    for env in envs().await {
        let o = env.org("Inviting").await;
        let (invitation, token) = env
            .invite(o.owner, "New.Person@Example.FR", Role::Agent)
            .await
            .expect("invite");
        assert_eq!(token.len(), 43);
        assert_eq!(invitation.email, "new.person@example.fr");
        assert_eq!(invitation.role, Role::Agent.to_proto());
        assert_eq!(state(&invitation), pb::InvitationState::Pending);
        assert_eq!(invitation.invited_by, o.owner.user.to_string());
        let created = invitation.create_time.expect("created").seconds;
        let expires = invitation.expire_time.expect("expiry").seconds;
        assert_eq!(expires - created, 7 * 24 * 3600);

        let invitee = Uuid::now_v7();
        let membership = env.accept(invitee, &token).await.expect("accept");
        assert_eq!(membership.organisation_id, o.id.to_string());
        assert_eq!(membership.user_id, invitee.to_string());
        assert_eq!(membership.role, Role::Agent.to_proto());
        assert_eq!(
            env.members(&o).await,
            [(o.owner.user, Role::Owner), (invitee, Role::Agent)]
        );

        for user in [invitee, Uuid::now_v7()] {
            let err = env.accept(user, &token).await.expect_err("spent");
            assert_eq!(err.code(), Code::FailedPrecondition);
        }
        let listed = env.invitations(&o).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(state(&listed[0]), pb::InvitationState::Accepted);
        assert_eq!(env.members(&o).await.len(), 2);
    }
}

/// Two users racing to accept one token: exactly one becomes a member.
#[tokio::test]
async fn concurrent_accepts_make_one_membership() {
    for env in envs().await {
        let o = env.org("Racing").await;
        // A race shows only when the two calls overlap: run it a few times.
        for round in 0..5 {
            let (_, token) = env
                .invite(o.owner, &format!("race{round}@example.fr"), Role::Viewer)
                .await
                .expect("invite");
            let (a, b) = tokio::join!(
                env.accept(Uuid::now_v7(), &token),
                env.accept(Uuid::now_v7(), &token)
            );
            let codes: Vec<Code> = [&a, &b]
                .iter()
                .map(|r| r.as_ref().map(|_| Code::Ok).unwrap_or_else(|e| e.code()))
                .collect();
            assert_eq!(
                codes.iter().filter(|c| **c == Code::Ok).count(),
                1,
                "{codes:?}"
            );
            assert!(codes.contains(&Code::FailedPrecondition), "{codes:?}");
            assert_eq!(env.members(&o).await.len(), 2 + round);
        }
    }
}

/// Every malformed field of InviteMember is reported at once.
#[tokio::test]
async fn invite_reports_every_violation() {
    for env in envs().await {
        let o = env.org("Strict").await;
        let err = env
            .client()
            .invite_member(env.req(
                o.owner,
                pb::InviteMemberRequest {
                    organisation_id: "not-an-id".into(),
                    email: "nobody-at-example.fr".into(),
                    role: 0,
                    request_id: "nope".into(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            ["organisation_id", "email", "role", "request_id"]
        );
        let err = env
            .client()
            .invite_member(env.req(
                o.owner,
                pb::InviteMemberRequest {
                    role: 42,
                    ..invite(o.id, "", Role::Agent, "")
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["email", "role"]);
        assert!(env.invitations(&o).await.is_empty());
    }
}

/// Viewers, agents and managers cannot invite or list invitations; admins can but may
/// not invite an owner; owners may. Another organisation is NOT_FOUND.
#[tokio::test]
async fn invitation_rights_follow_roles() {
    for env in envs().await {
        let o = env.org("Roles").await;
        for role in [Role::Viewer, Role::Agent, Role::Manager, Role::Accountant] {
            let who = Member { role, ..o.owner };
            let err = env
                .invite(who, "x@example.fr", Role::Viewer)
                .await
                .expect_err("not admin");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
            let err = env
                .client()
                .list_invitations(env.req(
                    who,
                    pb::ListInvitationsRequest {
                        organisation_id: o.id.to_string(),
                        ..Default::default()
                    },
                ))
                .await
                .expect_err("not admin");
            assert_eq!(err.code(), Code::PermissionDenied);
        }
        let admin = env.member(&o, Role::Admin).await;
        let err = env
            .invite(admin, "boss@example.fr", Role::Owner)
            .await
            .expect_err("admin makes owner");
        assert_eq!(err.code(), Code::PermissionDenied);
        env.invite(admin, "agent@example.fr", Role::Agent)
            .await
            .expect("admin invites agent");
        let (_, token) = env
            .invite(o.owner, "boss@example.fr", Role::Owner)
            .await
            .expect("owner invites owner");
        let boss = Uuid::now_v7();
        let m = env.accept(boss, &token).await.expect("accept");
        assert_eq!(m.role, Role::Owner.to_proto());

        let other = env.org("Elsewhere").await;
        let err = env
            .client()
            .invite_member(env.req(o.owner, invite(other.id, "x@example.fr", Role::Viewer, "")))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .list_invitations(env.req(
                o.owner,
                pb::ListInvitationsRequest {
                    organisation_id: other.id.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// A retried InviteMember with the same request id returns the same invitation with an
/// empty token (only its hash is kept), and issues no second one.
#[tokio::test]
async fn invite_is_idempotent_by_request_id() {
    for env in envs().await {
        let o = env.org("Idempotent").await;
        let request_id = Uuid::now_v7().to_string();
        let first = env
            .client()
            .invite_member(env.req(
                o.owner,
                invite(o.id, "again@example.fr", Role::Viewer, &request_id),
            ))
            .await
            .expect("first")
            .into_inner();
        assert!(!first.token.is_empty());
        let again = env
            .client()
            .invite_member(env.req(
                o.owner,
                invite(o.id, "again@example.fr", Role::Viewer, &request_id),
            ))
            .await
            .expect("again")
            .into_inner();
        assert_eq!(again.token, "");
        assert_eq!(again.invitation, first.invitation);
        let listed = env.invitations(&o).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(state(&listed[0]), pb::InvitationState::Pending);
        env.accept(Uuid::now_v7(), &first.token)
            .await
            .expect("the first token still works");
    }
}

/// Inviting an address again revokes its pending invitation: the old token stops
/// working, the new one works, and the list shows both, newest first.
#[tokio::test]
async fn a_new_invitation_replaces_the_pending_one() {
    for env in envs().await {
        let o = env.org("Replacing").await;
        let (old, old_token) = env
            .invite(o.owner, "twice@example.fr", Role::Viewer)
            .await
            .expect("first");
        let (new, new_token) = env
            .invite(o.owner, "TWICE@example.fr", Role::Manager)
            .await
            .expect("second");
        let listed = env.invitations(&o).await;
        let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, [new.id.as_str(), old.id.as_str()]);
        assert_eq!(state(&listed[0]), pb::InvitationState::Pending);
        assert_eq!(state(&listed[1]), pb::InvitationState::Revoked);
        let err = env
            .accept(Uuid::now_v7(), &old_token)
            .await
            .expect_err("replaced");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let m = env.accept(Uuid::now_v7(), &new_token).await.expect("new");
        assert_eq!(m.role, Role::Manager.to_proto());
    }
}

/// Revoking works on pending invitations only; a revoked token cannot be accepted; an
/// unknown or another organisation's invitation is NOT_FOUND.
#[tokio::test]
async fn revoke_pending_invitations_only() {
    for env in envs().await {
        let o = env.org("Revoking").await;
        let (invitation, token) = env
            .invite(o.owner, "gone@example.fr", Role::Agent)
            .await
            .expect("invite");
        let revoked = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &invitation.id)))
            .await
            .expect("revoke")
            .into_inner()
            .invitation
            .expect("invitation");
        assert_eq!(state(&revoked), pb::InvitationState::Revoked);
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &invitation.id)))
            .await
            .expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .accept(Uuid::now_v7(), &token)
            .await
            .expect_err("revoked");
        assert_eq!(err.code(), Code::FailedPrecondition);

        let (accepted, token) = env
            .invite(o.owner, "kept@example.fr", Role::Agent)
            .await
            .expect("invite");
        env.accept(Uuid::now_v7(), &token).await.expect("accept");
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &accepted.id)))
            .await
            .expect_err("accepted");
        assert_eq!(err.code(), Code::FailedPrecondition);

        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &Uuid::now_v7().to_string())))
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), Code::NotFound);
        let other = env.org("Other").await;
        let (theirs, _) = env
            .invite(other.owner, "theirs@example.fr", Role::Agent)
            .await
            .expect("invite");
        // Named with the caller's own organisation: the invitation is not in it.
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &theirs.id)))
            .await
            .expect_err("other org's invitation");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(other.id, &theirs.id)))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, "x")))
            .await
            .expect_err("malformed");
        assert_eq!(violation_fields(&err), ["invitation_id"]);
        let viewer = Member {
            role: Role::Viewer,
            ..o.owner
        };
        let err = env
            .client()
            .revoke_invitation(env.req(viewer, revoke(o.id, &invitation.id)))
            .await
            .expect_err("viewer");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}

/// Past its expiry a pending invitation lists as EXPIRED and can be neither accepted
/// nor revoked.
#[tokio::test]
async fn expired_invitations_are_dead() {
    for env in envs().await {
        let o = env.org("Expiring").await;
        let (invitation, token) = env
            .invite(o.owner, "late@example.fr", Role::Agent)
            .await
            .expect("invite");
        expire(&env, &invitation.id).await;
        let listed = env.invitations(&o).await;
        assert_eq!(state(&listed[0]), pb::InvitationState::Expired);
        let err = env
            .accept(Uuid::now_v7(), &token)
            .await
            .expect_err("expired");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .client()
            .revoke_invitation(env.req(o.owner, revoke(o.id, &invitation.id)))
            .await
            .expect_err("expired");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(env.members(&o).await.len(), 1);
    }
}

/// AcceptInvitation: an unknown token is NOT_FOUND, a malformed or empty one
/// INVALID_ARGUMENT, and a member accepting again ALREADY_EXISTS (leaving the invitation
/// pending for nobody else to misuse it twice).
#[tokio::test]
async fn accept_errors() {
    for env in envs().await {
        let o = env.org("Accepting").await;
        let unknown = "A".repeat(43);
        let err = env
            .accept(Uuid::now_v7(), &unknown)
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), Code::NotFound);
        for bad in ["", "short", "not base64 at all, not at all, no no no!!"] {
            let err = env
                .accept(Uuid::now_v7(), bad)
                .await
                .expect_err("malformed");
            assert_eq!(violation_fields(&err), ["token"], "{bad:?}");
        }
        let (_, token) = env
            .invite(o.owner, "owner-again@example.fr", Role::Viewer)
            .await
            .expect("invite");
        let err = env
            .accept(o.owner.user, &token)
            .await
            .expect_err("already a member");
        assert_eq!(err.code(), Code::AlreadyExists);
        let listed = env.invitations(&o).await;
        assert_eq!(state(&listed[0]), pb::InvitationState::Pending);
        assert_eq!(env.members(&o).await, [(o.owner.user, Role::Owner)]);
        let err = env
            .client()
            .accept_invitation(pb::AcceptInvitationRequest { token })
            .await
            .expect_err("anonymous");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}

/// ListInvitations pages newest first with tokens bound to the organisation.
#[tokio::test]
async fn list_invitations_pages_newest_first() {
    for env in envs().await {
        let o = env.org("Paging Invitations").await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let (inv, _) = env
                .invite(o.owner, &format!("p{i}@example.fr"), Role::Viewer)
                .await
                .expect("invite");
            ids.push(inv.id);
        }
        ids.reverse();
        let list = |token: String| pb::ListInvitationsRequest {
            organisation_id: o.id.to_string(),
            page_size: 2,
            page_token: token,
        };
        let first = env
            .client()
            .list_invitations(env.req(o.owner, list(String::new())))
            .await
            .expect("first")
            .into_inner();
        let second = env
            .client()
            .list_invitations(env.req(o.owner, list(first.next_page_token.clone())))
            .await
            .expect("second")
            .into_inner();
        assert!(second.next_page_token.is_empty());
        let seen: Vec<String> = first
            .invitations
            .iter()
            .chain(&second.invitations)
            .map(|i| i.id.clone())
            .collect();
        assert_eq!(seen, ids);
        let other: Org = env.org("Other Pages").await;
        let err = env
            .client()
            .list_invitations(env.req(
                other.owner,
                pb::ListInvitationsRequest {
                    organisation_id: other.id.to_string(),
                    page_size: 2,
                    page_token: first.next_page_token,
                },
            ))
            .await
            .expect_err("foreign token");
        assert_eq!(violation_fields(&err), ["page_token"]);
    }
}
