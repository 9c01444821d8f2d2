//! Prices: a draft shows the catalogue price when written, the signature fixes the price
//! in force on the signature date, and nothing the catalogue does later changes it.

use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use prost::Message as _;

use crate::support::{date, days_ago, draft, envs, first_price, line, today};

/// The price is snapshotted at signature: a new catalogue price from tomorrow leaves the
/// signed contract (and its contract.signed event) as it was.
#[tokio::test]
async fn the_signed_price_does_not_follow_the_catalogue() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.create(f.admin, draft(&f)).await.expect("create");
        assert_eq!(first_price(&c), 4_990);
        // A new price from today, decided before the signature: the signature takes it.
        env.set_price(f.admin, &f.product, 5_490, today()).await;
        env.send(f.admin, &c.id).await.expect("send");
        let signed = env.sign_on(f.admin, &c.id, today()).await.expect("sign");
        assert_eq!(first_price(&signed), 5_490);
        // A later price change does not touch the signed contract.
        env.set_price(f.admin, &f.product, 9_990, today() + chrono::Days::new(1))
            .await;
        let again = env.get(f.admin, &c.id).await.expect("get");
        assert_eq!(first_price(&again), 5_490);
        let event = env
            .outbox(f.admin.org)
            .await
            .into_iter()
            .find(|e| e.event_type == "contract.signed")
            .expect("contract.signed");
        let signed_event = ev::ContractSigned::decode(event.payload.as_slice()).expect("decode");
        let price = signed_event.lines[0].unit_price.clone().expect("price");
        assert_eq!(
            (price.currency_code.as_str(), price.amount_minor),
            ("EUR", 5_490)
        );
    }
}

/// A contract signed on an earlier date is priced at that date's price.
#[tokio::test]
async fn the_price_is_the_one_in_force_on_the_signature_date() {
    for env in envs().await {
        let f = env.fixture().await;
        env.set_price(f.admin, &f.product, 6_000, days_ago(5)).await;
        let early = env.create(f.admin, draft(&f)).await.expect("create");
        assert_eq!(first_price(&early), 6_000, "the draft shows today's price");
        env.send(f.admin, &early.id).await.expect("send");
        let signed = env
            .sign_on(f.admin, &early.id, days_ago(10))
            .await
            .expect("sign");
        assert_eq!(first_price(&signed), 4_990);
        assert_eq!(signed.signature_date, Some(date(days_ago(10))));
    }
}

/// An amendment keeps the signed price of a product already on the contract and prices
/// a new product at the effective date.
#[tokio::test]
async fn amendments_keep_signed_prices() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.active(&f, today()).await;
        env.set_price(f.admin, &f.product, 7_000, today() + chrono::Days::new(1))
            .await;
        let extra = env.new_product(f.admin, 1_200).await;
        let from = today() + chrono::Days::new(30);
        let amended = env
            .api()
            .amend_contract(env.req(
                f.admin,
                pb::AmendContractRequest {
                    contract_id: c.id.clone(),
                    effective_date: Some(date(from)),
                    lines: vec![line(&f.product, 4), line(&extra, 1)],
                    ..Default::default()
                },
            ))
            .await
            .expect("amend")
            .into_inner()
            .contract
            .expect("contract");
        let prices: Vec<(i32, i64)> = amended
            .lines
            .iter()
            .map(|l| {
                (
                    l.quantity,
                    l.unit_price.as_ref().map(|m| m.amount_minor).unwrap_or(-1),
                )
            })
            .collect();
        assert_eq!(prices, [(4, 4_990), (1, 1_200)]);
        assert_eq!(amended.amendments[0].effective_date, Some(date(from)));
        // Before the signature date or the previous amendment: refused.
        for day in [days_ago(1), from - chrono::Days::new(1)] {
            let err = env
                .api()
                .amend_contract(env.req(
                    f.admin,
                    pb::AmendContractRequest {
                        contract_id: c.id.clone(),
                        effective_date: Some(date(day)),
                        billing_day: 12,
                        ..Default::default()
                    },
                ))
                .await
                .expect_err("too early");
            assert_eq!(err.code(), tonic::Code::FailedPrecondition, "{err:?}");
        }
    }
}
