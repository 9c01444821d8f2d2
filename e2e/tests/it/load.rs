//! The load generator against in-process bench servers. No timing thresholds: only
//! counts and codes are asserted.

use std::time::Duration;

use crm_e2e::bench_server::Mode;
use crm_e2e::load::{LoadConfig, run};

use crate::bench::start;

const GET: &str = "/crm.clients.v1.ClientService/GetClient";
const DATA: &str = r#"{"clientId":"01890f6e-8d1e-7cc2-9a5b-2d5f0c1e4b11"}"#;

fn config(url: String, method: &str, duration: Duration) -> LoadConfig {
    LoadConfig {
        concurrency: 4,
        connections: 2,
        duration,
        warmup: Duration::from_millis(100),
        ..LoadConfig::new(url, method, DATA)
    }
}

/// About one second at concurrency 4 against the bare server: calls were made and
/// every one answered OK; the server's CPU and memory are read when its pid is given.
#[tokio::test]
async fn load_against_the_bare_server_is_all_ok() {
    let (server, _) = start(Mode::Bare).await;
    let config = LoadConfig {
        server_pid: Some(std::process::id()),
        ..config(server.url(), GET, Duration::from_secs(1))
    };
    let report = run(&config).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, report.total, "{report:?}");
    assert!(report.non_ok.is_empty(), "{report:?}");
    assert!(report.latency.p50_us <= report.latency.p99_us);
    assert!(report.latency.p99_us <= report.latency.max_us);
    let usage = report.server.expect("server usage");
    assert!(
        usage.rss_kib > 0 && usage.hwm_kib >= usage.rss_kib,
        "{usage:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["total"].as_u64(), Some(report.total));
    server.stop().await.unwrap();
}

/// Against the kit server, calls with its token answer OK and calls without one are
/// all counted as UNAUTHENTICATED.
#[tokio::test]
async fn load_counts_codes_by_name() {
    let (server, keys) = start(Mode::Kit).await;
    let with_token = LoadConfig {
        token: Some(keys.token.clone()),
        ..config(server.url(), GET, Duration::from_millis(300))
    };
    let report = run(&with_token).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert!(report.non_ok.is_empty(), "{report:?}");

    let without = config(server.url(), GET, Duration::from_millis(300));
    let report = run(&without).await.unwrap();
    assert!(report.total > 0, "{report:?}");
    assert_eq!(report.ok, 0, "{report:?}");
    assert_eq!(
        report.non_ok.get("UNAUTHENTICATED"),
        Some(&report.total),
        "{report:?}"
    );

    let other = LoadConfig {
        token: Some(keys.token.clone()),
        data: "{}".into(),
        ..config(
            server.url(),
            "crm.clients.v1.ClientService.ListClients",
            Duration::from_millis(300),
        )
    };
    let report = run(&other).await.unwrap();
    assert_eq!(
        report.non_ok.get("FAILED_PRECONDITION"),
        Some(&report.total),
        "{report:?}"
    );
    server.stop().await.unwrap();
}

/// Bad input is refused before any call: an unknown method, JSON that is not the
/// request, a streaming-free target nobody listens on.
#[tokio::test]
async fn bad_input_is_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let short = Duration::from_millis(100);
    let unknown = config(url.clone(), "/crm.clients.v1.ClientService/Nope", short);
    assert!(run(&unknown).await.is_err());
    let bad_json = LoadConfig {
        data: r#"{"clientIdentifier":"x"}"#.into(),
        ..config(url.clone(), GET, short)
    };
    let error = run(&bad_json).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("GetClientRequest"),
        "{error:#}"
    );
    let closed = config(url, GET, short);
    let error = run(&closed).await.unwrap_err();
    assert!(format!("{error:#}").contains("cannot connect"), "{error:#}");
}
