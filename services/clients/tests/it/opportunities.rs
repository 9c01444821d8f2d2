//! Opportunities and the pipeline.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, cid, company, envs, person, violation_fields};

fn eur(cents: i64) -> common::Money {
    common::Money {
        currency_code: "EUR".into(),
        amount_minor: cents,
    }
}

fn opportunity(client_id: &str) -> pb::Opportunity {
    pb::Opportunity {
        client_id: client_id.into(),
        product_interest: "Home insurance".into(),
        product_id: Uuid::now_v7().to_string(),
        amount: Some(eur(120_000)),
        expected_close_date: Some(common::Date {
            year: 2027,
            month: 3,
            day: 31,
        }),
        ..Default::default()
    }
}

async fn open(
    env: &Env,
    who: Member,
    o: pb::Opportunity,
) -> Result<pb::Opportunity, tonic::Status> {
    env.client()
        .create_opportunity(env.req(
            who,
            pb::CreateOpportunityRequest {
                opportunity: Some(o),
                request_id: String::new(),
            },
        ))
        .await
        .map(|r| r.into_inner().opportunity.expect("opportunity"))
}

async fn move_to(
    env: &Env,
    who: Member,
    id: &str,
    stage: pb::OpportunityStage,
) -> Result<pb::Opportunity, tonic::Status> {
    env.client()
        .move_opportunity_stage(env.req(
            who,
            pb::MoveOpportunityStageRequest {
                opportunity_id: id.into(),
                stage: stage as i32,
                probability: None,
                version: 0,
            },
        ))
        .await
        .map(|r| r.into_inner().opportunity.expect("opportunity"))
}

async fn lose(
    env: &Env,
    who: Member,
    id: &str,
    reason: &str,
) -> Result<pb::Opportunity, tonic::Status> {
    env.client()
        .mark_lost(env.req(
            who,
            pb::MarkLostRequest {
                opportunity_id: id.into(),
                lost_reason: reason.into(),
                version: 0,
            },
        ))
        .await
        .map(|r| r.into_inner().opportunity.expect("opportunity"))
}

