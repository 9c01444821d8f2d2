//! SignUp and GetMe: the account, its organisation, its first tokens, and the checks.

use crm_proto::common::v1::Role;
use crm_proto::organisations::v1 as orgs;
use crm_proto::users::v1 as pb;
use sea_orm::{ConnectionTrait as _, Statement};
use tonic::Code;

use crate::support::{PASSWORD, spawn_users, stacks, violations, with};

/// Signing up creates the account and an organisation it owns, and returns owner tokens
/// that GetMe and the organisations service accept.
#[tokio::test]
async fn sign_up_returns_owner_tokens_that_get_me_accepts() {
    for stack in stacks().await {
        let response = stack
            .users()
            .sign_up(pb::SignUpRequest {
                email: " Ada@Example.COM ".into(),
                password: PASSWORD.into(),
                display_name: " Ada Lovelace ".into(),
                organisation_name: "Analytical Engines".into(),
            })
            .await
            .expect("sign up")
            .into_inner();
        let user = response.user.expect("user");
        let tokens = response.tokens.expect("tokens");
        assert_eq!(user.email, "Ada@example.com");
        assert_eq!(user.display_name, "Ada Lovelace");
        assert_eq!(user.status, pb::UserStatus::Active as i32);
        assert!(!user.totp_enabled);
        assert!(user.email_verified_time.is_none());
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.role, Role::Owner as i32);
        assert!(!tokens.refresh_token.is_empty());
        let access_expiry = tokens.access_token_expire_time.expect("expiry").seconds;
        let refresh_expiry = tokens.refresh_token_expire_time.expect("expiry").seconds;
        let now = chrono::Utc::now().timestamp();
        assert!((access_expiry - now - 15 * 60).abs() < 60);
        assert!((refresh_expiry - now - 30 * 24 * 3600).abs() < 60);

        let me = stack
            .users()
            .get_me(with(&tokens, pb::GetMeRequest {}))
            .await
            .expect("get me")
            .into_inner();
        assert_eq!(me.user, Some(user.clone()));
        assert_eq!(me.organisation_id, tokens.organisation_id);
        assert_eq!(me.role, Role::Owner as i32);

        let org = stack
            .orgs()
            .get_organisation(with(
                &tokens,
                orgs::GetOrganisationRequest {
                    organisation_id: tokens.organisation_id.clone(),
                },
            ))
            .await
            .expect("the organisation exists")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org.name, "Analytical Engines");

        let err = stack
            .users()
            .get_me(pb::GetMeRequest {})
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.stop().await;
    }
}

/// An e-mail address is taken whatever its case.
#[tokio::test]
async fn a_taken_email_is_refused_whatever_its_case() {
    for stack in stacks().await {
        let first = stack.sign_up("grace").await;
        let err = stack
            .users()
            .sign_up(pb::SignUpRequest {
                email: first.email.to_uppercase(),
                password: PASSWORD.into(),
                display_name: "Grace again".into(),
                organisation_name: "Second".into(),
            })
            .await
            .expect_err("taken");
        assert_eq!(err.code(), Code::AlreadyExists);
        stack.stop().await;
    }
}

/// Every bad field of a sign-up is reported in one answer.
#[tokio::test]
async fn sign_up_reports_every_violation_at_once() {
    for stack in stacks().await {
        let err = stack
            .users()
            .sign_up(pb::SignUpRequest::default())
            .await
            .expect_err("empty");
        assert_eq!(
            violations(&err),
            ["email", "password", "display_name", "organisation_name"]
        );
        let err = stack
            .users()
            .sign_up(pb::SignUpRequest {
                email: "ada@localhost".into(),
                password: "short".into(),
                display_name: "x".repeat(101),
                organisation_name: "y".repeat(201),
            })
            .await
            .expect_err("bad");
        assert_eq!(
            violations(&err),
            ["email", "password", "display_name", "organisation_name"]
        );
        let err = stack
            .users()
            .sign_up(pb::SignUpRequest {
                email: "ada@example.com".into(),
                password: "p".repeat(129),
                display_name: "Ada".into(),
                organisation_name: "Org".into(),
            })
            .await
            .expect_err("long password");
        assert_eq!(violations(&err), ["password"]);
        stack.stop().await;
    }
}

/// When the organisations service cannot be reached, sign-up answers UNAVAILABLE and
/// leaves no account behind: the same address can sign up once it is back.
#[tokio::test]
async fn a_failed_sign_up_leaves_nothing_behind() {
    for stack in stacks().await {
        let db = crm_testkit::fresh(stack.users_db.backend)
            .await
            .expect("database");
        // Nothing listens on port 1.
        let (dead, _dir) = spawn_users(&stack.keys, &db, "http://127.0.0.1:1").await;
        let mut client =
            crm_proto::users::v1::user_service_client::UserServiceClient::new(dead.channel.clone());
        let request = pb::SignUpRequest {
            email: "orphan@example.com".into(),
            password: PASSWORD.into(),
            display_name: "Orphan".into(),
            organisation_name: "Nowhere".into(),
        };
        let err = client
            .sign_up(request.clone())
            .await
            .expect_err("organisations down");
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
        let rows = db
            .db
            .query_one_raw(Statement::from_string(
                db.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM users",
            ))
            .await
            .expect("count")
            .expect("row");
        let n: i64 = rows.try_get("", "n").expect("n");
        assert_eq!(n, 0);
        let err = client
            .login(pb::LoginRequest {
                email: request.email.clone(),
                password: PASSWORD.into(),
                ..Default::default()
            })
            .await
            .expect_err("no account");
        assert_eq!(err.code(), Code::Unauthenticated);
        dead.stop().await.expect("stop");

        // The live stack accepts the same address.
        let created = stack.users().sign_up(request).await.expect("sign up");
        assert!(created.into_inner().tokens.is_some());
        stack.stop().await;
    }
}
