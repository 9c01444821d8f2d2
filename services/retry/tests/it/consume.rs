//! The consumer: payment.rejected opens a chain and decides; mandate.revoked,
//! credit_note.issued and invoice.paid stop chains; every event delivered twice changes
//! nothing the second time.

use crm_events::consume::Outcome;
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::retry::v1 as pb;
use uuid::Uuid;

use crate::support::{
    Member, d, day_of, decode, envs, meta, monday, rejected, state, status, stop_reason,
};

/// A first AM04 rejection on Monday 2 March 2026 schedules attempt 2 on Wednesday
/// 25 March (the pay-day anchor after 2 March + 8 days), due on Monday 23 March, inside
/// the window ending 1 April, and publishes retry.scheduled through the outbox.
#[tokio::test]
async fn am04_schedules_an_attempt_and_publishes_retry_scheduled() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let payment = Uuid::now_v7();
        let event = rejected(admin.org, payment, "AM04", monday());
        env.reject(&event).await;

        let chain = env.chain(admin, payment).await.expect("chain");
        assert_eq!(state(&chain), pb::ChainState::Scheduled);
        assert_eq!(chain.payment_id, payment.to_string());
        assert_eq!(chain.presentations, 1);
        assert_eq!(chain.last_reason_code, "AM04");
        assert_eq!(day_of(&chain.first_rejection_date), monday());
        assert_eq!(day_of(&chain.window_end_date), d(2026, 4, 1));
        assert_eq!(chain.invoice_id, event.invoice_id);
        assert_eq!(chain.mandate_id, event.mandate_id);
        let [attempt] = &chain.attempts[..] else {
            panic!("one attempt: {chain:?}");
        };
        assert_eq!(status(attempt), pb::AttemptStatus::Scheduled);
        assert_eq!(attempt.attempt_number, 2);
        assert_eq!(day_of(&attempt.scheduled_date), d(2026, 3, 25));
        assert_eq!(day_of(&attempt.due_date), d(2026, 3, 23));
        assert_eq!(attempt.presented_payment_id, payment.to_string());
        assert_eq!(attempt.reason_code, "AM04");
        assert_eq!(attempt.amount, event.amount);

        let rows = env.outbox(admin.org, "retry.scheduled").await;
        let [row] = &rows[..] else {
            panic!("one retry.scheduled: {rows:?}");
        };
        let e: ev::RetryScheduled = decode(row);
        assert_eq!(e.attempt_id, attempt.id);
        assert_eq!(row.aggregate_id, attempt.id);
        assert_eq!(e.payment_id, payment.to_string());
        assert_eq!(e.attempt_number, 2);
        assert_eq!(day_of(&e.scheduled_date), d(2026, 3, 25));
        assert_eq!(e.reason_code, "AM04");
        assert_eq!(e.invoice_id, event.invoice_id);
        assert_eq!(e.client_id, event.client_id);
        assert_eq!(e.amount, event.amount);
        assert_eq!(e.meta.expect("meta").organisation_id, admin.org.to_string());
        assert!(env.outbox(admin.org, "retry.exhausted").await.is_empty());
        env.retry.stop().await.expect("stop");
    }
}

