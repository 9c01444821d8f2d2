//! The commercial core end to end: a sales agent under a manager, a product with a price,
//! an opportunity won, a contract drafted from it, sent for signature, signed (seen on
//! the client's timeline), suspended, resumed and terminated; and the refusals around it
//! (a cycle in the hierarchy, an archived product, another organisation's client, a
//! transition the state machine does not allow).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Datelike as _;
use crm_proto::activites::v1 as act;
use crm_proto::activites::v1::activity::Details;
use crm_proto::activites::v1::activity_service_client::ActivityServiceClient;
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
use tonic::Code;
use uuid::Uuid;

use super::{Live, expect_code, ok};
use crate::runner::Runner;

/// Adds the commercial-core scenarios.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "agent under a manager, priced product, opportunity won, contract signed, suspended, resumed, terminated",
        move || async move { lifecycle(&l).await },
    );
    let l = live.clone();
    runner.add(
        "refused: a cycle in the hierarchy, an archived product, another organisation's client, a wrong transition",
        move || async move { refusals(&l).await },
    );
}

fn today() -> Date {
    let d = chrono::Utc::now().date_naive();
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

fn eur(amount_minor: i64) -> Money {
    Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

fn short() -> String {
    Uuid::new_v4().simple().to_string()[..8].to_uppercase()
}

/// A commercial with a fresh code, under `manager` when given.
pub(super) async fn commercial(
    live: &Live,
    token: &str,
    manager: Option<&str>,
) -> anyhow::Result<co::Commercial> {
    let code = format!("E2E-{}", short());
    ok(
        CommercialServiceClient::new(live.commerciaux.clone())
            .create_commercial(authed(
                token,
                co::CreateCommercialRequest {
                    commercial: Some(co::Commercial {
                        code: code.clone(),
                        first_name: "Agent".into(),
                        last_name: code.clone(),
                        email: format!("{}@example.com", code.to_lowercase()),
                        manager_id: manager.unwrap_or_default().to_owned(),
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateCommercial",
    )?
    .commercial
    .context("CreateCommercial answered no commercial")
}

/// A monthly subscription product priced at `price` minor units from today.
async fn product(live: &Live, token: &str, price: i64) -> anyhow::Result<pr::Product> {
    let code = format!("E2E-{}", short());
    ok(
        ProductServiceClient::new(live.products.clone())
            .create_product(authed(
                token,
                pr::CreateProductRequest {
                    product: Some(pr::Product {
                        code: code.clone(),
                        name: format!("Cover {code}"),
                        kind: pr::ProductKind::Subscription as i32,
                        billing_frequency: pr::BillingFrequency::Monthly as i32,
                        vat_category: pr::VatCategory::Standard as i32,
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                    initial_price: Some(eur(price)),
                    initial_price_valid_from: Some(today()),
                },
            ))
            .await,
        "CreateProduct",
    )?
    .product
    .context("CreateProduct answered no product")
}

fn draft(client: &str, commercial: &str, product: &str) -> ct::Contract {
    ct::Contract {
        client_id: client.to_owned(),
        commercial_id: commercial.to_owned(),
        lines: vec![ct::ContractLine {
            product_id: product.to_owned(),
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
    }
}

async fn lifecycle(live: &Live) -> anyhow::Result<()> {
    let token = live.first().await?.tokens.access_token.clone();
    let manager = commercial(live, &token, None).await?;
    let agent = commercial(live, &token, Some(&manager.id)).await?;
    let upline = ok(
        CommercialServiceClient::new(live.commerciaux.clone())
            .get_hierarchy(authed(
                &token,
                co::GetHierarchyRequest {
                    commercial_id: agent.id.clone(),
                },
            ))
            .await,
        "GetHierarchy",
    )?;
    let chain: Vec<(i32, String)> = upline
        .upline
        .iter()
        .map(|l| {
            (
                l.level,
                l.commercial
                    .as_ref()
                    .map(|c| c.id.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    anyhow::ensure!(
        chain == [(0, agent.id.clone()), (1, manager.id.clone())] && upline.depth == 2,
        "the agent's upline is not agent then manager: {chain:?}, depth {}",
        upline.depth
    );

    let product = product(live, &token, 2_990).await?;
    let client = live.client().await?.clone();

    let mut clients = ClientServiceClient::new(live.clients.clone());
    let opportunity = ok(
        clients
            .create_opportunity(authed(
                &token,
                cl::CreateOpportunityRequest {
                    opportunity: Some(cl::Opportunity {
                        client_id: client.id.clone(),
                        commercial_id: agent.id.clone(),
                        product_id: product.id.clone(),
                        product_interest: "monthly cover".into(),
                        amount: Some(eur(2_990)),
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateOpportunity",
    )?
    .opportunity
    .context("CreateOpportunity answered nothing")?;
    let won = ok(
        clients
            .mark_won(authed(
                &token,
                cl::MarkWonRequest {
                    opportunity_id: opportunity.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "MarkWon",
    )?;
    let from = won
        .contract_draft
        .context("MarkWon answered no contract draft")?;
    anyhow::ensure!(
        from.client_id == client.id
            && from.commercial_id == agent.id
            && from.product_id == product.id,
        "MarkWon's draft does not name the opportunity's client, agent and product: {from:?}"
    );

    let mut contracts = ContractServiceClient::new(live.contrats.clone());
    let created = ok(
        contracts
            .create_contract(authed(
                &token,
                ct::CreateContractRequest {
                    contract: Some(draft(
                        &from.client_id,
                        &from.commercial_id,
                        &from.product_id,
                    )),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateContract",
    )?
    .contract
    .context("CreateContract answered nothing")?;
    anyhow::ensure!(
        created.number.starts_with("C-") && created.status == ct::ContractStatus::Draft as i32,
        "a new contract is a numbered draft: {} {:?}",
        created.number,
        created.status
    );
    let id = created.id.clone();
    ok(
        contracts
            .send_for_signature(authed(
                &token,
                ct::SendForSignatureRequest {
                    contract_id: id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "SendForSignature",
    )?;
    let signed = ok(
        contracts
            .sign_contract(authed(
                &token,
                ct::SignContractRequest {
                    contract_id: id.clone(),
                    signer_name: "Jeanne Endtoend".into(),
                    signature_date: Some(today()),
                    ..Default::default()
                },
            ))
            .await,
        "SignContract",
    )?
    .contract
    .context("SignContract answered nothing")?;
    anyhow::ensure!(
        signed.status == ct::ContractStatus::Active as i32,
        "a signed contract is active, not {:?}",
        signed.status
    );
    let price = signed.lines.first().and_then(|l| l.unit_price.clone());
    anyhow::ensure!(
        price.as_ref().map(|m| m.amount_minor) == Some(2_990),
        "the line's price is the product's price at signature: {price:?}"
    );

    // The signature reaches the client's timeline through the bus.
    wait_for_event(live, &token, &client.id, "contract.signed").await?;

    // A client with a contract in force stays (clients asks contrats).
    expect_code(
        clients
            .archive_client(authed(
                &token,
                cl::ArchiveClientRequest {
                    client_id: client.id.clone(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "ArchiveClient with an active contract",
    )?;

    for (what, answer) in [
        (
            "SuspendContract",
            contracts
                .suspend_contract(authed(
                    &token,
                    ct::SuspendContractRequest {
                        contract_id: id.clone(),
                        reason: "unpaid premium".into(),
                        effective_date: Some(today()),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().contract),
        ),
        (
            "ResumeContract",
            contracts
                .resume_contract(authed(
                    &token,
                    ct::ResumeContractRequest {
                        contract_id: id.clone(),
                        effective_date: Some(today()),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().contract),
        ),
        (
            "TerminateContract",
            contracts
                .terminate_contract(authed(
                    &token,
                    ct::TerminateContractRequest {
                        contract_id: id.clone(),
                        termination_date: Some(today()),
                        cause: ev::TerminationCause::ClientCancellation as i32,
                        reason: "moved abroad".into(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().contract),
        ),
    ] {
        let contract = answer
            .map_err(|s| anyhow::anyhow!("{what}: {}", super::describe(&s)))?
            .with_context(|| format!("{what} answered nothing"))?;
        let expected = match what {
            "SuspendContract" => ct::ContractStatus::Suspended,
            "ResumeContract" => ct::ContractStatus::Active,
            _ => ct::ContractStatus::Terminated,
        };
        anyhow::ensure!(
            contract.status == expected as i32,
            "{what} left the contract {:?}",
            contract.status
        );
    }
    wait_for_event(live, &token, &client.id, "contract.terminated").await?;
    Ok(())
}

/// Waits (15 s at most) until the client's timeline shows an event of `event_type`.
async fn wait_for_event(
    live: &Live,
    token: &str,
    client: &str,
    event_type: &str,
) -> anyhow::Result<()> {
    let mut activites = ActivityServiceClient::new(live.activites.clone());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = ok(
            activites
                .list_timeline(authed(
                    token,
                    act::ListTimelineRequest {
                        client_id: client.to_owned(),
                        page_size: 100,
                        ..Default::default()
                    },
                ))
                .await,
            "ListTimeline",
        )?;
        if page
            .activities
            .iter()
            .any(|a| matches!(&a.details, Some(Details::System(s)) if s.event_type == event_type))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!("no {event_type} on the client's timeline after 15 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn refusals(live: &Live) -> anyhow::Result<()> {
    let token = live.first().await?.tokens.access_token.clone();
    let mut commerciaux = CommercialServiceClient::new(live.commerciaux.clone());
    let top = commercial(live, &token, None).await?;
    let below = commercial(live, &token, Some(&top.id)).await?;
    // Putting the manager under their own report closes a cycle.
    expect_code(
        commerciaux
            .update_commercial(authed(
                &token,
                co::UpdateCommercialRequest {
                    commercial: Some(co::Commercial {
                        id: top.id.clone(),
                        manager_id: below.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["manager_id".into()],
                    }),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "a manager under their own report",
    )?;

    let archived = product(live, &token, 1_000).await?;
    ok(
        ProductServiceClient::new(live.products.clone())
            .archive_product(authed(
                &token,
                pr::ArchiveProductRequest {
                    product_id: archived.id.clone(),
                },
            ))
            .await,
        "ArchiveProduct",
    )?;
    let client = live.client().await?.clone();
    let mut contracts = ContractServiceClient::new(live.contrats.clone());
    expect_code(
        contracts
            .create_contract(authed(
                &token,
                ct::CreateContractRequest {
                    contract: Some(draft(&client.id, &top.id, &archived.id)),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        Code::InvalidArgument,
        "a contract with an archived product",
    )?;

    // The second organisation's agent and product, with the first organisation's client.
    let other = live.second().await?.tokens.access_token.clone();
    let their_agent = commercial(live, &other, None).await?;
    let their_product = product(live, &other, 1_500).await?;
    expect_code(
        contracts
            .create_contract(authed(
                &other,
                ct::CreateContractRequest {
                    contract: Some(draft(&client.id, &their_agent.id, &their_product.id)),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        Code::NotFound,
        "a contract for another organisation's client",
    )?;

    // A draft cannot be resumed, nor signed before it is sent.
    let fresh = product(live, &token, 2_000).await?;
    let drafted = ok(
        contracts
            .create_contract(authed(
                &token,
                ct::CreateContractRequest {
                    contract: Some(draft(&client.id, &top.id, &fresh.id)),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateContract",
    )?
    .contract
    .context("CreateContract answered nothing")?;
    expect_code(
        contracts
            .resume_contract(authed(
                &token,
                ct::ResumeContractRequest {
                    contract_id: drafted.id.clone(),
                    effective_date: Some(today()),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
        "resuming a draft",
    )?;
    expect_code(
        contracts
            .sign_contract(authed(
                &token,
                ct::SignContractRequest {
                    contract_id: drafted.id.clone(),
                    signer_name: "Too Early".into(),
                    signature_date: Some(today()),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
        "signing a draft that was not sent",
    )?;
    Ok(())
}
