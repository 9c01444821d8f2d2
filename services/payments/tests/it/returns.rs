//! After submission: MarkSettled, ImportReturns (rejects, returns, failing mandates,
//! per-row results, ten thousand rows), SchedulePresentation for the retry service, and
//! the refund windows.

use chrono::{Days, NaiveDate};
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{
    Env, Member, collection_date, date, decode, envs, next_target, plus_months, violations,
};

/// Makes a new mandate whose first collection (on `collection_date()`) settled, then
/// `n` instalments under it (several schedules) collected RCUR in one exported batch on
/// the next TARGET day: returns the mandate, those SUBMITTED payments and their date.
async fn submitted(
    env: &Env,
    admin: Member,
    n: usize,
) -> (pb::Mandate, Vec<pb::Payment>, NaiveDate) {
    let account = env.account(admin).await;
    let m = env.mandate(admin, &account.id).await;
    let first = collection_date();
    env.schedule(admin, &m, &[(first, 500)]).await;
    let warm_up = env
        .prepare(admin, &account.id, first)
        .await
        .expect("prepare");
    env.export(
        admin,
        &warm_up.batch.expect("batch").id,
        pb::PainVersion::V02,
    )
    .await;
    env.settle(admin, &[warm_up.payments[0].id.clone()], first)
        .await;
    let d = next_target(first);
    let mut left = n;
    while left > 0 {
        let take = left.min(120);
        let dues: Vec<(NaiveDate, i64)> = (0..take)
            .map(|i| (d - Days::new(take as u64 - i as u64), 1_000 + i as i64))
            .collect();
        env.schedule(admin, &m, &dues).await;
        left -= take;
    }
    let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
    let batch = prepared.batch.expect("batch");
    env.export(admin, &batch.id, pb::PainVersion::V02).await;
    assert!(
        prepared
            .payments
            .iter()
            .all(|p| p.sequence_type == ev::SequenceType::Rcur as i32)
    );
    (m, prepared.payments, d)
}

fn row(e2e: &str, code: &str, on: NaiveDate) -> pb::ReturnRow {
    pb::ReturnRow {
        end_to_end_id: e2e.into(),
        payment_id: String::new(),
        reason_code: code.into(),
        date: date(on),
    }
}

async fn import(
    env: &Env,
    who: Member,
    rows: Vec<pb::ReturnRow>,
) -> Result<pb::ImportReturnsResponse, tonic::Status> {
    Ok(env
        .client()
        .import_returns(env.req(who, pb::ImportReturnsRequest { rows }))
        .await?
        .into_inner())
}

