//! Payments and states: RecordPayment, the payment events (delivered twice, applied
//! once), returns and refunds reopening the balance, MarkOverdue once per invoice and
//! write-offs.

use chrono::Days;
use crm_events::consume::{Delivered, Outcome, apply};
use crm_proto::clients::v1::ClientKind;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as pb;
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

/// RecordPayment moves ISSUED → PARTIALLY_PAID → PAID with one invoice.paid; the same
/// payment recorded again counts once; its id with other details is ALREADY_EXISTS.
#[tokio::test]
async fn record_payment_is_idempotent_on_the_payment_id() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(owner, &client, vec![line("Prime", 1, 10_000, "exempt")])
            .await;
        let first = Uuid::now_v7();
        for _ in 0..2 {
            let i = env
                .pay(owner.org, &invoice.id, first, 4_000)
                .await
                .expect("pay");
            assert_eq!(
                i.status,
                pb::InvoiceStatus::PartiallyPaid as i32,
                "{:?}",
                env.backend
            );
            assert_eq!(amount(&i.amount_paid), 4_000);
            assert_eq!(amount(&i.amount_due), 6_000);
        }
        let other_details = env
            .pay(owner.org, &invoice.id, first, 5_000)
            .await
            .expect_err("conflict");
        assert_eq!(other_details.code(), Code::AlreadyExists);
        let paid = env
            .pay(owner.org, &invoice.id, Uuid::now_v7(), 6_000)
            .await
            .expect("pay");
        assert_eq!(paid.status, pb::InvoiceStatus::Paid as i32);
        assert_eq!(from_date(&paid.paid_date), today());
        assert_eq!(amount(&paid.amount_due), 0);
        let events = env.outbox(owner.org, "invoice.paid").await;
        assert_eq!(events.len(), 1);
        let e = ev::InvoicePaid::decode(events[0].payload.as_slice()).expect("payload");
        assert_eq!(amount(&e.amount_paid), 10_000);

        // Bad input, and a draft, are refused.
        let bad = env
            .api()
            .record_payment(env.internal(
                "payments",
                owner.org,
                pb::RecordPaymentRequest {
                    invoice_id: invoice.id.clone(),
                    payment_id: "x".into(),
                    amount: Some(crm_proto::common::v1::Money {
                        currency_code: String::new(),
                        amount_minor: 0,
                    }),
                    paid_date: None,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&bad),
            [
                "payment_id",
                "amount.amount_minor",
                "amount.currency_code",
                "paid_date"
            ]
        );
        let draft = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 100, "exempt")]),
            )
            .await
            .expect("draft");
        let on_draft = env
            .pay(owner.org, &draft.id, Uuid::now_v7(), 100)
            .await
            .expect_err("draft");
        assert_eq!(on_draft.code(), Code::FailedPrecondition);
    }
}

fn delivered(org: Uuid, event_type: &str, payload: Vec<u8>) -> Delivered {
    Delivered {
        id: Uuid::now_v7(),
        event_type: event_type.into(),
        organisation_id: org,
        aggregate_id: Uuid::now_v7().to_string(),
        aggregate_version: 1,
        payload: payload.into(),
        traceparent: None,
    }
}

fn received(org: Uuid, invoice: &str, payment: Uuid, cents: i64) -> Delivered {
    let m = ev::PaymentReceived {
        payment_id: payment.to_string(),
        invoice_id: invoice.into(),
        amount: Some(eur(cents)),
        settlement_date: Some(date(today())),
        ..Default::default()
    };
    delivered(org, "payment.received", m.encode_to_vec())
}

fn rejected(
    org: Uuid,
    invoice: &str,
    payment: Uuid,
    cents: i64,
    kind: ev::RejectionKind,
) -> Delivered {
    let m = ev::PaymentRejected {
        payment_id: payment.to_string(),
        invoice_id: invoice.into(),
        amount: Some(eur(cents)),
        reason_code: "AM04".into(),
        kind: kind as i32,
        ..Default::default()
    };
    delivered(org, "payment.rejected", m.encode_to_vec())
}

