//! Create, get, update and deactivate.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use crm_proto::common::v1 as common;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, commercial, envs};

/// A created commercial reads back with normalised fields, status ACTIVE and version 1.
#[tokio::test]
async fn create_then_get() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let user = Uuid::now_v7().to_string();
        let plan = Uuid::now_v7().to_string();
        let created = env
            .create(
                admin,
                pb::Commercial {
                    code: " COM-001 ".into(),
                    first_name: " Jeanne ".into(),
                    last_name: "Durand".into(),
                    email: "Jeanne.Durand@Example.FR".into(),
                    phone: "+33 (0)6 12 34 56 78".into(),
                    user_id: user.clone(),
                    team: "Nord".into(),
                    commission_plan_id: plan.clone(),
                    hire_date: Some(common::Date {
                        year: 2024,
                        month: 9,
                        day: 2,
                    }),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        assert_eq!(created.code, "COM-001");
        assert_eq!(created.first_name, "Jeanne");
        assert_eq!(created.email, "Jeanne.Durand@example.fr");
        assert_eq!(created.phone, "+33612345678");
        assert_eq!(created.user_id, user);
        assert_eq!(created.commission_plan_id, plan);
        assert_eq!(created.status, pb::CommercialStatus::Active as i32);
        assert_eq!(created.version, 1);
        assert!(created.manager_id.is_empty());
        let got = env.get(admin, &created.id).await.expect("get");
        assert_eq!(got, created, "{:?}", env.backend);
    }
}

/// The same request_id twice creates one commercial.
#[tokio::test]
async fn request_id_makes_create_idempotent() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let rid = Uuid::new_v4().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let res = env
                .client()
                .create_commercial(env.req(
                    admin,
                    pb::CreateCommercialRequest {
                        commercial: Some(commercial("IDEM")),
                        request_id: rid.clone(),
                    },
                ))
                .await
                .expect("create");
            ids.push(res.into_inner().commercial.expect("commercial").id);
        }
        assert_eq!(ids[0], ids[1]);
        // Concurrent retries agree too.
        let rid = Uuid::new_v4().to_string();
        let calls = (0..4).map(|_| {
            let mut client = env.client();
            let req = env.req(
                admin,
                pb::CreateCommercialRequest {
                    commercial: Some(commercial("RACE")),
                    request_id: rid.clone(),
                },
            );
            async move { client.create_commercial(req).await }
        });
        let results = futures::future::join_all(calls).await;
        let ids: Vec<String> = results
            .into_iter()
            .map(|r| r.expect("create").into_inner().commercial.expect("c").id)
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    }
}