/// MD01 (hard), MD06 (dispute), MD07 (deceased), AG02 (technical) and MS02 (not in the
/// policy) end the chain at once: EXHAUSTED, no attempt, retry.exhausted FINAL_CODE.
#[tokio::test]
async fn final_codes_exhaust_at_once() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        for (code, reason) in [
            ("MD01", pb::StopReason::HardCode),
            ("MD06", pb::StopReason::Dispute),
            ("MD07", pb::StopReason::DebtorDeceased),
            ("AG02", pb::StopReason::TechnicalCode),
            ("MS02", pb::StopReason::HardCode),
        ] {
            let payment = Uuid::now_v7();
            env.reject(&rejected(admin.org, payment, code, monday()))
                .await;
            let chain = env.chain(admin, payment).await.expect("chain");
            assert_eq!(state(&chain), pb::ChainState::Exhausted, "{code}");
            assert_eq!(stop_reason(&chain), reason, "{code}");
            assert!(chain.attempts.is_empty(), "{code}");
            let rows = env.outbox(admin.org, "retry.exhausted").await;
            let e: ev::RetryExhausted = decode(rows.last().expect("exhausted"));
            assert_eq!(e.payment_id, payment.to_string(), "{code}");
            assert_eq!(e.last_reason_code, code);
            assert_eq!(e.attempts, 1);
            assert_eq!(
                e.reason,
                ev::RetryExhaustionReason::FinalCode as i32,
                "{code}"
            );
        }
        // A soft code the policy does not list, with no class in the event.
        let payment = Uuid::now_v7();
        let mut event = rejected(admin.org, payment, "AM04", monday());
        env.update_policy(
            admin,
            pb::Policy {
                retryable_codes: vec![pb::RetryableCode {
                    code: "MS03".into(),
                    max_retries: 1,
                }],
                ..Default::default()
            },
            &["retryable_codes"],
        )
        .await
        .expect("policy");
        event.reason_class = ev::ReasonClass::Unspecified as i32;
        env.reject(&event).await;
        let chain = env.chain(admin, payment).await.expect("chain");
        assert_eq!(stop_reason(&chain), pb::StopReason::CodeNotRetried);
        assert!(env.outbox(admin.org, "retry.scheduled").await.is_empty());
        env.retry.stop().await.expect("stop");
    }
}

/// A rejection of a presentation that was already the fourth (three retries made,
/// reported by payments) exhausts the chain with MAX_ATTEMPTS; a first rejection dated
/// too late for any day in the window exhausts it with WINDOW_ELAPSED.
#[tokio::test]
async fn limits_exhaust_with_their_reason() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let payment = Uuid::now_v7();
        let mut event = rejected(admin.org, payment, "AM04", monday());
        event.attempt_number = 4;
        env.reject(&event).await;
        let chain = env.chain(admin, payment).await.expect("chain");
        assert_eq!(stop_reason(&chain), pb::StopReason::MaxRetries);
        assert_eq!(chain.presentations, 4);
        let e: ev::RetryExhausted = decode(&env.outbox(admin.org, "retry.exhausted").await[0]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::MaxAttempts as i32);
        assert_eq!(e.attempts, 4);

        // Rejected on 1 February, known only on 2 March: the 30-day window is over.
        let late = Uuid::now_v7();
        env.reject(&rejected(admin.org, late, "AM04", d(2026, 2, 1)))
            .await;
        let chain = env.chain(admin, late).await.expect("chain");
        assert_eq!(stop_reason(&chain), pb::StopReason::WindowElapsed);
        let rows = env.outbox(admin.org, "retry.exhausted").await;
        let e: ev::RetryExhausted = decode(&rows[1]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::WindowElapsed as i32);
        env.retry.stop().await.expect("stop");
    }
}

/// The same event delivered twice is a duplicate; the same rejection reported again
/// under another event id is recognised too: one chain, one attempt, one event.
#[tokio::test]
async fn redelivery_changes_nothing_twice() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let payment = Uuid::now_v7();
        let event = rejected(admin.org, payment, "AM04", monday());
        let id = Uuid::now_v7();
        assert_eq!(
            env.deliver(id, "payment.rejected", admin.org, &event).await,
            Outcome::Applied
        );
        assert_eq!(
            env.deliver(id, "payment.rejected", admin.org, &event).await,
            Outcome::Duplicate
        );
        env.reject(&event).await;
        let chain = env.chain(admin, payment).await.expect("chain");
        assert_eq!(chain.attempts.len(), 1);
        assert_eq!(chain.version, 1);
        assert_eq!(env.outbox(admin.org, "retry.scheduled").await.len(), 1);

        // A mandate.revoked delivered twice stops once and publishes once.
        let revoked = ev::MandateRevoked {
            meta: Some(meta(admin.org, Uuid::now_v7())),
            mandate_id: event.mandate_id.clone(),
            reference: "UMR-1".into(),
            client_id: event.client_id.clone(),
            status: ev::MandateStatus::Revoked as i32,
            reason_code: String::new(),
        };
        let id = Uuid::now_v7();
        for expected in [Outcome::Applied, Outcome::Duplicate] {
            assert_eq!(
                env.deliver(id, "mandate.revoked", admin.org, &revoked)
                    .await,
                expected
            );
        }
        // Under a new id: the chain is closed already, nothing more.
        env.deliver(Uuid::now_v7(), "mandate.revoked", admin.org, &revoked)
            .await;
        let chain = env.chain(admin, payment).await.expect("chain");
        assert_eq!(chain.version, 2);
        assert_eq!(env.outbox(admin.org, "retry.exhausted").await.len(), 1);
        env.retry.stop().await.expect("stop");
    }
}

