//! A billing run at scale, run by hand (it asserts counts, never times):
//!
//! ```sh
//! CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432 FACTURES_SCALE_CONTRACTS=100000 \
//!   cargo test -p crm-factures --release --test it scale -- --ignored --nocapture
//! ```
//!
//! The clients are imported through clients' ImportClients; one contract is created,
//! sent and signed through contrats' API, and copied for every other client straight
//! into contrats' database (signing 100,000 contracts one by one would take most of an
//! hour and measures contrats, not billing). It then prints how long the first run
//! (every contract invoiced) and a second run (nothing issued) take on the last backend
//! configured.

use std::time::Instant;

use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::ClientKind;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::common::v1 as common;
use crm_proto::factures::v1 as pb;
use crm_proto::products::v1 as pr;
use sea_orm::{ConnectionTrait as _, Statement, TransactionTrait as _, Value};
use uuid::Uuid;

use crate::support::*;

/// Clients per ImportClients stream.
const IMPORT_CHUNK: usize = 10_000;
/// Contracts per INSERT statement.
const INSERT_CHUNK: usize = 500;

/// Bills FACTURES_SCALE_CONTRACTS active contracts (default 1000) twice and prints the
/// time each run took.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn billing_run_at_scale() {
    let n: usize = std::env::var("FACTURES_SCALE_CONTRACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
        .max(1);
    let env = envs(Stack::Contracts).await.pop().expect("a backend");
    let owner = env.organisation(seller_settings()).await;
    let commercial = env.commercial(owner).await;
    let product = env
        .product(
            owner,
            pr::BillingFrequency::Monthly,
            pr::VatCategory::Exempt,
            2_490,
        )
        .await;

    let seeding = Instant::now();
    let template_client = env
        .client(owner, ClientKind::Person, Some(commercial))
        .await;
    let template: Uuid = env
        .contract(
            owner,
            &template_client,
            commercial,
            &product,
            ymd(2030, 1, 1),
            true,
        )
        .await
        .parse()
        .expect("contract id");
    let clients = import_clients(&env, owner, commercial, n - 1).await;
    copy_contract(&env, &template, &clients).await;
    // PostgreSQL's autovacuum would have analysed the seeded tables by the time a real
    // run starts (the server here runs with autovacuum off): without statistics the
    // planner takes contrats' pages for tiny and scans the organisation on each.
    if env.backend == crm_db::Backend::Postgres {
        for db in env.dbs.iter().chain([&env.db]) {
            db.db.execute_unprepared("ANALYZE").await.expect("analyze");
        }
    }
    eprintln!(
        "{:?}: seeded {n} clients and active contracts in {:?}",
        env.backend,
        seeding.elapsed()
    );

    for round in ["first", "second"] {
        let started = Instant::now();
        let mut request = env.req(
            owner,
            pb::RunBillingRequest {
                period_start: Some(date(ymd(2030, 1, 1))),
                period_end: Some(date(ymd(2030, 1, 31))),
            },
        );
        request.set_timeout(std::time::Duration::from_secs(600));
        let out = env
            .api()
            .run_billing(request)
            .await
            .expect("run")
            .into_inner();
        let elapsed = started.elapsed();
        eprintln!(
            "{:?}: {round} run over {} contracts: {} issued, {} already billed, {} failed in {elapsed:?} ({:.3} ms per contract)",
            env.backend,
            out.contracts_seen,
            out.invoices_issued,
            out.already_billed,
            out.failed,
            elapsed.as_secs_f64() * 1000.0 / n as f64,
        );
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let expected = if round == "first" { (n, 0) } else { (0, n) };
        assert_eq!(
            (out.invoices_issued as usize, out.already_billed as usize),
            expected
        );
    }
}

/// Imports `n` people assigned to `commercial`; their ids.
async fn import_clients(env: &Env, owner: Member, commercial: Uuid, n: usize) -> Vec<Uuid> {
    let api =
        ClientServiceClient::new(env.clients.channel.clone()).max_decoding_message_size(64 << 20);
    let mut ids = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + IMPORT_CHUNK).min(n);
        let rows: Vec<cl::ImportClientsRequest> = (start..end)
            .map(|i| cl::ImportClientsRequest {
                client: Some(cl::Client {
                    kind: ClientKind::Person as i32,
                    first_name: "Jeanne".into(),
                    last_name: format!("Martin {i}"),
                    email: format!("scale-{i}@example.fr"),
                    commercial_id: commercial.to_string(),
                    postal_address: Some(common::Address {
                        line1: "3 avenue Foch".into(),
                        postal_code: "69006".into(),
                        city: "Lyon".into(),
                        country_code: "FR".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        let mut request = env.req(owner, futures::stream::iter(rows));
        request.set_timeout(std::time::Duration::from_secs(600));
        let out = api
            .clone()
            .import_clients(request)
            .await
            .expect("import")
            .into_inner();
        assert_eq!(out.rejected_count, 0, "{:?}", out.results.first());
        ids.extend(
            out.results
                .iter()
                .map(|r| r.client_id.parse::<Uuid>().expect("client id")),
        );
        start = end;
    }
    ids
}

/// Copies the contract `template` once for every client of `clients`, with its own id
/// and number, straight into contrats' database.
async fn copy_contract(env: &Env, template: &Uuid, clients: &[Uuid]) {
    const COPIED: &str = "organisation_id, commercial_id, lines, start_date, term_months, \
        tacit_renewal, billing_day, payment_method, mandate_reference, sales_channel, status, \
        signature_date, signer_name, client_kind, suspension_date, suspension_reason, \
        dunning_case_id, termination_date, termination_cause, termination_reason, \
        cancellation_reason, amendments, created_at, updated_at, version";
    let db = &env.dbs[5].db;
    let backend = db.get_database_backend();
    let tx = db.begin().await.expect("transaction");
    for (chunk_no, chunk) in clients.chunks(INSERT_CHUNK).enumerate() {
        let mut values = Vec::with_capacity(chunk.len() * 3 + 1);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, client) in chunk.iter().enumerate() {
            let p = values.len();
            rows.push(match backend {
                sea_orm::DatabaseBackend::Postgres => {
                    format!("(${}::uuid, ${}, ${}::uuid)", p + 1, p + 2, p + 3)
                }
                _ => "(?, ?, ?)".to_owned(),
            });
            values.push(Value::from(Uuid::now_v7()));
            values.push(Value::from(format!(
                "SCALE-{:08}",
                chunk_no * INSERT_CHUNK + i
            )));
            values.push(Value::from(*client));
        }
        let template_param = match backend {
            sea_orm::DatabaseBackend::Postgres => format!("${}::uuid", values.len() + 1),
            _ => "?".to_owned(),
        };
        values.push(Value::from(*template));
        let sql = format!(
            "INSERT INTO contracts (id, number, client_id, {COPIED}) \
             SELECT v.column1, v.column2, v.column3, {copied} \
             FROM contracts c CROSS JOIN (VALUES {rows}) AS v WHERE c.id = {template_param}",
            copied = COPIED
                .split(", ")
                .map(|c| format!("c.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", "),
            rows = rows.join(", "),
        );
        let written = tx
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .expect("copy contracts");
        assert_eq!(written.rows_affected(), chunk.len() as u64);
    }
    tx.commit().await.expect("commit");
}
