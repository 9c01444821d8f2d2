//! The payments service (and the calendar it asks) beside the retry service, on one
//! bus: payments' payment.rejected, payment.received and mandate.revoked reach the retry
//! consumer, and RunDue's SchedulePresentation reaches payments. Helpers drive payments
//! as an accountant would: creditor account, mandate, schedule, batch, returns.

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pay;
use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
use crm_proto::retry::v1 as pb;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::support::{Env, Member, date, spawn};

/// The key payments encrypts IBANs with in these tests.
const IBAN_KEY: [u8; 32] = [0x3c; 32];

/// A retry service with a payments service and a calendar beside it.
pub struct Stack {
    pub env: Env,
    pub payments: Running,
    pub calendar: Running,
    payments_halted: bool,
    // The other services' databases live as long as the services.
    _dbs: Vec<TestDatabase>,
}

/// Returns today (UTC): payments checks collection dates against the real day.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Starts one stack per backend; the retry clock starts on today.
pub async fn stacks() -> Vec<Stack> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let backend = db.backend;
        let calendar_db = crm_testkit::fresh(backend).await.expect("calendar db");
        let payments_db = crm_testkit::fresh(backend).await.expect("payments db");
        let calendar = crm_testkit::spawn(
            crm_testkit::deps::<crm_calendar::Migrator>(&keys, &calendar_db)
                .await
                .expect("calendar deps"),
            crm_calendar::build,
        )
        .await
        .expect("calendar");
        let mut payments_deps = crm_testkit::deps::<crm_payments::Migrator>(&keys, &payments_db)
            .await
            .expect("payments deps");
        payments_deps
            .config
            .services
            .insert("calendar".into(), calendar.url.clone());
        let bus = payments_deps.bus.clone();
        let payments = crm_testkit::spawn(payments_deps, |deps| {
            crm_payments::build_with(deps, crm_payments::IbanKey::from_bytes(IBAN_KEY))
        })
        .await
        .expect("payments");
        let mut deps = crm_testkit::deps::<crm_retry::Migrator>(&keys, &db)
            .await
            .expect("retry deps");
        deps.bus = bus;
        deps.config
            .services
            .insert("payments".into(), payments.url.clone());
        let env = spawn(keys, db, deps, today()).await;
        out.push(Stack {
            env,
            payments,
            calendar,
            payments_halted: false,
            _dbs: vec![calendar_db, payments_db],
        });
    }
    out
}

/// Returns EUR `amount_minor`.
pub fn eur(amount_minor: i64) -> Option<common::Money> {
    Some(common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    })
}

/// A collection in payments: its account, mandate and first payment, submitted.
pub struct Collection {
    pub account: String,
    pub mandate: String,
    pub payment: Uuid,
    pub collection_date: NaiveDate,
}