/// A new opportunity is NEW at 10 %, takes its client's sales agent, moves between open
/// stages (publishing opportunity.stage_changed with every field), is won (publishing
/// opportunity.won and answering the contract draft with the billing details), and is
/// then final.
#[tokio::test]
async fn pipeline_to_won() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let agent = env.commercial(admin.org).await;
        let mut p = person("Won", "won@example.fr");
        p.commercial_id = agent.to_string();
        p.billing_address = Some(common::Address {
            line1: "1 rue X".into(),
            postal_code: "69001".into(),
            city: "Lyon".into(),
            country_code: "FR".into(),
            ..Default::default()
        });
        let client = env.create(admin, p).await.expect("client");
        let o = open(&env, admin, opportunity(&client.id))
            .await
            .expect("open");
        assert_eq!(o.stage, pb::OpportunityStage::New as i32);
        assert_eq!(o.probability, Some(10));
        assert_eq!(o.commercial_id, agent.to_string());
        let got = env
            .client()
            .get_opportunity(env.req(
                admin,
                pb::GetOpportunityRequest {
                    opportunity_id: o.id.clone(),
                },
            ))
            .await
            .expect("get")
            .into_inner()
            .opportunity
            .expect("opportunity");
        assert_eq!(got, o, "{:?}", env.backend);

        let moved = move_to(&env, admin, &o.id, pb::OpportunityStage::Proposal)
            .await
            .expect("move");
        assert_eq!(moved.probability, Some(50));
        assert_eq!(moved.version, 2);
        let err = move_to(&env, admin, &o.id, pb::OpportunityStage::Proposal)
            .await
            .expect_err("same");
        assert_eq!(err.code(), Code::FailedPrecondition);

        let won = env
            .client()
            .mark_won(env.req(
                admin,
                pb::MarkWonRequest {
                    opportunity_id: o.id.clone(),
                    amount: Some(eur(99_000)),
                    version: 2,
                },
            ))
            .await
            .expect("won")
            .into_inner();
        let opp = won.opportunity.expect("opportunity");
        assert_eq!(opp.stage, pb::OpportunityStage::Won as i32);
        assert_eq!(opp.probability, Some(100));
        assert!(opp.close_time.is_some());
        let draft = won.contract_draft.expect("draft");
        assert_eq!(draft.client_id, client.id);
        assert_eq!(draft.commercial_id, agent.to_string());
        assert_eq!(draft.product_id, o.product_id);
        assert_eq!(draft.amount, Some(eur(99_000)));
        let billing = draft.billing.expect("billing");
        assert_eq!(billing.display_name, "Jeanne Won");
        assert_eq!(billing.email, "won@example.fr");
        assert_eq!(billing.billing_address.map(|a| a.city), Some("Lyon".into()));

        // WON is final.
        for err in [
            move_to(&env, admin, &o.id, pb::OpportunityStage::New)
                .await
                .expect_err("move"),
            lose(&env, admin, &o.id, "late").await.expect_err("lose"),
        ] {
            assert_eq!(err.code(), Code::FailedPrecondition);
        }

        let changed = env.outbox(admin.org, "opportunity.stage_changed").await;
        assert_eq!(changed.len(), 1);
        let e =
            ev::OpportunityStageChanged::decode(changed[0].payload.as_slice()).expect("payload");
        assert_eq!(e.opportunity_id, o.id);
        assert_eq!(e.client_id, client.id);
        assert_eq!(e.commercial_id, agent.to_string());
        assert_eq!(e.previous_stage, ev::OpportunityStage::New as i32);
        assert_eq!(e.stage, ev::OpportunityStage::Proposal as i32);
        assert_eq!(e.amount, Some(eur(120_000)));
        assert_eq!(e.probability, 50);
        assert_eq!(e.expected_close_date, o.expected_close_date);
        let meta = e.meta.expect("meta");
        assert_eq!(
            (meta.aggregate_id, meta.aggregate_version),
            (o.id.clone(), 2)
        );
        assert_eq!(meta.actor_user_id, admin.user.to_string());
        let won_events = env.outbox(admin.org, "opportunity.won").await;
        assert_eq!(won_events.len(), 1);
        let e = ev::OpportunityWon::decode(won_events[0].payload.as_slice()).expect("payload");
        assert_eq!(e.previous_stage, ev::OpportunityStage::Proposal as i32);
        assert_eq!(e.product_id, o.product_id);
        assert_eq!(e.amount, Some(eur(99_000)));
        assert_eq!(won_events[0].aggregate_version, 3);
    }
}

