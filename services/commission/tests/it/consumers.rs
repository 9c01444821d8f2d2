//! Events in, entries out: signatures, payments, terminations and refunds, with the
//! seller's hierarchy read from a real commerciaux service.

use chrono::Datelike as _;
use crm_proto::commission::v1 as pb;
use crm_proto::events::v1 as ev;
use prost::Message as _;

use crate::support::*;

/// contract.signed gives the seller an UPFRONT entry of 50 % of the first-year premium
/// (12 × 100.00) and their manager and director OVERRIDE entries on it, linked to it;
/// each new entry publishes commission.entry_created.
#[tokio::test]
async fn a_signature_gives_the_upfront_and_the_managers_overrides() {
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
        let start = months_ago(1, 3);
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, start),
        )
        .await;

        let entries = env.contract_entries(admin, &contract).await;
        let summary: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    kind(e),
                    e.commercial_id.clone(),
                    amount(&e.amount),
                    e.override_level,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (ev::CommissionKind::Upfront, team.agent.clone(), 600_00, 0),
                (ev::CommissionKind::Override, team.manager.clone(), 60_00, 1),
                (
                    ev::CommissionKind::Override,
                    team.director.clone(),
                    30_00,
                    2
                ),
            ],
            "{:?}",
            env.backend
        );
        let upfront = &entries[0];
        assert_eq!(
            (amount(&upfront.base_amount), upfront.rate_basis_points),
            (1200_00, 5000)
        );
        assert_eq!(upfront.period, period(start));
        assert_eq!(upfront.status, pb::EntryStatus::Pending as i32);
        assert_eq!(upfront.trigger, "contract.signed");
        assert_eq!(entries[1].parent_entry_id, upfront.id);
        assert_eq!(entries[1].source_commercial_id, team.agent);
        assert_eq!(amount(&entries[1].base_amount), 600_00);

        let published = env.published(admin.org).await;
        assert_eq!(published.len(), 3);
        assert!(
            published
                .iter()
                .all(|e| e.event_type == "commission.entry_created")
        );
        let first =
            ev::CommissionEntryCreated::decode(published[0].payload.as_slice()).expect("decode");
        assert_eq!(first.entry_id, upfront.id);
        assert_eq!(first.kind, ev::CommissionKind::Upfront as i32);
        assert_eq!(
            first.period_start,
            Some(date(start.with_day0(0).expect("first")))
        );
    }
}

/// payment.received gives the seller a RECURRING entry of 10 % of the amount collected
/// and the overrides on it.
#[tokio::test]
async fn a_payment_gives_the_recurring_commission() {
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
            contract_signed(&contract, &team.agent, &team.product, months_ago(1, 1)),
        )
        .await;
        let payment = new_id();
        env.received(
            admin.org,
            payment_received(&contract, &payment, 100_00, months_ago(0, 1)),
        )
        .await;
        let recurring: Vec<_> = env
            .contract_entries(admin, &contract)
            .await
            .into_iter()
            .filter(|e| e.payment_id == payment)
            .map(|e| (kind(&e), e.commercial_id.clone(), amount(&e.amount)))
            .collect();
        assert_eq!(
            recurring,
            [
                (ev::CommissionKind::Recurring, team.agent.clone(), 10_00),
                (ev::CommissionKind::Override, team.manager.clone(), 1_00),
                (ev::CommissionKind::Override, team.director.clone(), 50),
            ]
        );
    }
}

/// A client cancellation in the fourth month under PRORATA (12 months) claws back 9/12
/// of the advance, and the overrides with it; the clawback is a line of the month's
/// statement, linked to the upfront it claws back.
#[tokio::test]
async fn a_termination_inside_the_window_is_a_clawback_line_on_the_statement() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Prorata)],
            ),
        )
        .await
        .expect("plan");
        let contract = new_id();
        let start = months_ago(3, 1);
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, start),
        )
        .await;
        let ended = months_ago(1, 10);
        env.terminated(
            admin.org,
            contract_terminated(&contract, ev::TerminationCause::ClientCancellation, ended),
        )
        .await;

        let entries = env.contract_entries(admin, &contract).await;
        let upfront = entries
            .iter()
            .find(|e| kind(e) == ev::CommissionKind::Upfront)
            .expect("upfront");
        let claws: Vec<_> = entries
            .iter()
            .filter(|e| kind(e) == ev::CommissionKind::Clawback)
            .map(|e| (e.commercial_id.clone(), amount(&e.amount)))
            .collect();
        // Month 3 of the contract: 9 months left of 12.
        assert_eq!(
            claws,
            [
                (team.agent.clone(), -450_00),
                (team.manager.clone(), -45_00),
                (team.director.clone(), -22_50),
            ]
        );

        let s = env
            .statement(admin, &team.agent, &period(ended))
            .await
            .expect("statement");
        let statement = s.statement.expect("statement");
        assert_eq!(statement.status, pb::StatementStatus::Open as i32);
        assert_eq!(amount(&statement.clawbacks), -450_00);
        assert_eq!(amount(&statement.earned), 0);
        // The upfront month is still open: its 600.00 is carried, not paid.
        assert_eq!(amount(&statement.opening_balance), 0);
        assert_eq!(amount(&statement.closing_balance), -450_00);
        assert_eq!(amount(&statement.payable), 0);
        assert_eq!(statement.vat_category, "exempt");
        assert!(statement.vat_exemption_reason.contains("261 C"));
        let line = &s.lines[0];
        assert_eq!(kind(line), ev::CommissionKind::Clawback);
        assert_eq!(line.original_entry_id, upfront.id);
        assert_eq!(line.trigger, "contract.terminated");
    }
}

