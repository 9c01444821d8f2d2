//! UpdateProfile and ChangePassword.

use crm_proto::users::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{PASSWORD, stacks, violations, with};

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// UpdateProfile changes the display name and nothing else.
#[tokio::test]
async fn update_profile_changes_only_the_display_name() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let updated = stack
            .users()
            .update_profile(with(
                &ada.tokens,
                pb::UpdateProfileRequest {
                    user: Some(pb::User {
                        display_name: "  Countess of Lovelace ".into(),
                        email: "ignored@example.com".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["display_name"]),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .user
            .expect("user");
        assert_eq!(updated.display_name, "Countess of Lovelace");
        assert_eq!(updated.email, ada.email);
        let me = stack
            .users()
            .get_me(with(&ada.tokens, pb::GetMeRequest {}))
            .await
            .expect("me")
            .into_inner()
            .user
            .expect("user");
        assert_eq!(me, updated);
        assert!(me.update_time.expect("time").seconds >= me.create_time.expect("time").seconds);

        let err = stack
            .users()
            .update_profile(with(
                &ada.tokens,
                pb::UpdateProfileRequest {
                    user: Some(pb::User {
                        display_name: String::new(),
                        id: Uuid::now_v7().to_string(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["display_name", "email", "status"]),
                },
            ))
            .await
            .expect_err("bad");
        assert_eq!(
            violations(&err),
            [
                "user.id",
                "user.display_name",
                "update_mask.paths[1]",
                "update_mask.paths[2]"
            ]
        );
        // Without a mask, every field set is named: e-mail is refused.
        let err = stack
            .users()
            .update_profile(with(
                &ada.tokens,
                pb::UpdateProfileRequest {
                    user: Some(pb::User {
                        email: "new@example.com".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("email");
        assert_eq!(violations(&err), ["update_mask.paths[0]"]);
        let err = stack
            .users()
            .update_profile(pb::UpdateProfileRequest::default())
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.stop().await;
    }
}

/// ChangePassword needs the current password, checks the new one, and signs out every
/// session: all refresh tokens stop working and only the new password signs in.
#[tokio::test]
async fn change_password_revokes_every_session() {
    for stack in stacks().await {
        let ada = stack.sign_up("ada").await;
        let other = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens");
        let new_password = "a completely new passphrase";

        let err = stack
            .users()
            .change_password(with(
                &ada.tokens,
                pb::ChangePasswordRequest {
                    current_password: "not the password".into(),
                    new_password: new_password.into(),
                },
            ))
            .await
            .expect_err("wrong current");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = stack
            .users()
            .change_password(with(
                &ada.tokens,
                pb::ChangePasswordRequest {
                    current_password: String::new(),
                    new_password: "short".into(),
                },
            ))
            .await
            .expect_err("bad");
        assert_eq!(violations(&err), ["current_password", "new_password"]);
        // Nothing changed so far.
        stack
            .refresh(&other.refresh_token)
            .await
            .expect("still signed in");
        let other = stack
            .login(&ada.email, PASSWORD)
            .await
            .expect("login")
            .tokens
            .expect("tokens");

        stack
            .users()
            .change_password(with(
                &ada.tokens,
                pb::ChangePasswordRequest {
                    current_password: PASSWORD.into(),
                    new_password: new_password.into(),
                },
            ))
            .await
            .expect("change");
        for token in [&ada.tokens.refresh_token, &other.refresh_token] {
            let err = stack.refresh(token).await.expect_err("revoked");
            assert_eq!(err.code(), Code::Unauthenticated);
        }
        let err = stack.login(&ada.email, PASSWORD).await.expect_err("old");
        assert_eq!(err.code(), Code::Unauthenticated);
        stack.login(&ada.email, new_password).await.expect("new");
        stack.stop().await;
    }
}
