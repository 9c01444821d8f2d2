//! Tenant isolation and role rules, for every RPC.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, commercial, envs, violation_fields};

/// Another organisation's commercial is NOT_FOUND for every RPC, exactly like a missing
/// one; it is absent from lists and cannot be used as a manager; codes and linked users
/// are unique per organisation only.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let a = Member::new(Uuid::now_v7(), Role::Owner);
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        let mut mine = commercial("MINE");
        mine.user_id = Uuid::now_v7().to_string();
        let mine = env.create(a, mine).await.expect("create");
        let report = env.create_under(a, "REPORT", &mine.id).await;
        let missing = Uuid::now_v7().to_string();
        for id in [mine.id.clone(), missing] {
            assert_eq!(
                env.get(b, &id).await.expect_err("get").code(),
                Code::NotFound
            );
            let update = env
                .client()
                .update_commercial(env.req(
                    b,
                    pb::UpdateCommercialRequest {
                        commercial: Some(pb::Commercial {
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
            assert_eq!(
                env.deactivate(b, &id).await.expect_err("deactivate").code(),
                Code::NotFound
            );
            assert_eq!(
                env.upline(b, &id).await.expect_err("hierarchy").code(),
                Code::NotFound
            );
            assert_eq!(
                env.team(b, &id, false, 0).await.expect_err("team").code(),
                Code::NotFound
            );
        }
        let list = env
            .client()
            .list_commerciaux(env.req(
                b,
                pb::ListCommerciauxRequest {
                    manager_id: mine.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner();
        assert!(list.commerciaux.is_empty());
        let list = env
            .client()
            .list_commerciaux(env.req(b, pb::ListCommerciauxRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.commerciaux.is_empty());

        // Another organisation's commercial is no manager, on create or on update.
        let mut theirs = commercial("MINE");
        theirs.user_id = mine.user_id.clone();
        theirs.manager_id = mine.id.clone();
        let err = env
            .create(b, theirs.clone())
            .await
            .expect_err("foreign manager");
        assert_eq!(violation_fields(&err), ["commercial.manager_id"]);
        theirs.manager_id = String::new();
        let theirs = env
            .create(b, theirs)
            .await
            .expect("same code and user elsewhere");
        let err = env
            .set_manager(b, &theirs.id, &report.id)
            .await
            .expect_err("foreign manager");
        assert_eq!(violation_fields(&err), ["commercial.manager_id"]);
        // And the first organisation's commerciaux were not touched.
        assert_eq!(env.get(a, &mine.id).await.expect("get").version, 1);
        assert_eq!(
            env.team(a, &mine.id, false, 0).await.expect("team").len(),
            1
        );
    }
}

/// Every role reads; only owners, admins and managers write.
#[tokio::test]
async fn only_owners_admins_and_managers_write() {
    for env in envs().await {
        let owner = Member::new(Uuid::now_v7(), Role::Owner);
        let c = env.create(owner, commercial("ROLE")).await.expect("create");
        for (i, role) in Role::ALL.into_iter().enumerate() {
            let who = owner.with_role(role);
            env.get(who, &c.id).await.expect("everyone reads");
            env.upline(who, &c.id).await.expect("hierarchy");
            env.team(who, &c.id, false, 0).await.expect("team");
            env.client()
                .list_commerciaux(env.req(who, pb::ListCommerciauxRequest::default()))
                .await
                .expect("list");

            let writes = matches!(role, Role::Owner | Role::Admin | Role::Manager);
            let created = env.create(who, commercial(&format!("R{i}"))).await;
            let updated = env.set_manager(who, &c.id, "").await;
            let target = env
                .create(owner, commercial(&format!("T{i}")))
                .await
                .expect("t");
            let deactivated = env.deactivate(who, &target.id).await;
            for (what, result) in [
                ("create", created.map(|_| ())),
                ("update", updated.map(|_| ())),
                ("deactivate", deactivated.map(|_| ())),
            ] {
                match result {
                    Ok(()) => assert!(writes, "{role} may not {what}"),
                    Err(e) => {
                        assert!(!writes, "{role} may {what}: {e:?}");
                        assert_eq!(e.code(), Code::PermissionDenied, "{role} {what}");
                    }
                }
            }
        }
    }
}
