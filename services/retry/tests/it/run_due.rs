//! RunDue against the real payments service: a rejected debit is presented again until
//! it is paid, a repeated presentation makes no second payment, a mandate payments
//! refuses aborts the chain, a payments service that is down leaves attempts scheduled,
//! and a hand-over too late for the window exhausts the chain.

use chrono::Days;
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pay;
use crm_proto::retry::v1 as pb;
use crm_shared::calendar::is_target_day;
use tonic::Code;
use uuid::Uuid;

use crate::stack::{stacks, today};
use crate::support::{
    Member, day_of, decode, envs, monday, rejected, state, status, stop_reason, violations,
};

/// A policy every real day can satisfy: no pay-day alignment, a 60-day window.
async fn plain_policy(stack: &crate::stack::Stack, who: Member) {
    stack
        .env
        .update_policy(
            who,
            pb::Policy {
                window_days: 60,
                align_to_pay_days: false,
                ..Default::default()
            },
            &["window_days", "align_to_pay_days"],
        )
        .await
        .expect("policy");
}

/// AM04 from the bank: the chain schedules attempt 2; RunDue on its due date has
/// payments make payment 2 for the scheduled date (IN_FLIGHT); the bank rejects that
/// one too: attempt 3; RunDue again; the bank settles payment 3: SUCCEEDED.
#[tokio::test]
async fn a_rejected_debit_is_presented_again_until_paid() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 1).await;
        stack.bank_rejects(admin, c.payment, "AM04", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| !c.attempts.is_empty())
            .await;
        assert_eq!(state(&chain), pb::ChainState::Scheduled);
        assert_eq!(chain.mandate_id, c.mandate);
        let first = chain.attempts[0].clone();
        let scheduled = day_of(&first.scheduled_date);
        let due = day_of(&first.due_date);
        assert!(is_target_day(scheduled));
        assert!(scheduled >= today() + Days::new(8));
        assert!(due <= scheduled && due >= today());

        // Not due yet: nothing is handed over.
        if due > today() {
            let report = env.run_due(admin, None).await.expect("early run");
            assert!(report.results.is_empty(), "{report:?}");
        }
        env.clock.set(due);
        let report = env.run_due(admin, None).await.expect("run");
        assert_eq!((report.submitted, report.remaining), (1, 0), "{report:?}");
        let result = &report.results[0];
        assert_eq!(result.attempt_id, first.id);
        assert_eq!(day_of(&result.collection_date), scheduled);
        let second: Uuid = result.new_payment_id.parse().expect("payment id");
        let made = stack.payment(admin, &second.to_string()).await;
        assert_eq!(made.previous_payment_id, c.payment.to_string());
        assert_eq!(made.attempt_number, 2);
        assert_eq!(day_of(&made.collection_date), scheduled);

        let chain = env.chain(admin, second).await.expect("by the new payment");
        assert_eq!(state(&chain), pb::ChainState::InFlight);
        assert_eq!(chain.current_payment_id, second.to_string());
        assert_eq!(chain.presentations, 2);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::InFlight);
        assert_eq!(chain.attempts[0].new_payment_id, second.to_string());
        // A second run finds nothing due.
        assert!(
            env.run_due(admin, None)
                .await
                .expect("again")
                .results
                .is_empty()
        );

        // The bank rejects the re-presentation as well.
        let batch = stack.batch(admin, &c.account, scheduled).await;
        assert_eq!(batch, vec![second.to_string()]);
        stack.bank_rejects(admin, second, "AM04", due).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| c.attempts.len() == 2)
            .await;
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Failed);
        assert_eq!(chain.attempts[0].failure_reason_code, "AM04");
        let next = chain.attempts[1].clone();
        assert_eq!(next.attempt_number, 3);
        assert_eq!(next.presented_payment_id, second.to_string());
        assert!(day_of(&next.scheduled_date) >= due + Days::new(8));

        env.clock.set(day_of(&next.due_date));
        let report = env.run_due(admin, None).await.expect("run 2");
        assert_eq!(report.submitted, 1, "{report:?}");
        let third: Uuid = report.results[0].new_payment_id.parse().expect("id");
        let on = day_of(&next.scheduled_date);
        assert_eq!(
            stack.batch(admin, &c.account, on).await,
            vec![third.to_string()]
        );
        stack.bank_settles(admin, third, on).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| {
                c.state == pb::ChainState::Succeeded as i32
            })
            .await;
        assert_eq!(status(&chain.attempts[1]), pb::AttemptStatus::Succeeded);
        assert_eq!(chain.presentations, 3);
        assert_eq!(env.outbox(admin.org, "retry.scheduled").await.len(), 2);
        assert!(env.outbox(admin.org, "retry.exhausted").await.is_empty());
        stack.stop().await;
    }
}

