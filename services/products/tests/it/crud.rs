//! Create, get, update and archive.

use crm_kit::Role;
use crm_proto::products::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, date, envs, eur, one_off, subscription, violation_fields};

fn update(product: pb::Product, paths: &[&str]) -> pb::UpdateProductRequest {
    pb::UpdateProductRequest {
        product: Some(product),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

/// A created product reads back trimmed, ACTIVE, in EUR, at version 1, with its first
/// price as the current price; without a price it has none.
#[tokio::test]
async fn create_then_get() {
    for env in envs().await {
        let admin = Member::admin();
        let mut input = subscription(" PREV-01 ");
        input.name = "  Prévoyance  ".into();
        let created = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(input),
                    initial_price: Some(eur(2990)),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        assert_eq!(created.code, "PREV-01");
        assert_eq!(created.name, "Prévoyance");
        assert_eq!(created.status, pb::ProductStatus::Active as i32);
        assert_eq!(created.currency_code, "EUR");
        assert_eq!(created.version, 1);
        let price = created.current_price.clone().expect("current price");
        assert_eq!(price.price, Some(eur(2990)));
        assert_eq!(price.valid_from, Some(date(2020, 1, 1)));
        assert_eq!(price.valid_to, None);
        assert_eq!(price.product_id, created.id);
        let got = env.get(admin, &created.id).await.expect("get");
        assert_eq!(got, created, "{:?}", env.backend);

        let bare = env.create(admin, one_off("FRAIS")).await.expect("one-off");
        assert_eq!(bare.current_price, None);
        assert_eq!(bare.billing_frequency, 0);

        // Without a date, the first price starts today.
        let today = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(one_off("TODAY")),
                    initial_price: Some(eur(0)),
                    ..Default::default()
                },
            )
            .await
            .expect("free product");
        let price = today.current_price.expect("current price");
        assert_eq!(price.valid_from, Some(crate::support::today()));
        assert_eq!(price.price, Some(eur(0)));
    }
}

