//! A billing run at scale, run by hand (it asserts counts, never times):
//!
//! ```sh
//! CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432 FACTURES_SCALE_CONTRACTS=2000 \
//!   cargo test -p crm-factures --test it scale -- --ignored --nocapture
//! ```
//!
//! It seeds the contracts through contrats' own API (create, send, sign), then prints
//! how long the first run (every contract invoiced) and a second run (nothing issued)
//! take on the last backend configured.

use std::time::Instant;

use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as ct;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as pb;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use futures::{StreamExt as _, TryStreamExt as _};

use crate::support::*;

/// Contracts created at once while seeding.
const SEEDING: usize = 16;

/// Bills FACTURES_SCALE_CONTRACTS active contracts (default 1000) twice and prints the
/// time each run took.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn billing_run_at_scale() {
    let n: usize = std::env::var("FACTURES_SCALE_CONTRACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let env = envs(Stack::Contracts).await.pop().expect("a backend");
    let owner = env.organisation(seller_settings()).await;
    let commercial = env.commercial(owner).await;
    let products =
        ProductServiceClient::new(env.products.as_ref().expect("products").channel.clone());
    let product = products
        .clone()
        .create_product(env.req(
            owner,
            pr::CreateProductRequest {
                product: Some(pr::Product {
                    code: "SCALE-1".into(),
                    name: "Assurance habitation".into(),
                    kind: pr::ProductKind::Subscription as i32,
                    billing_frequency: pr::BillingFrequency::Monthly as i32,
                    vat_category: pr::VatCategory::Exempt as i32,
                    ..Default::default()
                }),
                initial_price: Some(eur(2_490)),
                initial_price_valid_from: Some(date(ymd(2020, 1, 1))),
                ..Default::default()
            },
        ))
        .await
        .expect("product")
        .into_inner()
        .product
        .expect("product")
        .id;
    let seeding = Instant::now();
    let contracts =
        ContractServiceClient::new(env.contrats.as_ref().expect("contrats").channel.clone());
    futures::stream::iter(0..n)
        .map(|_| {
            let mut api = contracts.clone();
            let product = product.clone();
            let env = &env;
            async move {
                let client = env
                    .client(owner, ClientKind::Person, Some(commercial))
                    .await;
                let c = api
                    .create_contract(env.req(
                        owner,
                        ct::CreateContractRequest {
                            contract: Some(ct::Contract {
                                client_id: client,
                                commercial_id: commercial.to_string(),
                                lines: vec![ct::ContractLine {
                                    product_id: product,
                                    quantity: 1,
                                    ..Default::default()
                                }],
                                start_date: Some(date(ymd(2030, 1, 1))),
                                term_months: 12,
                                billing_day: 5,
                                payment_method: ev::PaymentMethod::Card as i32,
                                sales_channel: ev::SalesChannel::OnPremises as i32,
                                ..Default::default()
                            }),
                            request_id: String::new(),
                        },
                    ))
                    .await?
                    .into_inner()
                    .contract
                    .expect("contract");
                api.send_for_signature(env.req(
                    owner,
                    ct::SendForSignatureRequest {
                        contract_id: c.id.clone(),
                        version: 0,
                    },
                ))
                .await?;
                api.sign_contract(env.req(
                    owner,
                    ct::SignContractRequest {
                        contract_id: c.id,
                        signer_name: "Jeanne Martin".into(),
                        signature_date: Some(date(today())),
                        ..Default::default()
                    },
                ))
                .await?;
                Ok::<_, tonic::Status>(())
            }
        })
        .buffer_unordered(SEEDING)
        .try_collect::<Vec<()>>()
        .await
        .expect("seeding");
    eprintln!(
        "{:?}: seeded {n} contracts in {:?}",
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
            "{:?}: {round} run over {} contracts: {} issued, {} already billed, {} failed in {elapsed:?} ({:.2} ms per contract)",
            env.backend,
            out.contracts_seen,
            out.invoices_issued,
            out.already_billed,
            out.failed,
            elapsed.as_secs_f64() * 1000.0 / n as f64,
        );
        let expected = if round == "first" { (n, 0) } else { (0, n) };
        assert_eq!(
            (out.invoices_issued as usize, out.already_billed as usize),
            expected
        );
    }
}
