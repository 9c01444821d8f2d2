//! Billing and collections, end to end: a signed SEPA contract with a mandate gets a
//! schedule; RunBilling issues its invoice once; PrepareBatch and ExportBatch give a
//! pain.008 that validates against its XSD; an AM04 return schedules a retry, RunDue
//! presents it again and the settlement pays the invoice; the sales agent's commission
//! shows the upfront and recurring lines and the manager's override; a second client's
//! MD01 is not retried and fails its mandate; terminating that contract claws back.
//! Everything asynchronous (events between services) is awaited by polling.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{Datelike as _, NaiveDate};
use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commission::v1 as cm;
use crm_proto::commission::v1::commission_service_client::CommissionServiceClient;
use crm_proto::common::v1::{Date, Money};
use crm_proto::contrats::v1 as ct;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as fa;
use crm_proto::factures::v1::invoice_service_client::InvoiceServiceClient;
use crm_proto::payments::v1 as pa;
use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use crm_shared::calendar::add_target_days;
use crm_testkit::authed;
use uuid::Uuid;

use super::{Live, commerce, ok, sign_up};
use crate::runner::Runner;

/// How long an event may take to reach its consumers.
const EVENTUALLY: Duration = Duration::from_secs(20);

/// Adds the billing story.
pub fn add(runner: &mut Runner, live: &Arc<Live>) {
    let l = live.clone();
    runner.add(
        "SEPA story: schedule, invoice once, pain.008 valid, AM04 retried and paid, commissions and override, MD01 not retried, clawback",
        move || async move { story(&l).await },
    );
}

fn date(d: NaiveDate) -> Date {
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

fn naive(d: Option<&Date>) -> anyhow::Result<NaiveDate> {
    let d = d.context("a date is missing")?;
    NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).context("not a date")
}