/// MarkSettled settles SUBMITTED payments (by id or by batch), sets the return deadline
/// (D+5 TARGET days) and publishes payment.received; anything else is refused whole.
#[tokio::test]
async fn mark_settled_publishes_payment_received() {
    for env in envs().await {
        let admin = Member::admin();
        let (_, payments, d) = submitted(&env, admin, 3).await;
        let c = env.client();
        let err = c
            .clone()
            .mark_settled(env.req(admin, pb::MarkSettledRequest::default()))
            .await
            .expect_err("empty");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["payment_ids", "settlement_date"]);
        let err = c
            .clone()
            .mark_settled(env.req(
                admin,
                pb::MarkSettledRequest {
                    payment_ids: vec![payments[0].id.clone(), payments[0].id.clone(), "x".into()],
                    batch_id: payments[0].batch_id.clone(),
                    settlement_date: date(d),
                },
            ))
            .await
            .expect_err("both");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["batch_id"]);
        let err = c
            .clone()
            .mark_settled(env.req(
                admin,
                pb::MarkSettledRequest {
                    payment_ids: vec![payments[0].id.clone(), payments[0].id.clone(), "x".into()],
                    batch_id: String::new(),
                    settlement_date: date(d),
                },
            ))
            .await
            .expect_err("duplicates");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["payment_ids[1]", "payment_ids[2]"]);
        let err = c
            .clone()
            .mark_settled(env.req(
                admin,
                pb::MarkSettledRequest {
                    payment_ids: vec![payments[0].id.clone()],
                    batch_id: String::new(),
                    settlement_date: date(d - Days::new(1)),
                },
            ))
            .await
            .expect_err("before the collection date");
        assert_eq!(violations(&err), ["settlement_date"]);
        let err = c
            .clone()
            .mark_settled(env.req(
                Member::admin(),
                pb::MarkSettledRequest {
                    payment_ids: vec![payments[0].id.clone()],
                    batch_id: String::new(),
                    settlement_date: date(d),
                },
            ))
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);

        let settled = env.settle(admin, &[payments[0].id.clone()], d).await;
        assert_eq!(settled[0].status, pb::PaymentStatus::Settled as i32);
        let deadline = crm_shared::calendar::add_target_days(d, 5).expect("deadline");
        assert_eq!(settled[0].return_deadline, date(deadline));
        let err = c
            .clone()
            .mark_settled(env.req(
                admin,
                pb::MarkSettledRequest {
                    payment_ids: vec![payments[0].id.clone(), payments[1].id.clone()],
                    batch_id: String::new(),
                    settlement_date: date(d),
                },
            ))
            .await
            .expect_err("already settled");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            env.payment(admin, &payments[1].id).await.expect("p").status,
            pb::PaymentStatus::Submitted as i32,
            "nothing half-written"
        );
        let by_batch = c
            .clone()
            .mark_settled(env.req(
                admin,
                pb::MarkSettledRequest {
                    payment_ids: vec![],
                    batch_id: payments[0].batch_id.clone(),
                    settlement_date: date(d),
                },
            ))
            .await
            .expect("by batch")
            .into_inner()
            .payments;
        assert_eq!(by_batch.len(), 2);
        let received = env.outbox(admin.org, "payment.received").await;
        assert_eq!(received.len(), 4, "the first collection's and these three");
        let event: ev::PaymentReceived = decode(&received[1]);
        assert_eq!(event.payment_id, payments[0].id);
        assert_eq!(event.settlement_date, date(d));
        assert_eq!(event.return_deadline, date(deadline));
        assert_eq!(event.attempt_number, 1);
        assert_eq!(event.method, ev::PaymentMethod::Sepa as i32);
    }
}

/// AM04 before the collection date is a reject, on or after it a return; each
/// publishes payment.rejected (soft class, kind, attempt); unknown references, unknown
/// codes, wrong states and late returns are refused row by row while the good rows
/// are kept; malformed rows make the whole request INVALID_ARGUMENT.
#[tokio::test]
async fn import_returns_rejects_and_returns_row_by_row() {
    for env in envs().await {
        let admin = Member::admin();
        let (m, payments, d) = submitted(&env, admin, 4).await;
        env.settle(admin, &[payments[3].id.clone()], d).await;
        let deadline = crm_shared::calendar::add_target_days(d, 5).expect("deadline");
        let err = import(&env, admin, vec![]).await.expect_err("no rows");
        assert_eq!(violations(&err), ["rows"]);
        let err = import(
            &env,
            admin,
            vec![
                pb::ReturnRow::default(),
                pb::ReturnRow {
                    end_to_end_id: "E1".into(),
                    payment_id: Uuid::now_v7().to_string(),
                    reason_code: "AM 04".into(),
                    date: None,
                },
                pb::ReturnRow {
                    payment_id: "nope".into(),
                    reason_code: "AM04".into(),
                    date: date(d),
                    ..Default::default()
                },
            ],
        )
        .await
        .expect_err("malformed rows");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "rows[0].date",
                "rows[0].end_to_end_id",
                "rows[0].reason_code",
                "rows[1].date",
                "rows[1].payment_id",
                "rows[1].reason_code",
                "rows[2].payment_id",
            ]
        );
        let answer = import(
            &env,
            admin,
            vec![
                row(&payments[0].end_to_end_id, "AM04", d - Days::new(2)),
                pb::ReturnRow {
                    payment_id: payments[1].id.clone(),
                    reason_code: "am04".into(),
                    date: date(d),
                    ..Default::default()
                },
                row("E-UNKNOWN", "AM04", d),
                row(&payments[2].end_to_end_id, "ZZ99", d),
                row(&payments[0].end_to_end_id, "AM04", d),
                row(&payments[2].end_to_end_id, "AM04", deadline + Days::new(1)),
                row(&payments[3].end_to_end_id, "AM04", deadline),
            ],
        )
        .await
        .expect("import");
        assert_eq!((answer.applied, answer.refused), (3, 4));
        let r = &answer.results;
        assert!(r[0].applied && r[0].status == pb::PaymentStatus::Rejected as i32);
        assert!(r[1].applied && r[1].status == pb::PaymentStatus::Returned as i32);
        assert!(
            !r[2].applied && r[2].error.contains("unknown payment") && r[2].payment_id.is_empty()
        );
        assert!(!r[3].applied && r[3].error.contains("unknown reason code"));
        assert!(
            !r[4].applied && r[4].error.contains("rejected"),
            "{}",
            r[4].error
        );
        assert!(
            !r[5].applied && r[5].error.contains("return deadline"),
            "{}",
            r[5].error
        );
        assert!(
            r[6].applied && r[6].status == pb::PaymentStatus::Returned as i32,
            "a settled payment is returned"
        );
        assert!(r.iter().enumerate().all(|(i, x)| x.index == i as i32));

        let p0 = env.payment(admin, &payments[0].id).await.expect("p0");
        assert_eq!(p0.status, pb::PaymentStatus::Rejected as i32);
        assert_eq!(p0.reason_code, "AM04");
        assert_eq!(p0.rejection_kind, ev::RejectionKind::Reject as i32);
        assert_eq!(p0.rejection_date, date(d - Days::new(2)));
        let rejected = env.outbox(admin.org, "payment.rejected").await;
        assert_eq!(rejected.len(), 3);
        let first: ev::PaymentRejected = decode(&rejected[0]);
        assert_eq!(first.payment_id, payments[0].id);
        assert_eq!(first.reason_code, "AM04");
        assert_eq!(first.reason_class, ev::ReasonClass::Soft as i32);
        assert_eq!(first.kind, ev::RejectionKind::Reject as i32);
        assert_eq!(first.attempt_number, 1);
        assert_eq!(first.collection_date, date(d));
        assert_eq!(first.debtor_country, "FR", "the mandate's account");
        let second: ev::PaymentRejected = decode(&rejected[1]);
        assert_eq!(second.kind, ev::RejectionKind::Return as i32);
        // AM04 leaves the mandate usable.
        let read = env.get_mandate(admin, &m.id).await.expect("mandate");
        assert_eq!(read.status, ev::MandateStatus::Active as i32);
        let err = import(&env, admin.with(Role::Manager), vec![row("E", "AM04", d)])
            .await
            .expect_err("manager");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}

