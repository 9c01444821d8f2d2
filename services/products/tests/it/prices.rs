//! Price history: SetPrice's rule, GetPriceAt's boundaries and ListPrices' pages.

use crm_proto::common::v1 as common;
use crm_proto::products::v1 as pb;
use tonic::Code;

use crate::support::{Env, Member, amount, date, envs, eur, one_off, subscription};

async fn history(
    env: &Env,
    who: Member,
    id: &str,
) -> Vec<(i64, common::Date, Option<common::Date>)> {
    env.client()
        .list_prices(env.req(
            who,
            pb::ListPricesRequest {
                product_id: id.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("history")
        .into_inner()
        .prices
        .iter()
        .map(|p| (amount(p), p.valid_from.expect("from"), p.valid_to))
        .collect()
}

/// A product priced 10.00 from 2020-01-01, then 12.00 from 2020-07-01.
async fn two_periods(env: &Env, who: Member, code: &str) -> pb::Product {
    let p = env
        .create_with(
            who,
            pb::CreateProductRequest {
                product: Some(subscription(code)),
                initial_price: Some(eur(1000)),
                initial_price_valid_from: Some(date(2020, 1, 1)),
                ..Default::default()
            },
        )
        .await
        .expect("create");
    let res = env
        .set_price(who, &p.id, 1200, date(2020, 7, 1))
        .await
        .expect("second price");
    res.product.expect("product")
}

/// SetPrice ends the open period the day before the new one starts, and GetPriceAt
/// answers on the first day, the last day, between and after, but not before the first
/// period.
#[tokio::test]
async fn set_price_ends_the_open_period_the_day_before() {
    for env in envs().await {
        let admin = Member::admin();
        let p = two_periods(&env, admin, "TWO").await;
        assert_eq!(p.version, 2, "a new price is a change of the product");
        assert_eq!(
            history(&env, admin, &p.id).await,
            [
                (1200, date(2020, 7, 1), None),
                (1000, date(2020, 1, 1), Some(date(2020, 7, 1))),
            ]
        );
        let at = |d| env.price_at(admin, &p.id, d);
        assert_eq!(
            amount(&at(date(2020, 1, 1)).await.expect("first day")),
            1000
        );
        assert_eq!(amount(&at(date(2020, 3, 15)).await.expect("inside")), 1000);
        assert_eq!(
            amount(&at(date(2020, 6, 30)).await.expect("last day")),
            1000
        );
        assert_eq!(
            amount(&at(date(2020, 7, 1)).await.expect("next first")),
            1200
        );
        assert_eq!(
            amount(&at(date(2099, 12, 31)).await.expect("open end")),
            1200
        );
        let before = at(date(2019, 12, 31)).await.expect_err("before the first");
        assert_eq!(before.code(), Code::NotFound);
        // The current price is the open period.
        assert_eq!(p.current_price.as_ref().map(amount), Some(1200));
    }
}

/// A new price on or before the start of the latest period, between two periods, on an
/// existing start or before the first, is FAILED_PRECONDITION and changes nothing.
#[tokio::test]
async fn prices_only_append_to_the_history() {
    for env in envs().await {
        let admin = Member::admin();
        let p = two_periods(&env, admin, "APPEND").await;
        let before = history(&env, admin, &p.id).await;
        for from in [
            date(2020, 3, 1),
            date(2020, 7, 1),
            date(2020, 1, 1),
            date(2019, 6, 1),
        ] {
            let err = env
                .set_price(admin, &p.id, 9999, from)
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::FailedPrecondition, "{from:?}");
            assert!(err.message().contains("2020-07-01"), "{}", err.message());
        }
        assert_eq!(history(&env, admin, &p.id).await, before);
        assert_eq!(env.get(admin, &p.id).await.expect("get").version, 2);

        // The day after the latest start is fine, even in the past.
        let res = env
            .set_price(admin, &p.id, 1300, date(2020, 7, 2))
            .await
            .expect("next day");
        let period = res.price.expect("period");
        assert_eq!(period.valid_from, Some(date(2020, 7, 2)));
        assert_eq!(period.valid_to, None);
        assert_eq!(
            history(&env, admin, &p.id).await,
            [
                (1300, date(2020, 7, 2), None),
                (1200, date(2020, 7, 1), Some(date(2020, 7, 2))),
                (1000, date(2020, 1, 1), Some(date(2020, 7, 1))),
            ]
        );
        let one_day = env
            .price_at(admin, &p.id, date(2020, 7, 1))
            .await
            .expect("one-day period");
        assert_eq!(amount(&one_day), 1200);
    }
}

/// A product without a price has none at any date; its first SetPrice opens the history.
/// A price starting in the future leaves the current price as it is.
#[tokio::test]
async fn first_and_future_prices() {
    for env in envs().await {
        let admin = Member::admin();
        let p = env.create(admin, one_off("LATER")).await.expect("create");
        let err = env
            .price_at(admin, &p.id, date(2020, 1, 1))
            .await
            .expect_err("no price yet");
        assert_eq!(err.code(), Code::NotFound);
        assert!(history(&env, admin, &p.id).await.is_empty());

        let res = env
            .set_price(admin, &p.id, 500, date(2021, 1, 1))
            .await
            .expect("first");
        assert_eq!(
            res.product
                .expect("product")
                .current_price
                .map(|c| amount(&c)),
            Some(500)
        );

        let future = chrono::Utc::now().date_naive() + chrono::Days::new(30);
        use chrono::Datelike as _;
        let future = date(future.year(), future.month() as i32, future.day() as i32);
        let res = env
            .set_price(admin, &p.id, 700, future)
            .await
            .expect("scheduled");
        let product = res.product.expect("product");
        assert_eq!(product.current_price.map(|c| amount(&c)), Some(500));
        assert_eq!(
            amount(&env.price_at(admin, &p.id, future).await.expect("then")),
            700
        );
    }
}

/// SetPrice checks the product's version when given, and the product's currency.
#[tokio::test]
async fn set_price_checks_version_and_currency() {
    for env in envs().await {
        let admin = Member::admin();
        let mut input = one_off("USD-1");
        input.currency_code = "USD".into();
        let p = env.create(admin, input).await.expect("create");
        assert_eq!(p.currency_code, "USD");
        let err = env
            .set_price(admin, &p.id, 100, date(2020, 1, 1))
            .await
            .expect_err("EUR price on a USD product");
        assert_eq!(
            crate::support::violation_fields(&err),
            ["price.currency_code"]
        );
        let set = |version| {
            let (env, product_id) = (&env, p.id.clone());
            async move {
                env.client()
                    .set_price(env.req(
                        admin,
                        pb::SetPriceRequest {
                            product_id,
                            price: Some(common::Money {
                                currency_code: "USD".into(),
                                amount_minor: 100,
                            }),
                            valid_from: Some(date(2020, 1, 1)),
                            version,
                        },
                    ))
                    .await
            }
        };
        assert_eq!(set(7).await.expect_err("stale").code(), Code::Aborted);
        let res = set(1).await.expect("current version").into_inner();
        assert_eq!(res.product.expect("product").version, 2);
    }
}

/// ListPrices pages walk the history once, latest first; a token is bound to its
/// product.
#[tokio::test]
async fn price_pages_cover_the_history_once() {
    for env in envs().await {
        let admin = Member::admin();
        let p = env.create(admin, one_off("PAGES")).await.expect("create");
        let other = env.create(admin, one_off("OTHER")).await.expect("other");
        for (i, month) in (1..=5).enumerate() {
            env.set_price(admin, &p.id, 100 * (i as i64 + 1), date(2020, month, 1))
                .await
                .expect("price");
        }
        env.set_price(admin, &other.id, 1, date(2020, 1, 1))
            .await
            .expect("other price");
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut first_token = String::new();
        loop {
            let page = env
                .client()
                .list_prices(env.req(
                    admin,
                    pb::ListPricesRequest {
                        product_id: p.id.clone(),
                        page_size: 2,
                        page_token: token.clone(),
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.prices.len() <= 2);
            seen.extend(page.prices.iter().map(amount));
            if first_token.is_empty() {
                first_token = page.next_page_token.clone();
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, [500, 400, 300, 200, 100]);
        let err = env
            .client()
            .list_prices(env.req(
                admin,
                pb::ListPricesRequest {
                    product_id: other.id.clone(),
                    page_size: 2,
                    page_token: first_token,
                },
            ))
            .await
            .expect_err("token of another product");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

/// Concurrent SetPrice calls on one product never leave overlapping periods: each
/// either lands or is refused (ABORTED when another won the race, FAILED_PRECONDITION
/// when it no longer follows the latest start), and the history stays one chain.
#[tokio::test]
async fn concurrent_prices_never_overlap() {
    for env in envs().await {
        let admin = Member::admin();
        let p = env.create(admin, one_off("RACE")).await.expect("create");
        let calls =
            (1..=8).map(|month| env.set_price(admin, &p.id, month.into(), date(2020, month, 1)));
        let results = futures::future::join_all(calls).await;
        let mut landed = 0;
        for r in &results {
            match r {
                Ok(_) => landed += 1,
                Err(s) => assert!(
                    matches!(s.code(), Code::Aborted | Code::FailedPrecondition),
                    "{s:?}"
                ),
            }
        }
        assert!(landed >= 1);
        let periods = history(&env, admin, &p.id).await;
        assert_eq!(periods.len(), landed, "{:?}", env.backend);
        // Latest first: each period ends where the next one starts; only the latest is open.
        assert_eq!(periods[0].2, None);
        for pair in periods.windows(2) {
            assert_eq!(pair[1].2, Some(pair[0].1), "{periods:?}");
        }
        let product = env.get(admin, &p.id).await.expect("get");
        assert_eq!(product.version, 1 + landed as i64);
    }
}
