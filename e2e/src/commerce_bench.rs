//! Benchmarks of the commercial core against running services (the CRM_E2E_* URLs):
//! SignContract end to end at a fixed concurrency, the ImportClients rate, and
//! ListClients pages (first and deep, by keyset) in one organisation holding many
//! clients. Each phase works in an organisation of its own, signed up for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Datelike as _;
use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commerciaux::v1 as co;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::common::v1::{Date, Money};
use crm_proto::contrats::v1 as ct;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use crm_testkit::authed;
use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

use crate::Endpoints;
use crate::live::{ok, sign_up};

/// What to measure.
#[derive(Debug, Clone, clap::Args)]
pub struct CommerceBenchArgs {
    /// Contracts to sign (each drafted and sent for signature beforehand); 0 skips.
    #[arg(long, default_value_t = 4_000)]
    pub contracts: usize,
    /// SignContract calls in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Clients to import into one organisation before listing it; 0 skips both.
    #[arg(long, default_value_t = 1_000_000)]
    pub clients: usize,
    /// Rows per ImportClients call (the service takes at most 30,000).
    #[arg(long, default_value_t = 25_000)]
    pub rows_per_call: usize,
    /// ListClients calls recorded per page measured.
    #[arg(long, default_value_t = 2_000)]
    pub samples: usize,
}

fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("bad URL {url:?}"))?
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .connect_lazy())
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

fn summary(h: &Histogram<u64>) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  max {}",
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
    )
}

