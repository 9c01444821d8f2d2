//! Schedules: by hand, from contract.signed (idempotent under redelivery), completed
//! by invoice.issued and cut by contract.terminated.

use chrono::NaiveDate;
use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, collection_date, date, decode, envs, eur, today, violations};

fn line(price: i64, frequency: ev::BillingFrequency, vat: &str) -> ev::ContractLine {
    ev::ContractLine {
        product_id: Uuid::now_v7().to_string(),
        product_code: "AUTO".into(),
        quantity: 1,
        unit_price: eur(price),
        billing_frequency: frequency as i32,
        vat_category: vat.into(),
    }
}

fn signed(
    mandate: &pb::Mandate,
    contract: Uuid,
    start: NaiveDate,
    lines: Vec<ev::ContractLine>,
) -> ev::ContractSigned {
    ev::ContractSigned {
        contract_id: contract.to_string(),
        number: "C-2026-000007".into(),
        client_id: mandate.client_id.clone(),
        lines,
        signature_date: date(start),
        start_date: date(start),
        term_months: 12,
        billing_day: 31,
        payment_method: ev::PaymentMethod::Sepa as i32,
        mandate_reference: mandate.reference.clone(),
        ..Default::default()
    }
}

async fn schedules_of(env: &Env, who: Member, contract: Uuid) -> Vec<pb::Schedule> {
    env.client()
        .list_schedules(env.req(
            who,
            pb::ListSchedulesRequest {
                contract_id: contract.to_string(),
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner()
        .schedules
}

/// CreateSchedule lists every problem; a good one is created with schedule.created;
/// a second one for the contract is ALREADY_EXISTS; others read it, other organisations
/// do not; viewers may not create.
#[tokio::test]
async fn schedules_by_hand_are_validated() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let d = collection_date();
        let err = env
            .client()
            .create_schedule(env.req(
                admin,
                pb::CreateScheduleRequest {
                    contract_id: "x".into(),
                    contract_number: "N".repeat(36),
                    client_id: String::new(),
                    mandate_id: "y".into(),
                    instalments: vec![
                        pb::InstalmentInput {
                            due_date: date(d),
                            amount: Some(common::Money {
                                currency_code: "USD".into(),
                                amount_minor: 0,
                            }),
                        },
                        pb::InstalmentInput {
                            due_date: date(d),
                            amount: None,
                        },
                    ],
                    request_id: "z".into(),
                },
            ))
            .await
            .expect_err("invalid");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "client_id",
                "contract_id",
                "contract_number",
                "instalments[0].amount.amount_minor",
                "instalments[0].amount.currency_code",
                "instalments[1].amount",
                "instalments[1].due_date",
                "mandate_id",
                "request_id",
            ]
        );
        let err = env
            .client()
            .create_schedule(env.req(
                admin,
                pb::CreateScheduleRequest {
                    contract_id: Uuid::now_v7().to_string(),
                    contract_number: "C-1".into(),
                    client_id: m.client_id.clone(),
                    mandate_id: m.id.clone(),
                    instalments: vec![],
                    request_id: String::new(),
                },
            ))
            .await
            .expect_err("no instalments");
        assert_eq!(violations(&err), ["instalments"]);

        let s = env
            .schedule(admin, &m, &[(d, 4_200), (d + chrono::Days::new(30), 4_200)])
            .await;
        assert_eq!(s.instalments.len(), 2);
        assert!(
            s.instalments
                .iter()
                .all(|i| i.status == pb::InstalmentStatus::Planned as i32)
        );
        assert_eq!(s.notified_on, date(today()));
        let events = env.outbox(admin.org, "schedule.created").await;
        assert_eq!(events.len(), 1);
        let created: ev::ScheduleCreated = decode(&events[0]);
        assert_eq!(created.instalments.len(), 2);
        assert_eq!(created.mandate_id, m.id);

        let again = env
            .client()
            .create_schedule(env.req(
                admin,
                pb::CreateScheduleRequest {
                    contract_id: s.contract_id.clone(),
                    contract_number: "C-1".into(),
                    client_id: m.client_id.clone(),
                    mandate_id: m.id.clone(),
                    instalments: vec![pb::InstalmentInput {
                        due_date: date(d),
                        amount: eur(100),
                    }],
                    request_id: String::new(),
                },
            ))
            .await
            .expect_err("second schedule");
        assert_eq!(again.code(), Code::AlreadyExists);
        let err = env
            .client()
            .create_schedule(env.req(
                admin.with(Role::Viewer),
                pb::CreateScheduleRequest::default(),
            ))
            .await
            .expect_err("viewer");
        assert_eq!(err.code(), Code::PermissionDenied);
        env.client()
            .get_schedule(env.req(
                admin.with(Role::Agent),
                pb::GetScheduleRequest {
                    schedule_id: s.id.clone(),
                },
            ))
            .await
            .expect("agent reads");
        let err = env
            .client()
            .get_schedule(env.req(
                Member::admin(),
                pb::GetScheduleRequest {
                    schedule_id: s.id.clone(),
                },
            ))
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);
        // A revoked mandate takes no schedule.
        env.client()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("revoke");
        let err = env
            .client()
            .create_schedule(env.req(
                admin,
                pb::CreateScheduleRequest {
                    contract_id: Uuid::now_v7().to_string(),
                    contract_number: "C-2".into(),
                    client_id: m.client_id.clone(),
                    mandate_id: m.id.clone(),
                    instalments: vec![pb::InstalmentInput {
                        due_date: date(d),
                        amount: eur(100),
                    }],
                    request_id: String::new(),
                },
            ))
            .await
            .expect_err("revoked");
        assert_eq!(err.code(), Code::FailedPrecondition);
    }
}

