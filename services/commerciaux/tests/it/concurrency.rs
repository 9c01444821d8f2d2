//! Concurrent changes to the hierarchy. On PostgreSQL each request runs in its own
//! transaction on its own connection; the per-organisation hierarchy lock must make
//! racing moves behave as if they ran one after the other. On SQLite writers are
//! serialised by the database, so the same assertions hold.

use crm_kit::Role;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, commercial};

const ROUNDS: usize = 8;

/// Checks that the upline GetHierarchy reports for each of `ids` is the chain of
/// manager_id links, ends at the top, and is at most 10 levels deep.
async fn assert_consistent(env: &Env, who: Member, ids: &[String]) {
    for id in ids {
        let mut walked = Vec::new();
        let mut next = id.clone();
        while !next.is_empty() {
            assert!(walked.len() <= 10, "cycle through {id}");
            let c = env.get(who, &next).await.expect("get");
            walked.push(c.code);
            next = c.manager_id;
        }
        let (upline, depth) = env.upline(who, id).await.expect("upline");
        let codes: Vec<String> = upline.into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, walked, "{:?}", env.backend);
        assert_eq!(depth as usize, walked.len());
        assert!(depth <= 10);
    }
}

/// Two commerciaux put under each other at the same time: one move wins, the other is
/// refused as a cycle, and no cycle is stored.
#[tokio::test]
async fn opposite_moves_cannot_make_a_cycle() {
    for env in crate::support::envs().await {
        for round in 0..ROUNDS {
            let admin = Member::new(Uuid::now_v7(), Role::Admin);
            let a = env.create_under(admin, "A", "").await;
            let b = env.create_under(admin, "B", "").await;
            let (ab, ba) = tokio::join!(
                env.set_manager(admin, &a.id, &b.id),
                env.set_manager(admin, &b.id, &a.id)
            );
            let outcomes = [ab.is_ok(), ba.is_ok()];
            assert_eq!(
                outcomes.iter().filter(|ok| **ok).count(),
                1,
                "round {round}: {ab:?} {ba:?}"
            );
            let refused = ab.err().or(ba.err()).expect("one refused");
            assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
            assert_consistent(&env, admin, &[a.id, b.id]).await;
        }
    }
}

/// Three commerciaux moved in a ring at the same time: at most two moves succeed, and
/// the stored hierarchy has no cycle.
#[tokio::test]
async fn ring_moves_cannot_make_a_cycle() {
    for env in crate::support::envs().await {
        for _ in 0..ROUNDS {
            let admin = Member::new(Uuid::now_v7(), Role::Admin);
            let a = env.create_under(admin, "A", "").await;
            let b = env.create_under(admin, "B", "").await;
            let c = env.create_under(admin, "C", "").await;
            let (x, y, z) = tokio::join!(
                env.set_manager(admin, &a.id, &b.id),
                env.set_manager(admin, &b.id, &c.id),
                env.set_manager(admin, &c.id, &a.id)
            );
            let results = [x, y, z];
            assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
            for err in results.iter().filter_map(|r| r.as_ref().err()) {
                assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
            }
            assert_consistent(&env, admin, &[a.id, b.id, c.id]).await;
        }
    }
}

/// A subtree moved deeper while a report is added at its bottom: each alone fits in 10
/// levels, both together would not, so exactly one succeeds.
#[tokio::test]
async fn a_move_and_a_new_report_cannot_exceed_the_depth() {
    for env in crate::support::envs().await {
        for round in 0..ROUNDS {
            let admin = Member::new(Uuid::now_v7(), Role::Admin);
            let chain = env.chain(admin, "L", 8).await;
            let x = env.create_under(admin, "X", "").await;
            let y = env.create_under(admin, "Y", &x.id).await;
            let mut z = commercial("Z");
            z.manager_id = y.id.clone();
            // X under L7 (level 8) puts Y at level 10; Z under Y would then be at 11.
            let (moved, created) = tokio::join!(
                env.set_manager(admin, &x.id, &chain[7].id),
                env.create(admin, z)
            );
            assert_eq!(
                [moved.is_ok(), created.is_ok()]
                    .iter()
                    .filter(|ok| **ok)
                    .count(),
                1,
                "round {round}: {moved:?} {created:?}"
            );
            let refused = moved.as_ref().err().or(created.as_ref().err());
            assert_eq!(refused.map(|e| e.code()), Some(Code::FailedPrecondition));
            let mut ids = vec![x.id.clone(), y.id.clone()];
            if let Ok(z) = created {
                ids.push(z.id);
            }
            assert_consistent(&env, admin, &ids).await;
        }
    }
}

/// A report added under a manager being deactivated at the same time: either the report
/// came first (and stays), or the manager was inactive and the report is refused.
#[tokio::test]
async fn a_deactivation_and_a_new_report_are_ordered() {
    for env in crate::support::envs().await {
        for round in 0..ROUNDS {
            let admin = Member::new(Uuid::now_v7(), Role::Admin);
            let m = env.create_under(admin, "M", "").await;
            let mut r = commercial("R");
            r.manager_id = m.id.clone();
            let (gone, created) = tokio::join!(env.deactivate(admin, &m.id), env.create(admin, r));
            let gone = gone.unwrap_or_else(|e| panic!("round {round}: {e:?}"));
            match created {
                Ok(r) => {
                    // Committed before the deactivation: an existing report stays.
                    let (upline, _) = env.upline(admin, &r.id).await.expect("upline");
                    assert_eq!(upline.len(), 2);
                    let at = |t: Option<prost_types::Timestamp>| {
                        t.map(|t| (t.seconds, t.nanos)).expect("time")
                    };
                    assert!(at(r.create_time) <= at(gone.update_time), "round {round}");
                }
                Err(e) => assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}"),
            }
        }
    }
}
