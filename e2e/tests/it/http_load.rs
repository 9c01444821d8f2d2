//! The HTTP mode of the load generator against a tiny in-process axum server that
//! answers `GET /v1/clients/{id}` like the JSON edge: 401 without the token, 200 for
//! the one known id, 404 for any other. No timing thresholds: only counts, codes,
//! connections and the order of the percentiles are asserted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use crm_e2e::load::http::run;
use crm_e2e::load::{HttpLoadConfig, HttpVersion, LoadReport};

const TOKEN: &str = "secret";
const KNOWN: &str = "01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b11";

/// What the server saw.
#[derive(Default)]
struct Seen {
    connections: AtomicU64,
    http1: AtomicU64,
    http2: AtomicU64,
}

impl Seen {
    fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

async fn get_client(
    State(seen): State<Arc<Seen>>,
    version: Version,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let counter = if version == Version::HTTP_2 {
        &seen.http2
    } else {
        &seen.http1
    };
    counter.fetch_add(1, Ordering::Relaxed);
    let bearer = format!("Bearer {TOKEN}");
    if headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) != Some(bearer.as_bytes()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if id == KNOWN {
        Json(serde_json::json!({"id": id, "name": "Ada Lovelace"})).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"code": "NOT_FOUND"})),
        )
            .into_response()
    }
}

/// Answers 201 to a JSON body (axum's `Json` refuses any other content type).
async fn create_client(Json(body): Json<serde_json::Value>) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Starts the server on an ephemeral port; returns its origin and what it sees.
async fn start() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::clone(&seen);
    let listener = listener.tap_io(move |_| {
        accepted.connections.fetch_add(1, Ordering::Relaxed);
    });
    let app = axum::Router::new()
        .route("/v1/clients/{id}", get(get_client))
        .route("/v1/clients", post(create_client))
        .with_state(Arc::clone(&seen));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, seen)
}

fn config(url: String, version: HttpVersion) -> HttpLoadConfig {
    HttpLoadConfig {
        token: Some(TOKEN.into()),
        version,
        concurrency: 4,
        connections: 2,
        duration: Duration::from_millis(300),
        warmup: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        ..HttpLoadConfig::new(url)
    }
}

fn assert_percentiles_ordered(report: &LoadReport) {
    let l = &report.latency;
    assert!(l.min_us <= l.p50_us, "{l:?}");
    assert!(l.p50_us <= l.p90_us, "{l:?}");
    assert!(l.p90_us <= l.p99_us, "{l:?}");
    assert!(l.p99_us <= l.max_us, "{l:?}");
}

/// Over HTTP/1.1 every worker keeps its own connection; 200s count as OK, 404s as
/// NOT_FOUND and 401s as UNAUTHENTICATED.
#[tokio::test]
async fn http1_counts_statuses_as_codes_over_one_connection_per_worker() {
    let (origin, seen) = start().await;
    let known = format!("{origin}/v1/clients/{KNOWN}");

    let report = run(&config(known.clone(), HttpVersion::Http1))
        .await
        .unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, report.total, "{report:?}");
    assert!(report.non_ok.is_empty(), "{report:?}");
    assert_percentiles_ordered(&report);
    assert_eq!(report.target, origin);
    assert_eq!(
        report.method,
        format!("GET /v1/clients/{KNOWN} HTTP/1.1"),
        "{report:?}"
    );
    assert_eq!(report.connections, 4, "{report:?}");
    assert_eq!(seen.connections(), 4);
    assert_eq!(seen.http2.load(Ordering::Relaxed), 0);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["total"].as_u64(), Some(report.total));

    let before = seen.connections();
    let unknown = format!("{origin}/v1/clients/01890f6e-0000-7000-8000-000000000000");
    let report = run(&config(unknown, HttpVersion::Http1)).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, 0, "{report:?}");
    assert_eq!(
        report.non_ok.get("NOT_FOUND"),
        Some(&report.total),
        "{report:?}"
    );
    assert_percentiles_ordered(&report);
    assert_eq!(seen.connections() - before, 4);
    assert!(report.to_text().contains("non-OK:       NOT_FOUND"));

    let without_token = HttpLoadConfig {
        token: None,
        ..config(known, HttpVersion::Http1)
    };
    let report = run(&without_token).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(
        report.non_ok.get("UNAUTHENTICATED"),
        Some(&report.total),
        "{report:?}"
    );
}

/// Over HTTP/2 (prior knowledge) the workers share exactly `connections` connections.
#[tokio::test]
async fn http2_spreads_workers_over_the_connections() {
    let (origin, seen) = start().await;
    let http2 = |url: String| HttpLoadConfig {
        concurrency: 8,
        ..config(url, HttpVersion::Http2)
    };

    let report = run(&http2(format!("{origin}/v1/clients/{KNOWN}")))
        .await
        .unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, report.total, "{report:?}");
    assert!(report.non_ok.is_empty(), "{report:?}");
    assert_percentiles_ordered(&report);
    assert!(report.method.ends_with(" HTTP/2"), "{report:?}");
    assert_eq!(report.connections, 2, "{report:?}");
    assert_eq!(seen.connections(), 2);
    assert!(seen.http2.load(Ordering::Relaxed) > 0);
    assert_eq!(seen.http1.load(Ordering::Relaxed), 0);

    let report = run(&http2(format!("{origin}/v1/clients/nobody")))
        .await
        .unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, 0, "{report:?}");
    assert_eq!(
        report.non_ok.get("NOT_FOUND"),
        Some(&report.total),
        "{report:?}"
    );
    assert_percentiles_ordered(&report);
    assert_eq!(seen.connections(), 4);
}

/// A body is sent as JSON with the given method; a 201 counts as OK.
#[tokio::test]
async fn a_json_body_is_sent_with_its_content_type() {
    let (origin, _) = start().await;
    let post = HttpLoadConfig {
        method: axum::http::Method::POST,
        body: Some(r#"{"name":"Ada Lovelace"}"#.into()),
        ..config(format!("{origin}/v1/clients"), HttpVersion::Http1)
    };
    let report = run(&post).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, report.total, "{report:?}");
    assert!(report.method.starts_with("POST /v1/clients "), "{report:?}");
}

/// A URL that is not cleartext HTTP, or a server that is not there, is an error before
/// any request.
#[tokio::test]
async fn bad_targets_are_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for version in [HttpVersion::Http1, HttpVersion::Http2] {
        let closed = config(format!("http://127.0.0.1:{port}/v1/clients/x"), version);
        let error = run(&closed).await.unwrap_err();
        assert!(format!("{error:#}").contains("cannot connect"), "{error:#}");
    }
    let tls = config("https://127.0.0.1:8443/".into(), HttpVersion::Http1);
    assert!(run(&tls).await.is_err());
}