/// Renunciation claws back the whole advance whatever the mode; the end of the term
/// claws back nothing.
#[tokio::test]
async fn renunciation_takes_everything_and_the_end_of_term_nothing() {
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
        let (renounced, ended) = (new_id(), new_id());
        for c in [&renounced, &ended] {
            env.signed(
                admin.org,
                contract_signed(c, &team.agent, &team.product, months_ago(1, 1)),
            )
            .await;
        }
        env.terminated(
            admin.org,
            contract_terminated(
                &renounced,
                ev::TerminationCause::Renunciation,
                months_ago(1, 10),
            ),
        )
        .await;
        env.terminated(
            admin.org,
            contract_terminated(&ended, ev::TerminationCause::EndOfTerm, months_ago(0, 1)),
        )
        .await;
        let back = |entries: Vec<pb::Entry>| -> i64 {
            entries
                .iter()
                .filter(|e| {
                    kind(e) == ev::CommissionKind::Clawback && e.commercial_id == team.agent
                })
                .map(|e| amount(&e.amount))
                .sum()
        };
        assert_eq!(back(env.contract_entries(admin, &renounced).await), -600_00);
        assert_eq!(back(env.contract_entries(admin, &ended).await), 0);
    }
}

/// A refund of a paid premium inside the window reverses the recurring commission on it
/// and, under FULL, takes the whole advance back.
#[tokio::test]
async fn a_refund_inside_the_window_reverses_its_commissions() {
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
            contract_signed(&contract, &team.agent, &team.product, months_ago(2, 1)),
        )
        .await;
        let payment = new_id();
        env.received(
            admin.org,
            payment_received(&contract, &payment, 100_00, months_ago(2, 5)),
        )
        .await;
        env.refunded(
            admin.org,
            ev::PaymentRefunded {
                payment_id: payment.clone(),
                contract_id: contract.clone(),
                amount: Some(eur(100_00)),
                reason_code: "MD06".into(),
                refund_date: Some(date(months_ago(1, 20))),
                ..Default::default()
            },
        )
        .await;
        let entries = env.contract_entries(admin, &contract).await;
        let agent_total: i64 = entries
            .iter()
            .filter(|e| e.commercial_id == team.agent)
            .map(|e| amount(&e.amount))
            .sum();
        assert_eq!(agent_total, 0, "upfront and recurring both reversed");
        let claws: Vec<_> = entries
            .iter()
            .filter(|e| kind(e) == ev::CommissionKind::Clawback && e.commercial_id == team.agent)
            .map(|e| (amount(&e.amount), e.payment_id.clone(), e.period.clone()))
            .collect();
        assert_eq!(
            claws,
            [
                (-10_00, payment.clone(), period(months_ago(1, 1))),
                (-600_00, payment.clone(), period(months_ago(1, 1))),
            ]
        );
    }
}