/// A presentation payments already made with the attempt's id (a run whose answer was
/// lost) is returned again by the next run: one new payment, not two. Cancelled while
/// that presentation is in flight, the chain still records its payment: SUCCEEDED.
#[tokio::test]
async fn a_repeated_presentation_makes_no_second_payment() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 2).await;
        stack.bank_rejects(admin, c.payment, "AM04", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| !c.attempts.is_empty())
            .await;
        let attempt = &chain.attempts[0];
        let earlier = stack
            .payments()
            .schedule_presentation(stack.as_retry(
                admin.org,
                pay::SchedulePresentationRequest {
                    payment_id: c.payment.to_string(),
                    collection_date: attempt.scheduled_date,
                    request_id: attempt.id.clone(),
                },
            ))
            .await
            .expect("first presentation")
            .into_inner()
            .payment
            .expect("payment");
        env.clock.set(day_of(&attempt.due_date));
        let report = env.run_due(admin, None).await.expect("run");
        assert_eq!(report.submitted, 1, "{report:?}");
        assert_eq!(report.results[0].new_payment_id, earlier.id);
        let listed = stack
            .payments()
            .list_payments(authed_accountant(
                &stack,
                admin,
                pay::ListPaymentsRequest {
                    mandate_id: c.mandate.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("payments")
            .into_inner()
            .payments;
        assert_eq!(listed.len(), 2, "the first payment and one presentation");

        // Cancelled while in flight: no further attempt, but the presentation already
        // made is still followed, and its payment closes the chain.
        let presented: Uuid = earlier.id.parse().expect("id");
        let chain = env.cancel(admin, presented).await.expect("cancel");
        assert_eq!(state(&chain), pb::ChainState::Aborted);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::InFlight);
        let on = day_of(&attempt.scheduled_date);
        assert_eq!(
            stack.batch(admin, &c.account, on).await,
            vec![earlier.id.clone()]
        );
        stack.bank_settles(admin, presented, on).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| {
                c.state == pb::ChainState::Succeeded as i32
            })
            .await;
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Succeeded);
        assert_eq!(stop_reason(&chain), pb::StopReason::Unspecified);
        stack.stop().await;
    }
}

/// Hands the chain's scheduled attempt to payments (clock on its due date), has the
/// bank reject the new payment with `code` on that day, and returns the new payment.
async fn present_and_reject(
    stack: &crate::stack::Stack,
    who: Member,
    account: &str,
    attempt: &pb::Attempt,
    code: &str,
) -> Uuid {
    let env = &stack.env;
    let due = day_of(&attempt.due_date);
    env.clock.set(due);
    let report = env.run_due(who, None).await.expect("run");
    assert_eq!(report.submitted, 1, "{report:?}");
    let payment: Uuid = report.results[0].new_payment_id.parse().expect("id");
    let on = day_of(&attempt.scheduled_date);
    assert_eq!(
        stack.batch(who, account, on).await,
        vec![payment.to_string()]
    );
    stack.bank_rejects(who, payment, code, due).await;
    payment
}

/// MS03 on a German account is retried once: the re-presentation rejected with MS03
/// again ends the chain, EXHAUSTED with CODE_LIMIT_REACHED, retry.exhausted FINAL_CODE
/// after 2 presentations.
#[tokio::test]
async fn ms03_is_retried_once_then_exhausted() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack
            .collection_from(admin, crm_sepa::testing::de_iban(6))
            .await;
        assert!(today() < c.collection_date);
        stack.bank_rejects(admin, c.payment, "MS03", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| !c.attempts.is_empty())
            .await;
        assert_eq!(chain.attempts[0].reason_code, "MS03");
        let second =
            present_and_reject(&stack, admin, &c.account, &chain.attempts[0], "MS03").await;
        let chain = stack
            .chain_when(admin, c.payment, |c| {
                c.state == pb::ChainState::Exhausted as i32
            })
            .await;
        assert_eq!(stop_reason(&chain), pb::StopReason::CodeLimitReached);
        assert_eq!(chain.attempts.len(), 1);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Failed);
        let e: ev::RetryExhausted = decode(&env.outbox(admin.org, "retry.exhausted").await[0]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::FinalCode as i32);
        assert_eq!(e.payment_id, second.to_string());
        assert_eq!(e.last_reason_code, "MS03");
        assert_eq!(e.attempts, 2);
        stack.stop().await;
    }
}