/// MD01 (no valid mandate) fails the mandate, with mandate.revoked naming the code; a
/// hard code's class travels in payment.rejected.
#[tokio::test]
async fn md01_fails_the_mandate() {
    for env in envs().await {
        let admin = Member::admin();
        let (m, payments, d) = submitted(&env, admin, 2).await;
        let answer = import(
            &env,
            admin,
            vec![
                row(&payments[0].end_to_end_id, "MD01", d),
                row(&payments[1].end_to_end_id, "MD01", d),
            ],
        )
        .await
        .expect("import");
        assert_eq!(answer.applied, 2);
        let read = env.get_mandate(admin, &m.id).await.expect("mandate");
        assert_eq!(read.status, ev::MandateStatus::Failed as i32);
        assert_eq!(read.status_reason_code, "MD01");
        let revoked = env.outbox(admin.org, "mandate.revoked").await;
        assert_eq!(revoked.len(), 1, "failed once");
        let event: ev::MandateRevoked = decode(&revoked[0]);
        assert_eq!(event.status, ev::MandateStatus::Failed as i32);
        assert_eq!(event.reason_code, "MD01");
        let rejected: ev::PaymentRejected =
            decode(&env.outbox(admin.org, "payment.rejected").await[0]);
        assert_eq!(rejected.reason_class, ev::ReasonClass::Hard as i32);
        assert_eq!(rejected.kind, ev::RejectionKind::Return as i32);
    }
}

