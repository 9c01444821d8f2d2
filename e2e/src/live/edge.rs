//! The flows again, as a browser or an integrator with curl sees them: JSON over HTTP
//! through the edge, and gRPC, reflection and health through the edge's one port.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use uuid::Uuid;

use super::Live;
use crate::runner::Runner;

/// Every gRPC service the platform runs today.
const SERVICES: [&str; 13] = [
    "crm.users.v1.UserService",
    "crm.organisations.v1.OrganisationService",
    "crm.clients.v1.ClientService",
    "crm.activites.v1.ActivityService",
    "crm.referentiel.v1.ReferentielService",
    "crm.products.v1.ProductService",
    "crm.commerciaux.v1.CommercialService",
    "crm.calendar.v1.CalendarService",
    "crm.contrats.v1.ContractService",
    "crm.payments.v1.PaymentService",
    "crm.factures.v1.InvoiceService",
    "crm.retry.v1.RetryService",
    "crm.commission.v1.CommissionService",
];

/// An HTTP/1.1 client of the edge.
#[derive(Debug, Clone)]
pub struct EdgeClient {
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

/// An answer of the edge.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body, parsed when it is JSON (else Null).
    pub json: Value,
}

impl EdgeClient {
    /// Returns a client of the edge at `base` (`http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends a request; `token` goes in `Authorization`, `body` as JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> anyhow::Result<Answer> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let body = match body {
            Some(v) => {
                request = request.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(body))?;
        let response = tokio::time::timeout(super::CALL_TIMEOUT, self.http.request(request))
            .await
            .with_context(|| format!("{method} {path}: no answer in time"))?
            .with_context(|| format!("{method} {path} at {}", self.base))?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }
}

fn expect(answer: &Answer, status: StatusCode, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        answer.status == status,
        "{what}: expected {status}, got {} {}",
        answer.status,
        answer.json
    );
    Ok(())
}

/// Checks an error answer: the status, a google.rpc.Status body with `code`.
fn expect_error(answer: &Answer, status: StatusCode, code: i64, what: &str) -> anyhow::Result<()> {
    expect(answer, status, what)?;
    anyhow::ensure!(
        answer.json["code"] == code && answer.json["message"].is_string(),
        "{what}: the body is not a google.rpc.Status with code {code}: {}",
        answer.json
    );
    Ok(())
}

/// Adds the edge scenarios.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "edge: sign up, log in and read the profile as JSON",
        move || async move { accounts(&l).await },
    );
    let l = live.clone();
    runner.add(
        "edge: create (201, Idempotency-Key), get, PATCH with the mask from the body, list, archive",
        move || async move { client_lifecycle(&l).await },
    );
    let l = live.clone();
    runner.add(
        "edge: errors are google.rpc.Status JSON under grpc-gateway's HTTP statuses",
        move || async move { errors(&l).await },
    );
    let l = live.clone();
    runner.add(
        "edge: gRPC, reflection of every service and their health through one port",
        move || async move { one_door(&l).await },
    );
    let l = live.clone();
    runner.add("edge: /openapi.json and /docs", move || async move {
        docs(&l).await
    });
}

