//! Plans: create, read, update, list, archive, and their validation.

use crm_proto::commission::v1 as pb;
use crm_proto::common::v1 as common;

use crate::support::*;

fn rule(category: &str) -> pb::PlanRule {
    pb::PlanRule {
        category: category.into(),
        upfront_rate_basis_points: 4000,
        recurring_rate_basis_points: 500,
        overrides: vec![pb::OverrideRate {
            level: 1,
            rate_basis_points: 1000,
        }],
        clawback_months: 24,
        clawback_mode: pb::ClawbackMode::Prorata as i32,
        ..Default::default()
    }
}

/// A plan is created with its rules, read back, listed, updated through a mask and
/// archived; a request id makes a retried creation return the first plan.
#[tokio::test]
async fn plans_have_a_life() {
    for env in envs().await {
        let admin = Member::admin();
        let mut api = env.api();
        let request_id = new_id();
        let create = || pb::CreatePlanRequest {
            plan: Some(pb::Plan {
                name: "Standard santé".into(),
                rules: vec![rule("santé")],
                ..Default::default()
            }),
            request_id: request_id.clone(),
        };
        let created = api
            .create_plan(env.req(admin, create()))
            .await
            .expect("create")
            .into_inner()
            .plan
            .expect("plan");
        assert_eq!(
            (created.version, created.status),
            (1, pb::PlanStatus::Active as i32)
        );
        assert_eq!(created.rules, [rule("santé")]);
        let retried = api
            .create_plan(env.req(admin, create()))
            .await
            .expect("retry")
            .into_inner()
            .plan
            .expect("plan");
        assert_eq!(retried, created);

        let read = api
            .get_plan(env.req(
                admin,
                pb::GetPlanRequest {
                    plan_id: created.id.clone(),
                },
            ))
            .await
            .expect("get")
            .into_inner()
            .plan;
        assert_eq!(read.as_ref(), Some(&created));

        let mut fixed = rule("prévoyance");
        fixed.upfront_rate_basis_points = 0;
        fixed.upfront_amount = Some(eur(150_00));
        let updated = api
            .update_plan(env.req(
                admin,
                pb::UpdatePlanRequest {
                    plan: Some(pb::Plan {
                        id: created.id.clone(),
                        description: "ignored: not in the mask".into(),
                        rules: vec![rule("santé"), fixed.clone()],
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["rules".into()],
                    }),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .plan
            .expect("plan");
        assert_eq!(updated.version, 2);
        assert_eq!(updated.description, "");
        assert_eq!(updated.rules, [rule("santé"), fixed]);
        let stale = api
            .update_plan(env.req(
                admin,
                pb::UpdatePlanRequest {
                    plan: Some(pb::Plan {
                        id: created.id.clone(),
                        name: "Renamed".into(),
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("stale version");
        assert_eq!(stale.code(), tonic::Code::Aborted);

        let other = env
            .create_plan(admin, plan(false, vec![]))
            .await
            .expect("second plan");
        let archived = api
            .archive_plan(env.req(
                admin,
                pb::ArchivePlanRequest {
                    plan_id: other.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect("archive")
            .into_inner()
            .plan
            .expect("plan");
        assert_eq!(archived.status, pb::PlanStatus::Archived as i32);
        let listed = |show_archived| pb::ListPlansRequest {
            show_archived,
            ..Default::default()
        };
        let active = api
            .list_plans(env.req(admin, listed(false)))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(
            active
                .plans
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>(),
            [created.id.as_str()]
        );
        let all = api
            .list_plans(env.req(admin, listed(true)))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(all.plans.len(), 2);
        let again = api
            .archive_plan(env.req(
                admin,
                pb::ArchivePlanRequest {
                    plan_id: other.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect_err("archived twice");
        assert_eq!(again.code(), tonic::Code::FailedPrecondition);
        let frozen = api
            .update_plan(env.req(
                admin,
                pb::UpdatePlanRequest {
                    plan: Some(pb::Plan {
                        id: other.id.clone(),
                        name: "Revived".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("archived plans are read-only");
        assert_eq!(frozen.code(), tonic::Code::FailedPrecondition);
    }
}

/// One default plan per organisation: a new default replaces the old one, and the
/// default cannot be archived. Names are unique without regard to case.
#[tokio::test]
async fn one_default_and_unique_names() {
    for env in envs().await {
        let admin = Member::admin();
        let first = env
            .create_plan(admin, plan(true, vec![rule("santé")]))
            .await
            .expect("first");
        let second = env
            .create_plan(admin, plan(true, vec![rule("auto")]))
            .await
            .expect("second");
        let mut api = env.api();
        let get = |id: &str| pb::GetPlanRequest { plan_id: id.into() };
        let first_now = api
            .get_plan(env.req(admin, get(&first.id)))
            .await
            .expect("get")
            .into_inner()
            .plan
            .expect("plan");
        assert!(!first_now.is_default && second.is_default);
        assert_eq!(first_now.version, 2);
        let status = api
            .archive_plan(env.req(
                admin,
                pb::ArchivePlanRequest {
                    plan_id: second.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect_err("default");
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);

        let mut same = plan(false, vec![]);
        same.name = first.name.to_uppercase();
        let status = env
            .create_plan(admin, same)
            .await
            .expect_err("duplicate name");
        assert_eq!(status.code(), tonic::Code::AlreadyExists);
        let status = api
            .update_plan(env.req(
                admin,
                pb::UpdatePlanRequest {
                    plan: Some(pb::Plan {
                        id: second.id.clone(),
                        name: format!(" {} ", first.name),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("rename onto another");
        assert_eq!(status.code(), tonic::Code::AlreadyExists);
    }
}

/// Every problem of a plan is reported at once, each at its field.
#[tokio::test]
async fn every_violation_is_reported() {
    for env in envs().await {
        let admin = Member::admin();
        let bad = pb::Plan {
            id: new_id(),
            name: String::new(),
            version: 3,
            rules: vec![
                pb::PlanRule {
                    product_id: "not-a-uuid".into(),
                    upfront_rate_basis_points: 12_000,
                    upfront_amount: Some(common::Money {
                        currency_code: "EUR".into(),
                        amount_minor: 100,
                    }),
                    recurring_rate_basis_points: -5,
                    overrides: vec![pb::OverrideRate {
                        level: 11,
                        rate_basis_points: 0,
                    }],
                    clawback_months: 18,
                    clawback_mode: 42,
                    ..Default::default()
                },
                pb::PlanRule::default(),
            ],
            ..Default::default()
        };
        let status = env.create_plan(admin, bad).await.expect_err("invalid");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            violation_fields(&status),
            [
                "plan.id",
                "plan.version",
                "plan.rules[0].clawback_mode",
                "plan.name",
                "plan.rules[0].product_id",
                "plan.rules[0].upfront_rate_basis_points",
                "plan.rules[0].recurring_rate_basis_points",
                "plan.rules[0].upfront_amount",
                "plan.rules[0].overrides[0].level",
                "plan.rules[0].overrides[0].rate_basis_points",
                "plan.rules[0].clawback_months",
                "plan.rules[1].product_id",
                "plan.rules[1].clawback_months",
                "plan.rules[1].clawback_mode",
            ]
        );
        let mut api = env.api();
        let status = api
            .update_plan(env.req(
                admin,
                pb::UpdatePlanRequest {
                    plan: Some(pb::Plan {
                        id: new_id(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["status".into()],
                    }),
                },
            ))
            .await
            .expect_err("bad mask");
        assert_eq!(violation_fields(&status), ["update_mask"]);
        let status = api
            .list_plans(env.req(
                admin,
                pb::ListPlansRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                    show_archived: false,
                },
            ))
            .await
            .expect_err("bad page");
        assert_eq!(violation_fields(&status), ["page_size", "page_token"]);
        let status = api
            .get_plan(env.req(
                admin,
                pb::GetPlanRequest {
                    plan_id: "x".into(),
                },
            ))
            .await
            .expect_err("bad id");
        assert_eq!(violation_fields(&status), ["plan_id"]);
    }
}

/// Plans page by keyset, newest first, the token bound to its filters.
#[tokio::test]
async fn plans_are_paginated() {
    for env in envs().await {
        let admin = Member::admin();
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(
                env.create_plan(admin, plan(false, vec![]))
                    .await
                    .expect("plan")
                    .id,
            );
        }
        ids.reverse();
        let mut api = env.api();
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = api
                .list_plans(env.req(
                    admin,
                    pb::ListPlansRequest {
                        page_size: 2,
                        page_token: token.clone(),
                        show_archived: false,
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            seen.extend(page.plans.into_iter().map(|p| p.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
            let other_filter = api
                .list_plans(env.req(
                    admin,
                    pb::ListPlansRequest {
                        page_size: 2,
                        page_token: token.clone(),
                        show_archived: true,
                    },
                ))
                .await
                .expect_err("token of other filters");
            assert_eq!(violation_fields(&other_filter), ["page_token"]);
        }
        assert_eq!(seen, ids);
    }
}
