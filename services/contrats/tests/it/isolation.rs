//! Tenant isolation for every RPC, and role rules: agents see and act on their own
//! contracts only, managers on their team's, admins on all, accountants and viewers
//! only read.

use crm_kit::Role;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, date, draft, envs, line, today};

/// Calls every RPC that names a contract, as `who`, and returns the codes.
async fn every_method(
    env: &Env,
    who: Member,
    id: &str,
    product: &str,
) -> Vec<(&'static str, Code)> {
    let api = env.api();
    let id = id.to_owned();
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |e| e.code());
    vec![
        ("get", code(env.get(who, &id).await.map(drop))),
        (
            "update",
            code(
                api.clone()
                    .update_contract(env.req(
                        who,
                        pb::UpdateContractRequest {
                            contract: Some(pb::Contract {
                                id: id.clone(),
                                billing_day: 8,
                                ..Default::default()
                            }),
                            update_mask: None,
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        ("send", code(env.send(who, &id).await.map(drop))),
        ("sign", code(env.sign_on(who, &id, today()).await.map(drop))),
        (
            "suspend",
            code(
                api.clone()
                    .suspend_contract(env.req(
                        who,
                        pb::SuspendContractRequest {
                            contract_id: id.clone(),
                            reason: "x".into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "resume",
            code(
                api.clone()
                    .resume_contract(env.req(
                        who,
                        pb::ResumeContractRequest {
                            contract_id: id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "terminate",
            code(
                env.terminate(who, &id, ev::TerminationCause::Other, today())
                    .await
                    .map(drop),
            ),
        ),
        (
            "cancel",
            code(
                api.clone()
                    .cancel_contract(env.req(
                        who,
                        pb::CancelContractRequest {
                            contract_id: id.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "amend",
            code(
                api.clone()
                    .amend_contract(env.req(
                        who,
                        pb::AmendContractRequest {
                            contract_id: id.clone(),
                            effective_date: Some(date(today())),
                            lines: vec![line(product, 2)],
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
    ]
}

/// Another organisation's contract is NOT_FOUND for every method, exactly like a
/// missing one, absent from lists, and left untouched.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let mine = env.fixture().await;
        let stranger = Member::admin();
        let c = env.active(&mine, today()).await;
        for id in [c.id.clone(), Uuid::now_v7().to_string()] {
            for (method, code) in every_method(&env, stranger, &id, &mine.product).await {
                assert_eq!(code, Code::NotFound, "{method}");
            }
        }
        let listed = env
            .list(stranger, pb::ListContractsRequest::default())
            .await
            .expect("list");
        assert!(listed.contracts.is_empty());
        let by_client = env
            .api()
            .list_contracts_by_client(env.req(
                stranger,
                pb::ListContractsByClientRequest {
                    client_id: mine.client.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("list by client")
            .into_inner();
        assert!(by_client.contracts.is_empty());
        assert_eq!(env.get(mine.admin, &c.id).await.expect("get"), c);
    }
}

/// An agent sees, lists and acts on their own contracts only; another agent's contract
/// is NOT_FOUND; a contract for someone else is PERMISSION_DENIED; an agent without a
/// sales-agent record sees nothing. Managers see and change everything.
#[tokio::test]
async fn agents_act_on_their_own_contracts_only() {
    for env in envs().await {
        let f = env.fixture().await;
        let alice = Member::agent(f.admin.org, &f.commercial);
        let bob_commercial = env.new_commercial(f.admin).await;
        let bob = Member::agent(f.admin.org, &bob_commercial);
        let mine = env
            .create(alice, draft(&f))
            .await
            .expect("agent creates their own");
        let theirs = env
            .create(
                f.admin,
                pb::Contract {
                    client_id: env
                        .new_client(
                            f.admin,
                            crm_proto::clients::v1::ClientKind::Person,
                            &bob_commercial,
                        )
                        .await,
                    commercial_id: bob_commercial.clone(),
                    ..draft(&f)
                },
            )
            .await
            .expect("admin creates bob's");
        assert!(env.get(alice, &mine.id).await.is_ok());
        for (method, code) in every_method(&env, alice, &theirs.id, &f.product).await {
            assert_eq!(code, Code::NotFound, "{method}");
        }
        let listed = env
            .list(alice, pb::ListContractsRequest::default())
            .await
            .expect("list");
        let ids: Vec<_> = listed.contracts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [mine.id.as_str()]);
        let err = env
            .create(
                alice,
                pb::Contract {
                    commercial_id: bob_commercial.clone(),
                    ..draft(&f)
                },
            )
            .await
            .expect_err("for bob");
        assert_eq!(err.code(), Code::PermissionDenied);
        // Alice takes her own through signature.
        env.send(alice, &mine.id).await.expect("send");
        env.sign_on(alice, &mine.id, today()).await.expect("sign");
        assert!(env.get(bob, &mine.id).await.is_err());

        let orphan = Member::new(f.admin.org, Role::Agent);
        let listed = env
            .list(orphan, pb::ListContractsRequest::default())
            .await
            .expect("list");
        assert!(listed.contracts.is_empty());
        let err = env.create(orphan, draft(&f)).await.expect_err("no record");
        assert_eq!(err.code(), Code::PermissionDenied);

        // A manager sees and acts on their team's contracts (their reports' at any
        // depth), not the others'.
        let boss = env.new_commercial(f.admin).await;
        let report = env.new_commercial_under(f.admin, &boss).await;
        let below = env.new_commercial_under(f.admin, &report).await;
        let teams = env
            .create(
                f.admin,
                pb::Contract {
                    client_id: env
                        .new_client(f.admin, crm_proto::clients::v1::ClientKind::Person, &below)
                        .await,
                    commercial_id: below.clone(),
                    ..draft(&f)
                },
            )
            .await
            .expect("admin creates one for the team");
        let manager = Member {
            commercial: Uuid::parse_str(&boss).ok(),
            ..f.admin.with_role(Role::Manager)
        };
        let listed = env
            .list(manager, pb::ListContractsRequest::default())
            .await
            .expect("list");
        let ids: Vec<_> = listed.contracts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [teams.id.as_str()]);
        for (method, code) in every_method(&env, manager, &theirs.id, &f.product).await {
            assert_eq!(code, Code::NotFound, "{method}");
        }
        env.send(manager, &teams.id).await.expect("manager acts");
        let err = env
            .create(
                manager,
                pb::Contract {
                    commercial_id: bob_commercial.clone(),
                    ..draft(&f)
                },
            )
            .await
            .expect_err("outside the team");
        assert_eq!(err.code(), Code::PermissionDenied);
        // Without a sales-agent record a manager has no team.
        let lone = f.admin.with_role(Role::Manager);
        let listed = env
            .list(lone, pb::ListContractsRequest::default())
            .await
            .expect("list");
        assert!(listed.contracts.is_empty());
    }
}

/// Accountants and viewers read every contract and change none; a call without a token
/// is UNAUTHENTICATED.
#[tokio::test]
async fn read_only_roles_and_missing_tokens() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.active(&f, today()).await;
        for role in [Role::Accountant, Role::Viewer] {
            let reader = f.admin.with_role(role);
            assert!(env.get(reader, &c.id).await.is_ok());
            let listed = env
                .list(reader, pb::ListContractsRequest::default())
                .await
                .expect("list");
            assert_eq!(listed.contracts.len(), 1);
            let err = env.create(reader, draft(&f)).await.expect_err("create");
            assert_eq!(err.code(), Code::PermissionDenied);
            for (method, code) in every_method(&env, reader, &c.id, &f.product).await {
                let expected = if method == "get" {
                    Code::Ok
                } else {
                    Code::PermissionDenied
                };
                assert_eq!(code, expected, "{role:?} {method}");
            }
        }
        assert_eq!(env.get(f.admin, &c.id).await.expect("get"), c);
        let err = env
            .api()
            .get_contract(tonic::Request::new(pb::GetContractRequest {
                contract_id: c.id.clone(),
            }))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