impl Stack {
    pub fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.payments.channel.clone())
    }

    fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.env.keys.token(who.org, who.user, who.role), msg)
    }

    /// Returns a request to payments as the retry service, acting in `org`.
    pub fn as_retry<T>(&self, org: Uuid, msg: T) -> tonic::Request<T> {
        let token = self
            .env
            .keys
            .mesh
            .mint(
                "retry",
                "payments",
                Some(org),
                None,
                None,
                Utc::now().timestamp(),
            )
            .expect("mint");
        let mut req = tonic::Request::new(msg);
        let md = req.metadata_mut();
        md.insert(
            crm_kit::auth::INTERNAL_SERVICE_HEADER,
            "retry".parse().expect("value"),
        );
        md.insert(
            crm_kit::auth::INTERNAL_TOKEN_HEADER,
            token.parse().expect("value"),
        );
        req
    }

    /// Makes a first collection of 49.90 EUR for a new client of `who`'s organisation
    /// (account, active mandate on a French account, one instalment), batched and
    /// exported: SUBMITTED.
    pub async fn collection(&self, who: Member, n: u64) -> Collection {
        self.collection_from(who, crm_sepa::testing::fr_iban(100 + n))
            .await
    }

    /// [`Stack::collection`] from the debtor account `iban`.
    pub async fn collection_from(&self, who: Member, iban: String) -> Collection {
        let who = who.with(Role::Accountant);
        let account = self
            .payments()
            .create_creditor_account(self.req(
                who,
                pay::CreateCreditorAccountRequest {
                    creditor_account: Some(pay::CreditorAccount {
                        name: "Mutuelle Exemple".into(),
                        creditor_identifier: "FR72ZZZ123456".into(),
                        iban: crm_sepa::testing::fr_iban(1),
                        bic: "BNPAFRPP".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("account")
            .into_inner()
            .creditor_account
            .expect("account")
            .id;
        let mandate = self
            .payments()
            .create_mandate(self.req(
                who,
                pay::CreateMandateRequest {
                    creditor_account_id: account.clone(),
                    reference: format!("UMR-{}", &Uuid::new_v4().simple().to_string()[..12]),
                    client_id: Uuid::now_v7().to_string(),
                    debtor_name: "Claire Martin".into(),
                    iban,
                    bic: String::new(),
                    signature_date: date(today() - Days::new(30)),
                    r#type: ev::MandateType::Recurrent as i32,
                    scheme: ev::MandateScheme::Core as i32,
                    request_id: String::new(),
                },
            ))
            .await
            .expect("mandate")
            .into_inner()
            .mandate
            .expect("mandate");
        let due = crm_shared::calendar::add_target_days(today() + Days::new(15), 0).expect("day");
        self.payments()
            .create_schedule(self.req(
                who,
                pay::CreateScheduleRequest {
                    contract_id: Uuid::now_v7().to_string(),
                    contract_number: "C-2026-000007".into(),
                    client_id: mandate.client_id.clone(),
                    mandate_id: mandate.id.clone(),
                    instalments: vec![pay::InstalmentInput {
                        due_date: date(due),
                        amount: eur(4_990),
                    }],
                    request_id: String::new(),
                },
            ))
            .await
            .expect("schedule");
        let payments = self.batch(who, &account, due).await;
        let [payment] = &payments[..] else {
            panic!("one payment in the batch: {payments:?}");
        };
        Collection {
            account,
            mandate: mandate.id,
            payment: payment.parse().expect("id"),
            collection_date: due,
        }
    }

    /// Prepares and exports the batch of `account` for `on`; returns its payment ids.
    pub async fn batch(&self, who: Member, account: &str, on: NaiveDate) -> Vec<String> {
        let who = who.with(Role::Accountant);
        let prepared = self
            .payments()
            .prepare_batch(self.req(
                who,
                pay::PrepareBatchRequest {
                    creditor_account_id: account.into(),
                    collection_date: date(on),
                },
            ))
            .await
            .expect("prepare")
            .into_inner();
        let batch = prepared.batch.expect("batch").id;
        self.payments()
            .export_batch(self.req(
                who,
                pay::ExportBatchRequest {
                    batch_id: batch,
                    version: pay::PainVersion::V02 as i32,
                },
            ))
            .await
            .expect("export");
        prepared.payments.into_iter().map(|p| p.id).collect()
    }

    /// Records the bank's reject of `payment` with `code` on `on`.
    pub async fn bank_rejects(&self, who: Member, payment: Uuid, code: &str, on: NaiveDate) {
        let answer = self
            .payments()
            .import_returns(self.req(
                who.with(Role::Accountant),
                pay::ImportReturnsRequest {
                    rows: vec![pay::ReturnRow {
                        end_to_end_id: String::new(),
                        payment_id: payment.to_string(),
                        reason_code: code.into(),
                        date: date(on),
                    }],
                },
            ))
            .await
            .expect("import")
            .into_inner();
        assert_eq!(answer.applied, 1, "{answer:?}");
    }

    /// Marks `payment` settled on `on`.
    pub async fn bank_settles(&self, who: Member, payment: Uuid, on: NaiveDate) {
        self.payments()
            .mark_settled(self.req(
                who.with(Role::Accountant),
                pay::MarkSettledRequest {
                    payment_ids: vec![payment.to_string()],
                    batch_id: String::new(),
                    settlement_date: date(on),
                },
            ))
            .await
            .expect("settle");
    }

    /// Suspends a mandate in payments (no event: the retry service does not hear of it).
    pub async fn suspend(&self, who: Member, mandate: &str) {
        self.payments()
            .suspend_mandate(self.req(
                who.with(Role::Accountant),
                pay::SuspendMandateRequest {
                    mandate_id: mandate.into(),
                },
            ))
            .await
            .expect("suspend");
    }

    /// Revokes a mandate in payments (mandate.revoked reaches the retry consumer).
    pub async fn revoke(&self, who: Member, mandate: &str) {
        self.payments()
            .revoke_mandate(self.req(
                who.with(Role::Accountant),
                pay::RevokeMandateRequest {
                    mandate_id: mandate.into(),
                },
            ))
            .await
            .expect("revoke");
    }

    /// Returns a payment as payments knows it.
    pub async fn payment(&self, who: Member, id: &str) -> pay::Payment {
        self.payments()
            .get_payment(self.req(
                who.with(Role::Accountant),
                pay::GetPaymentRequest {
                    payment_id: id.into(),
                },
            ))
            .await
            .expect("payment")
            .into_inner()
            .payment
            .expect("payment")
    }

    /// Waits (at most 10 s) until the chain of `payment` satisfies `ready`: events
    /// travel from payments' outbox through its relay to the retry consumer.
    pub async fn chain_when(
        &self,
        who: Member,
        payment: Uuid,
        ready: impl Fn(&pb::Chain) -> bool,
    ) -> pb::Chain {
        for _ in 0..200 {
            if let Ok(chain) = self.env.chain(who, payment).await
                && ready(&chain)
            {
                return chain;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the chain of {payment} did not reach the expected state");
    }

    /// Stops payments: its address then refuses connections, as a service that is down.
    pub async fn halt_payments(&mut self) {
        self.payments.halt().await.expect("halt payments");
        self.payments_halted = true;
    }

    pub async fn stop(self) {
        self.env.retry.stop().await.expect("retry");
        if !self.payments_halted {
            self.payments.stop().await.expect("payments");
        }
        self.calendar.stop().await.expect("calendar");
    }
}
