//! Bad input: INVALID_ARGUMENT with every violation at once, and nothing written.

use crm_proto::common::v1 as common;
use crm_proto::products::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, date, envs, eur, one_off, subscription, violation_fields};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every wrong field of a create is named in one answer, and no product is created.
#[tokio::test]
async fn create_reports_every_violation() {
    for env in envs().await {
        let admin = Member::admin();
        let bad = pb::Product {
            id: Uuid::now_v7().to_string(),
            code: "bad code!".into(),
            name: "   ".into(),
            description: "x".repeat(4001),
            category: "tab\u{7}".into(),
            kind: 99,
            billing_frequency: 42,
            vat_category: 0,
            status: pb::ProductStatus::Archived as i32,
            currency_code: "eur".into(),
            current_price: Some(pb::PricePeriod::default()),
            ..Default::default()
        };
        let err = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(bad),
                    request_id: "not-a-uuid".into(),
                    initial_price: Some(common::Money {
                        currency_code: "USD".into(),
                        amount_minor: -1,
                    }),
                    initial_price_valid_from: Some(date(2026, 2, 30)),
                },
            )
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            sorted(violation_fields(&err)),
            [
                "initial_price.amount_minor",
                "initial_price_valid_from",
                "product.billing_frequency",
                "product.category",
                "product.code",
                "product.currency_code",
                "product.current_price",
                "product.description",
                "product.id",
                "product.kind",
                "product.name",
                "product.status",
                "product.vat_category",
                "request_id",
            ],
            "malformed and invalid fields are reported together"
        );

        // The currency of a price must be the product's (EUR by default); a date
        // without a price is refused.
        let err = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(one_off("CUR")),
                    initial_price: Some(common::Money {
                        currency_code: "USD".into(),
                        amount_minor: 100,
                    }),
                    ..Default::default()
                },
            )
            .await
            .expect_err("currency");
        assert_eq!(violation_fields(&err), ["initial_price.currency_code"]);
        let err = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(one_off("DATE")),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect_err("date alone");
        assert_eq!(violation_fields(&err), ["initial_price_valid_from"]);

        let err = env
            .create_with(admin, pb::CreateProductRequest::default())
            .await
            .expect_err("no product");
        assert_eq!(violation_fields(&err), ["product"]);

        let list = env
            .client()
            .list_products(env.req(
                admin,
                pb::ListProductsRequest {
                    status: pb::ProductStatus::Archived as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        assert!(list.products.is_empty(), "nothing was written");
        let list = env
            .client()
            .list_products(env.req(admin, pb::ListProductsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.products.is_empty(), "nothing was written");
    }
}

/// A subscription needs a billing frequency and a one-off product must have none.
#[tokio::test]
async fn frequency_follows_the_kind() {
    for env in envs().await {
        let admin = Member::admin();
        let mut sub = subscription("SUB");
        sub.billing_frequency = 0;
        let err = env.create(admin, sub).await.expect_err("no frequency");
        assert_eq!(violation_fields(&err), ["product.billing_frequency"]);
        let mut once = one_off("ONCE");
        once.billing_frequency = pb::BillingFrequency::Quarterly as i32;
        let err = env.create(admin, once).await.expect_err("frequency");
        assert_eq!(violation_fields(&err), ["product.billing_frequency"]);
        let mut none = one_off("NONE");
        none.kind = 0;
        let err = env.create(admin, none).await.expect_err("no kind");
        assert_eq!(violation_fields(&err), ["product.kind"]);
    }
}

/// Update names a bad id, unknown and immutable mask paths and bad enums together.
#[tokio::test]
async fn update_reports_every_violation() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .update_product(env.req(
                admin,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: "nope".into(),
                        vat_category: 77,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec![
                            "name".into(),
                            "status".into(),
                            "currency_code".into(),
                            "create_time".into(),
                        ],
                    }),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            [
                "product.id",
                "product.vat_category",
                "update_mask.paths[1]",
                "update_mask.paths[2]",
                "update_mask.paths[3]",
            ]
        );
        let p = env.create(admin, one_off("UPD")).await.expect("create");
        let err = env
            .client()
            .update_product(env.req(
                admin,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: p.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("nothing to update");
        assert_eq!(violation_fields(&err), ["update_mask"]);
        // The merged product is checked like a new one.
        let err = env
            .client()
            .update_product(env.req(
                admin,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: p.id.clone(),
                        code: "a b".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["code".into(), "name".into()],
                    }),
                },
            ))
            .await
            .expect_err("invalid result");
        assert_eq!(violation_fields(&err), ["product.code", "product.name"]);
        assert_eq!(env.get(admin, &p.id).await.expect("get"), p);
    }
}

/// SetPrice names every problem, the product's currency included.
#[tokio::test]
async fn set_price_reports_every_violation() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .set_price(env.req(admin, pb::SetPriceRequest::default()))
            .await
            .expect_err("empty");
        assert_eq!(
            violation_fields(&err),
            ["product_id", "valid_from", "price"]
        );
        let p = env.create(admin, one_off("SP")).await.expect("create");
        let err = env
            .client()
            .set_price(env.req(
                admin,
                pb::SetPriceRequest {
                    product_id: p.id.clone(),
                    price: Some(common::Money {
                        currency_code: "GBP".into(),
                        amount_minor: 100_000_000_000,
                    }),
                    valid_from: Some(date(1899, 12, 31)),
                    version: 0,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            ["valid_from", "price.amount_minor", "price.currency_code"]
        );
        // A bad request about a missing product is still a bad request.
        let err = env
            .client()
            .set_price(env.req(
                admin,
                pb::SetPriceRequest {
                    product_id: Uuid::now_v7().to_string(),
                    price: Some(eur(-5)),
                    valid_from: Some(date(2020, 1, 1)),
                    version: 0,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&err), ["price.amount_minor"]);
        assert_eq!(env.get(admin, &p.id).await.expect("get").version, 1);
    }
}

/// Malformed ids, dates, page sizes, enums and tokens in reads are INVALID_ARGUMENT,
/// not NOT_FOUND.
#[tokio::test]
async fn reads_validate_their_input() {
    for env in envs().await {
        let viewer = Member::new(Uuid::now_v7(), crm_kit::Role::Viewer);
        let err = env.get(viewer, "42").await.expect_err("bad id");
        assert_eq!(violation_fields(&err), ["product_id"]);
        let err = env
            .client()
            .list_products(env.req(
                viewer,
                pb::ListProductsRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                    status: 9,
                    kind: 9,
                    query: "q".repeat(201),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("bad list");
        assert_eq!(
            violation_fields(&err),
            ["query", "status", "kind", "page_size", "page_token"]
        );
        let err = env
            .client()
            .get_price_at(env.req(
                viewer,
                pb::GetPriceAtRequest {
                    product_id: "x".into(),
                    date: Some(date(2021, 13, 1)),
                },
            ))
            .await
            .expect_err("bad price query");
        assert_eq!(violation_fields(&err), ["product_id", "date"]);
        let err = env
            .client()
            .get_price_at(env.req(
                viewer,
                pb::GetPriceAtRequest {
                    product_id: Uuid::now_v7().to_string(),
                    date: None,
                },
            ))
            .await
            .expect_err("no date");
        assert_eq!(violation_fields(&err), ["date"]);
        let err = env
            .client()
            .list_prices(env.req(
                viewer,
                pb::ListPricesRequest {
                    product_id: String::new(),
                    page_size: -3,
                    page_token: "zz".into(),
                },
            ))
            .await
            .expect_err("bad history query");
        assert_eq!(
            violation_fields(&err),
            ["product_id", "page_size", "page_token"]
        );
    }
}
