//! Billing runs against contrats, and the prorated credit of a terminated contract.

use chrono::NaiveDate;
use crm_events::consume::{Delivered, Outcome, apply};
use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as ct;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as pb;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use prost::Message as _;
use uuid::Uuid;

use crate::support::*;

impl Env {
    /// Creates a subscription product billed every `frequency`, priced `cents` since 2020.
    pub(crate) async fn product(
        &self,
        owner: Member,
        frequency: pr::BillingFrequency,
        vat: pr::VatCategory,
        cents: i64,
    ) -> String {
        let code = format!("P-{}", &Uuid::new_v4().simple().to_string()[..8]);
        ProductServiceClient::new(self.products.as_ref().expect("products").channel.clone())
            .create_product(self.req(
                owner,
                pr::CreateProductRequest {
                    product: Some(pr::Product {
                        code: code.clone(),
                        name: format!("Assurance {code}"),
                        kind: pr::ProductKind::Subscription as i32,
                        billing_frequency: frequency as i32,
                        vat_category: vat as i32,
                        ..Default::default()
                    }),
                    initial_price: Some(eur(cents)),
                    initial_price_valid_from: Some(date(ymd(2020, 1, 1))),
                    ..Default::default()
                },
            ))
            .await
            .expect("create product")
            .into_inner()
            .product
            .expect("product")
            .id
    }

    fn contracts(&self) -> ContractServiceClient<tonic::transport::Channel> {
        ContractServiceClient::new(self.contrats.as_ref().expect("contrats").channel.clone())
    }