async fn accounts(live: &Live) -> anyhow::Result<()> {
    let edge = EdgeClient::new(&live.endpoints.edge);
    let email = format!("e2e-edge-{}@example.com", Uuid::new_v4());
    let password = "edge-password-2026";
    let signed = edge
        .send(
            Method::POST,
            "/v1/users:signUp",
            None,
            &[],
            Some(json!({"email": email, "password": password, "displayName": "Edge User", "organisationName": "Edge Org"})),
        )
        .await?;
    expect(&signed, StatusCode::OK, "POST /v1/users:signUp")?;
    anyhow::ensure!(
        signed.json["user"]["email"] == email.as_str(),
        "sign-up answered {}",
        signed.json
    );
    let logged = edge
        .send(
            Method::POST,
            "/v1/auth:login",
            None,
            &[],
            Some(json!({"email": email, "password": password})),
        )
        .await?;
    expect(&logged, StatusCode::OK, "POST /v1/auth:login")?;
    let token = logged.json["tokens"]["accessToken"]
        .as_str()
        .context("login answered no tokens.accessToken")?
        .to_owned();
    anyhow::ensure!(
        logged.json["tokens"]["accessTokenExpireTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "timestamps are RFC 3339: {}",
        logged.json["tokens"]
    );
    let me = edge
        .send(Method::GET, "/v1/users/me", Some(&token), &[], None)
        .await?;
    expect(&me, StatusCode::OK, "GET /v1/users/me")?;
    anyhow::ensure!(
        me.json["user"]["email"] == email.as_str(),
        "GetMe answered {}",
        me.json
    );
    let wrong = edge
        .send(
            Method::POST,
            "/v1/auth:login",
            None,
            &[],
            Some(json!({"email": email, "password": "not-the-password"})),
        )
        .await?;
    expect_error(
        &wrong,
        StatusCode::UNAUTHORIZED,
        16,
        "login with a wrong password",
    )?;
    Ok(())
}

async fn client_lifecycle(live: &Live) -> anyhow::Result<()> {
    let edge = EdgeClient::new(&live.endpoints.edge);
    let token = live.first().await?.tokens.access_token.clone();
    let key = Uuid::new_v4().to_string();
    let email = format!("e2e-edge-client-{}@example.com", Uuid::new_v4());
    let body = json!({"kind": "CLIENT_KIND_PERSON", "firstName": "Grace", "lastName": "Hopper", "email": email});
    let created = edge
        .send(
            Method::POST,
            "/v1/clients",
            Some(&token),
            &[("idempotency-key", &key)],
            Some(body.clone()),
        )
        .await?;
    expect(&created, StatusCode::CREATED, "POST /v1/clients")?;
    let id = created.json["client"]["id"]
        .as_str()
        .context("no client.id")?
        .to_owned();
    anyhow::ensure!(
        created.json["client"]["version"] == "1",
        "int64 fields are strings: {}",
        created.json["client"]
    );
    anyhow::ensure!(
        created.headers.contains_key("x-request-id"),
        "no X-Request-Id"
    );

    let again = edge
        .send(
            Method::POST,
            "/v1/clients",
            Some(&token),
            &[("idempotency-key", &key)],
            Some(body),
        )
        .await?;
    anyhow::ensure!(
        again.status.is_success() && again.json["client"]["id"] == id.as_str(),
        "a retry with the same Idempotency-Key made another client: {} {}",
        again.status,
        again.json
    );

    let got = edge
        .send(
            Method::GET,
            &format!("/v1/clients/{id}"),
            Some(&token),
            &[],
            None,
        )
        .await?;
    expect(&got, StatusCode::OK, "GET /v1/clients/{id}")?;
    anyhow::ensure!(
        got.json["client"]["lastName"] == "Hopper",
        "got {}",
        got.json
    );

    let patched = edge
        .send(
            Method::PATCH,
            &format!("/v1/clients/{id}"),
            Some(&token),
            &[],
            Some(json!({"firstName": "Amazing Grace", "version": "1"})),
        )
        .await?;
    expect(&patched, StatusCode::OK, "PATCH /v1/clients/{id}")?;
    anyhow::ensure!(
        patched.json["client"]["firstName"] == "Amazing Grace"
            && patched.json["client"]["lastName"] == "Hopper",
        "PATCH changed more or less than the body's keys: {}",
        patched.json
    );

    // Query parameters: a search term, an enum by name, a timestamp.
    let listed = edge
        .send(
            Method::GET,
            "/v1/clients?pageSize=50&query=Hopper&status=CLIENT_STATUS_PROSPECT&createdAfter=2020-01-01T00:00:00Z",
            Some(&token),
            &[],
            None,
        )
        .await?;
    expect(&listed, StatusCode::OK, "GET /v1/clients")?;
    let ids: Vec<&str> = listed.json["clients"]
        .as_array()
        .context("no clients list")?
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    anyhow::ensure!(ids.contains(&id.as_str()), "the list misses {id}: {ids:?}");

    let archived = edge
        .send(
            Method::POST,
            &format!("/v1/clients/{id}:archive"),
            Some(&token),
            &[],
            Some(json!({})),
        )
        .await?;
    expect(&archived, StatusCode::OK, "POST /v1/clients/{id}:archive")?;
    let restored = edge
        .send(
            Method::POST,
            &format!("/v1/clients/{id}:restore"),
            Some(&token),
            &[],
            Some(json!({})),
        )
        .await?;
    expect(&restored, StatusCode::OK, "POST /v1/clients/{id}:restore")?;
    Ok(())
}

async fn errors(live: &Live) -> anyhow::Result<()> {
    let edge = EdgeClient::new(&live.endpoints.edge);
    let first = live.first().await?.tokens.access_token.clone();
    let second = live.second().await?.tokens.access_token.clone();
    let client = live.client().await?.id.clone();

    let bad = edge
        .send(
            Method::POST,
            "/v1/clients",
            Some(&first),
            &[],
            Some(json!({"kind": "CLIENT_KIND_PERSON", "lastName": "", "email": "not-an-email"})),
        )
        .await?;
    expect_error(&bad, StatusCode::BAD_REQUEST, 3, "invalid client")?;
    let detail = &bad.json["details"][0];
    anyhow::ensure!(
        detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
            && detail["fieldViolations"]
                .as_array()
                .is_some_and(|v| v.len() >= 2),
        "every violation, typed: {}",
        bad.json
    );

    let other = edge
        .send(
            Method::GET,
            &format!("/v1/clients/{client}"),
            Some(&second),
            &[],
            None,
        )
        .await?;
    expect_error(
        &other,
        StatusCode::NOT_FOUND,
        5,
        "another organisation's client",
    )?;

    let anonymous = edge
        .send(Method::GET, "/v1/clients", None, &[], None)
        .await?;
    expect_error(&anonymous, StatusCode::UNAUTHORIZED, 16, "no token")?;

    let forged = edge
        .send(
            Method::GET,
            "/v1/clients",
            None,
            &[
                ("x-internal-service", "users"),
                ("x-internal-token", "forged"),
            ],
            None,
        )
        .await?;
    expect_error(
        &forged,
        StatusCode::UNAUTHORIZED,
        16,
        "x-internal-* headers without a token",
    )?;

    let unknown = edge
        .send(
            Method::GET,
            "/v1/clients?colour=red",
            Some(&first),
            &[],
            None,
        )
        .await?;
    expect_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        3,
        "unknown query parameter",
    )?;

    let nowhere = edge
        .send(Method::GET, "/v1/nowhere", Some(&first), &[], None)
        .await?;
    expect_error(&nowhere, StatusCode::NOT_FOUND, 5, "unknown path")?;

    let malformed = edge
        .send(
            Method::POST,
            "/v1/auth:login",
            None,
            &[("content-type", "application/json")],
            None,
        )
        .await?;
    // An empty body is the empty request: the service names the missing fields.
    expect_error(
        &malformed,
        StatusCode::BAD_REQUEST,
        3,
        "login without fields",
    )?;
    Ok(())
}