/// Ten thousand R-transactions are applied in one call, each with its event.
#[tokio::test]
async fn ten_thousand_returns_in_one_call() {
    for env in envs().await {
        let admin = Member::admin();
        let (_, payments, d) = submitted(&env, admin, 10_000).await;
        assert_eq!(payments.len(), 10_000);
        let rows: Vec<pb::ReturnRow> = payments
            .iter()
            .map(|p| row(&p.end_to_end_id, "AM04", d))
            .collect();
        let started = std::time::Instant::now();
        let answer = import(&env, admin, rows).await.expect("import");
        eprintln!(
            "{:?}: 10000 returns imported in {:?}",
            env.backend,
            started.elapsed()
        );
        assert_eq!((answer.applied, answer.refused), (10_000, 0));
        assert_eq!(
            env.outbox(admin.org, "payment.rejected").await.len(),
            10_000
        );
        let returned = env
            .client()
            .list_payments(env.req(
                admin,
                pb::ListPaymentsRequest {
                    status: pb::PaymentStatus::Returned as i32,
                    page_size: 200,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(returned.payments.len(), 200);
        assert!(!returned.next_page_token.is_empty());
    }
}

fn presentation(payment: &str, on: NaiveDate, request_id: &str) -> pb::SchedulePresentationRequest {
    pb::SchedulePresentationRequest {
        payment_id: payment.into(),
        collection_date: date(on),
        request_id: request_id.into(),
    }
}

/// SchedulePresentation is for the retry service only; it makes attempt 2 with a new
/// EndToEndId, idempotent on request_id, which the next batch of its date collects;
/// it is refused for a payment that is not rejected, a failed mandate, a non-TARGET
/// date, and a second presentation of the same payment.
#[tokio::test]
async fn schedule_presentation_is_for_retry_only() {
    for env in envs().await {
        let admin = Member::admin();
        let (m, payments, d) = submitted(&env, admin, 3).await;
        import(
            &env,
            admin,
            vec![row(&payments[0].end_to_end_id, "AM04", d)],
        )
        .await
        .expect("import");
        let again_on = next_target(next_target(d));
        let request_id = Uuid::new_v4().to_string();
        let c = env.client();
        let err = c
            .clone()
            .schedule_presentation(
                env.req(admin, presentation(&payments[0].id, again_on, &request_id)),
            )
            .await
            .expect_err("a user");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "relance",
                admin.org,
                presentation(&payments[0].id, again_on, &request_id),
            ))
            .await
            .expect_err("another service");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                pb::SchedulePresentationRequest::default(),
            ))
            .await
            .expect_err("empty");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["collection_date", "payment_id", "request_id"]);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[1].id, again_on, &request_id),
            ))
            .await
            .expect_err("not rejected");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let saturday = crate::support::saturday_after(again_on);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[0].id, saturday, &request_id),
            ))
            .await
            .expect_err("weekend");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                Uuid::now_v7(),
                presentation(&payments[0].id, again_on, &request_id),
            ))
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);

        let next = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[0].id, again_on, &request_id),
            ))
            .await
            .expect("present")
            .into_inner()
            .payment
            .expect("payment");
        assert_eq!(next.attempt_number, 2);
        assert_eq!(next.previous_payment_id, payments[0].id);
        assert_eq!(next.status, pb::PaymentStatus::Scheduled as i32);
        assert_eq!(next.amount, payments[0].amount);
        assert_eq!(next.instalment_id, payments[0].instalment_id);
        assert_ne!(next.end_to_end_id, payments[0].end_to_end_id);
        let replay = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[0].id, again_on, &request_id),
            ))
            .await
            .expect("replay")
            .into_inner()
            .payment
            .expect("payment");
        assert_eq!(replay.id, next.id);
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[0].id, again_on, &Uuid::new_v4().to_string()),
            ))
            .await
            .expect_err("presented already");
        assert_eq!(err.code(), Code::FailedPrecondition);

        let prepared = env
            .prepare(admin, &m.creditor_account_id, again_on)
            .await
            .expect("prepare");
        assert_eq!(prepared.payments.len(), 1);
        let p = &prepared.payments[0];
        assert_eq!((p.id.as_str(), p.attempt_number), (next.id.as_str(), 2));
        assert_eq!(p.status, pb::PaymentStatus::Exported as i32);
        let xml = env
            .export(
                admin,
                &prepared.batch.expect("batch").id,
                pb::PainVersion::V02,
            )
            .await
            .xml;
        let xml = String::from_utf8(xml).expect("utf-8");
        assert!(xml.contains(&next.end_to_end_id));

        // MD01 fails the mandate: no presentation of its other payments.
        import(
            &env,
            admin,
            vec![row(&payments[1].end_to_end_id, "MD01", d)],
        )
        .await
        .expect("import");
        let err = c
            .clone()
            .schedule_presentation(env.internal(
                "retry",
                admin.org,
                presentation(&payments[1].id, again_on, &Uuid::new_v4().to_string()),
            ))
            .await
            .expect_err("failed mandate");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert!(err.message().contains("failed"), "{}", err.message());
    }
}

