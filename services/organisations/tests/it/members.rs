//! ListMembers, UpdateMemberRole and RemoveMember: role rules and the last owner.

use crm_kit::Role;
use crm_proto::organisations::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, envs, violation_fields};

fn change(org: Uuid, user: Uuid, role: Role) -> pb::UpdateMemberRoleRequest {
    pb::UpdateMemberRoleRequest {
        organisation_id: org.to_string(),
        user_id: user.to_string(),
        role: role.to_proto(),
    }
}

fn remove(org: Uuid, user: Uuid) -> pb::RemoveMemberRequest {
    pb::RemoveMemberRequest {
        organisation_id: org.to_string(),
        user_id: user.to_string(),
    }
}

async fn set_role(env: &Env, by: Member, user: Uuid, role: Role) -> Result<Role, tonic::Status> {
    let m = env
        .client()
        .update_member_role(env.req(by, change(by.org, user, role)))
        .await?
        .into_inner()
        .membership
        .expect("membership");
    Ok(Role::from_proto(m.role).expect("role"))
}

async fn remove_member(env: &Env, by: Member, user: Uuid) -> Result<(), tonic::Status> {
    env.client()
        .remove_member(env.req(by, remove(by.org, user)))
        .await
        .map(|_| ())
}

/// The only owner can neither demote themselves nor leave; with a second owner both
/// become possible.
#[tokio::test]
async fn the_last_owner_stays() {
    for env in envs().await {
        let o = env.org("Single Owner").await;
        let owner = o.owner;
        let err = set_role(&env, owner, owner.user, Role::Admin)
            .await
            .expect_err("last owner demoted");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = remove_member(&env, owner, owner.user)
            .await
            .expect_err("last owner leaves");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(env.members(&o).await, [(owner.user, Role::Owner)]);

        let second = env.member(&o, Role::Owner).await;
        assert_eq!(
            set_role(&env, owner, owner.user, Role::Admin)
                .await
                .expect("demote self"),
            Role::Admin
        );
        // The former owner is an admin now; the remaining owner is the last one.
        let err = remove_member(&env, second, second.user)
            .await
            .expect_err("last owner again");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            env.members(&o).await,
            [(owner.user, Role::Admin), (second.user, Role::Owner)]
        );
    }
}

/// Only owners grant or take away the owner role; admins change the other roles.
#[tokio::test]
async fn admins_cannot_make_or_unmake_owners() {
    for env in envs().await {
        let o = env.org("Promotions").await;
        let admin = env.member(&o, Role::Admin).await;
        let agent = env.member(&o, Role::Agent).await;
        let err = set_role(&env, admin, agent.user, Role::Owner)
            .await
            .expect_err("admin makes owner");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = set_role(&env, admin, o.owner.user, Role::Viewer)
            .await
            .expect_err("admin demotes owner");
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(
            set_role(&env, admin, agent.user, Role::Manager)
                .await
                .expect("admin changes agent"),
            Role::Manager
        );
        assert_eq!(
            set_role(&env, o.owner, agent.user, Role::Owner)
                .await
                .expect("owner makes owner"),
            Role::Owner
        );
        assert_eq!(
            env.members(&o).await,
            [
                (o.owner.user, Role::Owner),
                (admin.user, Role::Admin),
                (agent.user, Role::Owner)
            ]
        );
        for role in [Role::Manager, Role::Viewer] {
            let who = Member { role, ..o.owner };
            let err = set_role(&env, who, admin.user, Role::Viewer)
                .await
                .expect_err("below admin");
            assert_eq!(err.code(), Code::PermissionDenied);
        }
    }
}

