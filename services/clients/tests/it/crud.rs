//! Create, get, update, archive and restore.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, company, envs, person};

/// A created client reads back with normalised fields, status PROSPECT and version 1.
#[tokio::test]
async fn create_then_get() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let created = env
            .create(admin, person("Durand", "Jeanne.Durand@Example.FR"))
            .await
            .expect("create");
        assert_eq!(created.status, pb::ClientStatus::Prospect as i32);
        assert_eq!(created.email, "Jeanne.Durand@example.fr");
        assert_eq!(created.phone, "+33612345678");
        assert_eq!(created.version, 1);
        let got = env.get(admin, &created.id).await.expect("get");
        assert_eq!(got, created, "{:?}", env.backend);
        let c = env
            .create(admin, company("La Poste"))
            .await
            .expect("company");
        assert_eq!(c.siren, "356000000");
    }
}

/// The same request_id twice creates one client.
#[tokio::test]
async fn request_id_makes_create_idempotent() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let rid = Uuid::new_v4().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let res = env
                .client()
                .create_client(env.req(
                    admin,
                    pb::CreateClientRequest {
                        client: Some(person("Idem", "idem@example.fr")),
                        request_id: rid.clone(),
                    },
                ))
                .await
                .expect("create");
            ids.push(res.into_inner().client.expect("client").id);
        }
        assert_eq!(ids[0], ids[1]);
    }
}

/// An e-mail is unique among live clients, without regard to case, and archiving frees it.
#[tokio::test]
async fn email_unique_among_live_clients() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let first = env
            .create(admin, person("One", "dup@example.fr"))
            .await
            .expect("first");
        let err = env
            .create(admin, person("Two", "DUP@example.fr"))
            .await
            .expect_err("dup");
        assert_eq!(err.code(), Code::AlreadyExists);

        env.client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: first.id.clone(),
                },
            ))
            .await
            .expect("archive");
        let second = env
            .create(admin, person("Two", "dup@example.fr"))
            .await
            .expect("freed");

        // Restoring the first would make two live clients share the address.
        let err = env
            .client()
            .restore_client(env.req(
                admin,
                pb::RestoreClientRequest {
                    client_id: first.id.clone(),
                },
            ))
            .await
            .expect_err("conflict");
        assert_eq!(err.code(), Code::AlreadyExists);
        // Nothing was half-written: the first is still archived.
        let still = env.get(admin, &first.id).await.expect("get");
        assert_eq!(still.status, pb::ClientStatus::Archived as i32);
        assert_ne!(second.id, first.id);
    }
}

/// Update changes the masked fields only, bumps the version, and checks the result.
#[tokio::test]
async fn update_with_mask() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let c = env
            .create(admin, person("Before", "before@example.fr"))
            .await
            .expect("create");
        let res = env
            .client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        last_name: "After".into(),
                        email: "ignored@example.fr".into(),
                        status: pb::ClientStatus::Active as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["last_name".into(), "status".into()],
                    }),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .client
            .expect("client");
        assert_eq!(res.last_name, "After");
        assert_eq!(res.email, "before@example.fr");
        assert_eq!(res.status, pb::ClientStatus::Active as i32);
        assert_eq!(res.version, 2);

        // A stale version is refused.
        let err = env
            .client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        last_name: "Stale".into(),
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["last_name".into()],
                    }),
                },
            ))
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);

        // Kind and id are not updatable.
        let err = env
            .client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        kind: pb::ClientKind::Company as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["kind".into()],
                    }),
                },
            ))
            .await
            .expect_err("kind");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            crate::support::violation_fields(&err),
            ["update_mask.paths[0]"]
        );
    }
}

/// Archive and restore move the status and back; doing either twice is a wrong state.
#[tokio::test]
async fn archive_and_restore() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Owner);
        let mut p = person("Arch", "arch@example.fr");
        p.status = pb::ClientStatus::Active as i32;
        let c = env.create(admin, p).await.expect("create");
        let archived = env
            .client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect("archive")
            .into_inner()
            .client
            .expect("client");
        assert_eq!(archived.status, pb::ClientStatus::Archived as i32);
        let err = env
            .client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        last_name: "X".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("archived is read-only");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let restored = env
            .client()
            .restore_client(env.req(
                admin,
                pb::RestoreClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect("restore")
            .into_inner()
            .client
            .expect("client");
        assert_eq!(restored.status, pb::ClientStatus::Active as i32);
        let err = env
            .client()
            .restore_client(env.req(
                admin,
                pb::RestoreClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect_err("not archived");
        assert_eq!(err.code(), Code::FailedPrecondition);
    }
}