async fn refund(
    env: &Env,
    who: Member,
    payment: &str,
    code: &str,
    on: NaiveDate,
) -> Result<pb::Payment, tonic::Status> {
    Ok(env
        .client()
        .refund_payment(env.req(
            who,
            pb::RefundPaymentRequest {
                payment_id: payment.into(),
                reason_code: code.into(),
                refund_date: date(on),
            },
        ))
        .await?
        .into_inner()
        .payment
        .expect("payment"))
}

/// MD06 refunds within 8 weeks of settlement, MD01 within 13 months (and fails the
/// mandate); later, before settlement or on an unsettled payment they are refused;
/// payment.refunded is published.
#[tokio::test]
async fn refunds_have_windows() {
    for env in envs().await {
        let admin = Member::admin();
        let (m, payments, d) = submitted(&env, admin, 4).await;
        let ids: Vec<String> = payments[..3].iter().map(|p| p.id.clone()).collect();
        env.settle(admin, &ids, d).await;
        let err = env
            .client()
            .refund_payment(env.req(
                admin,
                pb::RefundPaymentRequest {
                    payment_id: "x".into(),
                    reason_code: "AM04".into(),
                    refund_date: None,
                },
            ))
            .await
            .expect_err("invalid");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["payment_id", "reason_code", "refund_date"]);
        let err = refund(&env, admin, &payments[3].id, "MD06", d)
            .await
            .expect_err("unsettled");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let eight_weeks = d + Days::new(56);
        let err = refund(
            &env,
            admin,
            &payments[0].id,
            "MD06",
            eight_weeks + Days::new(1),
        )
        .await
        .expect_err("too late");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = refund(&env, admin, &payments[0].id, "MD06", d - Days::new(1))
            .await
            .expect_err("before settlement");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = refund(&env, Member::admin(), &payments[0].id, "MD06", d)
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);
        let md06 = refund(&env, admin, &payments[0].id, "MD06", eight_weeks)
            .await
            .expect("md06");
        assert_eq!(md06.status, pb::PaymentStatus::RefundedMd06 as i32);
        assert_eq!(md06.refund_date, date(eight_weeks));
        let err = refund(&env, admin, &payments[0].id, "MD01", eight_weeks)
            .await
            .expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            env.get_mandate(admin, &m.id).await.expect("m").status,
            ev::MandateStatus::Active as i32,
            "MD06 leaves the mandate"
        );
        let thirteen = plus_months(d, 13);
        let err = refund(
            &env,
            admin,
            &payments[1].id,
            "MD01",
            thirteen + Days::new(1),
        )
        .await
        .expect_err("too late");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let md01 = refund(&env, admin, &payments[1].id, "MD01", thirteen)
            .await
            .expect("md01");
        assert_eq!(md01.status, pb::PaymentStatus::RefundedMd01 as i32);
        let read = env.get_mandate(admin, &m.id).await.expect("m");
        assert_eq!(read.status, ev::MandateStatus::Failed as i32);
        assert_eq!(read.status_reason_code, "MD01");
        let refunded = env.outbox(admin.org, "payment.refunded").await;
        assert_eq!(refunded.len(), 2);
        let event: ev::PaymentRefunded = decode(&refunded[0]);
        assert_eq!(
            (event.reason_code.as_str(), event.refund_date),
            ("MD06", date(eight_weeks))
        );
        assert_eq!(event.amount, payments[0].amount);
    }
}

/// A B2B mandate carries no MD06 refund right.
#[tokio::test]
async fn b2b_debits_are_not_refundable_md06() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let mut request =
            env.mandate_request(&account.id, &crate::support::umr(), &crate::support::iban());
        request.scheme = ev::MandateScheme::B2b as i32;
        let m = env.create_mandate(admin, request).await.expect("b2b");
        let d = collection_date();
        env.schedule(admin, &m, &[(d, 5_000)]).await;
        let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
        env.export(
            admin,
            &prepared.batch.expect("batch").id,
            pb::PainVersion::V08,
        )
        .await;
        let id = prepared.payments[0].id.clone();
        env.settle(admin, std::slice::from_ref(&id), d).await;
        let err = refund(&env, admin, &id, "MD06", d + Days::new(3))
            .await
            .expect_err("b2b");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert!(err.message().contains("B2B"), "{}", err.message());
    }
}
