//! Collections at scale, run by hand (it asserts counts, never times):
//!
//! ```sh
//! CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432 PAYMENTS_SCALE_MANDATES=100000 \
//!   cargo test -p crm-payments --release --test it scale -- --ignored --nocapture
//! ```
//!
//! Seeds PAYMENTS_SCALE_MANDATES mandates (default 1000), each with a schedule of one
//! instalment, through the API; then prints how long PrepareBatch, ExportBatch (the
//! pain.008.001.02 file written, then the kept file returned; each validated against
//! the XSD; the service's log line "batch exported" gives where the time went) and
//! ImportReturns of up to 10,000 R-transactions take on the last backend
//! configured.

use std::time::{Duration, Instant};

use crm_proto::payments::v1 as pb;
use futures::{StreamExt as _, TryStreamExt as _};

use crate::support::*;

/// Requests in flight while seeding.
const SEEDING: usize = 32;
/// Mandates seeded between two ANALYZE.
const SEEDING_ROUND: usize = 10_000;
/// R-transactions imported in the measured ImportReturns call.
const RETURNS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn collections_at_scale() {
    let n: usize = std::env::var("PAYMENTS_SCALE_MANDATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
        .max(1);
    // The service logs where each export's time goes.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("crm_payments::repo=info")
        .with_writer(std::io::stderr)
        .try_init();
    let env = envs().await.pop().expect("a backend");
    let admin = Member::admin();
    let account = env.account(admin).await;
    let d = collection_date();

    let seeding = Instant::now();
    let env = &env;
    let account_id = account.id.as_str();
    let mut start = 0;
    while start < n {
        let end = (start + SEEDING_ROUND).min(n);
        futures::stream::iter(start..end)
            .map(|i| async move {
                let request =
                    env.mandate_request(account_id, &umr(), &crm_sepa::testing::fr_iban(i as u64));
                let mandate = env.create_mandate(admin, request).await?;
                env.schedule(admin, &mandate, &[(d, 1_000 + (i % 5_000) as i64)])
                    .await;
                Ok::<_, tonic::Status>(())
            })
            .buffer_unordered(SEEDING)
            .try_collect::<Vec<()>>()
            .await
            .expect("seeding");
        analyze(env).await;
        start = end;
    }
    eprintln!(
        "{:?}: seeded {n} mandates and schedules in {:?}",
        env.backend,
        seeding.elapsed()
    );
    settle_down(env).await;

    let started = Instant::now();
    let prepared = timed(
        env,
        admin,
        pb::PrepareBatchRequest {
            creditor_account_id: account.id.clone(),
            collection_date: date(d),
        },
    )
    .await;
    eprintln!(
        "{:?}: PrepareBatch of {} payments in {:?}",
        env.backend,
        prepared.payments.len(),
        started.elapsed()
    );
    assert_eq!(prepared.payments.len(), n);
    settle_down(env).await;
    let batch = prepared.batch.clone().expect("batch");

    // The first export writes and keeps the file; the second returns the kept one.
    for round in ["written", "kept"] {
        let started = Instant::now();
        let mut request = env.req(
            admin,
            pb::ExportBatchRequest {
                batch_id: batch.id.clone(),
                version: pb::PainVersion::V02 as i32,
            },
        );
        request.set_timeout(Duration::from_secs(600));
        let file = env
            .client()
            .export_batch(request)
            .await
            .expect("export")
            .into_inner();
        let exported = started.elapsed();
        let xml = String::from_utf8(file.xml).expect("utf-8");
        let started = Instant::now();
        crm_sepa::testing::assert_valid(&xml, crm_sepa::Version::V02);
        eprintln!(
            "{:?}: ExportBatch ({round}) of {n} transactions, pain.008.001.02, {} bytes, in {exported:?}; xmllint validated it in {:?}",
            env.backend,
            xml.len(),
            started.elapsed()
        );
        assert_eq!(count(&xml, "<DrctDbtTxInf>"), n);
    }

    let returns: Vec<pb::ReturnRow> = prepared
        .payments
        .iter()
        .take(RETURNS)
        .map(|p| pb::ReturnRow {
            end_to_end_id: p.end_to_end_id.clone(),
            payment_id: String::new(),
            reason_code: "AM04".into(),
            date: date(d),
        })
        .collect();
    let rows = returns.len();
    settle_down(env).await;
    let started = Instant::now();
    let mut request = env.req(admin, pb::ImportReturnsRequest { rows: returns });
    request.set_timeout(Duration::from_secs(600));
    let answer = env
        .client()
        .import_returns(request)
        .await
        .expect("import returns")
        .into_inner();
    eprintln!(
        "{:?}: ImportReturns of {rows} R-transactions in {:?}",
        env.backend,
        started.elapsed()
    );
    assert_eq!((answer.applied as usize, answer.refused), (rows, 0));
}

async fn timed(env: &Env, who: Member, msg: pb::PrepareBatchRequest) -> pb::PrepareBatchResponse {
    let mut request = env.req(who, msg);
    request.set_timeout(Duration::from_secs(600));
    env.client()
        .prepare_batch(request)
        .await
        .expect("prepare")
        .into_inner()
}

/// Waits until the outbox relay has published every event written so far (the seeding
/// writes two per mandate, a backlog months of real use spread out), then refreshes
/// the statistics: each measurement starts on a quiet service.
async fn settle_down(env: &Env) {
    use sea_orm::ConnectionTrait as _;
    let started = Instant::now();
    loop {
        let row = env
            .db
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                env.db.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL",
            ))
            .await
            .expect("outbox")
            .expect("a row");
        let left: i64 = row.try_get("", "n").expect("count");
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "{left} events still unsent"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    analyze(env).await;
}

/// Refreshes PostgreSQL's statistics, as autovacuum does within a minute of large
/// changes on a production server (the server here runs with autovacuum off; stale
/// statistics make the planner take a table of 100,000 payments for empty and scan it
/// for every chunk of ids).
async fn analyze(env: &Env) {
    if env.backend == crm_db::Backend::Postgres {
        use sea_orm::ConnectionTrait as _;
        env.db
            .db
            .execute_unprepared("ANALYZE")
            .await
            .expect("analyze");
    }
}