/// MarkLost needs a reason, publishes opportunity.lost, and LOST is final.
#[tokio::test]
async fn lost_needs_a_reason() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let client = env.create(admin, company("ACME")).await.expect("client");
        let o = open(&env, admin, opportunity(&client.id))
            .await
            .expect("open");
        let err = lose(&env, admin, &o.id, "   ")
            .await
            .expect_err("no reason");
        assert_eq!(violation_fields(&err), ["lost_reason"]);
        let lost = lose(&env, admin, &o.id, " Too expensive ")
            .await
            .expect("lost");
        assert_eq!(lost.stage, pb::OpportunityStage::Lost as i32);
        assert_eq!(lost.lost_reason, "Too expensive");
        assert_eq!(lost.probability, Some(0));
        let err = env
            .client()
            .mark_won(env.req(
                admin,
                pb::MarkWonRequest {
                    opportunity_id: o.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("final");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = env
            .client()
            .update_opportunity(env.req(
                admin,
                pb::UpdateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        id: o.id.clone(),
                        product_interest: "Other".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("final");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let events = env.outbox(admin.org, "opportunity.lost").await;
        assert_eq!(events.len(), 1);
        let e = ev::OpportunityLost::decode(events[0].payload.as_slice()).expect("payload");
        assert_eq!(e.lost_reason, "Too expensive");
        assert_eq!(e.previous_stage, ev::OpportunityStage::New as i32);
        assert_eq!(e.amount, Some(eur(120_000)));
    }
}

/// Every bad field of an opportunity is reported at once; WON and LOST cannot be set
/// directly, and the stage is not part of UpdateOpportunity.
#[tokio::test]
async fn opportunities_report_every_violation() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let client = env
            .create(admin, person("V", "v@example.fr"))
            .await
            .expect("client");
        let bad = pb::Opportunity {
            client_id: "x".into(),
            stage: pb::OpportunityStage::Won as i32,
            probability: Some(150),
            amount: Some(common::Money {
                currency_code: "XXX".into(),
                amount_minor: -5,
            }),
            product_id: "nope".into(),
            lost_reason: "no".into(),
            ..Default::default()
        };
        let err = open(&env, admin, bad).await.expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            [
                "opportunity.client_id",
                "opportunity.stage",
                "opportunity.lost_reason",
                "opportunity.product_id",
                "opportunity.amount.currency_code",
                "opportunity.amount.amount_minor",
                "opportunity.probability",
            ]
        );
        let o = open(&env, admin, opportunity(&client.id))
            .await
            .expect("open");
        let err = env
            .client()
            .update_opportunity(env.req(
                admin,
                pb::UpdateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        id: o.id.clone(),
                        stage: pb::OpportunityStage::Negotiation as i32,
                        commercial_id: "bad".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["stage".into(), "commercial_id".into()],
                    }),
                },
            ))
            .await
            .expect_err("stage via update");
        assert_eq!(
            violation_fields(&err),
            ["update_mask.paths[0]", "opportunity.commercial_id"]
        );
        let err = env
            .client()
            .move_opportunity_stage(env.req(
                admin,
                pb::MoveOpportunityStageRequest {
                    opportunity_id: "bad".into(),
                    stage: pb::OpportunityStage::Won as i32,
                    probability: Some(-1),
                    version: 0,
                },
            ))
            .await
            .expect_err("bad move");
        assert_eq!(
            violation_fields(&err),
            ["opportunity_id", "stage", "probability"]
        );

        // A good update: probability and amount change, the version moves.
        let updated = env
            .client()
            .update_opportunity(env.req(
                admin,
                pb::UpdateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        id: o.id.clone(),
                        probability: Some(33),
                        amount: Some(eur(5)),
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .opportunity
            .expect("opportunity");
        assert_eq!(
            (updated.probability, updated.amount, updated.version),
            (Some(33), Some(eur(5)), 2)
        );
        assert!(
            env.outbox(admin.org, "opportunity.stage_changed")
                .await
                .is_empty()
        );
    }
}