/// MS03 is retried for accounts in AT, BE, DE, LU and SK only: on a French account the
/// chain ends at once, CODE_NOT_RETRIED, with retry.exhausted FINAL_CODE.
#[tokio::test]
async fn ms03_on_a_french_account_is_not_retried() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 7).await;
        stack.bank_rejects(admin, c.payment, "MS03", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| {
                c.state == pb::ChainState::Exhausted as i32
            })
            .await;
        assert_eq!(stop_reason(&chain), pb::StopReason::CodeNotRetried);
        assert!(chain.attempts.is_empty());
        let e: ev::RetryExhausted = decode(&env.outbox(admin.org, "retry.exhausted").await[0]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::FinalCode as i32);
        assert_eq!(e.last_reason_code, "MS03");
        assert_eq!(e.attempts, 1);
        stack.stop().await;
    }
}

/// Three re-presentations rejected with AM04 in turn: the fourth rejection ends the
/// chain, EXHAUSTED with MAX_RETRIES, retry.exhausted MAX_ATTEMPTS after 4 presentations.
#[tokio::test]
async fn three_retries_then_exhausted() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 7).await;
        stack.bank_rejects(admin, c.payment, "AM04", today()).await;
        let mut last = c.payment;
        for n in 1..=3 {
            let chain = stack
                .chain_when(admin, c.payment, |c| {
                    c.attempts.len() == n && c.state == pb::ChainState::Scheduled as i32
                })
                .await;
            let attempt = &chain.attempts[n - 1];
            assert_eq!(attempt.attempt_number, n as i32 + 1);
            assert_eq!(attempt.presented_payment_id, last.to_string());
            last = present_and_reject(&stack, admin, &c.account, attempt, "AM04").await;
        }
        let chain = stack
            .chain_when(admin, c.payment, |c| {
                c.state == pb::ChainState::Exhausted as i32
            })
            .await;
        assert_eq!(stop_reason(&chain), pb::StopReason::MaxRetries);
        assert_eq!(chain.presentations, 4);
        assert_eq!(chain.current_payment_id, last.to_string());
        assert!(
            chain
                .attempts
                .iter()
                .all(|a| status(a) == pb::AttemptStatus::Failed)
        );
        assert_eq!(env.outbox(admin.org, "retry.scheduled").await.len(), 3);
        let e: ev::RetryExhausted = decode(&env.outbox(admin.org, "retry.exhausted").await[0]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::MaxAttempts as i32);
        assert_eq!(e.attempts, 4);
        stack.stop().await;
    }
}

fn authed_accountant<T>(stack: &crate::stack::Stack, who: Member, msg: T) -> tonic::Request<T> {
    let who = who.with(Role::Accountant);
    crm_testkit::authed(&stack.env.keys.token(who.org, who.user, who.role), msg)
}

/// A mandate payments no longer collects on (suspended) makes SchedulePresentation
/// FAILED_PRECONDITION: the chain is ABORTED and retry.exhausted hands it to relance.
/// A mandate revoked in payments reaches the chain as mandate.revoked and aborts it.
#[tokio::test]
async fn a_mandate_payments_refuses_aborts_the_chain() {
    for stack in stacks().await {
        let env = &stack.env;
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 3).await;
        stack.bank_rejects(admin, c.payment, "AM04", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| !c.attempts.is_empty())
            .await;
        stack.suspend(admin, &c.mandate).await;
        env.clock.set(day_of(&chain.attempts[0].due_date));
        let report = env.run_due(admin, None).await.expect("run");
        assert_eq!(report.aborted, 1, "{report:?}");
        assert_eq!(report.results[0].outcome, pb::RunDueOutcome::Aborted as i32);
        let chain = env.chain(admin, c.payment).await.expect("chain");
        assert_eq!(state(&chain), pb::ChainState::Aborted);
        assert_eq!(stop_reason(&chain), pb::StopReason::MandateInactive);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Aborted);
        let rows = env.outbox(admin.org, "retry.exhausted").await;
        let e: ev::RetryExhausted = decode(&rows[0]);
        assert_eq!(e.payment_id, c.payment.to_string());
        assert_eq!(e.mandate_id, c.mandate);
        assert_eq!(e.reason, ev::RetryExhaustionReason::MandateInactive as i32);

        // Another collection; its mandate revoked in payments.
        env.clock.set(today());
        let other = stack.collection(admin, 4).await;
        stack
            .bank_rejects(admin, other.payment, "AM04", today())
            .await;
        stack
            .chain_when(admin, other.payment, |c| !c.attempts.is_empty())
            .await;
        stack.revoke(admin, &other.mandate).await;
        let chain = stack
            .chain_when(admin, other.payment, |c| {
                c.state == pb::ChainState::Aborted as i32
            })
            .await;
        assert_eq!(stop_reason(&chain), pb::StopReason::MandateInactive);
        stack.stop().await;
    }
}

