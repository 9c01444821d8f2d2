//! Value lists: create, change, delete, order and pages, and the list's version.

use crm_proto::referentiel::v1 as pb;
use tonic::Code;

use crate::support::{Member, envs, value};

/// Values are created with defaults (after the last, active), changed field by field
/// under a mask, and deleted; every change moves the value's and the list's versions.
#[tokio::test]
async fn values_are_created_changed_and_deleted() {
    for env in envs().await {
        let admin = Member::admin();
        let list = "lead_sources";
        assert_eq!(env.values(admin, list).await.expect("empty").version, "0");

        let web = env
            .upsert(admin, list, value("web", " Site web "), &[])
            .await
            .expect("web");
        assert!(web.created);
        let w = web.value.clone().expect("value");
        assert_eq!(
            (w.label.as_str(), w.position, w.active, w.version),
            ("Site web", 1, true, 1)
        );
        assert!(w.create_time.is_some() && w.update_time.is_some());
        assert_eq!(web.version, "1");
        let referral = env
            .upsert(admin, list, value("referral", "Recommandation"), &[])
            .await
            .expect("referral");
        assert_eq!(referral.value.as_ref().map(|v| v.position), Some(2));
        let old = env
            .upsert(
                admin,
                list,
                value("fair_2019", "Salon 2019"),
                &["label", "active"],
            )
            .await
            .expect("inactive");
        let o = old.value.expect("value");
        assert_eq!(
            (o.position, o.active),
            (3, false),
            "the mask names active=false"
        );
        assert_eq!(old.version, "3");

        // Change the label only: position and active stay.
        let renamed = env
            .upsert(
                admin,
                list,
                pb::Value {
                    code: "web".into(),
                    label: "Internet".into(),
                    position: 99,
                    ..Default::default()
                },
                &["label"],
            )
            .await
            .expect("rename");
        assert!(!renamed.created);
        let r = renamed.value.expect("value");
        assert_eq!(
            (r.label.as_str(), r.position, r.active, r.version),
            ("Internet", 1, true, 2)
        );
        assert_eq!(renamed.version, "4");

        // Move web last.
        let moved = env
            .upsert(
                admin,
                list,
                pb::Value {
                    code: "web".into(),
                    position: 10,
                    ..Default::default()
                },
                &[],
            )
            .await
            .expect("move");
        assert_eq!(moved.value.map(|v| (v.position, v.version)), Some((10, 3)));
        let listed = env.values(admin, list).await.expect("list");
        let codes: Vec<&str> = listed.values.iter().map(|v| v.code.as_str()).collect();
        assert_eq!(codes, ["referral", "fair_2019", "web"]);
        assert_eq!(listed.version, "5");

        let deleted = env.delete(admin, list, "fair_2019").await.expect("delete");
        assert_eq!(deleted.version, "6");
        let err = env
            .delete(admin, list, "fair_2019")
            .await
            .expect_err("gone");
        assert_eq!(err.code(), Code::NotFound);
        let listed = env.values(admin, list).await.expect("list");
        assert_eq!(listed.values.len(), 2);
        assert_eq!(listed.version, "6", "a failed delete changes nothing");
        // Re-creating a deleted code starts a new value.
        let again = env
            .upsert(admin, list, value("fair_2019", "Salon"), &[])
            .await
            .expect("again");
        assert!(again.created);
        assert_eq!(again.value.map(|v| (v.version, v.position)), Some((1, 11)));
    }
}

/// An upsert that changes nothing and every read leave the version alone; a change to
/// one list leaves the others' versions alone.
#[tokio::test]
async fn versions_change_only_with_the_list() {
    for env in envs().await {
        let admin = Member::admin();
        env.upsert(admin, "client_tags", value("vip", "VIP"), &[])
            .await
            .expect("vip");
        let v1 = env
            .values(admin, "client_tags")
            .await
            .expect("list")
            .version;
        assert_eq!(
            v1,
            env.values(admin, "client_tags")
                .await
                .expect("again")
                .version
        );
        let same = env
            .upsert(admin, "client_tags", value("vip", "VIP"), &[])
            .await
            .expect("no-op");
        assert!(!same.created);
        assert_eq!(same.version, v1, "nothing changed");
        assert_eq!(same.value.map(|v| v.version), Some(1));
        // Moving the last value "last" is no change either.
        let last = env
            .upsert(admin, "client_tags", value("vip", "VIP"), &["position"])
            .await
            .expect("last");
        assert_eq!(
            (last.version.as_str(), last.value.map(|v| v.position)),
            (v1.as_str(), Some(1))
        );
        env.upsert(admin, "lead_sources", value("web", "Web"), &[])
            .await
            .expect("other list");
        assert_eq!(
            env.values(admin, "client_tags")
                .await
                .expect("list")
                .version,
            v1
        );
        let changed = env
            .upsert(admin, "client_tags", value("vip", "Client VIP"), &[])
            .await
            .expect("change");
        assert_ne!(changed.version, v1);
        assert_eq!(
            env.values(admin, "client_tags")
                .await
                .expect("list")
                .version,
            changed.version
        );
    }
}

