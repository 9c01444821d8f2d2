//! What the kit gives every service, checked on this one: health, reflection, metrics,
//! the decode limit, and internal-service authentication.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, person};

/// Health answers SERVING without a token; reflection lists the service and health.
#[tokio::test]
async fn health_and_reflection_need_no_token() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let env = envs().await.remove(0);
    let mut health = HealthClient::new(env.running.channel.clone());
    let status = health
        .check(HealthCheckRequest {
            service: "crm.clients.v1.ClientService".into(),
        })
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(status, 1, "SERVING");

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(env.running.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = stream.message().await.expect("message").expect("some");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"crm.clients.v1.ClientService".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"crm.users.v1.UserService".to_owned()),
        "{names:?}"
    );
}

/// The admin port serves metrics that count calls by method and code, and readiness.
#[tokio::test]
async fn admin_port_counts_calls() {
    let env = envs().await.remove(0);
    let admin = Member::new(Uuid::now_v7(), Role::Admin);
    let _ = env.get(admin, &Uuid::now_v7().to_string()).await;
    let c = env
        .create(admin, person("M", "m@example.fr"))
        .await
        .expect("create");
    env.get(admin, &c.id).await.expect("get");
    // The relay publishes the client.created event and counts it.
    let mut metrics = String::new();
    for _ in 0..40 {
        metrics = http_get(&format!("{}/metrics", env.running.admin_url)).await;
        if metrics.contains("crm_outbox_published_total 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        metrics.contains("crm_outbox_published_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("crm_outbox_backlog 0"), "{metrics}");
    assert!(
        metrics.contains("crm_outbox_publish_latency_seconds_count 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grpc_method=\"GetClient\",grpc_code=\"NotFound\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grpc_method=\"GetClient\",grpc_code=\"OK\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grpc_server_handling_seconds_bucket"),
        "{metrics}"
    );
    assert_eq!(
        http_get(&format!("{}/readyz", env.running.admin_url)).await,
        "ready"
    );
    assert_eq!(
        http_get(&format!("{}/healthz", env.running.admin_url)).await,
        "ok"
    );
}

/// A request larger than the decode limit is RESOURCE_EXHAUSTED, and the service keeps
/// serving.
#[tokio::test]
async fn oversized_requests_are_resource_exhausted() {
    let env = envs().await.remove(0);
    let admin = Member::new(Uuid::now_v7(), Role::Admin);
    let mut huge = person("Huge", "huge@example.fr");
    huge.source = "x".repeat(5 * 1024 * 1024);
    let err = env.create(admin, huge).await.expect_err("too large");
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(
        env.create(admin, person("Small", "small@example.fr"))
            .await
            .is_ok()
    );
}

/// An internal caller needs a mesh token for this service; the header alone is refused.
#[tokio::test]
async fn internal_calls_need_a_token_for_this_service() {
    let env = envs().await.remove(0);
    let org = Uuid::now_v7();
    let admin = Member::new(org, Role::Admin);
    let c = env
        .create(admin, person("Int", "int@example.fr"))
        .await
        .expect("create");
    let call = |service: &'static str, token: Option<String>| {
        let env = &env;
        let id = c.id.clone();
        async move {
            let mut req = tonic::Request::new(pb::GetClientRequest { client_id: id });
            req.metadata_mut().insert(
                crm_kit::auth::INTERNAL_SERVICE_HEADER,
                service.parse().expect("value"),
            );
            if let Some(t) = token {
                req.metadata_mut().insert(
                    crm_kit::auth::INTERNAL_TOKEN_HEADER,
                    t.parse().expect("value"),
                );
            }
            env.client().get_client(req).await
        }
    };
    let now = chrono::Utc::now().timestamp();
    let err = call("contrats", None).await.expect_err("bare header");
    assert_eq!(err.code(), Code::Unauthenticated);
    let wrong_aud = env
        .keys
        .mesh
        .mint("contrats", "payments", Some(org), None, None, now)
        .expect("mint");
    assert_eq!(
        call("contrats", Some(wrong_aud))
            .await
            .expect_err("aud")
            .code(),
        Code::Unauthenticated
    );
    let expired = env
        .keys
        .mesh
        .mint("contrats", "clients", Some(org), None, None, now - 3600)
        .expect("mint");
    assert_eq!(
        call("contrats", Some(expired))
            .await
            .expect_err("exp")
            .code(),
        Code::Unauthenticated
    );
    let good = env
        .keys
        .mesh
        .mint("contrats", "clients", Some(org), None, None, now)
        .expect("mint");
    let got = call("contrats", Some(good))
        .await
        .expect("internal call")
        .into_inner();
    assert_eq!(got.client.map(|c| c.id), Some(c.id.clone()));
    // The internal token's organisation scopes the call like a user's.
    let other = env
        .keys
        .mesh
        .mint("contrats", "clients", Some(Uuid::now_v7()), None, None, now)
        .expect("mint");
    assert_eq!(
        call("contrats", Some(other))
            .await
            .expect_err("tenant")
            .code(),
        Code::NotFound
    );
}

async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).await.expect("read");
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}
