//! Accounts and sessions: sign-up, GetMe, the organisation made at sign-up, login,
//! and refresh-token rotation with reuse detection.

use std::sync::Arc;

use anyhow::Context as _;
use crm_proto::common::v1::Role;
use crm_proto::organisations::v1::GetOrganisationRequest;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use crm_proto::users::v1::user_service_client::UserServiceClient;
use crm_proto::users::v1::{
    GetMeRequest, GetMeResponse, LoginRequest, RefreshRequest, SignUpRequest, TokenPair,
};
use crm_testkit::authed;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use super::{Account, Live, expect_code, ok};
use crate::runner::Runner;

/// Signs up a new user with a unique e-mail and returns it with its tokens.
pub async fn sign_up(users: &Channel, label: &str) -> anyhow::Result<Account> {
    let id = Uuid::new_v4();
    let email = format!("e2e-{id}@example.com");
    let password = format!("e2e-password-{}", id.simple());
    let organisation_name = format!("E2E {label} {}", &id.simple().to_string()[..8]);
    let answer = ok(
        UserServiceClient::new(users.clone())
            .sign_up(SignUpRequest {
                email: email.clone(),
                password: password.clone(),
                display_name: format!("E2E {label}"),
                organisation_name: organisation_name.clone(),
            })
            .await,
        &format!("SignUp {email}"),
    )?;
    let user = answer.user.context("SignUp answered no user")?;
    let tokens = answer.tokens.context("SignUp answered no tokens")?;
    anyhow::ensure!(
        !tokens.access_token.is_empty() && !tokens.refresh_token.is_empty(),
        "SignUp answered an empty token"
    );
    anyhow::ensure!(
        tokens.role == Role::Owner as i32,
        "SignUp's tokens carry role {}, not OWNER",
        tokens.role
    );
    anyhow::ensure!(
        user.email.eq_ignore_ascii_case(&email),
        "SignUp answered the user {:?}",
        user.email
    );
    Ok(Account {
        email,
        password,
        user_id: user.id,
        organisation_name,
        tokens,
    })
}

/// Adds the sign-up scenarios (they run before the clients scenarios).
pub fn add_sign_up(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "sign up gives tokens; GetMe answers the user",
        move || async move { sign_up_then_get_me(&l).await },
    );
    let l = live.clone();
    runner.add(
        "organisations serves the organisation made at sign-up",
        move || async move { organisation_of_sign_up(&l).await },
    );
}

/// Adds the session scenarios (they run last).
pub fn add_sessions(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "login acts in the same organisation; a wrong password is UNAUTHENTICATED",
        move || async move { login_same_organisation(&l).await },
    );
    let l = live.clone();
    runner.add(
        "refresh rotates; reusing the old refresh token is UNAUTHENTICATED",
        move || async move { refresh_rotates(&l).await },
    );
    let l = live.clone();
    runner.add(
        "reusing a refresh token revokes the tokens rotated from it",
        move || async move { reuse_revokes_family(&l).await },
    );
}

fn users(live: &Live) -> UserServiceClient<Channel> {
    UserServiceClient::new(live.users.clone())
}

/// Checks that GetMe with `tokens` answers `account`'s user in the tokens' organisation;
/// returns its answer.
async fn get_me_is(
    live: &Live,
    tokens: &TokenPair,
    account: &Account,
) -> anyhow::Result<GetMeResponse> {
    let me = ok(
        users(live)
            .get_me(authed(&tokens.access_token, GetMeRequest {}))
            .await,
        "GetMe",
    )?;
    let user = me.user.as_ref().context("GetMe answered no user")?;
    anyhow::ensure!(
        user.id == account.user_id,
        "GetMe answered user {} instead of {}",
        user.id,
        account.user_id
    );
    anyhow::ensure!(
        me.organisation_id == tokens.organisation_id,
        "GetMe answered organisation {} instead of {}",
        me.organisation_id,
        tokens.organisation_id
    );
    Ok(me)
}

/// SignUp gives an owner token pair; GetMe with it names the user, its organisation and
/// the owner role.
async fn sign_up_then_get_me(live: &Live) -> anyhow::Result<()> {
    let first = live.first().await?;
    anyhow::ensure!(
        Uuid::parse_str(&first.tokens.organisation_id).is_ok(),
        "SignUp's tokens name the organisation {:?}",
        first.tokens.organisation_id
    );
    let me = get_me_is(live, &first.tokens, first).await?;
    anyhow::ensure!(
        me.role == Role::Owner as i32,
        "GetMe answered role {}",
        me.role
    );
    Ok(())
}

