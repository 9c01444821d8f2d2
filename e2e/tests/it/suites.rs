//! The mock suite passes with no server; the live suite reports unreachable services as
//! failures, one line each.

use crm_e2e::{Endpoints, live, mock};

/// The mock checks (descriptors, HTTP rules, clients, JSON encoding) pass in-process.
#[tokio::test]
async fn mock_suite_passes_without_servers() {
    let runner = mock::scenarios();
    let count = runner.names().len();
    assert!(count >= 5, "{:?}", runner.names());
    let mut out = Vec::new();
    let summary = runner.run(&mut out).await;
    let text = String::from_utf8(out).unwrap();
    assert_eq!(summary.failed(), 0, "{text}");
    assert_eq!(summary.passed(), count, "{text}");
    assert_eq!(summary.exit_code(), 0);
    assert!(
        text.lines().take(count).all(|l| l.starts_with("ok ")),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some(format!("{count} passed, 0 failed").as_str())
    );
}

/// Against a port nothing listens on, every live scenario fails on its own line, the
/// closing line counts them, and the exit code is 1.
#[tokio::test]
async fn live_suite_reports_unreachable_services() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let endpoints = Endpoints {
        users: url.clone(),
        organisations: url.clone(),
        clients: url.clone(),
        activites: url.clone(),
        commerciaux: url.clone(),
        products: url.clone(),
        contrats: url.clone(),
        payments: url.clone(),
        factures: url.clone(),
        retry: url.clone(),
        commission: url.clone(),
        edge: url,
    };
    let live = live::Live::new(endpoints).unwrap();
    let runner = live::scenarios(&live);
    let count = runner.names().len();
    assert!(count >= 13, "{:?}", runner.names());
    let mut out = Vec::new();
    let summary = runner.run(&mut out).await;
    let text = String::from_utf8(out).unwrap();
    assert_eq!(summary.failed(), count, "{text}");
    assert_eq!(summary.exit_code(), 1);
    assert!(
        text.lines().take(count).all(|l| l.starts_with("FAILED ")),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some(format!("0 passed, {count} failed").as_str())
    );
}