/// With payments down, RunDue answers (it is not the run that fails): the attempt is
/// UNAVAILABLE and stays SCHEDULED. Run so late that no day is left in the window, the
/// attempt is EXHAUSTED without asking payments.
#[tokio::test]
async fn payments_down_leaves_attempts_scheduled() {
    for mut stack in stacks().await {
        let admin = Member::admin();
        plain_policy(&stack, admin).await;
        let c = stack.collection(admin, 5).await;
        stack.bank_rejects(admin, c.payment, "AM04", today()).await;
        let chain = stack
            .chain_when(admin, c.payment, |c| !c.attempts.is_empty())
            .await;
        stack.halt_payments().await;
        let env = &stack.env;
        env.clock.set(day_of(&chain.attempts[0].due_date));
        let report = env.run_due(admin, None).await.expect("run answers");
        assert_eq!(report.unavailable, 1, "{report:?}");
        assert_eq!(
            report.results[0].outcome,
            pb::RunDueOutcome::Unavailable as i32
        );
        let chain = env.chain(admin, c.payment).await.expect("chain");
        assert_eq!(state(&chain), pb::ChainState::Scheduled);
        assert_eq!(status(&chain.attempts[0]), pb::AttemptStatus::Scheduled);

        env.clock.set(day_of(&chain.window_end_date));
        let report = env.run_due(admin, None).await.expect("late run");
        assert_eq!(report.exhausted, 1, "{report:?}");
        let chain = env.chain(admin, c.payment).await.expect("chain");
        assert_eq!(state(&chain), pb::ChainState::Exhausted);
        assert_eq!(stop_reason(&chain), pb::StopReason::WindowElapsed);
        let e: ev::RetryExhausted = decode(&env.outbox(admin.org, "retry.exhausted").await[0]);
        assert_eq!(e.reason, ev::RetryExhaustionReason::WindowElapsed as i32);
        stack.stop().await;
    }
}

/// RunDue refuses a day after today and a malformed one, and roles other than owner,
/// admin and accountant; as_of before an attempt's due date leaves it alone.
#[tokio::test]
async fn run_due_checks_its_input_and_roles() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        env.reject(&rejected(admin.org, Uuid::now_v7(), "AM04", monday()))
            .await;
        let err = env
            .run_due(admin, Some(monday() + Days::new(1)))
            .await
            .expect_err("future");
        assert_eq!(violations(&err), ["as_of"]);
        let err = env
            .client()
            .run_due(env.req(
                admin,
                pb::RunDueRequest {
                    as_of: Some(crm_proto::common::v1::Date {
                        year: 2026,
                        month: 2,
                        day: 30,
                    }),
                },
            ))
            .await
            .expect_err("no such day");
        assert_eq!(violations(&err), ["as_of"]);
        for role in [Role::Manager, Role::Viewer, Role::Agent] {
            let err = env.run_due(admin.with(role), None).await.expect_err("role");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
        }
        // The attempt is due on 23 March; as of today (2 March) nothing is.
        let report = env
            .run_due(admin.with(Role::Owner), None)
            .await
            .expect("run");
        assert!(report.results.is_empty());
        env.clock.set(crate::support::d(2026, 3, 24));
        let report = env
            .run_due(admin, Some(crate::support::d(2026, 3, 20)))
            .await
            .expect("as of before the due date");
        assert!(report.results.is_empty());
        env.retry.stop().await.expect("stop");
    }
}
