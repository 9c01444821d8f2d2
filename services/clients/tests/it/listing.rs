//! ListClients: keyset pages and every filter.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, person};

/// Pages walk every client once, newest first, and a token cannot be reused with other
/// filters.
#[tokio::test]
async fn pages_cover_everything_once() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut created = Vec::new();
        for i in 0..7 {
            let c = env
                .create(
                    admin,
                    person(&format!("Page{i}"), &format!("p{i}@example.fr")),
                )
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
                .list_clients(env.req(
                    admin,
                    pb::ListClientsRequest {
                        page_size: 3,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.clients.len() <= 3);
            seen.extend(page.clients.into_iter().map(|c| c.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, created);

        let first = env
            .client()
            .list_clients(env.req(
                admin,
                pb::ListClientsRequest {
                    page_size: 3,
                    ..Default::default()
                },
            ))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .list_clients(env.req(
                admin,
                pb::ListClientsRequest {
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

/// Status, commercial, tag, created range and text search each narrow the list.
#[tokio::test]
async fn filters_narrow_the_list() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let agent = env.commercial(admin.org).await;
        let mut a = person("Lefebvre", "lefebvre@example.fr");
        a.tags = vec!["VIP".into(), "web_lead".into()];
        a.status = pb::ClientStatus::Active as i32;
        a.commercial_id = agent.to_string();
        let a = env.create(admin, a).await.expect("a");
        let mut b = person("Moreau", "moreau@sample.org");
        b.tags = vec!["webXlead".into()];
        let b = env.create(admin, b).await.expect("b");
        let archived = env
            .create(admin, person("Gone", "gone@example.fr"))
            .await
            .expect("c");
        env.client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: archived.id.clone(),
                },
            ))
            .await
            .expect("archive");

        let ids = |req: pb::ListClientsRequest| {
            let env = &env;
            async move {
                env.client()
                    .list_clients(env.req(admin, req))
                    .await
                    .expect("list")
                    .into_inner()
                    .clients
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            ids(pb::ListClientsRequest::default()).await,
            [b.id.clone(), a.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                status: pb::ClientStatus::Archived as i32,
                ..Default::default()
            })
            .await,
            vec![archived.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                status: pb::ClientStatus::Active as i32,
                ..Default::default()
            })
            .await,
            vec![a.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                commercial_id: agent.to_string(),
                ..Default::default()
            })
            .await,
            vec![a.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                tag: "vip".into(),
                ..Default::default()
            })
            .await,
            vec![a.id.clone()]
        );
        // "_" is a literal in tags, not a LIKE wildcard.
        assert_eq!(
            ids(pb::ListClientsRequest {
                tag: "web_lead".into(),
                ..Default::default()
            })
            .await,
            vec![a.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                query: "MOREAU".into(),
                ..Default::default()
            })
            .await,
            vec![b.id.clone()]
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                query: "sample.org".into(),
                ..Default::default()
            })
            .await,
            vec![b.id.clone()]
        );
        let future = prost_types::Timestamp {
            seconds: chrono::Utc::now().timestamp() + 3600,
            nanos: 0,
        };
        assert!(
            ids(pb::ListClientsRequest {
                created_after: Some(future),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert_eq!(
            ids(pb::ListClientsRequest {
                created_before: Some(future),
                ..Default::default()
            })
            .await
            .len(),
            2
        );
    }
}
