//! gRPC codes to HTTP statuses as grpc-gateway maps them, with google.rpc.Status bodies.

use http::{Method, StatusCode};

use crate::support::TestEdge;

#[tokio::test]
async fn every_code_maps_to_its_http_status_with_a_status_body() {
    let edge = TestEdge::default().await;
    let table = [
        (1, 499),
        (2, 500),
        (3, 400),
        (4, 504),
        (5, 404),
        (6, 409),
        (7, 403),
        (8, 429),
        (9, 400),
        (10, 409),
        (11, 400),
        (12, 501),
        (13, 500),
        (14, 503),
        (15, 500),
        (16, 401),
    ];
    for (code, http) in table {
        let answer = edge
            .send(Method::GET, &format!("/v1/fail/{code}"), &[], None)
            .await;
        assert_eq!(
            answer.status.as_u16(),
            http,
            "code {code}: {}",
            answer.text()
        );
        assert_eq!(answer.headers["content-type"], "application/json");
        let body = answer.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["message"], format!("failed with {code}"));
        assert!(body["details"].is_array(), "{body}");
    }
}

/// Details keep their @type; RESOURCE_EXHAUSTED carries Retry-After from RetryInfo.
#[tokio::test]
async fn details_are_typed_and_retry_after_is_set() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(Method::GET, "/v1/fail/3?violations=true", &[], None)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    let detail = &body["details"][0];
    assert_eq!(detail["@type"], "type.googleapis.com/google.rpc.BadRequest");
    assert_eq!(detail["fieldViolations"][0]["field"], "email");
    assert_eq!(detail["fieldViolations"][1]["field"], "phone");

    let answer = edge
        .send(Method::GET, "/v1/fail/8?retrySeconds=7", &[], None)
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers["retry-after"], "7");
    let body = answer.json();
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.RetryInfo"
    );
    assert_eq!(body["details"][0]["retryDelay"], "7s");

    let answer = edge.send(Method::GET, "/v1/fail/8", &[], None).await;
    assert_eq!(answer.headers["retry-after"], "1");
}

/// A service that is down is 503; the deadline from Grpc-Timeout is enforced.
#[tokio::test]
async fn unreachable_services_are_503() {
    let edge = TestEdge::default().await;
    // crm.clients.v1 points at a closed port in the tests.
    let answer = edge.send(Method::GET, "/v1/clients/abc", &[], None).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text()
    );
    assert_eq!(answer.json()["code"], 14);
}

/// Without a token, or with a bad one, a private route is 401 before any call;
/// a public route needs none.
#[tokio::test]
async fn private_routes_need_a_valid_token() {
    let edge = TestEdge::default().await;
    for auth in ["", "Bearer nope", "Basic abc", "Bearer"] {
        let answer = edge
            .send(Method::GET, "/v1/echo/x", &[("authorization", auth)], None)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(answer.headers["www-authenticate"], "Bearer");
        assert_eq!(answer.json()["code"], 16);
    }
    // GetJwks is public: it reaches the (absent) users service and gets 503, not 401.
    for path in ["/v1/auth/jwks", "/.well-known/jwks.json"] {
        let answer = edge
            .send(Method::GET, path, &[("authorization", "")], None)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            answer.text()
        );
    }
}

/// A call slower than its Grpc-Timeout is 504 DEADLINE_EXCEEDED; the edge keeps serving.
#[tokio::test]
async fn a_call_past_its_deadline_is_504() {
    let edge = TestEdge::default().await;
    let started = std::time::Instant::now();
    let answer = edge
        .send(
            Method::GET,
            "/v1/slow/10000",
            &[("grpc-timeout", "200m")],
            None,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        answer.text()
    );
    assert_eq!(answer.json()["code"], 4);
    // The answer came at the deadline, not when the service finished.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let answer = edge.send(Method::GET, "/v1/slow/10", &[], None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["millis"], 10);
}