    /// Creates a contract of `client` for one unit of `product` starting on `start`,
    /// signed today when `sign`.
    pub(crate) async fn contract(
        &self,
        owner: Member,
        client: &str,
        commercial: Uuid,
        product: &str,
        start: NaiveDate,
        sign: bool,
    ) -> String {
        let mut api = self.contracts();
        let c = api
            .create_contract(self.req(
                owner,
                ct::CreateContractRequest {
                    contract: Some(ct::Contract {
                        client_id: client.into(),
                        commercial_id: commercial.to_string(),
                        lines: vec![ct::ContractLine {
                            product_id: product.into(),
                            quantity: 1,
                            ..Default::default()
                        }],
                        start_date: Some(date(start)),
                        term_months: 12,
                        tacit_renewal: true,
                        billing_day: 5,
                        payment_method: ev::PaymentMethod::Card as i32,
                        sales_channel: ev::SalesChannel::OnPremises as i32,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create contract")
            .into_inner()
            .contract
            .expect("contract");
        if sign {
            api.send_for_signature(self.req(
                owner,
                ct::SendForSignatureRequest {
                    contract_id: c.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect("send");
            api.sign_contract(self.req(
                owner,
                ct::SignContractRequest {
                    contract_id: c.id.clone(),
                    signer_name: "Jeanne Martin".into(),
                    signature_date: Some(date(today())),
                    ..Default::default()
                },
            ))
            .await
            .expect("sign");
        }
        c.id
    }

    async fn run(
        &self,
        who: Member,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<pb::RunBillingResponse, tonic::Status> {
        Ok(self
            .api()
            .run_billing(self.req(
                who,
                pb::RunBillingRequest {
                    period_start: Some(date(start)),
                    period_end: Some(date(end)),
                },
            ))
            .await?
            .into_inner())
    }

    async fn of_contract(
        &self,
        who: Member,
        contract: &str,
        kind: pb::InvoiceKind,
    ) -> Vec<pb::Invoice> {
        self.api()
            .list_invoices(self.req(
                who,
                pb::ListInvoicesRequest {
                    contract_id: contract.into(),
                    kind: kind as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .invoices
    }
}

fn counts(r: &pb::RunBillingResponse) -> (i32, i32, i32, i32, i32) {
    (
        r.contracts_seen,
        r.invoices_issued,
        r.already_billed,
        r.nothing_due,
        r.failed,
    )
}

/// Billing a month issues exactly one invoice per active contract with something due
/// (monthly lines every month, quarterly ones every third month from the start); running
/// it again issues nothing more and says so.
#[tokio::test]
async fn billing_runs_issue_one_invoice_per_contract_and_month() {
    for env in envs(Stack::Contracts).await {
        let owner = env.organisation(seller_settings()).await;
        let commercial = env.commercial(owner).await;
        let person = env
            .client(owner, ClientKind::Person, Some(commercial))
            .await;
        let company = env
            .client(owner, ClientKind::Company, Some(commercial))
            .await;
        let monthly = env
            .product(
                owner,
                pr::BillingFrequency::Monthly,
                pr::VatCategory::Exempt,
                4_990,
            )
            .await;
        let quarterly = env
            .product(
                owner,
                pr::BillingFrequency::Quarterly,
                pr::VatCategory::Standard,
                9_000,
            )
            .await;
        let jan = ymd(2030, 1, 1);
        let c1 = env
            .contract(owner, &person, commercial, &monthly, jan, true)
            .await;
        let c2 = env
            .contract(owner, &company, commercial, &quarterly, jan, true)
            .await;
        let _later = env
            .contract(owner, &person, commercial, &monthly, ymd(2030, 3, 15), true)
            .await;
        let _draft = env
            .contract(owner, &person, commercial, &monthly, jan, false)
            .await;
        let accountant = owner.with_role(crm_kit::Role::Accountant);

        let first = env
            .run(accountant, jan, ymd(2030, 1, 31))
            .await
            .expect("run");
        assert_eq!(
            counts(&first),
            (3, 2, 0, 1, 0),
            "{:?} {:?}",
            env.backend,
            first.problems
        );
        let again = env
            .run(accountant, jan, ymd(2030, 1, 31))
            .await
            .expect("run");
        assert_eq!(counts(&again), (3, 0, 2, 1, 0));

        let i1 = env.of_contract(owner, &c1, pb::InvoiceKind::Invoice).await;
        assert_eq!(i1.len(), 1);
        let i1 = &i1[0];
        assert_eq!(i1.status, pb::InvoiceStatus::Issued as i32);
        assert_eq!(from_date(&i1.billing_period_start), jan);
        assert_eq!(
            (
                from_date(&i1.service_period_start),
                from_date(&i1.service_period_end)
            ),
            (jan, ymd(2030, 1, 31))
        );
        assert_eq!(amount(&i1.total_incl_vat), 4_990);
        assert!(i1.lines[0].label.starts_with("Assurance P-"));
        let i2 = env.of_contract(owner, &c2, pb::InvoiceKind::Invoice).await;
        assert_eq!(i2.len(), 1);
        assert_eq!(from_date(&i2[0].service_period_end), ymd(2030, 3, 31));
        assert_eq!(amount(&i2[0].total_incl_vat), 10_800);
        assert_eq!(i2[0].late_penalty_rate_basis_points, 1215);
        let mut numbers = vec![sequence(&i1.number), sequence(&i2[0].number)];
        numbers.sort_unstable();
        assert_eq!(numbers, [1, 2]);

        // February: the monthly contract only.
        let feb = env
            .run(accountant, ymd(2030, 2, 1), ymd(2030, 2, 28))
            .await
            .expect("run");
        assert_eq!(counts(&feb), (3, 1, 0, 2, 0));
        assert_eq!(
            env.of_contract(owner, &c1, pb::InvoiceKind::Invoice)
                .await
                .len(),
            2
        );
        assert_eq!(env.outbox(owner.org, "invoice.issued").await.len(), 3);

        // A period that is not one calendar month is refused; agents may not run.
        let wrong = env
            .run(accountant, ymd(2030, 1, 2), ymd(2030, 1, 31))
            .await
            .expect_err("not a month");
        assert_eq!(violation_fields(&wrong), ["period_start"]);
        let wrong = env
            .run(accountant, jan, ymd(2030, 2, 28))
            .await
            .expect_err("not a month");
        assert_eq!(violation_fields(&wrong), ["period_end"]);
        let agent = owner.with_role(crm_kit::Role::Agent);
        assert_eq!(
            env.run(agent, jan, ymd(2030, 1, 31))
                .await
                .expect_err("agent")
                .code(),
            tonic::Code::PermissionDenied
        );

        // A manual draft may name a contract of its client only.
        let with = |contract: &str, client: &str| pb::Invoice {
            contract_id: contract.into(),
            ..draft_for(client, vec![line("Frais", 1, 1_000, "standard")])
        };
        let ok = env
            .create_draft(owner, with(&c1, &person))
            .await
            .expect("draft");
        assert_eq!(ok.contract_id, c1);
        let other = env
            .create_draft(owner, with(&c1, &company))
            .await
            .expect_err("other client");
        assert_eq!(other.code(), tonic::Code::InvalidArgument);
        assert_eq!(violation_fields(&other), ["invoice.contract_id"]);
        let unknown = env
            .create_draft(owner, with(&Uuid::now_v7().to_string(), &person))
            .await
            .expect_err("unknown");
        assert_eq!(unknown.code(), tonic::Code::NotFound);
        assert_eq!(violation_fields(&unknown), ["invoice.contract_id"]);
    }
}

fn terminated(org: Uuid, contract: &str, last_day: NaiveDate) -> Delivered {
    let m = ev::ContractTerminated {
        contract_id: contract.into(),
        termination_date: Some(date(last_day)),
        cause: ev::TerminationCause::ClientCancellation as i32,
        ..Default::default()
    };
    Delivered {
        id: Uuid::now_v7(),
        event_type: "contract.terminated".into(),
        organisation_id: org,
        aggregate_id: contract.into(),
        aggregate_version: 5,
        payload: m.encode_to_vec().into(),
        traceparent: None,
    }
}

/// Billing runs of the same month started at once invoice each contract once, with
/// gapless numbers: a run whose batch meets invoices another run wrote meanwhile rolls
/// it back and counts those contracts as already billed.
#[tokio::test]
async fn concurrent_billing_runs_invoice_each_contract_once() {
    for env in envs(Stack::Contracts).await {
        let owner = env.organisation(seller_settings()).await;
        let commercial = env.commercial(owner).await;
        let monthly = env
            .product(
                owner,
                pr::BillingFrequency::Monthly,
                pr::VatCategory::Exempt,
                2_000,
            )
            .await;
        let jan = ymd(2030, 1, 1);
        let mut contracts = Vec::new();
        for _ in 0..6 {
            let client = env
                .client(owner, ClientKind::Person, Some(commercial))
                .await;
            contracts.push(
                env.contract(owner, &client, commercial, &monthly, jan, true)
                    .await,
            );
        }
        let accountant = owner.with_role(crm_kit::Role::Accountant);
        let runs =
            futures::future::join_all((0..4).map(|_| env.run(accountant, jan, ymd(2030, 1, 31))))
                .await;
        let mut issued = 0;
        for run in runs {
            let run = run.expect("run");
            assert_eq!(run.failed, 0, "{:?}", run.problems);
            assert_eq!(run.invoices_issued + run.already_billed, 6, "{run:?}");
            issued += run.invoices_issued;
        }
        assert_eq!(issued, 6, "{:?}", env.backend);
        let mut numbers = Vec::new();
        for c in &contracts {
            let invoices = env.of_contract(owner, c, pb::InvoiceKind::Invoice).await;
            assert_eq!(invoices.len(), 1, "{:?}", env.backend);
            numbers.push(sequence(&invoices[0].number));
        }
        numbers.sort_unstable();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        let again = env
            .run(accountant, jan, ymd(2030, 1, 31))
            .await
            .expect("run");
        assert_eq!((again.invoices_issued, again.already_billed), (0, 6));
    }
}

/// contract.terminated credits the unused days of the month the contract was billed for
/// (21 of 31 days after a last day on the 10th), once however often it is delivered; a
/// contract never billed gets nothing.
#[tokio::test]
async fn termination_credits_the_unused_days_once() {
    for env in envs(Stack::Contracts).await {
        let owner = env.organisation(seller_settings()).await;
        let commercial = env.commercial(owner).await;
        let client = env
            .client(owner, ClientKind::Person, Some(commercial))
            .await;
        let product = env
            .product(
                owner,
                pr::BillingFrequency::Monthly,
                pr::VatCategory::Exempt,
                3_100,
            )
            .await;
        let jan = ymd(2030, 1, 1);
        let contract = env
            .contract(owner, &client, commercial, &product, jan, true)
            .await;
        let unbilled = env
            .contract(owner, &client, commercial, &product, ymd(2030, 6, 1), true)
            .await;
        env.run(owner, jan, ymd(2030, 1, 31)).await.expect("run");
        let invoice = env
            .of_contract(owner, &contract, pb::InvoiceKind::Invoice)
            .await
            .remove(0);

        // Terminate it in contrats (its own rules), then deliver the event.
        env.contracts()
            .terminate_contract(env.req(
                owner,
                ct::TerminateContractRequest {
                    contract_id: contract.clone(),
                    termination_date: Some(date(ymd(2030, 1, 10))),
                    cause: ev::TerminationCause::ClientCancellation as i32,
                    reason: "déménagement".into(),
                    version: 0,
                },
            ))
            .await
            .expect("terminate");
        let handler = crm_factures::terminations(&env.config(), &env.keys.mesh).expect("handler");
        let consumer = "factures-contracts";
        let db = &env.db.db;
        let event = terminated(owner.org, &contract, ymd(2030, 1, 10));
        assert_eq!(
            apply(db, consumer, &handler, &event).await.expect("apply"),
            Outcome::Applied,
            "{:?}",
            env.backend
        );
        assert_eq!(
            apply(db, consumer, &handler, &event).await.expect("apply"),
            Outcome::Duplicate
        );
        // The same termination reported again under another event id credits nothing more.
        apply(
            db,
            consumer,
            &handler,
            &terminated(owner.org, &contract, ymd(2030, 1, 10)),
        )
        .await
        .expect("apply");
        apply(
            db,
            consumer,
            &handler,
            &terminated(owner.org, &unbilled, ymd(2030, 6, 10)),
        )
        .await
        .expect("apply");

        let notes = env
            .of_contract(owner, &contract, pb::InvoiceKind::CreditNote)
            .await;
        assert_eq!(notes.len(), 1);
        let note = &notes[0];
        // 31.00 × 21 / 31 = 21.00.
        assert_eq!(amount(&note.total_incl_vat), 2_100);
        assert_eq!(note.credited_invoice_id, invoice.id);
        assert_eq!(note.credit_reason, "termination prorata");
        assert_eq!(
            (
                from_date(&note.lines[0].service_period_start),
                from_date(&note.lines[0].service_period_end)
            ),
            (ymd(2030, 1, 11), ymd(2030, 1, 31))
        );
        let after = env.get(owner, &invoice.id).await.expect("invoice");
        assert_eq!(amount(&after.amount_due), 1_000);
        assert_eq!(after.status, pb::InvoiceStatus::Issued as i32);
        assert_eq!(env.outbox(owner.org, "credit_note.issued").await.len(), 1);
        assert!(
            env.of_contract(owner, &unbilled, pb::InvoiceKind::CreditNote)
                .await
                .is_empty()
        );
    }
}
