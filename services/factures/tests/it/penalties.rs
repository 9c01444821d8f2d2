//! Late-payment penalties: B2B invoices owe ECB + 10 points and the 40 EUR indemnity,
//! consumers nothing.

use chrono::{Days, NaiveDate};
use crm_proto::clients::v1::ClientKind;
use crm_proto::factures::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

async fn penalties(
    env: &Env,
    who: Member,
    id: &str,
    as_of: NaiveDate,
) -> Result<pb::LatePenalties, tonic::Status> {
    let res = env
        .api()
        .get_late_penalties(env.req(
            who,
            pb::GetLatePenaltiesRequest {
                invoice_id: id.into(),
                as_of: Some(date(as_of)),
            },
        ))
        .await?;
    Ok(res.into_inner().penalties.expect("penalties"))
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).expect("date")
}

/// A late B2B invoice owes, from the day after its due date, ECB + 10 points (12.15 %)
/// on its amount including VAT, Actual/365 rounded half up, plus the 40 EUR indemnity;
/// once paid, the days stop at the payment; before the due date it owes nothing.
#[tokio::test]
async fn late_b2b_invoices_owe_penalties_and_the_indemnity() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Company, None).await;
        let invoice = env
            .issued(
                owner,
                &client,
                vec![line("Conseil", 1, 100_000, "standard")],
            )
            .await;
        let due = from_date(&invoice.due_date);

        let on_time = penalties(&env, owner, &invoice.id, due)
            .await
            .expect("penalties");
        assert!(!on_time.applies);
        assert!(on_time.reason.starts_with("not late"));
        assert_eq!(amount(&on_time.penalty), 0);

        let late = penalties(&env, owner, &invoice.id, plus(due, 30))
            .await
            .expect("penalties");
        assert!(late.applies, "{:?}", env.backend);
        assert_eq!(late.days_late, 30);
        assert_eq!(amount(&late.base), 120_000);
        assert!(late.periods.iter().all(|p| p.rate_basis_points == 1215));
        assert_eq!(late.periods.iter().map(|p| p.days).sum::<i32>(), 30);
        // 1 200.00 × 12.15 % × 30 / 365 = 11.9835… → 11.98.
        assert_eq!(amount(&late.penalty), 1_198);
        let indemnity = late.recovery_indemnity.expect("indemnity");
        assert_eq!(
            (indemnity.currency_code.as_str(), indemnity.amount_minor),
            ("EUR", 4_000)
        );

        // Paid ten days late: the penalty stops there whatever day is asked.
        env.api()
            .record_payment(env.internal(
                "payments",
                owner.org,
                pb::RecordPaymentRequest {
                    invoice_id: invoice.id.clone(),
                    payment_id: Uuid::now_v7().to_string(),
                    amount: Some(eur(120_000)),
                    paid_date: Some(date(plus(due, 10))),
                },
            ))
            .await
            .expect("pay");
        let paid = penalties(&env, owner, &invoice.id, plus(due, 60))
            .await
            .expect("penalties");
        assert_eq!(paid.days_late, 10);
        // 1 200.00 × 12.15 % × 10 / 365 = 3.9945… → 3.99.
        assert_eq!(amount(&paid.penalty), 399);
    }
}

/// A consumer owes no penalties and no indemnity, whatever the delay, and is told why;
/// a draft has no penalties to compute; the request is validated.
#[tokio::test]
async fn consumers_owe_nothing() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(owner, &client, vec![line("Prime", 1, 100_000, "standard")])
            .await;
        let due = from_date(&invoice.due_date);
        let p = penalties(&env, owner, &invoice.id, plus(due, 90))
            .await
            .expect("penalties");
        assert!(!p.applies);
        assert!(p.reason.starts_with("consumer"), "{}", p.reason);
        assert_eq!(p.days_late, 90);
        assert_eq!(amount(&p.penalty), 0);
        assert_eq!(amount(&p.recovery_indemnity), 0);

        let draft = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 100, "exempt")]),
            )
            .await
            .expect("draft");
        let status = penalties(&env, owner, &draft.id, due)
            .await
            .expect_err("draft");
        assert_eq!(status.code(), Code::FailedPrecondition);
        let bad = env
            .api()
            .get_late_penalties(env.req(
                owner,
                pb::GetLatePenaltiesRequest {
                    invoice_id: "x".into(),
                    as_of: None,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&bad), ["invoice_id", "as_of"]);
    }
}