fn eur(amount_minor: i64) -> Money {
    Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

/// Polls `probe` until it returns `Some`, for at most [`EVENTUALLY`].
async fn eventually<T, F, Fut>(what: &str, probe: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            anyhow::bail!("{what}: not seen after {} s", EVENTUALLY.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Validates a pain.008.001.02 document against the XSD kept in libs/sepa.
fn validate_pain008(xml: &[u8]) -> anyhow::Result<()> {
    let xsd = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../libs/sepa/schemas/pain.008.001.02.xsd"
    );
    let mut child = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", xsd, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("xmllint (Debian libxml2-utils) is needed to validate pain.008")?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().context("xmllint stdin")?;
        stdin.write_all(xml)?;
    }
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "the pain.008 does not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

struct Sale {
    client: String,
    contract: String,
}

async fn sell(
    live: &Live,
    token: &str,
    account: &str,
    agent: &str,
    product: &str,
    name: &str,
) -> anyhow::Result<Sale> {
    let tag = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let client = ok(
        ClientServiceClient::new(live.clients.clone())
            .create_client(authed(
                token,
                cl::CreateClientRequest {
                    client: Some(cl::Client {
                        kind: cl::ClientKind::Person as i32,
                        first_name: "Camille".into(),
                        last_name: name.into(),
                        email: format!("{}-{tag}@example.com", name.to_lowercase()),
                        commercial_id: agent.into(),
                        postal_address: Some(crm_proto::common::v1::Address {
                            line1: "3 place Bellecour".into(),
                            postal_code: "69002".into(),
                            city: "Lyon".into(),
                            country_code: "FR".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateClient",
    )?
    .client
    .context("no client")?
    .id;
    let reference = format!("RUM-E2E-{tag}");
    let today = chrono::Utc::now().date_naive();
    ok(
        PaymentServiceClient::new(live.payments.clone())
            .create_mandate(authed(
                token,
                pa::CreateMandateRequest {
                    creditor_account_id: account.into(),
                    reference: reference.clone(),
                    client_id: client.clone(),
                    debtor_name: format!("Camille {name}"),
                    iban: "FR7630006000011234567890189".into(),
                    signature_date: Some(date(today - chrono::Days::new(10))),
                    r#type: ev::MandateType::Recurrent as i32,
                    scheme: ev::MandateScheme::Core as i32,
                    request_id: Uuid::new_v4().to_string(),
                    ..Default::default()
                },
            ))
            .await,
        "CreateMandate",
    )?;
    let mut contracts = ContractServiceClient::new(live.contrats.clone());
    let draft = ok(
        contracts
            .create_contract(authed(
                token,
                ct::CreateContractRequest {
                    contract: Some(ct::Contract {
                        client_id: client.clone(),
                        commercial_id: agent.into(),
                        lines: vec![ct::ContractLine {
                            product_id: product.into(),
                            quantity: 1,
                            ..Default::default()
                        }],
                        start_date: Some(date(today)),
                        term_months: 12,
                        tacit_renewal: true,
                        billing_day: 1,
                        payment_method: ev::PaymentMethod::Sepa as i32,
                        mandate_reference: reference,
                        sales_channel: ev::SalesChannel::OnPremises as i32,
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateContract",
    )?
    .contract
    .context("no contract")?
    .id;
    ok(
        contracts
            .send_for_signature(authed(
                token,
                ct::SendForSignatureRequest {
                    contract_id: draft.clone(),
                    version: 0,
                },
            ))
            .await,
        "SendForSignature",
    )?;
    ok(
        contracts
            .sign_contract(authed(
                token,
                ct::SignContractRequest {
                    contract_id: draft.clone(),
                    signer_name: format!("Camille {name}"),
                    signature_date: Some(date(today)),
                    ..Default::default()
                },
            ))
            .await,
        "SignContract",
    )?;
    Ok(Sale {
        client,
        contract: draft,
    })
}

/// The schedule payments made from contract.signed, once every instalment has its
/// invoice when `invoiced`.
async fn schedule_of(
    live: &Live,
    token: &str,
    contract: &str,
    invoiced: bool,
) -> anyhow::Result<pa::Schedule> {
    eventually("the contract's schedule", || async {
        let page = ok(
            PaymentServiceClient::new(live.payments.clone())
                .list_schedules(authed(
                    token,
                    pa::ListSchedulesRequest {
                        contract_id: contract.into(),
                        page_size: 10,
                        ..Default::default()
                    },
                ))
                .await,
            "ListSchedules",
        )?;
        Ok(page.schedules.into_iter().next().filter(|s| {
            !invoiced
                || s.instalments
                    .first()
                    .is_some_and(|i| !i.invoice_id.is_empty())
        }))
    })
    .await
}

async fn entries(live: &Live, token: &str, commercial: &str) -> anyhow::Result<Vec<cm::Entry>> {
    Ok(ok(
        CommissionServiceClient::new(live.commission.clone())
            .list_entries(authed(
                token,
                cm::ListEntriesRequest {
                    commercial_id: commercial.into(),
                    page_size: 200,
                    ..Default::default()
                },
            ))
            .await,
        "ListEntries",
    )?
    .entries)
}

fn kinds(entries: &[cm::Entry]) -> Vec<i32> {
    let mut k: Vec<i32> = entries.iter().map(|e| e.kind).collect();
    k.sort_unstable();
    k.dedup();
    k
}

async fn story(live: &Live) -> anyhow::Result<()> {
    let users = live.users.clone();
    let tokens = sign_up(&users, "billing").await?.tokens;
    let token = tokens.access_token;
    let today = chrono::Utc::now().date_naive();

    // The seller's identity, printed on every invoice.
    ok(
        crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient::new(
            live.organisations.clone(),
        )
        .update_organisation(authed(
            &token,
            crm_proto::organisations::v1::UpdateOrganisationRequest {
                organisation: Some(crm_proto::organisations::v1::Organisation {
                    id: tokens.organisation_id.clone(),
                    legal_name: "Assurances Exemple SAS".into(),
                    siren: "732829320".into(),
                    settings: [
                        ("address_line1", "12 rue de la Paix"),
                        ("postal_code", "75002"),
                        ("city", "Paris"),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["legal_name".into(), "siren".into(), "settings".into()],
                }),
            },
        ))
        .await,
        "UpdateOrganisation",
    )?;

    // The sales force and the catalogue: an agent under a manager, an exempt monthly
    // premium of 50.00 EUR, a default plan (30 % upfront, 5 % recurring, 10 % override
    // for the manager, FULL clawback within 12 months).
    let manager = commerce::commercial(live, &token, None).await?;
    let agent = commerce::commercial(live, &token, Some(&manager.id)).await?;
    let code = format!("E2E-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let product = ok(
        ProductServiceClient::new(live.products.clone())
            .create_product(authed(
                &token,
                pr::CreateProductRequest {
                    product: Some(pr::Product {
                        code: code.clone(),
                        name: format!("Assurance {code}"),
                        kind: pr::ProductKind::Subscription as i32,
                        billing_frequency: pr::BillingFrequency::Monthly as i32,
                        vat_category: pr::VatCategory::Exempt as i32,
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                    initial_price: Some(eur(5_000)),
                    initial_price_valid_from: Some(date(today)),
                },
            ))
            .await,
        "CreateProduct",
    )?
    .product
    .context("no product")?
    .id;
    ok(
        CommissionServiceClient::new(live.commission.clone())
            .create_plan(authed(
                &token,
                cm::CreatePlanRequest {
                    plan: Some(cm::Plan {
                        name: "Standard".into(),
                        is_default: true,
                        rules: vec![cm::PlanRule {
                            product_id: product.clone(),
                            upfront_rate_basis_points: 3_000,
                            recurring_rate_basis_points: 500,
                            overrides: vec![cm::OverrideRate {
                                level: 1,
                                rate_basis_points: 1_000,
                            }],
                            clawback_months: 12,
                            clawback_mode: cm::ClawbackMode::Full as i32,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreatePlan",
    )?;

    // Collections: no pre-notification delay by agreement, and a retry policy that
    // presents again as soon as the lead time allows (the default waits 8 days).
    let mut payments = PaymentServiceClient::new(live.payments.clone());
    ok(
        payments
            .update_payment_settings(authed(
                &token,
                pa::UpdatePaymentSettingsRequest {
                    settings: Some(pa::PaymentSettings {
                        submission_lead_days: 2,
                        prenotification_days: 0,
                        version: 0,
                    }),
                },
            ))
            .await,
        "UpdatePaymentSettings",
    )?;
    ok(
        crm_proto::retry::v1::retry_service_client::RetryServiceClient::new(live.retry.clone())
            .update_policy(authed(
                &token,
                crm_proto::retry::v1::UpdatePolicyRequest {
                    policy: Some(crm_proto::retry::v1::Policy {
                        spacing_days: 1,
                        align_to_pay_days: false,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["spacing_days".into(), "align_to_pay_days".into()],
                    }),
                },
            ))
            .await,
        "UpdatePolicy",
    )?;
    let account = ok(
        payments
            .create_creditor_account(authed(
                &token,
                pa::CreateCreditorAccountRequest {
                    creditor_account: Some(pa::CreditorAccount {
                        name: "Assurances Exemple".into(),
                        creditor_identifier: "FR72ZZZ123456".into(),
                        iban: "FR7630006000011234567890189".into(),
                        bic: "BNPAFRPP".into(),
                        ..Default::default()
                    }),
                    request_id: Uuid::new_v4().to_string(),
                },
            ))
            .await,
        "CreateCreditorAccount",
    )?
    .creditor_account
    .context("no creditor account")?
    .id;

    // Two SEPA contracts signed with their mandates: payments makes their schedules.
    let first = sell(live, &token, &account, &agent.id, &product, "Martin").await?;
    let second = sell(live, &token, &account, &agent.id, &product, "Bernard").await?;
    schedule_of(live, &token, &first.contract, false).await?;
    schedule_of(live, &token, &second.contract, false).await?;

    // RunBilling issues one invoice per contract for the month, and nothing more when
    // run again.
    let month_start = today.with_day(1).context("first of the month")?;
    let month_end = (month_start + chrono::Months::new(1)) - chrono::Days::new(1);
    let run = || {
        let mut f = InvoiceServiceClient::new(live.factures.clone());
        let token = token.clone();
        async move {
            ok(
                f.run_billing(authed(
                    &token,
                    fa::RunBillingRequest {
                        period_start: Some(date(month_start)),
                        period_end: Some(date(month_end)),
                    },
                ))
                .await,
                "RunBilling",
            )
        }
    };
    let once = run().await?;
    anyhow::ensure!(
        once.invoices_issued == 2 && once.failed == 0,
        "the first run issues 2 invoices: {once:?}"
    );
    let again = run().await?;
    anyhow::ensure!(
        again.invoices_issued == 0 && again.already_billed == 2,
        "a second run issues nothing more: {again:?}"
    );
    let first_schedule = schedule_of(live, &token, &first.contract, true).await?;
    schedule_of(live, &token, &second.contract, true).await?;
    let invoice_id = first_schedule.instalments[0].invoice_id.clone();

    // PrepareBatch on the first valid collection day covering the first instalments,
    // then ExportBatch: a pain.008.001.02 that validates.
    let due = naive(first_schedule.instalments[0].due_date.as_ref())?;
    let mut collection = add_target_days(today, 3).context("a TARGET day")?;
    while collection < due {
        collection = add_target_days(collection, 1).context("a TARGET day")?;
    }
    let prepared = ok(
        payments
            .prepare_batch(authed(
                &token,
                pa::PrepareBatchRequest {
                    creditor_account_id: account.clone(),
                    collection_date: Some(date(collection)),
                },
            ))
            .await,
        "PrepareBatch",
    )?;
    anyhow::ensure!(
        prepared.payments.len() == 2,
        "the batch collects both instalments: {:?}",
        prepared.payments
    );
    let batch = prepared.batch.context("no batch")?.id;
    let exported = ok(
        payments
            .export_batch(authed(
                &token,
                pa::ExportBatchRequest {
                    batch_id: batch.clone(),
                    version: pa::PainVersion::V02 as i32,
                },
            ))
            .await,
        "ExportBatch",
    )?;
    validate_pain008(&exported.xml)?;

    // Returns: AM04 for the first client (retried), MD01 for the second (never).
    let payment_of = |client: &str| {
        prepared
            .payments
            .iter()
            .find(|p| p.client_id == client)
            .map(|p| p.id.clone())
            .context("a payment of the client")
    };
    let (p1, p2) = (payment_of(&first.client)?, payment_of(&second.client)?);
    let returns = ok(
        payments
            .import_returns(authed(
                &token,
                pa::ImportReturnsRequest {
                    rows: vec![
                        pa::ReturnRow {
                            payment_id: p1.clone(),
                            reason_code: "AM04".into(),
                            date: Some(date(today)),
                            ..Default::default()
                        },
                        pa::ReturnRow {
                            payment_id: p2.clone(),
                            reason_code: "MD01".into(),
                            date: Some(date(today)),
                            ..Default::default()
                        },
                    ],
                },
            ))
            .await,
        "ImportReturns",
    )?;
    anyhow::ensure!(returns.applied == 2, "both returns apply: {returns:?}");

    let retry_client =
        || crm_proto::retry::v1::retry_service_client::RetryServiceClient::new(live.retry.clone());
    let chain_of = |client: String, state: crm_proto::retry::v1::ChainState| {
        let mut retry = retry_client();
        let token = token.clone();
        async move {
            let page = ok(
                retry
                    .list_chains(authed(
                        &token,
                        crm_proto::retry::v1::ListChainsRequest {
                            client_id: client,
                            page_size: 10,
                            ..Default::default()
                        },
                    ))
                    .await,
                "ListChains",
            )?;
            Ok(page.chains.into_iter().find(|c| c.state == state as i32))
        }
    };
    use crm_proto::retry::v1::ChainState;
    eventually("the AM04 retry scheduled", || {
        chain_of(first.client.clone(), ChainState::Scheduled)
    })
    .await?;
    eventually("the MD01 chain exhausted (retry.exhausted)", || {
        chain_of(second.client.clone(), ChainState::Exhausted)
    })
    .await?;
    let failed = eventually("the MD01 mandate failed", || async {
        let page = ok(
            PaymentServiceClient::new(live.payments.clone())
                .list_mandates(authed(
                    &token,
                    pa::ListMandatesRequest {
                        client_id: second.client.clone(),
                        page_size: 5,
                        ..Default::default()
                    },
                ))
                .await,
            "ListMandates",
        )?;
        Ok(page
            .mandates
            .into_iter()
            .find(|m| m.status == ev::MandateStatus::Failed as i32))
    })
    .await?;
    anyhow::ensure!(failed.status_reason_code == "MD01", "{failed:?}");

    // RunDue presents the AM04 payment again; its batch is collected and settled.
    let due_run = ok(
        retry_client()
            .run_due(authed(
                &token,
                crm_proto::retry::v1::RunDueRequest {
                    as_of: Some(date(today)),
                },
            ))
            .await,
        "RunDue",
    )?;
    anyhow::ensure!(due_run.submitted >= 1, "RunDue presents again: {due_run:?}");
    let in_flight = eventually("the retry in flight", || {
        chain_of(first.client.clone(), ChainState::InFlight)
    })
    .await?;
    let represented = ok(
        payments
            .get_payment(authed(
                &token,
                pa::GetPaymentRequest {
                    payment_id: in_flight.current_payment_id.clone(),
                },
            ))
            .await,
        "GetPayment",
    )?
    .payment
    .context("no payment")?;
    anyhow::ensure!(represented.attempt_number == 2, "{represented:?}");
    let retry_date = naive(represented.collection_date.as_ref())?;
    let second_batch = ok(
        payments
            .prepare_batch(authed(
                &token,
                pa::PrepareBatchRequest {
                    creditor_account_id: account.clone(),
                    collection_date: Some(date(retry_date)),
                },
            ))
            .await,
        "PrepareBatch (re-presentation)",
    )?;
    let batch2 = second_batch.batch.context("no batch")?.id;
    let exported = ok(
        payments
            .export_batch(authed(
                &token,
                pa::ExportBatchRequest {
                    batch_id: batch2.clone(),
                    version: pa::PainVersion::V02 as i32,
                },
            ))
            .await,
        "ExportBatch (re-presentation)",
    )?;
    validate_pain008(&exported.xml)?;
    ok(
        payments
            .mark_settled(authed(
                &token,
                pa::MarkSettledRequest {
                    batch_id: batch2,
                    settlement_date: Some(date(retry_date)),
                    ..Default::default()
                },
            ))
            .await,
        "MarkSettled",
    )?;
    eventually("the invoice paid", || async {
        let invoice = ok(
            InvoiceServiceClient::new(live.factures.clone())
                .get_invoice(authed(
                    &token,
                    fa::GetInvoiceRequest {
                        invoice_id: invoice_id.clone(),
                    },
                ))
                .await,
            "GetInvoice",
        )?
        .invoice
        .context("no invoice")?;
        Ok((invoice.status == fa::InvoiceStatus::Paid as i32).then_some(()))
    })
    .await?;
    eventually("the retry succeeded", || {
        chain_of(first.client.clone(), ChainState::Succeeded)
    })
    .await?;

    // Commissions: the agent earned the upfront and the recurring line, the manager the
    // override; terminating the second contract inside the window claws back.
    use ev::CommissionKind as K;
    eventually("the agent's upfront and recurring lines", || async {
        let k = kinds(&entries(live, &token, &agent.id).await?);
        Ok((k.contains(&(K::Upfront as i32)) && k.contains(&(K::Recurring as i32))).then_some(()))
    })
    .await?;
    eventually("the manager's override", || async {
        let k = kinds(&entries(live, &token, &manager.id).await?);
        Ok(k.contains(&(K::Override as i32)).then_some(()))
    })
    .await?;
    ok(
        ContractServiceClient::new(live.contrats.clone())
            .terminate_contract(authed(
                &token,
                ct::TerminateContractRequest {
                    contract_id: second.contract.clone(),
                    termination_date: Some(date(today)),
                    cause: ev::TerminationCause::ClientCancellation as i32,
                    reason: "résiliation".into(),
                    version: 0,
                },
            ))
            .await,
        "TerminateContract",
    )?;
    let period = format!("{:04}-{:02}", today.year(), today.month());
    eventually("the clawback line on the agent's statement", || async {
        let statement = ok(
            CommissionServiceClient::new(live.commission.clone())
                .get_statement(authed(
                    &token,
                    cm::GetStatementRequest {
                        commercial_id: agent.id.clone(),
                        period: period.clone(),
                        page_size: 200,
                        ..Default::default()
                    },
                ))
                .await,
            "GetStatement",
        )?;
        let clawed = statement
            .lines
            .iter()
            .any(|l| l.kind == K::Clawback as i32 && l.contract_id == second.contract);
        let upfront = statement.lines.iter().any(|l| l.kind == K::Upfront as i32);
        Ok((clawed && upfront).then_some(()))
    })
    .await?;
    Ok(())
}
