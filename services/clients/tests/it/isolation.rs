//! Tenant isolation and role rules, for every RPC.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, person};

/// Another organisation's client is NOT_FOUND for every RPC, exactly like a missing one,
/// and it is absent from lists.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let a = Member::new(Uuid::now_v7(), Role::Owner);
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        let c = env
            .create(a, person("Mine", "mine@example.fr"))
            .await
            .expect("create");
        let missing = Uuid::now_v7().to_string();
        for id in [c.id.clone(), missing] {
            assert_eq!(
                env.get(b, &id).await.expect_err("get").code(),
                Code::NotFound
            );
            let update = env
                .client()
                .update_client(env.req(
                    b,
                    pb::UpdateClientRequest {
                        client: Some(pb::Client {
                            id: id.clone(),
                            last_name: "Hijack".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(FieldMask {
                            paths: vec!["last_name".into()],
                        }),
                    },
                ))
                .await
                .expect_err("update");
            assert_eq!(update.code(), Code::NotFound);
            let archive = env
                .client()
                .archive_client(env.req(
                    b,
                    pb::ArchiveClientRequest {
                        client_id: id.clone(),
                    },
                ))
                .await
                .expect_err("archive");
            assert_eq!(archive.code(), Code::NotFound);
            let restore = env
                .client()
                .restore_client(env.req(
                    b,
                    pb::RestoreClientRequest {
                        client_id: id.clone(),
                    },
                ))
                .await
                .expect_err("restore");
            assert_eq!(restore.code(), Code::NotFound);
        }
        let list = env
            .client()
            .list_clients(env.req(b, pb::ListClientsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.clients.is_empty());
        // The same e-mail is free in another organisation.
        env.create(b, person("Theirs", "mine@example.fr"))
            .await
            .expect("other tenant");
        // And the first client was not touched.
        assert_eq!(env.get(a, &c.id).await.expect("get").last_name, "Mine");
    }
}

/// An agent sees, lists and changes only the clients assigned to them, and cannot give
/// a client to someone else.
#[tokio::test]
async fn agents_see_their_own_clients_only() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let alice = env.agent(org).await;
        let bob = env.agent(org).await;
        let mine = env
            .create(alice, person("Alice", "a@example.fr"))
            .await
            .expect("agent create");
        assert_eq!(
            mine.commercial_id,
            alice.commercial.map(|c| c.to_string()).unwrap_or_default()
        );
        let mut theirs = person("Bob", "b@example.fr");
        theirs.commercial_id = bob.commercial.map(|c| c.to_string()).unwrap_or_default();
        let theirs = env.create(admin, theirs).await.expect("admin create");

        assert!(env.get(alice, &mine.id).await.is_ok());
        assert_eq!(
            env.get(alice, &theirs.id).await.expect_err("hidden").code(),
            Code::NotFound
        );
        let listed = env
            .client()
            .list_clients(env.req(alice, pb::ListClientsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(listed.clients.len(), 1);
        assert_eq!(listed.clients[0].id, mine.id);

        let mut given = person("Gift", "g@example.fr");
        given.commercial_id = bob.commercial.map(|c| c.to_string()).unwrap_or_default();
        let err = env.create(alice, given).await.expect_err("assign to bob");
        assert_eq!(err.code(), Code::PermissionDenied);

        let archive = env
            .client()
            .archive_client(env.req(
                alice,
                pb::ArchiveClientRequest {
                    client_id: theirs.id.clone(),
                },
            ))
            .await
            .expect_err("not theirs");
        assert_eq!(archive.code(), Code::NotFound);

        // An agent with no sales-agent record sees nothing.
        let orphan = Member::new(org, Role::Agent);
        let listed = env
            .client()
            .list_clients(env.req(orphan, pb::ListClientsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(listed.clients.is_empty());
        // The admin sees both.
        let all = env
            .client()
            .list_clients(env.req(admin, pb::ListClientsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(all.clients.len(), 2);
    }
}

/// Viewers and accountants read but cannot write; no token is UNAUTHENTICATED.
#[tokio::test]
async fn read_only_roles_and_missing_tokens() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let c = env
            .create(admin, person("Ro", "ro@example.fr"))
            .await
            .expect("create");
        for role in [Role::Viewer, Role::Accountant] {
            let reader = Member::new(org, role);
            assert!(env.get(reader, &c.id).await.is_ok());
            let err = env
                .create(reader, person("No", "no@example.fr"))
                .await
                .expect_err("write");
            assert_eq!(err.code(), Code::PermissionDenied);
            let err = env
                .client()
                .archive_client(env.req(
                    reader,
                    pb::ArchiveClientRequest {
                        client_id: c.id.clone(),
                    },
                ))
                .await
                .expect_err("archive");
            assert_eq!(err.code(), Code::PermissionDenied);
        }
        let err = env
            .client()
            .get_client(tonic::Request::new(pb::GetClientRequest {
                client_id: c.id.clone(),
            }))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = env
            .client()
            .get_client(crm_testkit::authed(
                "garbage",
                pb::GetClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect_err("bad token");
        assert_eq!(err.code(), Code::Unauthenticated);
        // A token signed by another key is refused.
        let stranger = crm_testkit::Keys::new().expect("keys");
        let foreign = stranger.token(org, Uuid::now_v7(), Role::Owner);
        let err = env
            .client()
            .get_client(crm_testkit::authed(
                &foreign,
                pb::GetClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect_err("foreign key");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