/// mandate.revoked (REVOKED, EXPIRED or FAILED) stops the open chains of the mandate:
/// ABORTED, the scheduled attempt ABORTED, retry.exhausted for relance; other mandates'
/// chains and other statuses are left alone.
#[tokio::test]
async fn a_revoked_mandate_aborts_its_chains() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let (p1, p2, p3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let first = rejected(admin.org, p1, "AM04", monday());
        let mut second = rejected(admin.org, p2, "MS03", monday());
        second.mandate_id = first.mandate_id.clone();
        let elsewhere = rejected(admin.org, p3, "AM04", monday());
        for e in [&first, &second, &elsewhere] {
            env.reject(e).await;
        }
        let revoke = |status: ev::MandateStatus| ev::MandateRevoked {
            meta: Some(meta(admin.org, Uuid::now_v7())),
            mandate_id: first.mandate_id.clone(),
            reference: "UMR-1".into(),
            client_id: first.client_id.clone(),
            status: status as i32,
            reason_code: String::new(),
        };
        // A status that is not a revocation changes nothing.
        env.deliver(
            Uuid::now_v7(),
            "mandate.revoked",
            admin.org,
            &revoke(ev::MandateStatus::Suspended),
        )
        .await;
        assert_eq!(
            state(&env.chain(admin, p1).await.expect("c")),
            pb::ChainState::Scheduled
        );
        env.deliver(
            Uuid::now_v7(),
            "mandate.revoked",
            admin.org,
            &revoke(ev::MandateStatus::Expired),
        )
        .await;
        for p in [p1, p2] {
            let chain = env.chain(admin, p).await.expect("chain");
            assert_eq!(state(&chain), pb::ChainState::Aborted);
            assert_eq!(stop_reason(&chain), pb::StopReason::MandateInactive);
            assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Aborted);
        }
        assert_eq!(
            state(&env.chain(admin, p3).await.expect("c")),
            pb::ChainState::Scheduled
        );
        let rows = env.outbox(admin.org, "retry.exhausted").await;
        assert_eq!(rows.len(), 2);
        let e: ev::RetryExhausted = decode(&rows[0]);
        assert_eq!(e.mandate_id, first.mandate_id);
        assert_eq!(e.reason, ev::RetryExhaustionReason::MandateInactive as i32);
        env.retry.stop().await.expect("stop");
    }
}

/// A credit note against the invoice stops its chains (ABORTED, INVOICE_CREDITED,
/// nothing published: nothing is owed on it any more); so does invoice.paid, except for
/// the chain whose own presentation paid it.
#[tokio::test]
async fn credit_notes_and_paid_invoices_abort_without_handing_over() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let (p1, p2) = (Uuid::now_v7(), Uuid::now_v7());
        let first = rejected(admin.org, p1, "AM04", monday());
        let second = rejected(admin.org, p2, "AM04", monday());
        env.reject(&first).await;
        env.reject(&second).await;
        let credit = ev::CreditNoteIssued {
            meta: Some(meta(admin.org, Uuid::now_v7())),
            credit_note_id: Uuid::now_v7().to_string(),
            number: "AV-2026-000001".into(),
            invoice_id: first.invoice_id.clone(),
            cancels_invoice: true,
            ..Default::default()
        };
        env.deliver(Uuid::now_v7(), "credit_note.issued", admin.org, &credit)
            .await;
        let chain = env.chain(admin, p1).await.expect("chain");
        assert_eq!(state(&chain), pb::ChainState::Aborted);
        assert_eq!(stop_reason(&chain), pb::StopReason::InvoiceCredited);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Aborted);

        let paid = ev::InvoicePaid {
            meta: Some(meta(admin.org, Uuid::now_v7())),
            invoice_id: second.invoice_id.clone(),
            number: "F-2026-000002".into(),
            payment_id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        env.deliver(Uuid::now_v7(), "invoice.paid", admin.org, &paid)
            .await;
        let chain = env.chain(admin, p2).await.expect("chain");
        assert_eq!(stop_reason(&chain), pb::StopReason::InvoicePaid);
        assert!(env.outbox(admin.org, "retry.exhausted").await.is_empty());
        env.retry.stop().await.expect("stop");
    }
}

