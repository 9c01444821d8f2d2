//! Bad input: INVALID_ARGUMENT with every violation, and nothing written.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use crm_proto::common::v1 as common;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, commercial, envs, violation_fields};

/// Every wrong field of a create is named in one answer, including a manager that does
/// not exist, and no commercial is created.
#[tokio::test]
async fn create_reports_every_violation() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let bad = pb::Commercial {
            id: Uuid::now_v7().to_string(),
            code: "no spaces".into(),
            first_name: String::new(),
            last_name: "x".repeat(101),
            email: "not-an-email".into(),
            phone: "06 12".into(),
            user_id: "nope".into(),
            manager_id: Uuid::now_v7().to_string(),
            commission_plan_id: "plan".into(),
            status: 7,
            hire_date: Some(common::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            ..Default::default()
        };
        let err = env
            .client()
            .create_commercial(env.req(
                admin,
                pb::CreateCommercialRequest {
                    commercial: Some(bad),
                    request_id: "not-a-uuid".into(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        let mut fields = violation_fields(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "commercial.code",
                "commercial.commission_plan_id",
                "commercial.email",
                "commercial.first_name",
                "commercial.hire_date",
                "commercial.id",
                "commercial.last_name",
                "commercial.manager_id",
                "commercial.phone",
                "commercial.status",
                "commercial.user_id",
                "request_id",
            ]
        );
        // Alone, a missing manager is named too.
        let mut lone = commercial("LONE");
        lone.manager_id = Uuid::now_v7().to_string();
        let err = env.create(admin, lone).await.expect_err("no manager");
        assert_eq!(violation_fields(&err), ["commercial.manager_id"]);
        let err = env
            .client()
            .create_commercial(env.req(admin, pb::CreateCommercialRequest::default()))
            .await
            .expect_err("no commercial");
        assert_eq!(violation_fields(&err), ["commercial"]);

        let list = env
            .client()
            .list_commerciaux(env.req(admin, pb::ListCommerciauxRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.commerciaux.is_empty(), "nothing was written");
    }
}

/// Every wrong field and mask path of an update is named at once, and the commercial is
/// unchanged.
#[tokio::test]
async fn update_reports_every_violation() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let c = env.create(admin, commercial("UPV")).await.expect("create");
        let update = |commercial: pb::Commercial, paths: &[&str]| {
            let mut client = env.client();
            let req = env.req(
                admin,
                pb::UpdateCommercialRequest {
                    commercial: Some(commercial),
                    update_mask: Some(FieldMask {
                        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                    }),
                },
            );
            async move { client.update_commercial(req).await }
        };
        let err = update(
            pb::Commercial {
                id: "nope".into(),
                version: -1,
                ..Default::default()
            },
            &["code", "version", "create_time"],
        )
        .await
        .expect_err("bad id and paths");
        assert_eq!(
            violation_fields(&err),
            [
                "commercial.id",
                "commercial.version",
                "update_mask.paths[1]",
                "update_mask.paths[2]"
            ]
        );
        let err = update(
            pb::Commercial {
                id: c.id.clone(),
                code: String::new(),
                email: "nope".into(),
                manager_id: Uuid::now_v7().to_string(),
                user_id: "x".into(),
                ..Default::default()
            },
            &["code", "email", "manager_id", "user_id"],
        )
        .await
        .expect_err("bad values");
        let mut fields = violation_fields(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "commercial.code",
                "commercial.email",
                "commercial.manager_id",
                "commercial.user_id"
            ]
        );
        let err = update(
            pb::Commercial {
                id: c.id.clone(),
                ..Default::default()
            },
            &[],
        )
        .await
        .expect_err("empty mask and nothing set");
        assert_eq!(violation_fields(&err), ["update_mask"]);
        assert_eq!(env.get(admin, &c.id).await.expect("get"), c);
    }
}

/// Lists, hierarchy and team requests check their fields together.
#[tokio::test]
async fn reads_check_their_fields() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let err = env
            .client()
            .list_commerciaux(env.req(
                admin,
                pb::ListCommerciauxRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                    status: 9,
                    manager_id: "nope".into(),
                    query: "q".repeat(201),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid list");
        let mut fields = violation_fields(&err);
        fields.sort();
        assert_eq!(
            fields,
            ["manager_id", "page_size", "page_token", "query", "status"]
        );
        let err = env
            .client()
            .list_team(env.req(
                admin,
                pb::ListTeamRequest {
                    commercial_id: "nope".into(),
                    page_size: -5,
                    page_token: "garbage".into(),
                    direct_only: false,
                },
            ))
            .await
            .expect_err("invalid team");
        assert_eq!(
            violation_fields(&err),
            ["commercial_id", "page_size", "page_token"]
        );
        for id in ["", "nope"] {
            let err = env
                .client()
                .get_hierarchy(env.req(
                    admin,
                    pb::GetHierarchyRequest {
                        commercial_id: id.into(),
                    },
                ))
                .await
                .expect_err("bad id");
            assert_eq!(violation_fields(&err), ["commercial_id"]);
            let err = env
                .client()
                .deactivate_commercial(env.req(
                    admin,
                    pb::DeactivateCommercialRequest {
                        commercial_id: id.into(),
                        version: -1,
                    },
                ))
                .await
                .expect_err("bad id");
            assert_eq!(violation_fields(&err), ["commercial_id", "version"]);
            let err = env.get(admin, id).await.expect_err("bad id");
            assert_eq!(violation_fields(&err), ["commercial_id"]);
        }
    }
}