/// payment.received delivered twice pays once; a REJECT before settlement changes
/// nothing; a RETURN after settlement reopens the balance (once, however often it is
/// delivered); payment.refunded reopens it too.
#[tokio::test]
async fn payment_events_are_applied_once_and_returns_reopen() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(owner, &client, vec![line("Prime", 1, 4_990, "exempt")])
            .await;
        let handler = crm_factures::Payments;
        let consumer = "factures-payments";
        let db = &env.db.db;
        let payment = Uuid::now_v7();

        let event = received(owner.org, &invoice.id, payment, 4_990);
        assert_eq!(
            apply(db, consumer, &handler, &event).await.expect("apply"),
            Outcome::Applied
        );
        assert_eq!(
            apply(db, consumer, &handler, &event).await.expect("apply"),
            Outcome::Duplicate
        );
        let paid = env.get(owner, &invoice.id).await.expect("invoice");
        assert_eq!(
            paid.status,
            pb::InvoiceStatus::Paid as i32,
            "{:?}",
            env.backend
        );
        assert_eq!(amount(&paid.amount_paid), 4_990);
        assert_eq!(env.outbox(owner.org, "invoice.paid").await.len(), 1);

        // A reject of another attempt before settlement: nothing was paid by it.
        let reject = rejected(
            owner.org,
            &invoice.id,
            Uuid::now_v7(),
            4_990,
            ev::RejectionKind::Reject,
        );
        assert_eq!(
            apply(db, consumer, &handler, &reject).await.expect("apply"),
            Outcome::Applied
        );
        assert_eq!(
            env.get(owner, &invoice.id).await.expect("invoice").status,
            pb::InvoiceStatus::Paid as i32
        );

        // The settled payment is returned: the balance reopens, once.
        let ret = rejected(
            owner.org,
            &invoice.id,
            payment,
            4_990,
            ev::RejectionKind::Return,
        );
        apply(db, consumer, &handler, &ret).await.expect("apply");
        assert_eq!(
            apply(db, consumer, &handler, &ret).await.expect("apply"),
            Outcome::Duplicate
        );
        let reopened = env.get(owner, &invoice.id).await.expect("invoice");
        assert_eq!(reopened.status, pb::InvoiceStatus::Issued as i32);
        assert_eq!(amount(&reopened.amount_paid), 0);
        assert_eq!(amount(&reopened.amount_due), 4_990);
        assert!(reopened.paid_date.is_none());

        // A re-presentation pays it again; a refund reopens it.
        let again = Uuid::now_v7();
        apply(
            db,
            consumer,
            &handler,
            &received(owner.org, &invoice.id, again, 4_990),
        )
        .await
        .expect("apply");
        assert_eq!(
            env.get(owner, &invoice.id).await.expect("invoice").status,
            pb::InvoiceStatus::Paid as i32
        );
        let refund = ev::PaymentRefunded {
            payment_id: again.to_string(),
            invoice_id: invoice.id.clone(),
            amount: Some(eur(4_990)),
            reason_code: "MD06".into(),
            ..Default::default()
        };
        apply(
            db,
            consumer,
            &handler,
            &delivered(owner.org, "payment.refunded", refund.encode_to_vec()),
        )
        .await
        .expect("apply");
        let refunded = env.get(owner, &invoice.id).await.expect("invoice");
        assert_eq!(refunded.status, pb::InvoiceStatus::Issued as i32);
        assert_eq!(amount(&refunded.amount_paid), 0);
        assert_eq!(env.outbox(owner.org, "invoice.paid").await.len(), 2);
    }
}