/// The seller's own plan (commerciaux's commission_plan_id) wins over the default plan,
/// and a category rule applies through the product's category read from products.
#[tokio::test]
async fn the_sellers_plan_and_category_rules_apply() {
    for env in envs().await {
        let admin = Member::admin();
        env.create_plan(
            admin,
            plan(
                true,
                vec![pb::PlanRule {
                    category: "Santé".into(),
                    upfront_rate_basis_points: 1000,
                    clawback_months: 12,
                    clawback_mode: pb::ClawbackMode::Full as i32,
                    ..Default::default()
                }],
            ),
        )
        .await
        .expect("default plan");
        let own = env
            .create_plan(
                admin,
                plan(
                    false,
                    vec![pb::PlanRule {
                        category: " SANTÉ ".into(),
                        upfront_rate_basis_points: 4000,
                        clawback_months: 24,
                        clawback_mode: pb::ClawbackMode::Prorata as i32,
                        ..Default::default()
                    }],
                ),
            )
            .await
            .expect("own plan");
        let with_plan = env.team(admin, Some(&own.id), "santé").await;
        let without = env.new_commercial(admin, "", None).await;
        let (c1, c2) = (new_id(), new_id());
        env.signed(
            admin.org,
            contract_signed(&c1, &with_plan.agent, &with_plan.product, months_ago(1, 1)),
        )
        .await;
        env.signed(
            admin.org,
            contract_signed(&c2, &without, &with_plan.product, months_ago(1, 1)),
        )
        .await;
        let upfront = |entries: Vec<pb::Entry>| amount(&entries[0].amount);
        assert_eq!(upfront(env.contract_entries(admin, &c1).await), 480_00);
        assert_eq!(upfront(env.contract_entries(admin, &c2).await), 120_00);
        // A product of no category with a rule earns nothing.
        let other = env.new_product(admin, "auto").await;
        let c3 = new_id();
        env.signed(
            admin.org,
            contract_signed(&c3, &without, &other, months_ago(1, 1)),
        )
        .await;
        assert!(env.contract_entries(admin, &c3).await.is_empty());
    }
}

/// The same event delivered twice is applied once: the bus skips it, and applying it
/// again under another consumer name finds its fact and every entry key already there.
#[tokio::test]
async fn a_redelivered_event_applies_once() {
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
        let event = env
            .signed(
                admin.org,
                contract_signed(&contract, &team.agent, &team.product, months_ago(1, 1)),
            )
            .await;
        let before = env.contract_entries(admin, &contract).await;
        assert_eq!(before.len(), 3);

        env.unsend_all().await;
        env.drain().await;
        assert_eq!(env.contract_entries(admin, &contract).await, before);

        let ledger = env.ledger(&env.commerciaux.url);
        let delivered = env.delivered(event).await;
        let outcome = crm_events::consume::apply(&env.db.db, "replay-check", &ledger, &delivered)
            .await
            .expect("apply");
        assert_eq!(outcome, crm_events::consume::Outcome::Applied);
        assert_eq!(env.contract_entries(admin, &contract).await, before);
        assert_eq!(env.published(admin.org).await.len(), 3);
    }
}

/// With commerciaux down a signature fails and writes nothing (the bus will deliver it
/// again); once commerciaux is back it applies.
#[tokio::test]
async fn a_signature_waits_for_commerciaux() {
    for mut env in envs().await {
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
        let payload = contract_signed(&contract, &team.agent, &team.product, months_ago(1, 1))
            .encode_to_vec();
        let event = crm_events::consume::Delivered {
            id: uuid::Uuid::now_v7(),
            event_type: "contract.signed".into(),
            organisation_id: admin.org,
            aggregate_id: contract.clone(),
            aggregate_version: 1,
            payload: payload.into(),
            traceparent: None,
        };
        let ledger = env.ledger(&env.commerciaux.url);
        env.commerciaux.halt().await.expect("halt");
        let failed = crm_events::consume::apply(&env.db.db, "outage-check", &ledger, &event).await;
        assert!(failed.is_err());
        assert!(env.contract_entries(admin, &contract).await.is_empty());
        assert!(env.published(admin.org).await.is_empty());

        // The same commerciaux database served again (at a new address): the event
        // delivered again applies.
        let back = crm_testkit::spawn(
            crm_testkit::deps::<crm_commerciaux::Migrator>(&env.keys, &env.commerciaux_db)
                .await
                .expect("commerciaux deps"),
            crm_commerciaux::build,
        )
        .await
        .expect("commerciaux again");
        let ledger = env.ledger(&back.url);
        let applied = crm_events::consume::apply(&env.db.db, "outage-check", &ledger, &event)
            .await
            .expect("apply");
        assert_eq!(applied, crm_events::consume::Outcome::Applied);
        assert_eq!(env.contract_entries(admin, &contract).await.len(), 3);
        back.stop().await.expect("stop");
    }
}

/// One durable consumer takes every event type the commissions depend on, so a
/// contract's events arrive in their publishing order, with bounded retries.
#[test]
fn one_subscription_for_every_event_type() {
    let s = crm_commission::subscription();
    assert_eq!(s.durable(), "commission-ledger");
    assert_eq!(
        s.event_types,
        [
            "contract.signed",
            "contract.terminated",
            "payment.received",
            "payment.refunded",
            "payment.rejected"
        ]
    );
    assert_eq!((s.max_deliver, s.backoff.len()), (5, 4));
}