/// Codes are unique per organisation without regard to case, on create and update;
/// a linked user belongs to one commercial only.
#[tokio::test]
async fn codes_and_linked_users_are_unique() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut first = commercial("Dup-1");
        first.user_id = Uuid::now_v7().to_string();
        let first = env.create(admin, first).await.expect("first");
        let err = env
            .create(admin, commercial("DUP-1"))
            .await
            .expect_err("same code");
        assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
        let mut same_user = commercial("DUP-2");
        same_user.user_id = first.user_id.clone();
        let err = env.create(admin, same_user).await.expect_err("same user");
        assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");

        let second = env
            .create(admin, commercial("dup-2"))
            .await
            .expect("second");
        let err = env
            .client()
            .update_commercial(env.req(
                admin,
                pb::UpdateCommercialRequest {
                    commercial: Some(pb::Commercial {
                        id: second.id.clone(),
                        code: "dup-1".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("code taken");
        assert_eq!(err.code(), Code::AlreadyExists);
        // Changing the case of one's own code is fine.
        let renamed = env
            .client()
            .update_commercial(env.req(
                admin,
                pb::UpdateCommercialRequest {
                    commercial: Some(pb::Commercial {
                        id: second.id.clone(),
                        code: "DUP-2".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("own code")
            .into_inner()
            .commercial
            .expect("commercial");
        assert_eq!(renamed.code, "DUP-2");
        // Concurrent creates of one code: exactly one wins.
        let calls = (0..4).map(|i| {
            let mut client = env.client();
            let mut c = commercial("SAME");
            c.last_name = format!("Racer {i}");
            let req = env.req(
                admin,
                pb::CreateCommercialRequest {
                    commercial: Some(c),
                    request_id: String::new(),
                },
            );
            async move { client.create_commercial(req).await }
        });
        let results = futures::future::join_all(calls).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1);
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| e.code() == Code::AlreadyExists),
            "{results:?}"
        );
    }
}

/// Update changes the masked fields only, bumps the version, refuses stale versions and
/// the status path; an update that changes nothing writes nothing.
#[tokio::test]
async fn update_with_mask_and_version() {
    for env in envs().await {
        let manager = Member::new(Uuid::now_v7(), Role::Manager);
        let c = env
            .create(manager, commercial("UPD"))
            .await
            .expect("create");
        let update = |commercial: pb::Commercial, paths: &[&str]| {
            let mut client = env.client();
            let req = env.req(
                manager,
                pb::UpdateCommercialRequest {
                    commercial: Some(commercial),
                    update_mask: Some(FieldMask {
                        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                    }),
                },
            );
            async move { client.update_commercial(req).await }
        };
        let res = update(
            pb::Commercial {
                id: c.id.clone(),
                last_name: "Martin".into(),
                team: "Sud".into(),
                email: "ignored@example.fr".into(),
                version: 1,
                ..Default::default()
            },
            &["last_name", "team"],
        )
        .await
        .expect("update")
        .into_inner()
        .commercial
        .expect("commercial");
        assert_eq!(res.last_name, "Martin");
        assert_eq!(res.team, "Sud");
        assert_eq!(res.email, c.email);
        assert_eq!(res.version, 2);

        let err = update(
            pb::Commercial {
                id: c.id.clone(),
                last_name: "Stale".into(),
                version: 1,
                ..Default::default()
            },
            &["last_name"],
        )
        .await
        .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);

        let err = update(
            pb::Commercial {
                id: c.id.clone(),
                status: pb::CommercialStatus::Inactive as i32,
                ..Default::default()
            },
            &["status"],
        )
        .await
        .expect_err("status");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            crate::support::violation_fields(&err),
            ["update_mask.paths[0]"]
        );

        // Clearing an optional field with the mask.
        let cleared = update(
            pb::Commercial {
                id: c.id.clone(),
                ..Default::default()
            },
            &["phone"],
        )
        .await
        .expect("clear")
        .into_inner()
        .commercial
        .expect("commercial");
        assert!(cleared.phone.is_empty());
        assert_eq!(cleared.version, 3);

        let same = update(
            pb::Commercial {
                id: c.id.clone(),
                team: "Sud".into(),
                ..Default::default()
            },
            &["team"],
        )
        .await
        .expect("no-op")
        .into_inner()
        .commercial
        .expect("commercial");
        assert_eq!(same.version, 3, "nothing changed, nothing written");
    }
}

/// Deactivation keeps the record (readable, listed) and happens once.
#[tokio::test]
async fn deactivation_keeps_the_record() {
    for env in envs().await {
        let owner = Member::new(Uuid::now_v7(), Role::Owner);
        let c = env.create(owner, commercial("GONE")).await.expect("create");
        let stale = env
            .client()
            .deactivate_commercial(env.req(
                owner,
                pb::DeactivateCommercialRequest {
                    commercial_id: c.id.clone(),
                    version: 7,
                },
            ))
            .await
            .expect_err("stale version");
        assert_eq!(stale.code(), Code::Aborted);
        let gone = env.deactivate(owner, &c.id).await.expect("deactivate");
        assert_eq!(gone.status, pb::CommercialStatus::Inactive as i32);
        assert_eq!(gone.version, 2);
        let err = env.deactivate(owner, &c.id).await.expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            env.get(owner, &c.id).await.expect("get").status,
            pb::CommercialStatus::Inactive as i32
        );
        // Still editable (a fix to their e-mail), still not reactivated by an update.
        let fixed = env
            .client()
            .update_commercial(env.req(
                owner,
                pb::UpdateCommercialRequest {
                    commercial: Some(pb::Commercial {
                        id: c.id.clone(),
                        email: "gone@example.fr".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("edit")
            .into_inner()
            .commercial
            .expect("commercial");
        assert_eq!(fixed.status, pb::CommercialStatus::Inactive as i32);
    }
}
