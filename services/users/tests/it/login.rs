//! Login: one answer for every bad credential, lockout, disabled accounts, and which
//! organisation the tokens are scoped to.

use crm_proto::common::v1::Role;
use crm_proto::organisations::v1 as orgs;
use crm_proto::users::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{PASSWORD, stacks, violations, with};

const GENERIC: &str = "invalid e-mail or password";

/// A wrong password and an unknown e-mail get exactly the same answer.
#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let wrong = stack
            .login(&ada.email, "not the password at all")
            .await
            .expect_err("wrong password");
        let unknown = stack
            .login("nobody@example.com", PASSWORD)
            .await
            .expect_err("unknown e-mail");
        assert_eq!(wrong.code(), Code::Unauthenticated);
        assert_eq!(wrong.code(), unknown.code());
        assert_eq!(wrong.message(), GENERIC);
        assert_eq!(wrong.message(), unknown.message());

        // The e-mail is matched without regard to case.
        let ok = stack
            .login(&ada.email.to_uppercase(), PASSWORD)
            .await
            .expect("login");
        assert_eq!(ok.user.expect("user").id, ada.id.to_string());
        stack.stop().await;
    }
}

/// Ten failures lock the account: even the right password is refused, with the same
/// answer, until the lock ends.
#[tokio::test]
async fn ten_failures_lock_the_account() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        for _ in 0..10 {
            stack
                .login(&ada.email, "wrong password!!")
                .await
                .expect_err("wrong");
        }
        let locked = stack.login(&ada.email, PASSWORD).await.expect_err("locked");
        assert_eq!(locked.code(), Code::Unauthenticated);
        assert_eq!(locked.message(), GENERIC);

        // The lock ending (15 minutes later) lets the right password in again.
        stack
            .set_user_column(
                ada.id,
                "locked_until",
                sea_orm::Value::ChronoDateTimeUtc(None),
            )
            .await;
        stack.login(&ada.email, PASSWORD).await.expect("unlocked");
        stack.stop().await;
    }
}

/// A successful login forgets earlier failures: nine, a success, nine more do not lock.
#[tokio::test]
async fn a_success_resets_the_failure_count() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        for _ in 0..9 {
            stack
                .login(&ada.email, "wrong password!!")
                .await
                .expect_err("wrong");
        }
        stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("ninth failure does not lock");
        for _ in 0..9 {
            stack
                .login(&ada.email, "wrong password!!")
                .await
                .expect_err("wrong");
        }
        stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("the count started again");
        stack.stop().await;
    }
}

/// A disabled account gets the generic answer, and its refresh tokens stop working.
#[tokio::test]
async fn a_disabled_account_cannot_sign_in() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        stack
            .set_user_column(ada.id, "status", "disabled".into())
            .await;
        let err = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect_err("disabled");
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!(err.message(), GENERIC);
        let err = stack
            .refresh(&ada.tokens.refresh_token)
            .await
            .expect_err("disabled");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.stop().await;
    }
}

/// Login checks the shape of every field at once.
#[tokio::test]
async fn login_reports_every_violation_at_once() {
    for stack in stacks().await {
        let err = stack
            .users()
            .login(pb::LoginRequest {
                email: String::new(),
                password: String::new(),
                totp_code: "12ab".into(),
                organisation_id: "not-a-uuid".into(),
            })
            .await
            .expect_err("bad");
        assert_eq!(
            violations(&err),
            ["email", "password", "totp_code", "organisation_id"]
        );
        stack.stop().await;
    }
}

/// Without an organisation the tokens are scoped to the first one joined; asking for one
/// the user is not a member of is PERMISSION_DENIED; with no membership at all the
/// tokens are scoped to none.
#[tokio::test]
async fn login_chooses_the_organisation() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let grace = stack.sign_up("grace").await;

        let first = stack.login(&ada.email, PASSWORD).await.expect("login");
        let tokens = first.tokens.expect("tokens");
        assert_eq!(tokens.organisation_id, ada.org.to_string());
        assert_eq!(tokens.role, Role::Owner as i32);

        let err = stack
            .users()
            .login(pb::LoginRequest {
                email: ada.email.clone(),
                password: PASSWORD.into(),
                organisation_id: grace.org.to_string(),
                ..Default::default()
            })
            .await
            .expect_err("not a member");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = stack
            .users()
            .login(pb::LoginRequest {
                email: ada.email.clone(),
                password: PASSWORD.into(),
                organisation_id: Uuid::now_v7().to_string(),
                ..Default::default()
            })
            .await
            .expect_err("no such organisation");
        assert_eq!(err.code(), Code::PermissionDenied);

        // Grace invites Ada as a viewer; Ada may now ask for Grace's organisation.
        let invitation = stack
            .orgs()
            .invite_member(with(
                &grace.tokens,
                orgs::InviteMemberRequest {
                    organisation_id: grace.org.to_string(),
                    email: ada.email.clone(),
                    role: Role::Viewer as i32,
                    request_id: String::new(),
                },
            ))
            .await
            .expect("invite")
            .into_inner();
        stack
            .orgs()
            .accept_invitation(with(
                &ada.tokens,
                orgs::AcceptInvitationRequest {
                    token: invitation.token,
                },
            ))
            .await
            .expect("accept");
        let chosen = stack
            .users()
            .login(pb::LoginRequest {
                email: ada.email.clone(),
                password: PASSWORD.into(),
                organisation_id: grace.org.to_string(),
                ..Default::default()
            })
            .await
            .expect("member")
            .into_inner()
            .tokens
            .expect("tokens");
        assert_eq!(chosen.organisation_id, grace.org.to_string());
        assert_eq!(chosen.role, Role::Viewer as i32);

        // A user who belongs to no organisation gets tokens scoped to none.
        let loner = stack.sign_up("loner").await;
        stack.delete_memberships(loner.id).await;
        let bare = stack
            .login(&loner.email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens");
        assert_eq!(bare.organisation_id, "");
        assert_eq!(bare.role, Role::Unspecified as i32);
        let me = stack
            .users()
            .get_me(with(&bare, pb::GetMeRequest {}))
            .await
            .expect("get me")
            .into_inner();
        assert_eq!(me.organisation_id, "");
        assert_eq!(me.user.expect("user").id, loner.id.to_string());
        stack.stop().await;
    }
}
