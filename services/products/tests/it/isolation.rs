//! Tenant isolation and role rules, for every RPC.

use crm_kit::Role;
use crm_proto::products::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, date, envs, eur, one_off, subscription};

/// Calls every RPC that names a product as `who` and returns their codes in order:
/// GetProduct, UpdateProduct, SetPrice, GetPriceAt, ListPrices, ArchiveProduct.
async fn codes_for(env: &Env, who: Member, id: &str) -> Vec<Code> {
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    let mut out = Vec::new();
    out.push(code(env.get(who, id).await.map(drop)));
    out.push(code(
        env.client()
            .update_product(env.req(
                who,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: id.into(),
                        name: "Hijack".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["name".into()],
                    }),
                },
            ))
            .await
            .map(drop),
    ));
    out.push(code(
        env.set_price(who, id, 1, date(2030, 1, 1)).await.map(drop),
    ));
    out.push(code(
        env.price_at(who, id, date(2020, 6, 1)).await.map(drop),
    ));
    out.push(code(
        env.client()
            .list_prices(env.req(
                who,
                pb::ListPricesRequest {
                    product_id: id.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
    ));
    out.push(code(env.archive(who, id).await.map(drop)));
    out
}

/// Another organisation's product is NOT_FOUND for every RPC, exactly like a missing
/// one; it is absent from lists and its code is free elsewhere.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let a = Member::new(Uuid::now_v7(), Role::Owner);
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        let p = env
            .create_with(
                a,
                pb::CreateProductRequest {
                    product: Some(subscription("MINE")),
                    initial_price: Some(eur(1000)),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        for id in [p.id.clone(), Uuid::now_v7().to_string()] {
            assert_eq!(
                codes_for(&env, b, &id).await,
                [Code::NotFound; 6],
                "{:?}",
                env.backend
            );
        }
        let list = env
            .client()
            .list_products(env.req(b, pb::ListProductsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.products.is_empty());
        env.create(b, subscription("mine"))
            .await
            .expect("same code elsewhere");
        // And the first product was not touched.
        let mine = env.get(a, &p.id).await.expect("get");
        assert_eq!(mine, p);
    }
}

/// Every role reads the catalogue; only owners, admins and managers change it. No
/// token is UNAUTHENTICATED.
#[tokio::test]
async fn roles() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let p = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(one_off("ROLE")),
                    initial_price: Some(eur(100)),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        for role in [Role::Agent, Role::Accountant, Role::Viewer] {
            let reader = Member::new(org, role);
            assert_eq!(
                codes_for(&env, reader, &p.id).await,
                [
                    Code::Ok,
                    Code::PermissionDenied,
                    Code::PermissionDenied,
                    Code::Ok,
                    Code::Ok,
                    Code::PermissionDenied,
                ],
                "{role}"
            );
            let err = env
                .create(reader, one_off(&format!("NO-{role}")))
                .await
                .expect_err("create");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
            let list = env
                .client()
                .list_products(env.req(reader, pb::ListProductsRequest::default()))
                .await
                .expect("list")
                .into_inner();
            assert_eq!(list.products.len(), 1, "{role}");
        }
        assert_eq!(env.get(admin, &p.id).await.expect("get").version, 1);

        for role in [Role::Owner, Role::Admin, Role::Manager] {
            let writer = Member::new(org, role);
            let mine = env
                .create(writer, one_off(&format!("W-{role}")))
                .await
                .expect("create");
            let codes = codes_for(&env, writer, &mine.id).await;
            // Get, update, price and archive all pass; no price on 2020-06-01 yet.
            assert_eq!(
                codes,
                [
                    Code::Ok,
                    Code::Ok,
                    Code::Ok,
                    Code::NotFound,
                    Code::Ok,
                    Code::Ok
                ],
                "{role}"
            );
        }

        let err = env
            .client()
            .get_product(tonic::Request::new(pb::GetProductRequest {
                product_id: p.id.clone(),
            }))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        let stranger = crm_testkit::Keys::new().expect("keys");
        let foreign = stranger.token(org, Uuid::now_v7(), Role::Owner);
        let err = env
            .client()
            .get_product(crm_testkit::authed(
                &foreign,
                pb::GetProductRequest {
                    product_id: p.id.clone(),
                },
            ))
            .await
            .expect_err("foreign key");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
