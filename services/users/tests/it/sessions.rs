//! Refresh, Logout, SwitchOrganisation and GetJwks: rotation with reuse detection,
//! memberships read again, and tokens other services can verify.

use crm_proto::common::v1::Role;
use crm_proto::organisations::v1 as orgs;
use crm_proto::users::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Account, PASSWORD, Stack, stacks, violations, with};

/// Invites `who` into the organisation of `owner` with `role`, and accepts.
async fn join(stack: &Stack, owner: &Account, who: &Account, role: Role) {
    let invitation = stack
        .orgs()
        .invite_member(with(
            &owner.tokens,
            orgs::InviteMemberRequest {
                organisation_id: owner.org.to_string(),
                email: who.email.clone(),
                role: role as i32,
                request_id: String::new(),
            },
        ))
        .await
        .expect("invite")
        .into_inner();
    stack
        .orgs()
        .accept_invitation(with(
            &who.tokens,
            orgs::AcceptInvitationRequest {
                token: invitation.token,
            },
        ))
        .await
        .expect("accept");
}

/// A refresh token works once; presenting it again revokes every token of its family,
/// while another sign-in's tokens keep working.
#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let other_session = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens");

        let second = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect("rotate");
        assert_ne!(second.refresh_token, ada.tokens.refresh_token);
        assert_ne!(second.access_token, ada.tokens.access_token);
        assert_eq!(second.organisation_id, ada.org.to_string());
        assert_eq!(second.role, Role::Owner as i32);
        stack
            .users()
            .get_me(with(&second, pb::GetMeRequest {}))
            .await
            .expect("the new access token works");

        let reuse = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect_err("reuse");
        assert_eq!(reuse.code(), Code::Unauthenticated);
        let revoked = stack
            .refresh(&second.refresh_token)
            .await
            .expect_err("family revoked");
        assert_eq!(revoked.code(), Code::Unauthenticated);

        stack
            .refresh(&other_session.refresh_token)
            .await
            .expect("another family is untouched");
        stack.stop().await;
    }
}

/// Refresh reads the membership again: a changed role shows in the next token, and a
/// removed member's next token is scoped to no organisation.
#[tokio::test]
async fn refresh_reads_the_membership_again() {
    for stack in stacks().await {
        let owner = stack.sign_up("owner").await;
        let member = stack.sign_up("member").await;
        join(&stack, &owner, &member, Role::Viewer).await;
        let session = stack
            .users()
            .login(pb::LoginRequest {
                email: member.email.clone(),
                password: PASSWORD.into(),
                organisation_id: owner.org.to_string(),
                ..Default::default()
            })
            .await
            .expect("login")
            .into_inner()
            .tokens
            .expect("tokens");
        assert_eq!(session.role, Role::Viewer as i32);

        stack
            .orgs()
            .update_member_role(with(
                &owner.tokens,
                orgs::UpdateMemberRoleRequest {
                    organisation_id: owner.org.to_string(),
                    user_id: member.id.to_string(),
                    role: Role::Manager as i32,
                },
            ))
            .await
            .expect("promote");
        let promoted = stack
            .refresh(&session.refresh_token)
            .await
            .expect("refresh");
        assert_eq!(promoted.organisation_id, owner.org.to_string());
        assert_eq!(promoted.role, Role::Manager as i32);

        stack
            .orgs()
            .remove_member(with(
                &owner.tokens,
                orgs::RemoveMemberRequest {
                    organisation_id: owner.org.to_string(),
                    user_id: member.id.to_string(),
                },
            ))
            .await
            .expect("remove");
        let removed = stack
            .refresh(&promoted.refresh_token)
            .await
            .expect("refresh");
        assert_eq!(removed.organisation_id, "");
        assert_eq!(removed.role, Role::Unspecified as i32);
        let me = stack
            .users()
            .get_me(with(&removed, pb::GetMeRequest {}))
            .await
            .expect("get me")
            .into_inner();
        assert_eq!(me.organisation_id, "");
        assert_eq!(me.role, Role::Unspecified as i32);
        stack.stop().await;
    }
}

/// An expired refresh token is refused, and forgotten at the user's next sign-in.
#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        stack
            .set_column(
                "refresh_tokens",
                "user_id",
                ada.id,
                "expires_at",
                sea_orm::Value::ChronoDateTimeUtc(Some(past)),
            )
            .await;
        let err = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect_err("expired");
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!(err.message(), "refresh token expired");
        let fresh = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens");
        let err = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect_err("forgotten");
        assert_eq!(err.message(), "invalid refresh token");
        stack.refresh(&fresh.refresh_token).await.expect("fresh");
        stack.stop().await;
    }
}

