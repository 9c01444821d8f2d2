//! Who sees and does what: agents their own entries, managers their team's,
//! accountants and admins everything, viewers no commissions; and organisations never
//! see each other's plans, entries or statements.

use crm_kit::Role;
use crm_proto::commission::v1 as pb;

use crate::support::*;

fn commercials(entries: &[pb::Entry]) -> Vec<String> {
    let mut ids: Vec<String> = entries.iter().map(|e| e.commercial_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// An agent lists only their own entries and reads only their own statement; their
/// manager sees the team's (their own overrides included), the director everything
/// below them; an accountant sees every entry; a viewer none; another agent's
/// statement is NOT_FOUND to an agent.
#[tokio::test]
async fn entries_are_visible_by_role() {
    for env in envs().await {
        let admin = Member::admin();
        let team = env.team(admin, None, "santé").await;
        let loner = env.new_commercial(admin, "", None).await;
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("plan");
        for seller in [&team.agent, &loner] {
            env.signed(
                admin.org,
                contract_signed(&new_id(), seller, &team.product, months_ago(1, 1)),
            )
            .await;
        }
        let all = pb::ListEntriesRequest::default();
        let agent = admin.as_commercial(Role::Agent, &team.agent);
        let mine = env.entries(agent, all.clone()).await.expect("agent");
        assert_eq!(commercials(&mine), std::slice::from_ref(&team.agent));
        assert_eq!(mine.len(), 1);
        let filtered = env
            .entries(
                agent,
                pb::ListEntriesRequest {
                    commercial_id: loner.clone(),
                    ..Default::default()
                },
            )
            .await
            .expect("agent asking for another");
        assert!(filtered.is_empty());

        let manager = admin.as_commercial(Role::Manager, &team.manager);
        let seen = env.entries(manager, all.clone()).await.expect("manager");
        assert_eq!(
            commercials(&seen),
            sorted(vec![team.agent.clone(), team.manager.clone()])
        );
        let director = admin.as_commercial(Role::Manager, &team.director);
        let seen = env.entries(director, all.clone()).await.expect("director");
        assert_eq!(
            commercials(&seen),
            sorted(vec![
                team.agent.clone(),
                team.manager.clone(),
                team.director.clone()
            ])
        );
        let accountant = admin.with_role(Role::Accountant);
        let seen = env
            .entries(accountant, all.clone())
            .await
            .expect("accountant");
        assert_eq!(
            commercials(&seen),
            sorted(vec![
                team.agent.clone(),
                team.manager.clone(),
                team.director.clone(),
                loner.clone()
            ])
        );
        let viewer = admin.with_role(Role::Viewer);
        let status = env.entries(viewer, all.clone()).await.expect_err("viewer");
        assert_eq!(status.code(), tonic::Code::PermissionDenied);

        let p = period(months_ago(1, 1));
        env.statement(agent, &team.agent, &p)
            .await
            .expect("own statement");
        let status = env
            .statement(agent, &loner, &p)
            .await
            .expect_err("another's statement");
        assert_eq!(status.code(), tonic::Code::NotFound);
        let status = env
            .statement(manager, &loner, &p)
            .await
            .expect_err("outside the team");
        assert_eq!(status.code(), tonic::Code::NotFound);
        env.statement(manager, &team.agent, &p)
            .await
            .expect("a report's statement");
        // An agent without a sales-agent record sees nothing.
        let stranger = admin.with_role(Role::Agent);
        assert!(
            env.entries(stranger, all)
                .await
                .expect("stranger")
                .is_empty()
        );
    }
}

/// Plans are changed, months closed and recomputed and statements paid by owners and
/// admins only; every member but viewers reads plans.
#[tokio::test]
async fn only_admins_manage_plans_and_periods() {
    for env in envs().await {
        let admin = Member::admin();
        let created = env
            .create_plan(admin, plan(false, vec![]))
            .await
            .expect("plan");
        let p = period(months_ago(1, 1));
        for role in [Role::Manager, Role::Agent, Role::Accountant, Role::Viewer] {
            let who = admin.with_role(role);
            let status = env
                .create_plan(who, plan(false, vec![]))
                .await
                .expect_err("create");
            assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role:?}");
            let status = env.close(who, &p).await.expect_err("close");
            assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role:?}");
            let status = env.recompute(who, &p).await.expect_err("recompute");
            assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role:?}");
            env.api()
                .get_plan(env.req(
                    who,
                    pb::GetPlanRequest {
                        plan_id: created.id.clone(),
                    },
                ))
                .await
                .expect("read");
        }
        let owner = admin.with_role(Role::Owner);
        env.create_plan(owner, plan(false, vec![]))
            .await
            .expect("owner");
    }
}

/// Another organisation's plan is NOT_FOUND, exactly like a missing one; its events and
/// entries never show in this one.
#[tokio::test]
async fn organisations_are_isolated() {
    for env in envs().await {
        let admin = Member::admin();
        let stranger = Member::admin();
        let team = env.team(admin, None, "santé").await;
        let theirs = env
            .create_plan(
                stranger,
                plan(
                    true,
                    vec![product_rule(&team.product, pb::ClawbackMode::Full)],
                ),
            )
            .await
            .expect("their plan");
        let mut api = env.api();
        for id in [theirs.id.clone(), new_id()] {
            let status = api
                .get_plan(env.req(
                    admin,
                    pb::GetPlanRequest {
                        plan_id: id.clone(),
                    },
                ))
                .await
                .expect_err("not ours");
            assert_eq!(status.code(), tonic::Code::NotFound);
            let status = api
                .archive_plan(env.req(
                    admin,
                    pb::ArchivePlanRequest {
                        plan_id: id.clone(),
                        version: 0,
                    },
                ))
                .await
                .expect_err("not ours");
            assert_eq!(status.code(), tonic::Code::NotFound);
            let status = api
                .update_plan(env.req(
                    admin,
                    pb::UpdatePlanRequest {
                        plan: Some(pb::Plan {
                            id,
                            name: "Mine".into(),
                            ..Default::default()
                        }),
                        update_mask: None,
                    },
                ))
                .await
                .expect_err("not ours");
            assert_eq!(status.code(), tonic::Code::NotFound);
        }
        let listed = api
            .list_plans(env.req(admin, pb::ListPlansRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(listed.plans.is_empty());
        // The stranger's default plan does not apply to this organisation's contracts.
        let contract = new_id();
        env.signed(
            admin.org,
            contract_signed(&contract, &team.agent, &team.product, months_ago(1, 1)),
        )
        .await;
        assert!(env.contract_entries(admin, &contract).await.is_empty());
        // And the contract's facts are this organisation's: the stranger sees nothing.
        env.create_plan(
            admin,
            plan(
                true,
                vec![product_rule(&team.product, pb::ClawbackMode::Full)],
            ),
        )
        .await
        .expect("our plan");
        let signed = new_id();
        env.signed(
            admin.org,
            contract_signed(&signed, &team.agent, &team.product, months_ago(1, 1)),
        )
        .await;
        assert_eq!(env.contract_entries(admin, &signed).await.len(), 3);
        assert!(env.contract_entries(stranger, &signed).await.is_empty());
        let status = env
            .statement(stranger, &team.agent, &period(months_ago(1, 1)))
            .await
            .expect("an empty statement");
        assert_eq!(amount(&status.statement.expect("statement").earned), 0);
    }
}