/// UpdateMemberRole validates its fields, answers NOT_FOUND for a non-member and for
/// another organisation.
#[tokio::test]
async fn update_role_is_validated() {
    for env in envs().await {
        let o = env.org("Validated Roles").await;
        let err = env
            .client()
            .update_member_role(env.req(
                o.owner,
                pb::UpdateMemberRoleRequest {
                    organisation_id: o.id.to_string(),
                    user_id: "someone".into(),
                    role: 0,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["user_id", "role"]);
        let err = set_role(&env, o.owner, Uuid::now_v7(), Role::Viewer)
            .await
            .expect_err("stranger");
        assert_eq!(err.code(), Code::NotFound);
        let other = env.org("Other Roles").await;
        let err = env
            .client()
            .update_member_role(env.req(o.owner, change(other.id, other.owner.user, Role::Viewer)))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        // Nor can another organisation's member be reached through one's own.
        let err = set_role(&env, o.owner, other.owner.user, Role::Viewer)
            .await
            .expect_err("other org's member");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// Two owners demoting each other at the same time: one wins, the other is refused,
/// and the organisation keeps exactly one owner.
#[tokio::test]
async fn concurrent_demotions_keep_an_owner() {
    for env in envs().await {
        // A race shows only when the two calls overlap: run it a few times.
        for round in 0..5 {
            let o = env.org(&format!("Coup {round}")).await;
            let a = o.owner;
            let b = env.member(&o, Role::Owner).await;
            let (ra, rb) = tokio::join!(
                set_role(&env, a, b.user, Role::Viewer),
                set_role(&env, b, a.user, Role::Viewer)
            );
            let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count();
            assert_eq!(wins, 1, "{ra:?} {rb:?}");
            let refused = ra.err().or(rb.err()).expect("one refused");
            assert_eq!(refused.code(), Code::FailedPrecondition);
            let owners = env
                .members(&o)
                .await
                .into_iter()
                .filter(|(_, r)| *r == Role::Owner)
                .count();
            assert_eq!(owners, 1);
        }
    }
}

/// Admins remove members but not owners; owners remove owners (never the last); roles
/// below admin cannot remove others; an unknown member is NOT_FOUND.
#[tokio::test]
async fn removal_rights() {
    for env in envs().await {
        let o = env.org("Removals").await;
        let admin = env.member(&o, Role::Admin).await;
        let agent = env.member(&o, Role::Agent).await;
        let viewer = env.member(&o, Role::Viewer).await;
        let co_owner = env.member(&o, Role::Owner).await;

        let err = remove_member(&env, viewer, agent.user)
            .await
            .expect_err("viewer removes other");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = remove_member(&env, admin, co_owner.user)
            .await
            .expect_err("admin removes owner");
        assert_eq!(err.code(), Code::PermissionDenied);
        remove_member(&env, admin, agent.user)
            .await
            .expect("admin removes agent");
        let err = remove_member(&env, admin, agent.user)
            .await
            .expect_err("gone");
        assert_eq!(err.code(), Code::NotFound);
        remove_member(&env, o.owner, co_owner.user)
            .await
            .expect("owner removes owner");
        assert_eq!(
            env.members(&o).await,
            [
                (o.owner.user, Role::Owner),
                (admin.user, Role::Admin),
                (viewer.user, Role::Viewer)
            ]
        );
        let other = env.org("Other Removals").await;
        let err = env
            .client()
            .remove_member(env.req(o.owner, remove(other.id, other.owner.user)))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .remove_member(env.req(
                o.owner,
                pb::RemoveMemberRequest {
                    organisation_id: o.id.to_string(),
                    user_id: String::new(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["user_id"]);
    }
}

/// Any member may leave, even a viewer; afterwards they are no longer a member.
#[tokio::test]
async fn members_may_leave() {
    for env in envs().await {
        let o = env.org("Leaving").await;
        let viewer = env.member(&o, Role::Viewer).await;
        remove_member(&env, viewer, viewer.user)
            .await
            .expect("viewer leaves");
        assert_eq!(env.members(&o).await, [(o.owner.user, Role::Owner)]);
        let err = env
            .client()
            .get_membership(env.internal(
                None,
                None,
                pb::GetMembershipRequest {
                    organisation_id: o.id.to_string(),
                    user_id: viewer.user.to_string(),
                },
            ))
            .await
            .expect_err("left");
        assert_eq!(err.code(), Code::NotFound);
        let err = remove_member(&env, viewer, viewer.user)
            .await
            .expect_err("left already");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// ListMembers pages in joining order for any member, binds its tokens to the
/// organisation, and refuses another organisation.
#[tokio::test]
async fn list_members_pages_in_joining_order() {
    for env in envs().await {
        let o = env.org("Paging Members").await;
        let mut expected = vec![o.owner.user];
        for role in [Role::Agent, Role::Viewer, Role::Accountant] {
            expected.push(env.member(&o, role).await.user);
        }
        let viewer = Member {
            role: Role::Viewer,
            ..o.owner
        };
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = env
                .client()
                .list_members(env.req(
                    viewer,
                    pb::ListMembersRequest {
                        organisation_id: o.id.to_string(),
                        page_size: 3,
                        page_token: token,
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            pages += 1;
            seen.extend(
                page.memberships
                    .iter()
                    .map(|m| m.user_id.parse::<Uuid>().expect("user")),
            );
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(pages, 2);
        assert_eq!(seen, expected);

        let other = env.org("Other Members").await;
        let err = env
            .client()
            .list_members(env.req(
                o.owner,
                pb::ListMembersRequest {
                    organisation_id: other.id.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .list_members(env.req(
                o.owner,
                pb::ListMembersRequest {
                    organisation_id: o.id.to_string(),
                    page_size: -5,
                    page_token: "garbage".into(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["page_size", "page_token"]);
    }
}
