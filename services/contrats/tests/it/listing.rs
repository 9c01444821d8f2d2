//! ListContracts and ListContractsByClient: keyset pages and every filter.

use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as pb;
use tonic::Code;

use crate::support::{draft, envs, violation_fields};

/// Pages walk every contract once, newest first, and a token cannot be reused with other
/// filters.
#[tokio::test]
async fn pages_cover_everything_once() {
    for env in envs().await {
        let f = env.fixture().await;
        let mut created = Vec::new();
        for _ in 0..7 {
            created.push(env.create(f.admin, draft(&f)).await.expect("create").id);
        }
        created.reverse();
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env
                .list(
                    f.admin,
                    pb::ListContractsRequest {
                        page_size: 3,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                )
                .await
                .expect("page");
            assert!(page.contracts.len() <= 3);
            seen.extend(page.contracts.into_iter().map(|c| c.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, created);
        let first = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    page_size: 3,
                    ..Default::default()
                },
            )
            .await
            .expect("page");
        let err = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    page_size: 3,
                    page_token: first.next_page_token,
                    status: pb::ContractStatus::Active as i32,
                    ..Default::default()
                },
            )
            .await
            .expect_err("other filters");
        assert_eq!(violation_fields(&err), ["page_token"]);
        let err = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    page_size: -1,
                    status: 42,
                    client_id: "x".into(),
                    ..Default::default()
                },
            )
            .await
            .expect_err("bad filters");
        assert_eq!(violation_fields(&err), ["page_size", "status", "client_id"]);
    }
}

/// Filters on status, client and sales agent; ListContractsByClient lists one client's.
#[tokio::test]
async fn filters_select_contracts() {
    for env in envs().await {
        let f = env.fixture().await;
        let other_agent = env.new_commercial(f.admin).await;
        let other_client = env
            .new_client(f.admin, ClientKind::Person, &other_agent)
            .await;
        let a = env.create(f.admin, draft(&f)).await.expect("create");
        let b = env
            .create(
                f.admin,
                pb::Contract {
                    client_id: other_client.clone(),
                    commercial_id: other_agent.clone(),
                    ..draft(&f)
                },
            )
            .await
            .expect("create");
        env.send(f.admin, &b.id).await.expect("send");
        let ids = |r: pb::ListContractsResponse| -> Vec<String> {
            r.contracts.into_iter().map(|c| c.id).collect()
        };
        let pending = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    status: pb::ContractStatus::PendingSignature as i32,
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(ids(pending), [b.id.as_str()]);
        let by_agent = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    commercial_id: f.commercial.clone(),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(ids(by_agent), [a.id.as_str()]);
        let by_client = env
            .list(
                f.admin,
                pb::ListContractsRequest {
                    client_id: other_client.clone(),
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(ids(by_client), [b.id.as_str()]);
        let of_client = env
            .api()
            .list_contracts_by_client(env.req(
                f.admin,
                pb::ListContractsByClientRequest {
                    client_id: f.client.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("by client")
            .into_inner();
        let listed: Vec<String> = of_client.contracts.into_iter().map(|c| c.id).collect();
        assert_eq!(listed, [a.id.as_str()]);
        let err = env
            .api()
            .list_contracts_by_client(env.req(f.admin, pb::ListContractsByClientRequest::default()))
            .await
            .expect_err("client required");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["client_id"]);
    }
}
