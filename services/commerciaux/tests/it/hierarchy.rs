//! The hierarchy: cycles, the depth limit, uplines, teams and deactivated managers.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, commercial, envs, pairs, sorted, violation_fields};

/// A commercial cannot manage themselves, nor be put under one of their reports, at any
/// distance; nothing changes when refused.
#[tokio::test]
async fn cycles_are_refused() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let c = env.chain(admin, "CY", 5).await;

        let err = env
            .set_manager(admin, &c[0].id, &c[0].id)
            .await
            .expect_err("self");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["commercial.manager_id"]);

        // Two-cycle: the top under its direct report.
        let err = env
            .set_manager(admin, &c[0].id, &c[1].id)
            .await
            .expect_err("2-cycle");
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        // Longer cycles: under a report's report, and under the bottom of the chain.
        for below in [2, 4] {
            let err = env
                .set_manager(admin, &c[0].id, &c[below].id)
                .await
                .expect_err("cycle");
            assert_eq!(err.code(), Code::FailedPrecondition, "{below}");
        }
        let err = env
            .set_manager(admin, &c[1].id, &c[3].id)
            .await
            .expect_err("cycle in the middle");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // Nothing moved.
        let (upline, depth) = env.upline(admin, &c[4].id).await.expect("upline");
        assert_eq!(
            upline,
            pairs(&[("CY4", 0), ("CY3", 1), ("CY2", 2), ("CY1", 3), ("CY0", 4)])
        );
        assert_eq!(depth, 5);
        assert_eq!(env.get(admin, &c[0].id).await.expect("get").version, 1);
    }
}

/// GetHierarchy lists the commercial then each manager up to the top, with levels.
#[tokio::test]
async fn hierarchy_is_ordered_bottom_up() {
    for env in envs().await {
        let viewer = Member::new(Uuid::now_v7(), Role::Viewer);
        let admin = viewer.with_role(Role::Admin);
        let top = env.create_under(admin, "DIR", "").await;
        let mgr = env.create_under(admin, "MGR", &top.id).await;
        let agent = env.create_under(admin, "AGT", &mgr.id).await;
        let (upline, depth) = env.upline(viewer, &agent.id).await.expect("hierarchy");
        assert_eq!(upline, pairs(&[("AGT", 0), ("MGR", 1), ("DIR", 2)]));
        assert_eq!(depth, 3);
        let (upline, depth) = env.upline(viewer, &top.id).await.expect("top");
        assert_eq!(upline, pairs(&[("DIR", 0)]));
        assert_eq!(depth, 1);
        let missing = env
            .upline(viewer, &Uuid::now_v7().to_string())
            .await
            .expect_err("missing");
        assert_eq!(missing.code(), Code::NotFound);
    }
}

/// The hierarchy is at most 10 levels deep: nobody can report to a commercial at level
/// 10, and a move must fit the whole subtree.
#[tokio::test]
async fn depth_is_limited_to_ten_levels() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let chain = env.chain(admin, "L", 10).await;
        let (_, depth) = env.upline(admin, &chain[9].id).await.expect("upline");
        assert_eq!(depth, 10);
        let mut too_deep = commercial("L10");
        too_deep.manager_id = chain[9].id.clone();
        let err = env.create(admin, too_deep).await.expect_err("level 11");
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

        // A subtree of two levels fits under level 8, not under level 9.
        let x = env.create_under(admin, "X", "").await;
        env.create_under(admin, "XR", &x.id).await;
        let err = env
            .set_manager(admin, &x.id, &chain[8].id)
            .await
            .expect_err("report would be at level 11");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let moved = env
            .set_manager(admin, &x.id, &chain[7].id)
            .await
            .expect("fits");
        assert_eq!(moved.manager_id, chain[7].id);
        let (upline, depth) = env.upline(admin, &x.id).await.expect("upline");
        assert_eq!(depth, 9);
        assert_eq!(upline.last(), Some(&("L0".to_owned(), 8)));

        // Moving the middle of the chain deeper is checked against its whole subtree.
        let side_top = env.create_under(admin, "SIDETOP", "").await;
        let side = env.create_under(admin, "SIDE", &side_top.id).await;
        let err = env
            .set_manager(admin, &chain[1].id, &side.id)
            .await
            .expect_err("the chain's bottom would be at level 11");
        assert_eq!(err.code(), Code::FailedPrecondition);
        // Moving it up (to the top) is always fine.
        env.set_manager(admin, &chain[5].id, "")
            .await
            .expect("to the top");
        let (_, depth) = env.upline(admin, &chain[9].id).await.expect("upline");
        assert_eq!(depth, 5);
    }
}

