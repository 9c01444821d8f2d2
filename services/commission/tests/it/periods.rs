//! Closing months, late events, carried balances and recomputation.

use crm_proto::commission::v1 as pb;
use crm_proto::events::v1 as ev;
use prost::Message as _;

use crate::support::*;

/// Closing a month stores its statements (published as statement.closed) and
/// validates its entries; an event dated in it that arrives afterwards lands in the next
/// month; the closed month can be neither closed again nor recomputed.
#[tokio::test]
async fn a_late_event_lands_in_the_next_open_month() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("plan");
        let contract = new_id();
        let signed_on = months_ago(2, 1);
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, signed_on),
        )
        .await;
        let closed = period(signed_on);
        let answer = env.close(admin, &closed).await.expect("close");
        assert_eq!(
            (answer.period.as_str(), answer.statement_count),
            (closed.as_str(), 3)
        );

        let s = env
            .statement(admin, &team.agent, &closed)
            .await
            .expect("statement");
        let statement = s.statement.expect("statement");
        assert_eq!(statement.status, pb::StatementStatus::Closed as i32);
        assert!(!statement.id.is_empty() && statement.close_time.is_some());
        assert_eq!(
            (amount(&statement.earned), amount(&statement.payable)),
            (600_00, 600_00)
        );
        assert!(
            s.lines
                .iter()
                .all(|l| l.status == pb::EntryStatus::Validated as i32)
        );
        let events: Vec<_> = env
            .published(admin.org)
            .await
            .into_iter()
            .filter(|e| e.event_type == "statement.closed")
            .collect();
        assert_eq!(events.len(), 3);
        let agent_closed = events
            .iter()
            .map(|e| ev::StatementClosed::decode(e.payload.as_slice()).expect("decode"))
            .find(|m| m.commercial_id == team.agent)
            .expect("agent's statement");
        assert_eq!(amount(&agent_closed.payable), 600_00);
        assert_eq!(agent_closed.entry_count, 1);

        // A payment settled in the closed month, reported late.
        let payment = new_id();
        env.received(
            admin.org,
            payment_received(&contract, &payment, 100_00, months_ago(2, 20)),
        )
        .await;
        let late: Vec<_> = env
            .contract_entries(admin, &contract)
            .await
            .into_iter()
            .filter(|e| e.payment_id == payment)
            .collect();
        assert_eq!(late.len(), 3);
        let next = period(months_ago(1, 1));
        assert!(
            late.iter()
                .all(|e| e.period == next && e.status == pb::EntryStatus::Pending as i32)
        );
        assert_eq!(late[0].event_date, Some(date(months_ago(2, 20))));
        // The closed statement did not move.
        let again = env
            .statement(admin, &team.agent, &closed)
            .await
            .expect("statement");
        assert_eq!(again.statement, Some(statement));

        let status = env.close(admin, &closed).await.expect_err("closed twice");
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        let status = env
            .recompute(admin, &closed)
            .await
            .expect_err("recompute closed");
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    }
}

/// Months close in order, and only once they have ended.
#[tokio::test]
async fn months_close_in_order_once_ended() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("plan");
        env.signed(
            admin.org,
            contract_signed(&new_id(), &team.agent, &team.product, months_ago(3, 1)),
        )
        .await;
        let status = env
            .close(admin, &period(months_ago(2, 1)))
            .await
            .expect_err("earlier open");
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert!(
            status.message().contains(&period(months_ago(3, 1))),
            "{}",
            status.message()
        );
        let status = env
            .close(admin, &period(months_ago(0, 1)))
            .await
            .expect_err("current");
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        env.close(admin, &period(months_ago(3, 1)))
            .await
            .expect("oldest first");
        // A month without entries closes too, carrying nothing.
        let empty = env
            .close(admin, &period(months_ago(2, 1)))
            .await
            .expect("empty month");
        assert_eq!(empty.statement_count, 0);
        let status = env.close(admin, "2026-13").await.expect_err("bad month");
        assert_eq!(violation_fields(&status), ["period"]);
    }
}