/// contract.signed for a SEPA contract makes one schedule of 12 monthly instalments on
/// the billing day (31, clamped to short months), Σ quantity × unit price each;
/// delivered twice (and once more under another consumer name) it still makes one.
#[tokio::test]
async fn contract_signed_makes_one_schedule() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let contract = Uuid::now_v7();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let mut l = line(1_990, ev::BillingFrequency::Monthly, "exempt");
        l.quantity = 2;
        let event = signed(&m, contract, start, vec![l]);
        let id = Uuid::now_v7();
        use crm_events::consume::Outcome;
        assert_eq!(
            env.deliver(id, "contract.signed", admin.org, &event).await,
            Outcome::Applied
        );
        assert_eq!(
            env.deliver(id, "contract.signed", admin.org, &event).await,
            Outcome::Duplicate
        );
        // The same contract signed again under a new event id changes nothing either.
        assert_eq!(
            env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
                .await,
            Outcome::Applied
        );
        let found = schedules_of(&env, admin, contract).await;
        assert_eq!(found.len(), 1);
        let s = &found[0];
        assert_eq!(s.mandate_id, m.id);
        assert_eq!(s.contract_number, "C-2026-000007");
        assert_eq!(s.instalments.len(), 12);
        let dues: Vec<_> = s
            .instalments
            .iter()
            .map(|i| i.due_date.expect("due"))
            .collect();
        assert_eq!(
            dues[0],
            date(NaiveDate::from_ymd_opt(2026, 1, 31).expect("d")).expect("d")
        );
        assert_eq!(
            dues[1],
            date(NaiveDate::from_ymd_opt(2026, 2, 28).expect("d")).expect("d")
        );
        assert!(
            s.instalments
                .iter()
                .all(|i| i.amount == eur(3_980) && i.amount_final)
        );
        assert_eq!(env.outbox(admin.org, "schedule.created").await.len(), 1);
    }
}

