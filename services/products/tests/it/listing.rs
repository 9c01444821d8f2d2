//! ListProducts: keyset pages, every filter and the current price of each product.

use crm_proto::products::v1 as pb;
use tonic::Code;

use crate::support::{Env, Member, date, envs, eur, one_off, subscription};

async fn ids(env: &Env, who: Member, req: pb::ListProductsRequest) -> Vec<String> {
    env.client()
        .list_products(env.req(who, req))
        .await
        .expect("list")
        .into_inner()
        .products
        .into_iter()
        .map(|p| p.code)
        .collect()
}

/// Pages walk every product once, newest first, and a token cannot be reused with other
/// filters.
#[tokio::test]
async fn pages_cover_everything_once() {
    for env in envs().await {
        let admin = Member::admin();
        let mut created = Vec::new();
        for i in 0..7 {
            let p = env
                .create(admin, one_off(&format!("P{i}")))
                .await
                .expect("create");
            created.push(p.id);
        }
        created.reverse();
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env
                .client()
                .list_products(env.req(
                    admin,
                    pb::ListProductsRequest {
                        page_size: 3,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.products.len() <= 3);
            seen.extend(page.products.into_iter().map(|p| p.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, created);

        let first = env
            .client()
            .list_products(env.req(
                admin,
                pb::ListProductsRequest {
                    page_size: 3,
                    ..Default::default()
                },
            ))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .list_products(env.req(
                admin,
                pb::ListProductsRequest {
                    page_size: 3,
                    page_token: first.next_page_token,
                    query: "other".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("filters changed");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

/// Status, category, kind and text search each narrow the list, and every listed
/// product carries its current price.
#[tokio::test]
async fn filters_narrow_the_list() {
    for env in envs().await {
        let admin = Member::admin();
        env.create_with(
            admin,
            pb::CreateProductRequest {
                product: Some(subscription("SANTE_1")),
                initial_price: Some(eur(4200)),
                initial_price_valid_from: Some(date(2020, 1, 1)),
                ..Default::default()
            },
        )
        .await
        .expect("a");
        let mut b = one_off("SANTEX1");
        b.name = "Dossier Mutuelle".into();
        env.create(admin, b).await.expect("b");
        let gone = env.create(admin, one_off("GONE")).await.expect("c");
        env.archive(admin, &gone.id).await.expect("archive");

        let env_ref = &env;
        let all = |req| ids(env_ref, admin, req);
        assert_eq!(
            all(pb::ListProductsRequest::default()).await,
            ["SANTEX1", "SANTE_1"]
        );
        assert_eq!(
            all(pb::ListProductsRequest {
                status: pb::ProductStatus::Archived as i32,
                ..Default::default()
            })
            .await,
            ["GONE"]
        );
        assert_eq!(
            all(pb::ListProductsRequest {
                category: " prevoyance ".into(),
                ..Default::default()
            })
            .await,
            ["SANTE_1"]
        );
        assert_eq!(
            all(pb::ListProductsRequest {
                kind: pb::ProductKind::OneOff as i32,
                ..Default::default()
            })
            .await,
            ["SANTEX1"]
        );
        assert_eq!(
            all(pb::ListProductsRequest {
                query: "mutuelle".into(),
                ..Default::default()
            })
            .await,
            ["SANTEX1"]
        );
        // "_" is a literal in the search, not a LIKE wildcard.
        assert_eq!(
            all(pb::ListProductsRequest {
                query: "sante_".into(),
                ..Default::default()
            })
            .await,
            ["SANTE_1"]
        );
        let listed = env
            .client()
            .list_products(env.req(admin, pb::ListProductsRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .products;
        let prices: Vec<_> = listed
            .iter()
            .map(|p| p.current_price.as_ref().and_then(|c| c.price.clone()))
            .collect();
        assert_eq!(prices, [None, Some(eur(4200))]);
    }
}