/// Empty and malformed refresh tokens are INVALID_ARGUMENT; a well-formed unknown one is
/// UNAUTHENTICATED for Refresh and a no-op for Logout.
#[tokio::test]
async fn refresh_and_logout_check_their_tokens() {
    for stack in stacks().await {
        for bad in ["", "not-a-token"] {
            let err = stack.refresh(bad).await.expect_err("bad");
            assert_eq!(violations(&err), ["refresh_token"]);
            let err = stack
                .users()
                .logout(pb::LogoutRequest {
                    refresh_token: bad.into(),
                })
                .await
                .expect_err("bad");
            assert_eq!(violations(&err), ["refresh_token"]);
        }
        let unknown = "A".repeat(43);
        let err = stack.refresh(&unknown).await.expect_err("unknown");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack
            .users()
            .logout(pb::LogoutRequest {
                refresh_token: unknown,
            })
            .await
            .expect("unknown tokens are already signed out");
        stack.stop().await;
    }
}

/// Logout ends the session: its refresh token, and those rotated from it, stop working;
/// logging out twice is fine.
#[tokio::test]
async fn logout_revokes_the_session() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let rotated = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect("rotate");
        for _ in 0..2 {
            stack
                .users()
                .logout(pb::LogoutRequest {
                    refresh_token: rotated.refresh_token.clone(),
                })
                .await
                .expect("logout");
        }
        let err = stack
            .refresh(&rotated.refresh_token)
            .await
            .expect_err("signed out");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.stop().await;
    }
}

/// SwitchOrganisation scopes new tokens to an organisation the caller belongs to, with
/// the role there; any other organisation is PERMISSION_DENIED.
#[tokio::test]
async fn switch_organisation_needs_a_membership() {
    for stack in stacks().await {
        let owner = stack.sign_up("owner").await;
        let agent = stack.sign_up("agent").await;
        join(&stack, &owner, &agent, Role::Agent).await;

        let switched = stack
            .users()
            .switch_organisation(with(
                &agent.tokens,
                pb::SwitchOrganisationRequest {
                    organisation_id: owner.org.to_string(),
                },
            ))
            .await
            .expect("switch")
            .into_inner()
            .tokens
            .expect("tokens");
        assert_eq!(switched.organisation_id, owner.org.to_string());
        assert_eq!(switched.role, Role::Agent as i32);
        assert_ne!(switched.refresh_token, agent.tokens.refresh_token);
        let me = stack
            .users()
            .get_me(with(&switched, pb::GetMeRequest {}))
            .await
            .expect("get me")
            .into_inner();
        assert_eq!(me.organisation_id, owner.org.to_string());
        assert_eq!(me.role, Role::Agent as i32);
        // The new pair is a new family: the old session still refreshes.
        stack
            .refresh(&agent.tokens.refresh_token)
            .await
            .expect("old session");
        stack
            .refresh(&switched.refresh_token)
            .await
            .expect("new session");

        let stranger = stack.sign_up("stranger").await;
        for org in [stranger.org, Uuid::now_v7()] {
            let err = stack
                .users()
                .switch_organisation(with(
                    &agent.tokens,
                    pb::SwitchOrganisationRequest {
                        organisation_id: org.to_string(),
                    },
                ))
                .await
                .expect_err("not a member");
            assert_eq!(err.code(), Code::PermissionDenied);
        }
        let err = stack
            .users()
            .switch_organisation(with(
                &agent.tokens,
                pb::SwitchOrganisationRequest {
                    organisation_id: "x".into(),
                },
            ))
            .await
            .expect_err("bad id");
        assert_eq!(violations(&err), ["organisation_id"]);
        let err = stack
            .users()
            .switch_organisation(pb::SwitchOrganisationRequest {
                organisation_id: owner.org.to_string(),
            })
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.stop().await;
    }
}

/// The JWKS verifies the access tokens the service issues, with their claims.
#[tokio::test]
async fn the_jwks_verifies_issued_tokens() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let keys = stack
            .users()
            .get_jwks(pb::GetJwksRequest {})
            .await
            .expect("jwks")
            .into_inner()
            .keys;
        assert_eq!(keys.len(), 1);
        let jwk = &keys[0];
        assert_eq!(
            (
                jwk.kty.as_str(),
                jwk.crv.as_str(),
                jwk.alg.as_str(),
                jwk.r#use.as_str()
            ),
            ("OKP", "Ed25519", "EdDSA", "sig")
        );
        assert_eq!(jwk.kid, stack.keys.signer.kid());

        let header = jsonwebtoken::decode_header(&ada.tokens.access_token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(jwk.kid.as_str()));
        let key = jsonwebtoken::DecodingKey::from_ed_components(&jwk.x).expect("key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&["crm-users"]);
        validation.set_audience(&["crm"]);
        let claims =
            jsonwebtoken::decode::<serde_json::Value>(&ada.tokens.access_token, &key, &validation)
                .expect("verifies")
                .claims;
        assert_eq!(claims["sub"], ada.id.to_string());
        assert_eq!(claims["org"], ada.org.to_string());
        assert_eq!(claims["role"], "owner");

        // A token signed by another key does not verify with this JWKS.
        let (stranger, _) = crm_kit::auth::TokenSigner::generate().expect("key");
        let foreign = stranger
            .sign(&crm_kit::auth::AccessClaims::new(
                ada.id,
                None,
                None,
                chrono::Utc::now().timestamp(),
            ))
            .expect("sign");
        assert!(jsonwebtoken::decode::<serde_json::Value>(&foreign, &key, &validation).is_err());
        stack.stop().await;
    }
}