/// contract.signed is ignored for other payment methods and when no ACTIVE mandate has
/// the reference (the event is still acknowledged); a taxable line leaves its
/// instalments waiting for their invoice.
#[tokio::test]
async fn contract_signed_without_an_active_mandate_records_nothing() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let start = today();
        use crm_events::consume::Outcome;
        let card = Uuid::now_v7();
        let mut event = signed(
            &m,
            card,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "exempt")],
        );
        event.payment_method = ev::PaymentMethod::Card as i32;
        assert_eq!(
            env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
                .await,
            Outcome::Applied
        );
        assert!(schedules_of(&env, admin, card).await.is_empty());

        let unknown = Uuid::now_v7();
        let mut event = signed(
            &m,
            unknown,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "exempt")],
        );
        event.mandate_reference = "UMR-NOBODY".into();
        assert_eq!(
            env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
                .await,
            Outcome::Applied
        );
        assert!(schedules_of(&env, admin, unknown).await.is_empty());

        // Another organisation's mandate reference is not found either.
        let other = Member::admin();
        let foreign = Uuid::now_v7();
        let event = signed(
            &m,
            foreign,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "exempt")],
        );
        assert_eq!(
            env.deliver(Uuid::now_v7(), "contract.signed", other.org, &event)
                .await,
            Outcome::Applied
        );
        assert!(schedules_of(&env, other, foreign).await.is_empty());

        let taxed = Uuid::now_v7();
        let event = signed(
            &m,
            taxed,
            start,
            vec![
                line(1_000, ev::BillingFrequency::Monthly, "exempt"),
                line(300, ev::BillingFrequency::Quarterly, "standard"),
            ],
        );
        env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
            .await;
        let s = &schedules_of(&env, admin, taxed).await[0];
        let finals: Vec<bool> = s
            .instalments
            .iter()
            .take(4)
            .map(|i| i.amount_final)
            .collect();
        assert_eq!(finals, [false, true, true, false]);
        assert_eq!(s.instalments[0].amount, eur(1_300));

        env.client()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("revoke");
        let late = Uuid::now_v7();
        let event = signed(
            &m,
            late,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "exempt")],
        );
        assert_eq!(
            env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
                .await,
            Outcome::Applied
        );
        assert!(schedules_of(&env, admin, late).await.is_empty());
    }
}

/// invoice.issued attaches the invoice to the instalment whose period holds its service
/// period and takes its total including VAT; redelivered, nothing changes.
#[tokio::test]
async fn invoice_issued_is_attached_to_its_instalment() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let contract = Uuid::now_v7();
        let start = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        let event = signed(
            &m,
            contract,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "standard")],
        );
        env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
            .await;
        let invoice = Uuid::now_v7();
        let issued = ev::InvoiceIssued {
            invoice_id: invoice.to_string(),
            number: "F-2026-000123".into(),
            contract_id: contract.to_string(),
            due_date: date(NaiveDate::from_ymd_opt(2026, 4, 30).expect("d")),
            service_period_start: date(NaiveDate::from_ymd_opt(2026, 4, 1).expect("d")),
            service_period_end: date(NaiveDate::from_ymd_opt(2026, 4, 30).expect("d")),
            total_incl_vat: eur(1_200),
            ..Default::default()
        };
        let id = Uuid::now_v7();
        env.deliver(id, "invoice.issued", admin.org, &issued).await;
        assert_eq!(
            env.deliver(id, "invoice.issued", admin.org, &issued).await,
            crm_events::consume::Outcome::Duplicate
        );
        env.deliver(Uuid::now_v7(), "invoice.issued", admin.org, &issued)
            .await;
        let s = &schedules_of(&env, admin, contract).await[0];
        let with: Vec<&pb::Instalment> = s
            .instalments
            .iter()
            .filter(|i| !i.invoice_id.is_empty())
            .collect();
        assert_eq!(with.len(), 1, "one instalment holds the invoice");
        let i = with[0];
        assert_eq!(i.sequence, 2);
        assert_eq!(i.invoice_id, invoice.to_string());
        assert_eq!(i.invoice_number, "F-2026-000123");
        assert_eq!(i.amount, eur(1_200));
        assert!(i.amount_final);
        assert!(
            !s.instalments[0].amount_final,
            "the others still wait for theirs"
        );
        // An invoice outside any instalment is acknowledged and attaches nothing.
        let stray = ev::InvoiceIssued {
            invoice_id: Uuid::now_v7().to_string(),
            contract_id: contract.to_string(),
            service_period_start: date(NaiveDate::from_ymd_opt(2030, 1, 1).expect("d")),
            due_date: date(NaiveDate::from_ymd_opt(2030, 1, 1).expect("d")),
            total_incl_vat: eur(10),
            ..Default::default()
        };
        assert_eq!(
            env.deliver(Uuid::now_v7(), "invoice.issued", admin.org, &stray)
                .await,
            crm_events::consume::Outcome::Applied
        );
    }
}

