//! The second factor: enrolment, confirmation, login with codes, replay, disabling.

use crm_proto::users::v1 as pb;
use tonic::Code;

use crate::support::{Authenticator, PASSWORD, stacks, violations, with};

/// The whole TOTP life: enrol, confirm, sign in with a code (not without, not with a
/// wrong or replayed one), and disable with the password and a code.
#[tokio::test]
async fn totp_enrol_confirm_login_disable() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let users = || stack.users();

        let err = users()
            .confirm_totp(with(
                &ada.tokens,
                pb::ConfirmTotpRequest {
                    code: "123456".into(),
                },
            ))
            .await
            .expect_err("nothing to confirm");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = users()
            .disable_totp(with(
                &ada.tokens,
                pb::DisableTotpRequest {
                    password: PASSWORD.into(),
                    code: "123456".into(),
                },
            ))
            .await
            .expect_err("not enabled");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // Enrolling twice replaces the pending secret: only the last one confirms.
        let stale = users()
            .enroll_totp(with(&ada.tokens, pb::EnrollTotpRequest {}))
            .await
            .expect("enrol")
            .into_inner();
        let enrolment = users()
            .enroll_totp(with(&ada.tokens, pb::EnrollTotpRequest {}))
            .await
            .expect("enrol again")
            .into_inner();
        assert_ne!(stale.secret, enrolment.secret);
        assert!(
            enrolment.otpauth_url.starts_with("otpauth://totp/CRM:ada."),
            "{}",
            enrolment.otpauth_url
        );
        assert!(
            enrolment
                .otpauth_url
                .contains(&format!("secret={}", enrolment.secret))
        );
        assert!(enrolment.otpauth_url.contains("issuer=CRM"));
        let stored = stack
            .user_text(ada.id, "totp_pending")
            .await
            .expect("pending");
        assert!(!stored.contains(&enrolment.secret), "sealed at rest");

        let app = Authenticator::new(&enrolment.secret);
        let old_app = Authenticator::new(&stale.secret);
        let err = users()
            .confirm_totp(with(
                &ada.tokens,
                pb::ConfirmTotpRequest {
                    code: old_app.code(0).await,
                },
            ))
            .await
            .expect_err("stale secret");
        assert_eq!(violations(&err), ["code"]);
        let err = users()
            .confirm_totp(with(
                &ada.tokens,
                pb::ConfirmTotpRequest { code: "12".into() },
            ))
            .await
            .expect_err("malformed");
        assert_eq!(violations(&err), ["code"]);
        users()
            .confirm_totp(with(
                &ada.tokens,
                pb::ConfirmTotpRequest {
                    code: app.code(-1).await,
                },
            ))
            .await
            .expect("confirm");
        assert!(stack.user_text(ada.id, "totp_pending").await.is_none());
        let me = users()
            .get_me(with(&ada.tokens, pb::GetMeRequest {}))
            .await
            .expect("me")
            .into_inner()
            .user
            .expect("user");
        assert!(me.totp_enabled);
        let err = users()
            .enroll_totp(with(&ada.tokens, pb::EnrollTotpRequest {}))
            .await
            .expect_err("already enabled");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // The password alone no longer signs in; a wrong password still says nothing
        // about the second factor.
        let err = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect_err("no code");
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!(err.message(), "totp code required");
        let err = stack
            .login(&ada.email, "wrong password!!")
            .await
            .expect_err("wrong password");
        assert_eq!(err.message(), "invalid e-mail or password");
        let login = |code: String| {
            let mut client = stack.users();
            let email = ada.email.clone();
            async move {
                client
                    .login(pb::LoginRequest {
                        email,
                        password: PASSWORD.into(),
                        totp_code: code,
                        organisation_id: String::new(),
                    })
                    .await
            }
        };
        let err = login(app.code(5).await).await.expect_err("wrong code");
        assert_eq!(err.code(), Code::Unauthenticated);
        assert_eq!(err.message(), "invalid totp code");
        let code = app.code(0).await;
        let session = login(code.clone())
            .await
            .expect("login with code")
            .into_inner();
        assert!(session.user.expect("user").totp_enabled);
        let err = login(code).await.expect_err("replayed code");
        assert_eq!(err.message(), "invalid totp code");

        // Disabling needs both the password and a current code.
        let err = users()
            .disable_totp(with(
                &ada.tokens,
                pb::DisableTotpRequest {
                    password: "wrong password!!".into(),
                    code: app.code(1).await,
                },
            ))
            .await
            .expect_err("wrong password");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = users()
            .disable_totp(with(&ada.tokens, pb::DisableTotpRequest::default()))
            .await
            .expect_err("empty");
        assert_eq!(violations(&err), ["password", "code"]);
        users()
            .disable_totp(with(
                &ada.tokens,
                pb::DisableTotpRequest {
                    password: PASSWORD.into(),
                    code: app.code(1).await,
                },
            ))
            .await
            .expect("disable");
        assert!(stack.user_text(ada.id, "totp_secret").await.is_none());
        stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("password alone again");
        stack.stop().await;
    }
}