/// Agents open, see and list only their own opportunities, on their own clients; other
/// organisations get NOT_FOUND from every opportunity RPC; lists filter and page.
#[tokio::test]
async fn opportunities_are_isolated_and_filtered() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let stranger = Member::new(Uuid::now_v7(), Role::Owner);
        let alice = env.agent(org).await;
        let bob = env.agent(org).await;
        let mine = env
            .create(alice, person("Mine", "mine@example.fr"))
            .await
            .expect("client");
        let mut theirs = person("Theirs", "theirs@example.fr");
        theirs.commercial_id = cid(bob);
        let theirs = env.create(admin, theirs).await.expect("client");
        let a = open(&env, alice, opportunity(&mine.id))
            .await
            .expect("alice's");
        assert_eq!(a.commercial_id, cid(alice));
        let b = open(&env, admin, opportunity(&theirs.id))
            .await
            .expect("bob's");
        let err = open(&env, alice, opportunity(&theirs.id))
            .await
            .expect_err("not her client");
        assert_eq!(err.code(), Code::NotFound);
        let mut handed = opportunity(&mine.id);
        handed.commercial_id = cid(bob);
        let err = open(&env, alice, handed).await.expect_err("assign to bob");
        assert_eq!(err.code(), Code::PermissionDenied);

        for (who, id) in [(alice, &b.id), (stranger, &a.id), (stranger, &b.id)] {
            let get = env
                .client()
                .get_opportunity(env.req(
                    who,
                    pb::GetOpportunityRequest {
                        opportunity_id: id.clone(),
                    },
                ))
                .await
                .expect_err("get");
            assert_eq!(get.code(), Code::NotFound);
            let update = env
                .client()
                .update_opportunity(env.req(
                    who,
                    pb::UpdateOpportunityRequest {
                        opportunity: Some(pb::Opportunity {
                            id: id.clone(),
                            product_interest: "x".into(),
                            ..Default::default()
                        }),
                        update_mask: None,
                    },
                ))
                .await
                .expect_err("update");
            assert_eq!(update.code(), Code::NotFound);
            let mv = move_to(&env, who, id, pb::OpportunityStage::Qualified)
                .await
                .expect_err("move");
            assert_eq!(mv.code(), Code::NotFound);
            let won = env
                .client()
                .mark_won(env.req(
                    who,
                    pb::MarkWonRequest {
                        opportunity_id: id.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect_err("won");
            assert_eq!(won.code(), Code::NotFound);
            assert_eq!(
                lose(&env, who, id, "x").await.expect_err("lost").code(),
                Code::NotFound
            );
        }
        let err = open(&env, stranger, opportunity(&mine.id))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);

        let ids = |who: Member, req: pb::ListOpportunitiesRequest| {
            let env = &env;
            async move {
                env.client()
                    .list_opportunities(env.req(who, req))
                    .await
                    .expect("list")
                    .into_inner()
                    .opportunities
                    .into_iter()
                    .map(|o| o.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(ids(alice, Default::default()).await, vec![a.id.clone()]);
        assert!(ids(stranger, Default::default()).await.is_empty());
        assert_eq!(
            ids(admin, Default::default()).await,
            [b.id.clone(), a.id.clone()]
        );
        move_to(&env, admin, &b.id, pb::OpportunityStage::Qualified)
            .await
            .expect("move");
        let by_stage = pb::ListOpportunitiesRequest {
            stage: pb::OpportunityStage::Qualified as i32,
            ..Default::default()
        };
        assert_eq!(ids(admin, by_stage).await, vec![b.id.clone()]);
        let by_agent = pb::ListOpportunitiesRequest {
            commercial_id: cid(alice),
            ..Default::default()
        };
        assert_eq!(ids(admin, by_agent).await, vec![a.id.clone()]);
        let by_client = pb::ListOpportunitiesRequest {
            client_id: theirs.id.clone(),
            ..Default::default()
        };
        assert_eq!(ids(admin, by_client).await, vec![b.id.clone()]);

        // Pages: one at a time, newest first, every opportunity once.
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let page = env
                .client()
                .list_opportunities(env.req(
                    admin,
                    pb::ListOpportunitiesRequest {
                        page_size: 1,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            seen.extend(page.opportunities.into_iter().map(|o| o.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, [b.id.clone(), a.id.clone()]);
        let err = env
            .client()
            .list_opportunities(env.req(
                admin,
                pb::ListOpportunitiesRequest {
                    page_size: -1,
                    stage: 42,
                    client_id: "x".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("bad list");
        assert_eq!(violation_fields(&err), ["stage", "client_id", "page_size"]);
    }
}

/// The same request_id twice opens one opportunity.
#[tokio::test]
async fn request_id_makes_create_idempotent() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let client = env.create(admin, company("ACME")).await.expect("client");
        let rid = Uuid::new_v4().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let o = env
                .client()
                .create_opportunity(env.req(
                    admin,
                    pb::CreateOpportunityRequest {
                        opportunity: Some(opportunity(&client.id)),
                        request_id: rid.clone(),
                    },
                ))
                .await
                .expect("create")
                .into_inner()
                .opportunity
                .expect("opportunity");
            ids.push(o.id);
        }
        assert_eq!(ids[0], ids[1]);
    }
}