/// contract.terminated cancels the PLANNED instalments due after the termination date
/// and leaves the earlier ones.
#[tokio::test]
async fn contract_terminated_cancels_later_instalments() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let contract = Uuid::now_v7();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let event = signed(
            &m,
            contract,
            start,
            vec![line(1_000, ev::BillingFrequency::Monthly, "exempt")],
        );
        env.deliver(Uuid::now_v7(), "contract.signed", admin.org, &event)
            .await;
        let terminated = ev::ContractTerminated {
            contract_id: contract.to_string(),
            termination_date: date(NaiveDate::from_ymd_opt(2026, 6, 15).expect("d")),
            ..Default::default()
        };
        let id = Uuid::now_v7();
        env.deliver(id, "contract.terminated", admin.org, &terminated)
            .await;
        env.deliver(id, "contract.terminated", admin.org, &terminated)
            .await;
        let s = &schedules_of(&env, admin, contract).await[0];
        let statuses: Vec<i32> = s.instalments.iter().map(|i| i.status).collect();
        let planned = pb::InstalmentStatus::Planned as i32;
        let cancelled = pb::InstalmentStatus::Cancelled as i32;
        assert_eq!(&statuses[..5], &[planned; 5]);
        assert_eq!(&statuses[5..], &[cancelled; 7]);
    }
}

/// The outbox tables only: the database of a publishing service.
struct EventsOnly;

#[sea_orm_migration::prelude::async_trait::async_trait]
impl sea_orm_migration::MigratorTrait for EventsOnly {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        crm_events::migration::all()
    }
}

/// contract.signed published by contrats through the bus reaches the running
/// service's consumer, which makes the schedule.
#[tokio::test]
async fn contract_signed_arrives_through_the_bus() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let contract = Uuid::now_v7();
        let event = signed(
            &m,
            contract,
            today(),
            vec![line(2_000, ev::BillingFrequency::Quarterly, "exempt")],
        );
        let outbox = crm_testkit::fresh(env.backend).await.expect("outbox db");
        crm_db::migrate::<EventsOnly>(&outbox.db)
            .await
            .expect("migrate");
        use prost::Message as _;
        crm_events::append(
            &outbox.db,
            crm_events::NewEvent {
                event_type: "contract.signed",
                organisation_id: admin.org,
                aggregate_id: contract.to_string(),
                aggregate_version: 2,
                payload: event.encode_to_vec(),
                traceparent: None,
            },
        )
        .await
        .expect("append");
        let relay = crm_events::Relay::new(outbox.db.clone(), env.bus.publisher("contrats"));
        while relay.publish_pending().await.expect("publish") > 0 {}
        let mut found = Vec::new();
        for _ in 0..100 {
            found = schedules_of(&env, admin, contract).await;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].instalments.len(), 4, "quarterly over 12 months");
    }
}

/// The consumer listens to the three event types, with bounded retries.
#[test]
fn the_subscription_names_the_three_events() {
    let s = crm_payments::subscription();
    assert_eq!(
        (s.service.as_str(), s.name.as_str()),
        ("payments", "schedules")
    );
    assert_eq!(
        s.event_types,
        ["contract.signed", "invoice.issued", "contract.terminated"]
    );
    assert!(s.max_deliver > 1);
}