/// The organisation SignUp made exists in the organisations service under its name.
async fn organisation_of_sign_up(live: &Live) -> anyhow::Result<()> {
    let first = live.first().await?;
    let answer = ok(
        OrganisationServiceClient::new(live.organisations.clone())
            .get_organisation(authed(
                &first.tokens.access_token,
                GetOrganisationRequest {
                    organisation_id: first.tokens.organisation_id.clone(),
                },
            ))
            .await,
        "GetOrganisation",
    )?;
    let organisation = answer
        .organisation
        .context("GetOrganisation answered no organisation")?;
    anyhow::ensure!(
        organisation.id == first.tokens.organisation_id
            && organisation.name == first.organisation_name,
        "GetOrganisation answered {} {:?}, expected {} {:?}",
        organisation.id,
        organisation.name,
        first.tokens.organisation_id,
        first.organisation_name
    );
    Ok(())
}

async fn login(live: &Live, email: &str, password: &str) -> Result<TokenPair, tonic::Status> {
    let answer = users(live)
        .login(LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            totp_code: String::new(),
            organisation_id: String::new(),
        })
        .await?
        .into_inner();
    answer
        .tokens
        .ok_or_else(|| tonic::Status::internal("Login answered no tokens"))
}

/// Login with the password gives tokens for the organisation of sign-up that GetMe
/// accepts; a wrong password and an unknown e-mail get the same UNAUTHENTICATED.
async fn login_same_organisation(live: &Live) -> anyhow::Result<()> {
    let first = live.first().await?;
    let tokens = login(live, &first.email, &first.password)
        .await
        .map_err(|s| anyhow::anyhow!("Login: {}", super::describe(&s)))?;
    anyhow::ensure!(
        tokens.organisation_id == first.tokens.organisation_id,
        "Login acts in {} instead of {}",
        tokens.organisation_id,
        first.tokens.organisation_id
    );
    get_me_is(live, &tokens, first).await?;

    let wrong = login(live, &first.email, "not-the-password-at-all").await;
    let unknown = login(
        live,
        &format!("e2e-nobody-{}@example.com", Uuid::new_v4()),
        &first.password,
    )
    .await;
    for (what, answer) in [("wrong password", &wrong), ("unknown e-mail", &unknown)] {
        match answer {
            Err(s) if s.code() == Code::Unauthenticated => {}
            Err(s) => anyhow::bail!("Login with a {what}: {}", super::describe(s)),
            Ok(_) => anyhow::bail!("Login with a {what} succeeded"),
        }
    }
    if let (Err(a), Err(b)) = (&wrong, &unknown) {
        anyhow::ensure!(
            a.message() == b.message(),
            "a wrong password ({:?}) and an unknown e-mail ({:?}) answer differently",
            a.message(),
            b.message()
        );
    }
    Ok(())
}

async fn refresh(live: &Live, refresh_token: &str) -> Result<TokenPair, tonic::Status> {
    users(live)
        .refresh(RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        })
        .await?
        .into_inner()
        .tokens
        .ok_or_else(|| tonic::Status::internal("Refresh answered no tokens"))
}

/// Refresh gives a new pair whose access token works; the spent refresh token then gets
/// UNAUTHENTICATED.
async fn refresh_rotates(live: &Live) -> anyhow::Result<()> {
    let first = live.first().await?;
    let session = login(live, &first.email, &first.password)
        .await
        .map_err(|s| anyhow::anyhow!("Login: {}", super::describe(&s)))?;
    let rotated = refresh(live, &session.refresh_token)
        .await
        .map_err(|s| anyhow::anyhow!("Refresh: {}", super::describe(&s)))?;
    anyhow::ensure!(
        rotated.refresh_token != session.refresh_token,
        "Refresh answered the same refresh token"
    );
    anyhow::ensure!(
        rotated.organisation_id == session.organisation_id,
        "Refresh moved the session to organisation {}",
        rotated.organisation_id
    );
    get_me_is(live, &rotated, first).await?;
    let reused = users(live)
        .refresh(RefreshRequest {
            refresh_token: session.refresh_token.clone(),
        })
        .await;
    expect_code(reused, Code::Unauthenticated, "Refresh with a spent token")?;
    Ok(())
}

/// Once a spent refresh token is shown again, the token rotated from it stops working
/// too (the whole family is revoked).
async fn reuse_revokes_family(live: &Live) -> anyhow::Result<()> {
    let first = live.first().await?;
    let session = login(live, &first.email, &first.password)
        .await
        .map_err(|s| anyhow::anyhow!("Login: {}", super::describe(&s)))?;
    let rotated = refresh(live, &session.refresh_token)
        .await
        .map_err(|s| anyhow::anyhow!("Refresh: {}", super::describe(&s)))?;
    let reused = users(live)
        .refresh(RefreshRequest {
            refresh_token: session.refresh_token.clone(),
        })
        .await;
    expect_code(reused, Code::Unauthenticated, "Refresh with a spent token")?;
    let after = users(live)
        .refresh(RefreshRequest {
            refresh_token: rotated.refresh_token.clone(),
        })
        .await;
    expect_code(
        after,
        Code::Unauthenticated,
        "Refresh with the token rotated from a reused one",
    )?;
    Ok(())
}