/// The version a caller read guards its change: a stale one is ABORTED, one for a value
/// that does not exist NOT_FOUND, and a new value needs a label.
#[tokio::test]
async fn optimistic_versions_and_required_label() {
    for env in envs().await {
        let admin = Member::admin();
        let list = "termination_reasons";
        env.upsert(admin, list, value("moved", "Déménagement"), &[])
            .await
            .expect("create");
        env.upsert(admin, list, value("moved", "Déménagé"), &[])
            .await
            .expect("v2");
        let stale = pb::Value {
            version: 1,
            ..value("moved", "Parti")
        };
        let err = env
            .upsert(admin, list, stale, &[])
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);
        let fresh = pb::Value {
            version: 2,
            ..value("moved", "Parti")
        };
        let ok = env.upsert(admin, list, fresh, &[]).await.expect("fresh");
        assert_eq!(
            ok.value.map(|v| (v.label, v.version)),
            Some(("Parti".into(), 3))
        );
        let ghost = pb::Value {
            version: 4,
            ..value("ghost", "Fantôme")
        };
        let err = env
            .upsert(admin, list, ghost, &[])
            .await
            .expect_err("missing");
        assert_eq!(err.code(), Code::NotFound);
        let unlabelled = pb::Value {
            code: "nolabel".into(),
            position: 3,
            ..Default::default()
        };
        let err = env
            .upsert(admin, list, unlabelled, &[])
            .await
            .expect_err("label");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(crate::support::violation_fields(&err), ["value.label"]);
        let listed = env.values(admin, list).await.expect("list");
        assert_eq!(listed.values.len(), 1);
        assert_eq!(listed.version, "3", "refused calls change nothing");
    }
}

/// Pages walk a list by position then code, active_only leaves inactive values out, and
/// a token cannot be reused under other filters.
#[tokio::test]
async fn values_page_by_position_then_code() {
    for env in envs().await {
        let admin = Member::admin();
        let list = "client_tags";
        for (code, position, active) in [
            ("e", 2, true),
            ("a", 2, true),
            ("z", 1, false),
            ("b", 3, true),
            ("c", 2, false),
            ("d", 5, true),
            ("f", 4, true),
        ] {
            let v = pb::Value {
                position,
                active,
                ..value(code, &code.to_uppercase())
            };
            env.upsert(admin, list, v, &["label", "position", "active"])
                .await
                .expect("create");
        }
        let walk = |active_only: bool| {
            let env = &env;
            async move {
                let mut seen = Vec::new();
                let mut token = String::new();
                loop {
                    let page = env
                        .client()
                        .list_values(env.req(
                            admin,
                            pb::ListValuesRequest {
                                list_key: list.into(),
                                page_size: 2,
                                page_token: token.clone(),
                                active_only,
                            },
                        ))
                        .await
                        .expect("page")
                        .into_inner();
                    assert!(page.values.len() <= 2);
                    seen.extend(page.values.into_iter().map(|v| v.code));
                    if page.next_page_token.is_empty() {
                        return (seen, token);
                    }
                    token = page.next_page_token;
                }
            }
        };
        let (all, token) = walk(false).await;
        assert_eq!(all, ["z", "a", "c", "e", "b", "f", "d"]);
        let (active, _) = walk(true).await;
        assert_eq!(active, ["a", "e", "b", "f", "d"]);
        let err = env
            .client()
            .list_values(env.req(
                admin,
                pb::ListValuesRequest {
                    list_key: list.into(),
                    page_size: 2,
                    page_token: token,
                    active_only: true,
                },
            ))
            .await
            .expect_err("other filters");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

/// Concurrent upserts of one list take turns: none fails, and the list's revision and
/// the value's version count every change exactly once.
#[tokio::test]
async fn concurrent_upserts_count_every_change() {
    for env in envs().await {
        let admin = Member::admin();
        let calls = (0..8).map(|i| {
            let env = &env;
            async move {
                env.upsert(
                    admin,
                    "lead_sources",
                    value("web", &format!("Web {i}")),
                    &[],
                )
                .await
            }
        });
        let results = futures::future::join_all(calls).await;
        let created = results
            .iter()
            .filter(|r| r.as_ref().expect("no call fails").created)
            .count();
        assert_eq!(
            created, 1,
            "one call created the value, the others changed it"
        );
        let listed = env.values(admin, "lead_sources").await.expect("list");
        assert_eq!(listed.version, "8");
        assert_eq!(listed.values.len(), 1);
        assert_eq!(listed.values[0].version, 8);
    }
}
