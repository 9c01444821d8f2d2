//! What every service gives operators and integrators without a token: health,
//! reflection and the admin HTTP port.

use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use super::{Live, ok};
use crate::endpoints::admin_authority;
use crate::runner::Runner;

/// The fully qualified gRPC service of each of the three services.
const SERVICES: [(&str, &str); 3] = [
    ("users", "crm.users.v1.UserService"),
    ("organisations", "crm.organisations.v1.OrganisationService"),
    ("clients", "crm.clients.v1.ClientService"),
];

/// Adds the platform scenarios.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    for (name, service) in SERVICES {
        let l = live.clone();
        runner.add(format!("health SERVING on {name}"), move || async move {
            health_serving(&l, name, service).await
        });
    }
    let l = live.clone();
    runner.add(
        "reflection on clients lists ClientService and Health",
        move || async move { reflection_lists(&l).await },
    );
    let l = live.clone();
    runner.add(
        "admin ports answer /healthz, /readyz and /metrics",
        move || async move { admin_ports(&l).await },
    );
}

/// Health answers SERVING, without a token, for the server as a whole and for the
/// service by name.
async fn health_serving(live: &Live, name: &str, service: &str) -> anyhow::Result<()> {
    let mut health = HealthClient::new(live.channel(name)?);
    for asked in ["", service] {
        let status = ok(
            health
                .check(HealthCheckRequest {
                    service: asked.to_owned(),
                })
                .await,
            &format!("Health.Check({asked:?}) on {name}"),
        )?
        .status;
        anyhow::ensure!(
            status == ServingStatus::Serving as i32,
            "Health.Check({asked:?}) on {name} answered {:?}",
            ServingStatus::try_from(status).unwrap_or(ServingStatus::Unknown)
        );
    }
    Ok(())
}

/// Reflection v1 on clients lists its service and health, and no other CRM service.
async fn reflection_lists(live: &Live) -> anyhow::Result<()> {
    let mut reflection = ServerReflectionClient::new(live.channel("clients")?);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ok(
        reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await,
        "ServerReflectionInfo on clients",
    )?;
    let answer = stream
        .message()
        .await
        .map_err(|s| anyhow::anyhow!("reflection stream: {}", super::describe(&s)))?
        .context("reflection answered nothing")?;
    let names: Vec<String> = match answer.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => anyhow::bail!("reflection answered {other:?} to ListServices"),
    };
    for wanted in ["crm.clients.v1.ClientService", "grpc.health.v1.Health"] {
        anyhow::ensure!(
            names.iter().any(|n| n == wanted),
            "reflection lists {names:?}, not {wanted}"
        );
    }
    anyhow::ensure!(
        !names.iter().any(|n| n == "crm.users.v1.UserService"),
        "clients' reflection lists the users service: {names:?}"
    );
    Ok(())
}

/// Each admin port (gRPC port + 1000) answers 200 on /healthz and /readyz and serves
/// Prometheus metrics.
async fn admin_ports(live: &Live) -> anyhow::Result<()> {
    for (name, url) in live.endpoints.all() {
        let authority = admin_authority(url)?;
        for path in ["/healthz", "/readyz"] {
            let (status, _) = http_get(&authority, path).await?;
            anyhow::ensure!(status == 200, "{name} GET {path} on {authority}: {status}");
        }
        let (status, body) = http_get(&authority, "/metrics").await?;
        anyhow::ensure!(status == 200, "{name} GET /metrics: {status}");
        anyhow::ensure!(
            body.contains("grpc_server_handling_seconds"),
            "{name} /metrics has no grpc_server_handling_seconds"
        );
    }
    Ok(())
}

/// Sends `GET path` over HTTP/1.1 and returns the status code and the raw body.
async fn http_get(authority: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let authority = authority.to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&authority.as_str())?
            .next()
            .with_context(|| format!("{authority} resolves to nothing"))?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .with_context(|| format!("cannot connect to {authority}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .with_context(|| format!("GET {path} on {authority}"))?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .with_context(|| format!("GET {path} on {authority}: no HTTP status line"))?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    })
    .await
    .context("HTTP task failed")?
}