fn today() -> Date {
    let d = chrono::Utc::now().date_naive();
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// Runs the phases `args` asks for and prints their figures.
pub async fn run(
    endpoints: Endpoints,
    args: CommerceBenchArgs,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    if args.contracts > 0 {
        sign(&endpoints, &args, out).await?;
    }
    if args.clients > 0 {
        import_and_list(&endpoints, &args, out).await?;
    }
    Ok(())
}

/// Drafts and sends `args.contracts` contracts, then signs them all with
/// `args.concurrency` calls in flight, recording each SignContract.
async fn sign(
    endpoints: &Endpoints,
    args: &CommerceBenchArgs,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let users = channel(&endpoints.users)?;
    let token = sign_up(&users, "sign-bench").await?.tokens.access_token;
    let commercial = ok(
        CommercialServiceClient::new(channel(&endpoints.commerciaux)?)
            .create_commercial(authed(
                &token,
                co::CreateCommercialRequest {
                    commercial: Some(co::Commercial {
                        code: "BENCH-1".into(),
                        first_name: "Bench".into(),
                        last_name: "Agent".into(),
                        email: "bench-agent@example.com".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await,
        "CreateCommercial",
    )?
    .commercial
    .context("no commercial")?
    .id;
    let product = ok(
        ProductServiceClient::new(channel(&endpoints.products)?)
            .create_product(authed(
                &token,
                pr::CreateProductRequest {
                    product: Some(pr::Product {
                        code: "BENCH-P".into(),
                        name: "Bench cover".into(),
                        kind: pr::ProductKind::Subscription as i32,
                        billing_frequency: pr::BillingFrequency::Monthly as i32,
                        vat_category: pr::VatCategory::Standard as i32,
                        ..Default::default()
                    }),
                    initial_price: Some(Money {
                        currency_code: "EUR".into(),
                        amount_minor: 2_990,
                    }),
                    initial_price_valid_from: Some(today()),
                    ..Default::default()
                },
            ))
            .await,
        "CreateProduct",
    )?
    .product
    .context("no product")?
    .id;
    let client = ok(
        ClientServiceClient::new(channel(&endpoints.clients)?)
            .create_client(authed(
                &token,
                cl::CreateClientRequest {
                    client: Some(cl::Client {
                        kind: cl::ClientKind::Person as i32,
                        first_name: "Jeanne".into(),
                        last_name: "Bench".into(),
                        email: "jeanne.bench@example.com".into(),
                        commercial_id: commercial.clone(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await,
        "CreateClient",
    )?
    .client
    .context("no client")?
    .id;
    let contrats = channel(&endpoints.contrats)?;
    let draft = ct::Contract {
        client_id: client,
        commercial_id: commercial,
        lines: vec![ct::ContractLine {
            product_id: product,
            quantity: 1,
            ..Default::default()
        }],
        start_date: Some(today()),
        term_months: 12,
        tacit_renewal: true,
        billing_day: 5,
        payment_method: ev::PaymentMethod::Transfer as i32,
        sales_channel: ev::SalesChannel::OnPremises as i32,
        ..Default::default()
    };

    let started = Instant::now();
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(args.contracts)));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (contrats, token, draft, ids, next) = (
            contrats.clone(),
            token.clone(),
            draft.clone(),
            ids.clone(),
            next.clone(),
        );
        let total = args.contracts;
        tasks.push(tokio::spawn(async move {
            let mut api = ContractServiceClient::new(contrats);
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let id = ok(
                    api.create_contract(authed(
                        &token,
                        ct::CreateContractRequest {
                            contract: Some(draft.clone()),
                            request_id: String::new(),
                        },
                    ))
                    .await,
                    "CreateContract",
                )?
                .contract
                .context("no contract")?
                .id;
                ok(
                    api.send_for_signature(authed(
                        &token,
                        ct::SendForSignatureRequest {
                            contract_id: id.clone(),
                            version: 0,
                        },
                    ))
                    .await,
                    "SendForSignature",
                )?;
                ids.lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(id);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let ids: Vec<String> =
        std::mem::take(&mut *ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    writeln!(
        out,
        "prepared {} contracts pending signature in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    )?;

    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (contrats, token, ids, next) =
            (contrats.clone(), token.clone(), ids.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut api = ContractServiceClient::new(contrats);
            let mut h = histogram()?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let sent = Instant::now();
                ok(
                    api.sign_contract(authed(
                        &token,
                        ct::SignContractRequest {
                            contract_id: id.clone(),
                            signer_name: "Jeanne Bench".into(),
                            signature_date: Some(today()),
                            ..Default::default()
                        },
                    ))
                    .await,
                    "SignContract",
                )?;
                h.record(sent.elapsed().as_micros() as u64)?;
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = histogram()?;
    for t in tasks {
        all.add(t.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "SignContract: {} signed at concurrency {} in {:.2} s: {:.0} req/s; {}",
        all.len(),
        args.concurrency,
        elapsed,
        all.len() as f64 / elapsed,
        summary(&all)
    )?;
    Ok(())
}

/// Imports `args.clients` clients into a new organisation, call after call, then
/// records ListClients' first page and a page in the middle.
async fn import_and_list(
    endpoints: &Endpoints,
    args: &CommerceBenchArgs,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let users = channel(&endpoints.users)?;
    let token = sign_up(&users, "list-bench").await?.tokens.access_token;
    let mut api = ClientServiceClient::new(channel(&endpoints.clients)?)
        .max_decoding_message_size(64 * 1024 * 1024);
    let started = Instant::now();
    let mut imported = 0usize;
    let mut calls = 0usize;
    while imported < args.clients {
        let rows = args.rows_per_call.min(args.clients - imported).max(1);
        let first = imported;
        let stream =
            futures::stream::iter((first..first + rows).map(|i| cl::ImportClientsRequest {
                client: Some(cl::Client {
                    kind: cl::ClientKind::Person as i32,
                    first_name: "Camille".into(),
                    last_name: format!("Client {i}"),
                    email: format!("client-{i}@bench.example.com"),
                    phone: "+33 6 12 34 56 78".into(),
                    ..Default::default()
                }),
                row_number: (i + 1) as i64,
                ..Default::default()
            }));
        let answer = ok(
            api.import_clients(authed(&token, stream)).await,
            "ImportClients",
        )?;
        anyhow::ensure!(
            answer.rejected_count == 0,
            "ImportClients rejected {} rows: {:?}",
            answer.rejected_count,
            answer.results.iter().find(|r| !r.violations.is_empty())
        );
        imported += answer.imported_count as usize;
        calls += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "ImportClients: {imported} rows in {calls} calls in {elapsed:.1} s: {:.0} rows/s",
        imported as f64 / elapsed
    )?;

    let list = |page_token: String, page_size: i32| cl::ListClientsRequest {
        page_size,
        page_token,
        ..Default::default()
    };
    // The page in the middle: walk there with the largest pages.
    let started = Instant::now();
    let mut token_mid = String::new();
    let mut walked = 0usize;
    while walked < imported / 2 {
        let page = ok(
            api.list_clients(authed(&token, list(token_mid.clone(), 200)))
                .await,
            "ListClients",
        )?;
        walked += page.clients.len();
        token_mid = page.next_page_token;
        if token_mid.is_empty() {
            break;
        }
    }
    writeln!(
        out,
        "walked to client {walked} of {imported} in {:.1} s",
        started.elapsed().as_secs_f64()
    )?;
    for (what, page_token) in [("first page", String::new()), ("deep page", token_mid)] {
        let mut h = histogram()?;
        for _ in 0..args.samples {
            let sent = Instant::now();
            let page = ok(
                api.list_clients(authed(&token, list(page_token.clone(), 50)))
                    .await,
                "ListClients",
            )?;
            h.record(sent.elapsed().as_micros() as u64)?;
            anyhow::ensure!(
                page.clients.len() == 50,
                "a page of 50 has {}",
                page.clients.len()
            );
        }
        writeln!(
            out,
            "ListClients {what} (50 rows, {imported} clients, {} calls one after another): {}",
            h.len(),
            summary(&h)
        )?;
    }
    Ok(())
}