/// A clawback larger than a month's commissions leaves a negative closing balance: the
/// next statements open with it and pay nothing until it is offset.
#[tokio::test]
async fn a_negative_balance_is_carried_to_the_next_statements() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("plan");
        let contract = new_id();
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, months_ago(3, 1)),
        )
        .await;
        env.close(admin, &period(months_ago(3, 1)))
            .await
            .expect("close upfront month");
        env.terminated(
            admin.org,
            contract_terminated(&contract, ev::TerminationCause::Unpaid, months_ago(2, 15)),
        )
        .await;
        let other = new_id();
        env.signed(
            admin.org,
            contract_signed(&other, &team.agent, &team.product, months_ago(2, 20)),
        )
        .await;
        env.terminated(
            admin.org,
            contract_terminated(
                &other,
                ev::TerminationCause::Renunciation,
                months_ago(2, 25),
            ),
        )
        .await;
        env.close(admin, &period(months_ago(2, 1)))
            .await
            .expect("close clawback month");
        let s = env
            .statement(admin, &team.agent, &period(months_ago(2, 1)))
            .await
            .expect("statement")
            .statement
            .expect("statement");
        assert_eq!(
            amount(&s.opening_balance),
            0,
            "a positive balance was paid, not carried"
        );
        assert_eq!(
            (amount(&s.earned), amount(&s.clawbacks)),
            (600_00, -1200_00)
        );
        assert_eq!(
            (amount(&s.closing_balance), amount(&s.payable)),
            (-600_00, 0)
        );

        // The next month only a newcomer sells: the team's balances are carried.
        let newcomer = env.new_commercial(admin, "", None).await;
        env.signed(
            admin.org,
            contract_signed(&new_id(), &newcomer, &team.product, months_ago(1, 2)),
        )
        .await;
        let last = period(months_ago(1, 1));
        let open = env
            .statement(admin, &team.agent, &last)
            .await
            .expect("statement")
            .statement
            .expect("statement");
        assert_eq!(open.status, pb::StatementStatus::Open as i32);
        assert_eq!(amount(&open.opening_balance), -600_00);
        assert_eq!(
            (amount(&open.closing_balance), amount(&open.payable)),
            (-600_00, 0)
        );
        // And through the open months to the current one.
        let later = env
            .statement(admin, &team.agent, &period(months_ago(0, 1)))
            .await
            .expect("statement")
            .statement
            .expect("statement");
        assert_eq!(amount(&later.opening_balance), -600_00);

        // Closing the month keeps every carried balance on a statement of its own.
        let closed = env.close(admin, &last).await.expect("close");
        assert_eq!(closed.statement_count, 4);
        for (who, owed) in [
            (&team.agent, -600_00),
            (&team.manager, -60_00),
            (&team.director, -30_00),
        ] {
            let s = env
                .statement(admin, who, &last)
                .await
                .expect("statement")
                .statement
                .expect("statement");
            assert_eq!(s.status, pb::StatementStatus::Closed as i32);
            assert_eq!(
                (amount(&s.opening_balance), amount(&s.closing_balance)),
                (owed, owed)
            );
            assert_eq!((s.entry_count, amount(&s.payable)), (0, 0));
        }

        // Paying a closed statement marks it and its lines PAID, once.
        let pay = |who: &str| pb::PayStatementRequest {
            commercial_id: who.to_owned(),
            period: last.clone(),
            currency_code: String::new(),
        };
        let paid = env
            .api()
            .pay_statement(env.req(admin, pay(&newcomer)))
            .await
            .expect("pay")
            .into_inner()
            .statement
            .expect("statement");
        assert_eq!(paid.status, pb::StatementStatus::Paid as i32);
        assert_eq!(amount(&paid.payable), 600_00);
        assert!(paid.pay_time.is_some());
        let lines = env
            .statement(admin, &newcomer, &last)
            .await
            .expect("statement")
            .lines;
        assert!(
            !lines.is_empty()
                && lines
                    .iter()
                    .all(|l| l.status == pb::EntryStatus::Paid as i32)
        );
        let twice = env
            .api()
            .pay_statement(env.req(admin, pay(&newcomer)))
            .await
            .expect_err("paid twice");
        assert_eq!(twice.code(), tonic::Code::FailedPrecondition);
        let open_month = env
            .api()
            .pay_statement(env.req(
                admin,
                pb::PayStatementRequest {
                    period: period(months_ago(0, 1)),
                    ..pay(&newcomer)
                },
            ))
            .await
            .expect_err("open month");
        assert_eq!(open_month.code(), tonic::Code::FailedPrecondition);
    }
}

/// Recomputing an open month twice gives the same entries, the second time without
/// writing anything.
#[tokio::test]
async fn recompute_twice_gives_the_same_entries() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::EarnedOnCash)],
            ),
        )
        .await
        .expect("plan");
        let contract = new_id();
        let month = months_ago(1, 1);
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, month),
        )
        .await;
        for day in [5, 12] {
            env.received(
                admin.org,
                payment_received(&contract, &new_id(), 100_00, months_ago(1, day)),
            )
            .await;
        }
        env.terminated(
            admin.org,
            contract_terminated(&contract, ev::TerminationCause::Unpaid, months_ago(1, 20)),
        )
        .await;
        let before = env.contract_entries(admin, &contract).await;
        // 3 upfront, 2 × 3 recurring, 3 clawbacks.
        assert_eq!(before.len(), 12);
        let claw = before
            .iter()
            .find(|e| kind(e) == ev::CommissionKind::Clawback && e.commercial_id == team.agent)
            .expect("clawback");
        // Earned on 200.00 collected: 600.00 × 200/1200 = 100.00; 500.00 back.
        assert_eq!(amount(&claw.amount), -500_00);

        let first = env
            .recompute(admin, &period(month))
            .await
            .expect("recompute");
        assert_eq!(
            (
                first.fact_count,
                first.created,
                first.updated,
                first.cancelled
            ),
            (4, 0, 0, 0)
        );
        assert_eq!(first.unchanged, 12);
        let second = env
            .recompute(admin, &period(month))
            .await
            .expect("recompute again");
        assert_eq!(second, first);
        assert_eq!(env.contract_entries(admin, &contract).await, before);
        let bad = env.recompute(admin, "").await.expect_err("no month");
        assert_eq!(violation_fields(&bad), ["period"]);
    }
}

/// Facts that arrive before the contract's signature earn once it arrives, each in
/// its own month.
#[tokio::test]
async fn a_payment_before_its_signature_earns_when_the_signature_arrives() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("plan");
        let contract = new_id();
        let payment = new_id();
        env.received(
            admin.org,
            payment_received(&contract, &payment, 100_00, months_ago(1, 6)),
        )
        .await;
        assert!(env.contract_entries(admin, &contract).await.is_empty());
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, months_ago(2, 28)),
        )
        .await;
        let entries = env.contract_entries(admin, &contract).await;
        let recurring: Vec<_> = entries.iter().filter(|e| e.payment_id == payment).collect();
        assert_eq!(recurring.len(), 3);
        assert!(
            recurring
                .iter()
                .all(|e| e.period == period(months_ago(1, 1)))
        );
        let r = env
            .recompute(admin, &period(months_ago(1, 1)))
            .await
            .expect("recompute");
        assert_eq!(
            (r.created, r.updated, r.cancelled, r.unchanged),
            (0, 0, 0, 3)
        );
    }
}
