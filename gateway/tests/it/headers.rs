//! What travels to the services and back: tokens, request ids, deadlines, allow-listed
//! headers; x-internal-* never. CORS, limits and compression at the edge.

use http::{Method, StatusCode};

use crate::support::TestEdge;

/// A request carrying x-internal-* headers is still the outside caller: the headers
/// never reach the service, in any spelling.
#[tokio::test]
async fn internal_headers_are_stripped() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::GET,
            "/v1/things/t1",
            &[
                ("x-internal-service", "users"),
                ("X-Internal-Token", "forged"),
                ("grpc-metadata-x-internal-service", "users"),
                ("accept-language", "fr-FR"),
                ("grpc-metadata-custom-hint", "h"),
                ("cookie", "session=secret"),
                ("grpc-timeout", "2S"),
            ],
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let (request, metadata) = edge.received(&answer, "crm.edgetest.v1.GetThingRequest");
    assert_eq!(request["thingId"], "t1");
    let keys: Vec<&str> = metadata
        .as_object()
        .expect("map")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(keys.iter().all(|k| !k.contains("internal")), "{keys:?}");
    assert!(
        metadata["authorization"]
            .as_str()
            .is_some_and(|a| a.starts_with("Bearer "))
    );
    assert_eq!(metadata["accept-language"], "fr-FR");
    assert_eq!(metadata["custom-hint"], "h");
    assert!(metadata.get("cookie").is_none());
    assert_eq!(metadata["x-forwarded-for"], "127.0.0.1");
    // tonic writes the deadline in its own unit; it is there and no longer than asked.
    let timeout = metadata["grpc-timeout"].as_str().expect("deadline");
    assert!(
        timeout.ends_with('u') || timeout.ends_with('m') || timeout.ends_with('n'),
        "{timeout}"
    );
    let request_id = answer.headers["x-request-id"].to_str().expect("ascii");
    assert_eq!(metadata["x-request-id"], request_id);
    assert_eq!(request_id.len(), 36);
}

#[tokio::test]
async fn request_ids_are_kept_and_returned() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::GET,
            "/v1/things/t1",
            &[("x-request-id", "abc-123")],
            None,
        )
        .await;
    assert_eq!(answer.headers["x-request-id"], "abc-123");
    let (_, metadata) = edge.received(&answer, "crm.edgetest.v1.GetThingRequest");
    assert_eq!(metadata["x-request-id"], "abc-123");
    // Errors carry it too.
    let answer = edge
        .send(Method::GET, "/v1/none", &[("x-request-id", "e-1")], None)
        .await;
    assert_eq!(answer.headers["x-request-id"], "e-1");
}

#[tokio::test]
async fn cors_preflight_and_simple_requests() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::OPTIONS,
            "/v1/things",
            &[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,idempotency-key",
                ),
            ],
            None,
        )
        .await;
    assert!(answer.status.is_success(), "{:?}", answer.status);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let allowed = answer.headers["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("authorization"),
        "{allowed}"
    );

    let answer = edge
        .send(
            Method::GET,
            "/v1/echo/x",
            &[("origin", "http://localhost:5173")],
            None,
        )
        .await;
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert!(
        answer.headers["access-control-expose-headers"]
            .to_str()
            .expect("ascii")
            .contains("x-request-id")
    );

    let answer = edge
        .send(
            Method::GET,
            "/v1/echo/x",
            &[("origin", "https://evil.example")],
            None,
        )
        .await;
    assert!(answer.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn per_ip_and_per_organisation_rate_limits() {
    let mut config = crm_gateway::GatewayConfig::default();
    config.rate_limits.per_ip_per_second = 1;
    config.rate_limits.per_ip_burst = 5;
    config.rate_limits.per_organisation_per_second = 0;
    let edge = TestEdge::start(config).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(edge.send(Method::GET, "/v1/echo/x", &[], None).await.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{statuses:?}"
    );
    let answer = edge.send(Method::GET, "/v1/echo/x", &[], None).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        answer.headers["retry-after"]
            .to_str()
            .expect("ascii")
            .parse::<u64>()
            .expect("secs")
            >= 1
    );
    assert_eq!(answer.json()["code"], 8);

    let mut config = crm_gateway::GatewayConfig::default();
    config.rate_limits.per_ip_per_second = 0;
    config.rate_limits.per_organisation_per_second = 1;
    config.rate_limits.per_organisation_burst = 3;
    let edge = TestEdge::start(config).await;
    let org_a = edge.token();
    let org_b = edge.token();
    let bearer_a = format!("Bearer {org_a}");
    let bearer_b = format!("Bearer {org_b}");
    for _ in 0..3 {
        let ok = edge
            .send(
                Method::GET,
                "/v1/echo/x",
                &[("authorization", &bearer_a)],
                None,
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let refused = edge
        .send(
            Method::GET,
            "/v1/echo/x",
            &[("authorization", &bearer_a)],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    // Another organisation has its own budget.
    let other = edge
        .send(
            Method::GET,
            "/v1/echo/x",
            &[("authorization", &bearer_b)],
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let mut config = crm_gateway::GatewayConfig::default();
    config.rate_limits.per_ip_per_second = 0;
    config.body_limit_bytes = 2048;
    let edge = TestEdge::start(config).await;
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(4096));
    let answer = edge.send(Method::POST, "/v1/echo", &[], Some(&big)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], 8);
    let small = format!("{{\"name\":\"{}\"}}", "x".repeat(1000));
    let answer = edge.send(Method::POST, "/v1/echo", &[], Some(&small)).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn large_answers_are_gzipped_on_request() {
    let edge = TestEdge::default().await;
    let tags: Vec<String> = (0..200).map(|i| format!("tag-number-{i}")).collect();
    let body = serde_json::json!({"tags": tags}).to_string();
    let answer = edge
        .send(
            Method::POST,
            "/v1/echo",
            &[("accept-encoding", "gzip")],
            Some(&body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-encoding"], "gzip");
    assert!(
        answer.body.len() < body.len() / 2,
        "{} bytes",
        answer.body.len()
    );
}

/// Grpc-Timeout becomes the deadline of the call to the service, capped by the edge.
#[tokio::test]
async fn deadlines_come_from_grpc_timeout() {
    let mut config = crm_gateway::GatewayConfig::default();
    config.rate_limits.per_ip_per_second = 0;
    config.default_timeout_ms = 5_000;
    let edge = TestEdge::start(config).await;
    // The platform's services are down (a closed port): the answer comes at once either
    // way; what the deadline does is seen through the echo's metadata.
    let answer = edge
        .send(
            Method::GET,
            "/v1/things/t",
            &[("grpc-timeout", "250m")],
            None,
        )
        .await;
    let (_, metadata) = edge.received(&answer, "crm.edgetest.v1.GetThingRequest");
    let timeout = metadata["grpc-timeout"]
        .as_str()
        .expect("deadline")
        .to_owned();
    let unit = timeout.chars().last().expect("unit");
    let value: u64 = timeout[..timeout.len() - 1].parse().expect("number");
    let micros = match unit {
        'n' => value / 1000,
        'u' => value,
        'm' => value * 1000,
        'S' => value * 1_000_000,
        _ => panic!("unit {unit}"),
    };
    assert!(micros <= 250_000 && micros > 100_000, "{timeout}");
}
