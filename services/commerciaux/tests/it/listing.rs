//! ListCommerciaux: keyset pages and every filter.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, commercial, envs};

async fn codes(env: &Env, who: Member, req: pb::ListCommerciauxRequest) -> Vec<String> {
    env.client()
        .list_commerciaux(env.req(who, req))
        .await
        .expect("list")
        .into_inner()
        .commerciaux
        .into_iter()
        .map(|c| c.code)
        .collect()
}

/// Pages walk every commercial once, newest first, and a token cannot be reused with
/// other filters.
#[tokio::test]
async fn pages_cover_everything_once() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut created = Vec::new();
        for i in 0..7 {
            let c = env
                .create(admin, commercial(&format!("P{i}")))
                .await
                .expect("create");
            created.push(c.id);
        }
        created.reverse();
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env
                .client()
                .list_commerciaux(env.req(
                    admin,
                    pb::ListCommerciauxRequest {
                        page_size: 3,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.commerciaux.len() <= 3);
            seen.extend(page.commerciaux.into_iter().map(|c| c.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, created);

        let first = env
            .client()
            .list_commerciaux(env.req(
                admin,
                pb::ListCommerciauxRequest {
                    page_size: 3,
                    ..Default::default()
                },
            ))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .list_commerciaux(env.req(
                admin,
                pb::ListCommerciauxRequest {
                    page_size: 3,
                    page_token: first.next_page_token,
                    team: "Sud".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("filters changed");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

/// Status, team, manager and text filters, alone and together.
#[tokio::test]
async fn filters_narrow_the_list() {
    for env in envs().await {
        let viewer = Member::new(Uuid::now_v7(), Role::Viewer);
        let admin = viewer.with_role(Role::Admin);
        let boss = env.create_under(admin, "BOSS", "").await;
        let mut south = commercial("SUD-1");
        south.team = "Sud".into();
        south.manager_id = boss.id.clone();
        south.last_name = "Lefèvre".into();
        let south = env.create(admin, south).await.expect("create");
        let north = env.create_under(admin, "NORD-1", &boss.id).await;
        env.create(admin, commercial("NORD-2"))
            .await
            .expect("create");
        env.deactivate(admin, &north.id).await.expect("deactivate");

        let all = codes(&env, viewer, pb::ListCommerciauxRequest::default()).await;
        assert_eq!(all, ["NORD-2", "NORD-1", "SUD-1", "BOSS"]);
        let inactive = pb::ListCommerciauxRequest {
            status: pb::CommercialStatus::Inactive as i32,
            ..Default::default()
        };
        assert_eq!(codes(&env, viewer, inactive).await, ["NORD-1"]);
        let active = pb::ListCommerciauxRequest {
            status: pb::CommercialStatus::Active as i32,
            ..Default::default()
        };
        assert_eq!(
            codes(&env, viewer, active).await,
            ["NORD-2", "SUD-1", "BOSS"]
        );
        let team = pb::ListCommerciauxRequest {
            team: "Sud".into(),
            ..Default::default()
        };
        assert_eq!(codes(&env, viewer, team).await, ["SUD-1"]);
        let reports = pb::ListCommerciauxRequest {
            manager_id: boss.id.clone(),
            ..Default::default()
        };
        assert_eq!(codes(&env, viewer, reports).await, ["NORD-1", "SUD-1"]);
        let both = pb::ListCommerciauxRequest {
            manager_id: boss.id.clone(),
            status: pb::CommercialStatus::Active as i32,
            ..Default::default()
        };
        assert_eq!(codes(&env, viewer, both).await, ["SUD-1"]);
        // Text search in code, names and e-mail, without regard to case; LIKE's
        // wildcards are literal.
        for (query, expected) in [
            ("lefèvre", vec!["SUD-1"]),
            ("nord", vec!["NORD-2", "NORD-1"]),
            ("SUD-1@EXAMPLE", vec!["SUD-1"]),
            ("%", vec![]),
            ("_", vec![]),
        ] {
            let req = pb::ListCommerciauxRequest {
                query: query.into(),
                ..Default::default()
            };
            assert_eq!(codes(&env, viewer, req).await, expected, "{query}");
        }
        assert_eq!(south.team, "Sud");
    }
}