/// The same request_id twice creates one product and returns it both times.
#[tokio::test]
async fn request_id_makes_create_idempotent() {
    for env in envs().await {
        let admin = Member::admin();
        let rid = Uuid::new_v4().to_string();
        let mut products = Vec::new();
        for _ in 0..2 {
            let p = env
                .create_with(
                    admin,
                    pb::CreateProductRequest {
                        product: Some(subscription("IDEM")),
                        request_id: rid.clone(),
                        initial_price: Some(eur(100)),
                        initial_price_valid_from: Some(date(2020, 1, 1)),
                    },
                )
                .await
                .expect("create");
            products.push(p);
        }
        assert_eq!(products[0], products[1]);
        let list = env
            .client()
            .list_products(env.req(admin, pb::ListProductsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(list.products.len(), 1);
        // A new request id with the same code is a duplicate.
        let err = env
            .create(admin, subscription("idem"))
            .await
            .expect_err("dup");
        assert_eq!(err.code(), Code::AlreadyExists);
    }
}

/// Codes are unique per organisation without regard to case, archived products included.
#[tokio::test]
async fn codes_are_unique_without_case() {
    for env in envs().await {
        let admin = Member::admin();
        let first = env
            .create(admin, subscription("Auto-1"))
            .await
            .expect("first");
        let err = env.create(admin, one_off("AUTO-1")).await.expect_err("dup");
        assert_eq!(err.code(), Code::AlreadyExists);
        env.archive(admin, &first.id).await.expect("archive");
        let err = env
            .create(admin, one_off("auto-1"))
            .await
            .expect_err("still taken");
        assert_eq!(err.code(), Code::AlreadyExists);

        // Renaming onto another product's code is refused too, and nothing changes.
        let second = env.create(admin, one_off("AUTO-2")).await.expect("second");
        let err = env
            .client()
            .update_product(env.req(
                admin,
                update(
                    pb::Product {
                        id: second.id.clone(),
                        code: "auto-1".into(),
                        ..Default::default()
                    },
                    &["code"],
                ),
            ))
            .await
            .expect_err("rename onto a taken code");
        assert_eq!(err.code(), Code::AlreadyExists);
        assert_eq!(env.get(admin, &second.id).await.expect("get"), second);
        // Changing only the case of its own code is fine.
        let renamed = env
            .client()
            .update_product(env.req(
                admin,
                update(
                    pb::Product {
                        id: second.id.clone(),
                        code: "auto-2".into(),
                        ..Default::default()
                    },
                    &["code"],
                ),
            ))
            .await
            .expect("case change")
            .into_inner()
            .product
            .expect("product");
        assert_eq!(renamed.code, "auto-2");
    }
}

/// Update changes the masked fields only, bumps the version, checks the merged result
/// and the optimistic version; an update that changes nothing writes nothing.
#[tokio::test]
async fn update_with_mask() {
    for env in envs().await {
        let manager = Member::new(Uuid::now_v7(), Role::Manager);
        let p = env
            .create(manager, subscription("UPD"))
            .await
            .expect("create");
        let res = env
            .client()
            .update_product(env.req(
                manager,
                update(
                    pb::Product {
                        id: p.id.clone(),
                        name: "Nouveau nom".into(),
                        description: "ignored".into(),
                        billing_frequency: pb::BillingFrequency::Annual as i32,
                        version: 1,
                        ..Default::default()
                    },
                    &["name", "billing_frequency"],
                ),
            ))
            .await
            .expect("update")
            .into_inner()
            .product
            .expect("product");
        assert_eq!(res.name, "Nouveau nom");
        assert_eq!(res.description, p.description);
        assert_eq!(res.billing_frequency, pb::BillingFrequency::Annual as i32);
        assert_eq!(res.version, 2);

        // A stale version is refused.
        let err = env
            .client()
            .update_product(env.req(
                manager,
                update(
                    pb::Product {
                        id: p.id.clone(),
                        name: "Stale".into(),
                        version: 1,
                        ..Default::default()
                    },
                    &["name"],
                ),
            ))
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);

        // Turning a subscription one-off needs the frequency cleared in the same update.
        let err = env
            .client()
            .update_product(env.req(
                manager,
                update(
                    pb::Product {
                        id: p.id.clone(),
                        kind: pb::ProductKind::OneOff as i32,
                        ..Default::default()
                    },
                    &["kind"],
                ),
            ))
            .await
            .expect_err("frequency left");
        assert_eq!(violation_fields(&err), ["product.billing_frequency"]);
        let one_off = env
            .client()
            .update_product(env.req(
                manager,
                update(
                    pb::Product {
                        id: p.id.clone(),
                        kind: pb::ProductKind::OneOff as i32,
                        vat_category: pb::VatCategory::Reduced as i32,
                        ..Default::default()
                    },
                    &["kind", "billing_frequency", "vat_category"],
                ),
            ))
            .await
            .expect("to one-off")
            .into_inner()
            .product
            .expect("product");
        assert_eq!(one_off.kind, pb::ProductKind::OneOff as i32);
        assert_eq!(one_off.billing_frequency, 0);
        assert_eq!(one_off.vat_category, pb::VatCategory::Reduced as i32);
        assert_eq!(one_off.version, 3);

        // Without a mask, the fields set are updated; the same values change nothing.
        let same = env
            .client()
            .update_product(env.req(
                manager,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: p.id.clone(),
                        name: "Nouveau nom".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("no-op")
            .into_inner()
            .product
            .expect("product");
        assert_eq!(
            same, one_off,
            "an update that changes nothing writes nothing"
        );
    }
}

/// An archived product is read-only and gets no new price, but keeps answering reads and
/// its price history; archiving twice is a wrong state.
#[tokio::test]
async fn archived_products_are_read_only() {
    for env in envs().await {
        let owner = Member::new(Uuid::now_v7(), Role::Owner);
        let p = env
            .create_with(
                owner,
                pb::CreateProductRequest {
                    product: Some(subscription("ARCH")),
                    initial_price: Some(eur(1500)),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        let archived = env.archive(owner, &p.id).await.expect("archive");
        assert_eq!(archived.status, pb::ProductStatus::Archived as i32);
        assert_eq!(archived.version, 2);
        assert_eq!(archived.current_price, p.current_price);

        let err = env.archive(owner, &p.id).await.expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .client()
            .update_product(env.req(
                owner,
                update(
                    pb::Product {
                        id: p.id.clone(),
                        name: "X".into(),
                        ..Default::default()
                    },
                    &["name"],
                ),
            ))
            .await
            .expect_err("update");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .set_price(owner, &p.id, 1600, date(2021, 1, 1))
            .await
            .expect_err("new price");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // History still answers.
        let price = env
            .price_at(owner, &p.id, date(2020, 6, 1))
            .await
            .expect("price of an archived product");
        assert_eq!(price.price, Some(eur(1500)));
        assert_eq!(env.get(owner, &p.id).await.expect("get"), archived);
    }
}
