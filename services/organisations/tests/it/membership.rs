//! GetMembership: internal only.

use crm_kit::Role;
use crm_kit::auth::INTERNAL_SERVICE_HEADER;
use crm_proto::organisations::v1 as pb;
use tonic::Code;
use tonic::metadata::MetadataValue;
use uuid::Uuid;

use crate::support::{envs, violation_fields};

fn get(org: Uuid, user: Uuid) -> pb::GetMembershipRequest {
    pb::GetMembershipRequest {
        organisation_id: org.to_string(),
        user_id: user.to_string(),
    }
}

/// A service of the mesh reads a user's role in an organisation; a non-member is
/// NOT_FOUND; malformed ids are INVALID_ARGUMENT.
#[tokio::test]
async fn services_read_memberships() {
    for env in envs().await {
        let o = env.org("Membership").await;
        let agent = env.member(&o, Role::Agent).await;
        for (user, role) in [(o.owner.user, Role::Owner), (agent.user, Role::Agent)] {
            let m = env
                .client()
                .get_membership(env.internal(None, Some(user), get(o.id, user)))
                .await
                .expect("membership")
                .into_inner()
                .membership
                .expect("membership");
            assert_eq!(m.role, role.to_proto());
            assert_eq!(m.organisation_id, o.id.to_string());
            assert_eq!(m.user_id, user.to_string());
            assert_eq!(m.commercial_id, "");
        }
        let err = env
            .client()
            .get_membership(env.internal(None, None, get(o.id, Uuid::now_v7())))
            .await
            .expect_err("stranger");
        assert_eq!(err.code(), Code::NotFound);
        let other = env.org("Other Membership").await;
        let err = env
            .client()
            .get_membership(env.internal(None, None, get(other.id, agent.user)))
            .await
            .expect_err("not a member there");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .get_membership(env.internal(
                None,
                None,
                pb::GetMembershipRequest {
                    organisation_id: "x".into(),
                    user_id: String::new(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["organisation_id", "user_id"]);
    }
}

/// A user token, even an owner's of that very organisation, is PERMISSION_DENIED; a
/// bare x-internal-service header without a mesh token is UNAUTHENTICATED.
#[tokio::test]
async fn users_cannot_read_memberships() {
    for env in envs().await {
        let o = env.org("Private").await;
        let err = env
            .client()
            .get_membership(env.req(o.owner, get(o.id, o.owner.user)))
            .await
            .expect_err("user token");
        assert_eq!(err.code(), Code::PermissionDenied);
        let mut bare = tonic::Request::new(get(o.id, o.owner.user));
        bare.metadata_mut()
            .insert(INTERNAL_SERVICE_HEADER, MetadataValue::from_static("users"));
        let err = env
            .client()
            .get_membership(bare)
            .await
            .expect_err("bare header");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