/// CancelRetries stops an open chain (ABORTED, CANCELLED, nothing published); a closed
/// one is FAILED_PRECONDITION; an unknown payment or another organisation's is
/// NOT_FOUND; managers may not cancel.
#[tokio::test]
async fn cancel_retries_stops_an_open_chain() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let payment = Uuid::now_v7();
        env.reject(&rejected(admin.org, payment, "AM04", monday()))
            .await;
        let err = env
            .cancel(admin.with(Role::Manager), payment)
            .await
            .expect_err("manager");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
        let err = env
            .cancel(Member::admin(), payment)
            .await
            .expect_err("other");
        assert_eq!(err.code(), tonic::Code::NotFound);
        let chain = env
            .cancel(admin.with(Role::Accountant), payment)
            .await
            .expect("cancel");
        assert_eq!(state(&chain), pb::ChainState::Aborted);
        assert_eq!(stop_reason(&chain), pb::StopReason::Cancelled);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Aborted);
        let err = env.cancel(admin, payment).await.expect_err("closed");
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        let err = env
            .cancel(admin, Uuid::now_v7())
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), tonic::Code::NotFound);
        assert!(env.outbox(admin.org, "retry.exhausted").await.is_empty());
        // The aborted attempt is no longer due.
        env.clock.set(d(2026, 3, 31));
        let report = env.run_due(admin, None).await.expect("run");
        assert_eq!(report.results.len(), 0);
        env.retry.stop().await.expect("stop");
    }
}

/// A payload that is not the event's message, or a payment id that is not a UUID, fails
/// the delivery (retried, then dead-lettered) and writes nothing.
#[tokio::test]
async fn unreadable_events_fail_without_writing() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let mut event = rejected(admin.org, Uuid::now_v7(), "AM04", monday());
        event.payment_id = "not-a-uuid".into();
        let delivered = crm_events::consume::Delivered {
            id: Uuid::now_v7(),
            event_type: "payment.rejected".into(),
            organisation_id: admin.org,
            aggregate_id: String::new(),
            aggregate_version: 1,
            payload: prost::Message::encode_to_vec(&event).into(),
            traceparent: None,
        };
        let result = crm_events::consume::apply(
            &env.db.db,
            "retry-chains",
            &crm_retry::Chains::new(env.clock.clone()),
            &delivered,
        )
        .await;
        assert!(result.is_err());
        let garbage = crm_events::consume::Delivered {
            payload: vec![0xff, 0xff, 0xff].into(),
            ..delivered
        };
        let result = crm_events::consume::apply(
            &env.db.db,
            "retry-chains",
            &crm_retry::Chains::new(env.clock.clone()),
            &garbage,
        )
        .await;
        assert!(result.is_err());
        let listed = env
            .attempts(admin, pb::ListAttemptsRequest::default())
            .await
            .expect("list");
        assert!(listed.attempts.is_empty());
        env.retry.stop().await.expect("stop");
    }
}

/// The consumer subscribes to the five event types it applies, with bounded retries.
#[test]
fn the_subscription_names_the_consumed_types() {
    let s = crm_retry::subscription();
    assert_eq!(s.durable(), "retry-chains");
    assert_eq!(
        s.event_types,
        [
            "payment.rejected",
            "payment.received",
            "mandate.revoked",
            "credit_note.issued",
            "invoice.paid"
        ]
    );
    for t in &s.event_types {
        assert!(
            crm_proto::EVENT_TYPES.iter().any(|(name, _)| name == t),
            "{t} is not in the catalogue"
        );
    }
    assert_eq!(s.max_deliver, 5);
}