async fn one_door(live: &Live) -> anyhow::Result<()> {
    let channel = tonic::transport::Endpoint::from_shared(live.endpoints.edge.clone())?
        .timeout(super::CALL_TIMEOUT)
        .connect()
        .await
        .with_context(|| format!("cannot connect to the edge at {}", live.endpoints.edge))?;

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .map_err(|s| anyhow::anyhow!("reflection at the edge: {}", super::describe(&s)))?
        .into_inner();
    let answer = stream
        .message()
        .await
        .map_err(|s| anyhow::anyhow!("reflection stream: {}", super::describe(&s)))?
        .context("reflection answered nothing")?;
    let names: Vec<String> = match answer.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => anyhow::bail!("reflection answered {other:?}"),
    };
    for wanted in SERVICES.iter().chain(&["grpc.health.v1.Health"]) {
        anyhow::ensure!(
            names.iter().any(|n| n == wanted),
            "the edge's reflection lacks {wanted}: {names:?}"
        );
    }

    // The edge learns each service's health within a few seconds of starting.
    let mut health = HealthClient::new(channel.clone());
    for service in SERVICES {
        let mut last = None;
        for _ in 0..40 {
            let status = health
                .check(HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .map(|r| r.into_inner().status);
            if matches!(status, Ok(s) if s == ServingStatus::Serving as i32) {
                last = None;
                break;
            }
            last = Some(format!("{status:?}"));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if let Some(last) = last {
            anyhow::bail!("Health.Check({service}) at the edge: {last}");
        }
    }

    // A business call through the same port.
    let token = live.first().await?.tokens.access_token.clone();
    let client = live.client().await?.id.clone();
    let mut clients =
        crm_proto::clients::v1::client_service_client::ClientServiceClient::new(channel);
    let got = super::ok(
        clients
            .get_client(crm_testkit::authed(
                &token,
                crm_proto::clients::v1::GetClientRequest {
                    client_id: client.clone(),
                },
            ))
            .await,
        "GetClient through the edge",
    )?;
    anyhow::ensure!(
        got.client.is_some_and(|c| c.id == client),
        "GetClient through the edge answered another client"
    );
    Ok(())
}

async fn docs(live: &Live) -> anyhow::Result<()> {
    let edge = EdgeClient::new(&live.endpoints.edge);
    let doc = edge
        .send(Method::GET, "/openapi.json", None, &[], None)
        .await?;
    expect(&doc, StatusCode::OK, "GET /openapi.json")?;
    for path in [
        "/v1/clients",
        "/v1/clients/{client_id}",
        "/v1/auth:login",
        "/v1/users:signUp",
    ] {
        anyhow::ensure!(
            doc.json["paths"].get(path).is_some(),
            "/openapi.json lacks {path}"
        );
    }
    let page = edge.send(Method::GET, "/docs/", None, &[], None).await?;
    expect(&page, StatusCode::OK, "GET /docs/")?;
    Ok(())
}