/// MarkOverdue marks the issued and partially paid invoices due before the day given,
/// each once with one invoice.overdue however often it runs; paid and written-off
/// invoices are left alone; payments on an overdue invoice keep it overdue until paid.
#[tokio::test]
async fn mark_overdue_marks_each_invoice_once() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let unpaid = env
            .issued(owner, &client, vec![line("Prime", 1, 1_000, "exempt")])
            .await;
        let partly = env
            .issued(owner, &client, vec![line("Prime", 1, 1_000, "exempt")])
            .await;
        let paid = env
            .issued(owner, &client, vec![line("Prime", 1, 1_000, "exempt")])
            .await;
        let lost = env
            .issued(owner, &client, vec![line("Prime", 1, 1_000, "exempt")])
            .await;
        env.pay(owner.org, &partly.id, Uuid::now_v7(), 400)
            .await
            .expect("pay");
        env.pay(owner.org, &paid.id, Uuid::now_v7(), 1_000)
            .await
            .expect("pay");
        let mut api = env.api();
        let written = api
            .write_off_invoice(env.req(
                owner,
                pb::WriteOffInvoiceRequest {
                    invoice_id: lost.id.clone(),
                    reason: "client introuvable".into(),
                    version: 0,
                },
            ))
            .await
            .expect("write off")
            .into_inner()
            .invoice
            .expect("invoice");
        assert_eq!(written.status, pb::InvoiceStatus::WrittenOff as i32);
        assert_eq!(amount(&written.amount_due), 0);

        let due = from_date(&unpaid.due_date);
        let mark = |as_of: chrono::NaiveDate| {
            let mut api = env.api();
            let request = env.req(
                owner,
                pb::MarkOverdueRequest {
                    as_of: Some(date(as_of)),
                },
            );
            async move {
                api.mark_overdue(request)
                    .await
                    .expect("mark")
                    .into_inner()
                    .marked_count
            }
        };
        assert_eq!(mark(due).await, 0, "due today is not late");
        let after = due.checked_add_days(Days::new(1)).expect("date");
        assert_eq!(mark(after).await, 2, "{:?}", env.backend);
        assert_eq!(mark(after).await, 0);
        assert_eq!(
            mark(after.checked_add_days(Days::new(30)).expect("date")).await,
            0
        );
        let events = env.outbox(owner.org, "invoice.overdue").await;
        let mut ids: Vec<String> = events
            .iter()
            .map(|e| {
                ev::InvoiceOverdue::decode(e.payload.as_slice())
                    .expect("payload")
                    .invoice_id
            })
            .collect();
        ids.sort();
        let mut expected = vec![unpaid.id.clone(), partly.id.clone()];
        expected.sort();
        assert_eq!(ids, expected);
        let e = ev::InvoiceOverdue::decode(events[0].payload.as_slice()).expect("payload");
        assert!(amount(&e.amount_due) > 0);

        let overdue = env.get(owner, &partly.id).await.expect("invoice");
        assert_eq!(overdue.status, pb::InvoiceStatus::Overdue as i32);
        assert!(overdue.overdue_time.is_some());
        let still = env
            .pay(owner.org, &partly.id, Uuid::now_v7(), 100)
            .await
            .expect("pay");
        assert_eq!(still.status, pb::InvoiceStatus::Overdue as i32);
        let done = env
            .pay(owner.org, &partly.id, Uuid::now_v7(), 500)
            .await
            .expect("pay");
        assert_eq!(done.status, pb::InvoiceStatus::Paid as i32);

        // A paid invoice cannot be written off; MarkOverdue needs its day.
        let refused = api
            .write_off_invoice(env.req(
                owner,
                pb::WriteOffInvoiceRequest {
                    invoice_id: paid.id.clone(),
                    reason: "x".into(),
                    version: 0,
                },
            ))
            .await
            .expect_err("paid");
        assert_eq!(refused.code(), Code::FailedPrecondition);
        let missing = api
            .mark_overdue(env.req(owner, pb::MarkOverdueRequest { as_of: None }))
            .await
            .expect_err("as_of");
        assert_eq!(violation_fields(&missing), ["as_of"]);
    }
}
