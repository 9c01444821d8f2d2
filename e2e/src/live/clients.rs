//! The clients flows: create, get, list, idempotent retry, tenant isolation, missing
//! tokens and field violations.

use std::sync::Arc;

use anyhow::Context as _;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::users::v1::GetMeRequest;
use crm_proto::users::v1::user_service_client::UserServiceClient;
use crm_testkit::authed;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use uuid::Uuid;

use super::{Live, expect_code, ok};
use crate::runner::Runner;

/// Returns a valid person with a unique e-mail.
fn person() -> pb::Client {
    pb::Client {
        kind: pb::ClientKind::Person as i32,
        first_name: "Jeanne".into(),
        last_name: "Endtoend".into(),
        email: format!("e2e-client-{}@example.com", Uuid::new_v4()),
        phone: "+33612345678".into(),
        ..Default::default()
    }
}

/// Creates a person with `token` and returns it as the service answered.
pub async fn create_person(clients: &Channel, token: &str) -> anyhow::Result<pb::Client> {
    let wanted = person();
    let created = ok(
        ClientServiceClient::new(clients.clone())
            .create_client(authed(
                token,
                pb::CreateClientRequest {
                    client: Some(wanted.clone()),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateClient",
    )?
    .client
    .context("CreateClient answered no client")?;
    anyhow::ensure!(
        Uuid::parse_str(&created.id).is_ok(),
        "CreateClient answered the id {:?}",
        created.id
    );
    anyhow::ensure!(
        created.email == wanted.email && created.last_name == wanted.last_name,
        "CreateClient answered {} {:?} for {:?}",
        created.last_name,
        created.email,
        wanted.email
    );
    Ok(created)
}

/// Adds the clients scenarios.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add("create, get and list a client", move || async move {
        create_get_list(&l).await
    });
    let l = live.clone();
    runner.add(
        "create again with the same request_id answers the same client",
        move || async move { idempotent_create(&l).await },
    );
    let l = live.clone();
    runner.add(
        "another organisation gets NOT_FOUND for the client",
        move || async move { other_organisation_not_found(&l).await },
    );
    let l = live.clone();
    runner.add(
        "no token or a bad token is UNAUTHENTICATED",
        move || async move { no_token_unauthenticated(&l).await },
    );
    let l = live.clone();
    runner.add(
        "a bad e-mail is INVALID_ARGUMENT naming client.email",
        move || async move { bad_email_invalid(&l).await },
    );
}

fn clients(live: &Live) -> ClientServiceClient<Channel> {
    ClientServiceClient::new(live.clients.clone())
}

/// A created client is answered by GetClient and appears in ListClients, both in full
/// and when searched by its e-mail.
async fn create_get_list(live: &Live) -> anyhow::Result<()> {
    let token = &live.first().await?.tokens.access_token;
    let created = live.client().await?;
    let got = ok(
        clients(live)
            .get_client(authed(
                token,
                pb::GetClientRequest {
                    client_id: created.id.clone(),
                },
            ))
            .await,
        "GetClient",
    )?
    .client
    .context("GetClient answered no client")?;
    anyhow::ensure!(
        got.id == created.id && got.email == created.email,
        "GetClient answered {} {:?} for {} {:?}",
        got.id,
        got.email,
        created.id,
        created.email
    );
    for query in [String::new(), created.email.clone()] {
        let page = ok(
            clients(live)
                .list_clients(authed(
                    token,
                    pb::ListClientsRequest {
                        page_size: 200,
                        query: query.clone(),
                        ..Default::default()
                    },
                ))
                .await,
            "ListClients",
        )?;
        anyhow::ensure!(
            page.clients.iter().any(|c| c.id == created.id),
            "ListClients (query {query:?}) does not list {} among {} clients",
            created.id,
            page.clients.len()
        );
    }
    Ok(())
}

/// Sending CreateClient twice with one request_id creates one client.
async fn idempotent_create(live: &Live) -> anyhow::Result<()> {
    let token = &live.first().await?.tokens.access_token;
    let request = pb::CreateClientRequest {
        client: Some(person()),
        request_id: Uuid::new_v4().to_string(),
    };
    let mut ids = Vec::new();
    for attempt in 1..=2 {
        let created = ok(
            clients(live)
                .create_client(authed(token, request.clone()))
                .await,
            &format!("CreateClient attempt {attempt}"),
        )?
        .client
        .context("CreateClient answered no client")?;
        ids.push(created.id);
    }
    anyhow::ensure!(
        ids[0] == ids[1],
        "one request_id created two clients: {ids:?}"
    );
    Ok(())
}

/// A member of another organisation gets NOT_FOUND for the client, like a missing one.
async fn other_organisation_not_found(live: &Live) -> anyhow::Result<()> {
    let created = live.client().await?;
    let first = live.first().await?;
    let second = live.second().await?;
    anyhow::ensure!(
        second.tokens.organisation_id != first.tokens.organisation_id,
        "both accounts act in organisation {}",
        first.tokens.organisation_id
    );
    for id in [created.id.clone(), Uuid::now_v7().to_string()] {
        let answer = clients(live)
            .get_client(authed(
                &second.tokens.access_token,
                pb::GetClientRequest { client_id: id },
            ))
            .await;
        expect_code(
            answer,
            Code::NotFound,
            "GetClient from another organisation",
        )?;
    }
    Ok(())
}

/// Calls without a token, or with a token that is not a JWT, are UNAUTHENTICATED.
async fn no_token_unauthenticated(live: &Live) -> anyhow::Result<()> {
    let created = live.client().await?;
    let answer = clients(live)
        .get_client(pb::GetClientRequest {
            client_id: created.id.clone(),
        })
        .await;
    expect_code(answer, Code::Unauthenticated, "GetClient without a token")?;
    let answer = clients(live)
        .list_clients(pb::ListClientsRequest::default())
        .await;
    expect_code(answer, Code::Unauthenticated, "ListClients without a token")?;
    let answer = clients(live)
        .list_clients(authed("not-a-jwt", pb::ListClientsRequest::default()))
        .await;
    expect_code(
        answer,
        Code::Unauthenticated,
        "ListClients with a bad token",
    )?;
    let answer = UserServiceClient::new(live.users.clone())
        .get_me(GetMeRequest {})
        .await;
    expect_code(answer, Code::Unauthenticated, "GetMe without a token")?;
    Ok(())
}

/// A client with a malformed e-mail is refused with a BadRequest naming `client.email`.
async fn bad_email_invalid(live: &Live) -> anyhow::Result<()> {
    let token = &live.first().await?.tokens.access_token;
    let answer = clients(live)
        .create_client(authed(
            token,
            pb::CreateClientRequest {
                client: Some(pb::Client {
                    email: "not-an-e-mail".into(),
                    ..person()
                }),
                request_id: Uuid::new_v4().to_string(),
            },
        ))
        .await;
    let status = expect_code(
        answer,
        Code::InvalidArgument,
        "CreateClient with a bad e-mail",
    )?;
    let fields: Vec<String> = status
        .get_details_bad_request()
        .context("INVALID_ARGUMENT without a google.rpc.BadRequest detail")?
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    anyhow::ensure!(
        fields.iter().any(|f| f == "client.email"),
        "the BadRequest names {fields:?}, not client.email"
    );
    Ok(())
}