/// ListTeam returns direct and indirect reports with their depth, pages through them,
/// and follows moves of whole subtrees.
#[tokio::test]
async fn teams_include_indirect_reports() {
    for env in envs().await {
        let agent = Member::new(Uuid::now_v7(), Role::Agent);
        let admin = agent.with_role(Role::Admin);
        let boss = env.create_under(admin, "BOSS", "").await;
        let a = env.create_under(admin, "A", &boss.id).await;
        let b = env.create_under(admin, "B", &boss.id).await;
        let a1 = env.create_under(admin, "A1", &a.id).await;
        env.create_under(admin, "A2", &a.id).await;
        env.create_under(admin, "A1X", &a1.id).await;
        env.create_under(admin, "B1", &b.id).await;
        env.create_under(admin, "OTHER", "").await;

        let all = pairs(&[
            ("A", 1),
            ("A1", 2),
            ("A1X", 3),
            ("A2", 2),
            ("B", 1),
            ("B1", 2),
        ]);
        for size in [0, 1, 2, 4] {
            let team = env.team(agent, &boss.id, false, size).await.expect("team");
            let codes: Vec<&str> = team.iter().map(|(c, _)| c.as_str()).collect();
            // Newest first.
            assert_eq!(codes, ["B1", "A1X", "A2", "A1", "B", "A"], "{size}");
            assert_eq!(sorted(team), all);
        }
        let direct = env.team(agent, &boss.id, true, 1).await.expect("direct");
        assert_eq!(direct, pairs(&[("B", 1), ("A", 1)]));
        assert!(env.team(agent, &a1.id, false, 0).await.expect("a1").len() == 1);

        // Move A's subtree under B: depths below BOSS grow by one for A's people.
        env.set_manager(admin, &a.id, &b.id).await.expect("move");
        let team = env.team(agent, &boss.id, false, 3).await.expect("team");
        assert_eq!(
            sorted(team),
            pairs(&[
                ("A", 2),
                ("A1", 3),
                ("A1X", 4),
                ("A2", 3),
                ("B", 1),
                ("B1", 2),
            ])
        );
        let b_team = env.team(agent, &b.id, false, 0).await.expect("b");
        assert_eq!(b_team.len(), 5);
        let (upline, _) = env.upline(agent, &a1.id).await.expect("upline");
        assert_eq!(upline, pairs(&[("A1", 0), ("A", 1), ("B", 2), ("BOSS", 3)]));
        // To the top: A's subtree leaves BOSS's team entirely.
        env.set_manager(admin, &a.id, "").await.expect("to top");
        let team = env.team(agent, &boss.id, false, 0).await.expect("team");
        assert_eq!(sorted(team), pairs(&[("B", 1), ("B1", 2)]));
        let (upline, depth) = env.upline(agent, &a1.id).await.expect("upline");
        assert_eq!((upline, depth), (pairs(&[("A1", 0), ("A", 1)]), 2));

        // A token cannot be reused for another team or with direct_only changed.
        let first = env
            .client()
            .list_team(env.req(
                agent,
                pb::ListTeamRequest {
                    commercial_id: boss.id.clone(),
                    page_size: 1,
                    ..Default::default()
                },
            ))
            .await
            .expect("page")
            .into_inner();
        assert!(!first.next_page_token.is_empty());
        let err = env
            .client()
            .list_team(env.req(
                agent,
                pb::ListTeamRequest {
                    commercial_id: boss.id.clone(),
                    page_size: 1,
                    direct_only: true,
                    page_token: first.next_page_token,
                },
            ))
            .await
            .expect_err("other filters");
        assert_eq!(err.code(), Code::InvalidArgument);
        let missing = env
            .team(agent, &Uuid::now_v7().to_string(), false, 0)
            .await
            .expect_err("missing");
        assert_eq!(missing.code(), Code::NotFound);
    }
}

/// A deactivated commercial cannot be a new manager (create or move) but keeps the
/// reports they had, who can still move elsewhere.
#[tokio::test]
async fn deactivated_commerciaux_get_no_new_reports() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let m = env.create_under(admin, "M", "").await;
        let kept = env.create_under(admin, "KEPT", &m.id).await;
        let loose = env.create_under(admin, "LOOSE", "").await;
        env.deactivate(admin, &m.id).await.expect("deactivate");

        let mut new = commercial("NEW");
        new.manager_id = m.id.clone();
        let err = env.create(admin, new).await.expect_err("create under");
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        let err = env
            .set_manager(admin, &loose.id, &m.id)
            .await
            .expect_err("move under");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // The existing report stays, and their history reads the same.
        assert_eq!(
            env.get(admin, &kept.id).await.expect("kept").manager_id,
            m.id
        );
        let (upline, _) = env.upline(admin, &kept.id).await.expect("upline");
        assert_eq!(upline, pairs(&[("KEPT", 0), ("M", 1)]));
        assert_eq!(
            env.team(admin, &m.id, false, 0).await.expect("team"),
            pairs(&[("KEPT", 1)])
        );
        // The report can move to an active manager; an inactive commercial can move too.
        env.set_manager(admin, &kept.id, &loose.id)
            .await
            .expect("move out");
        env.set_manager(admin, &m.id, &loose.id)
            .await
            .expect("inactive moves under active");
        // Unchanged manager: other fields of a report of an inactive manager stay editable.
        let mut c = commercial("UNDER");
        c.manager_id = loose.id.clone();
        let under = env.create(admin, c).await.expect("create");
        env.deactivate(admin, &loose.id).await.expect("deactivate");
        let res = env
            .client()
            .update_commercial(env.req(
                admin,
                pb::UpdateCommercialRequest {
                    commercial: Some(pb::Commercial {
                        id: under.id.clone(),
                        team: "Est".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("edit");
        assert_eq!(res.into_inner().commercial.expect("c").manager_id, loose.id);
    }
}
