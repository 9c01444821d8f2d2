//! What clients asks other services: the manager's team (commerciaux), whether an
//! assigned sales agent exists and is active (commerciaux), whether a client has a
//! contract in force before it is archived (contrats); and what happens when they are
//! down.

use chrono::Utc;
use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::commerciaux::v1 as co;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::common::v1 as common;
use crm_proto::contrats::v1 as ct;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, envs, person, violation_fields};

async fn list(env: &Env, who: Member) -> Vec<String> {
    let mut names: Vec<String> = env
        .client()
        .list_clients(env.req(
            who,
            pb::ListClientsRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .expect("list")
        .into_inner()
        .clients
        .into_iter()
        .map(|c| c.last_name)
        .collect();
    names.sort();
    names
}

async fn assigned(env: &Env, org: Uuid, name: &str, commercial: Uuid) -> pb::Client {
    let mut p = person(name, &format!("{}@example.fr", name.to_lowercase()));
    p.commercial_id = commercial.to_string();
    env.create(Member::new(org, Role::Admin), p)
        .await
        .expect("client")
}

/// A manager sees the clients of everyone below them at any depth and their own, not
/// those of another team; they assign within their team only.
#[tokio::test]
async fn managers_see_their_team() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let boss = env.manager(org).await;
        let me = boss.commercial.expect("commercial");
        let direct = env.commercial_under(org, Some(me)).await;
        let indirect = env.commercial_under(org, Some(direct)).await;
        let elsewhere = env.commercial(org).await;
        assigned(&env, org, "Mine", me).await;
        assigned(&env, org, "Direct", direct).await;
        assigned(&env, org, "Indirect", indirect).await;
        let other = assigned(&env, org, "Elsewhere", elsewhere).await;

        assert_eq!(list(&env, boss).await, ["Direct", "Indirect", "Mine"]);
        let err = env.get(boss, &other.id).await.expect_err("other team");
        assert_eq!(err.code(), Code::NotFound);
        // The direct report as a manager sees their own sub-team only.
        let middle = Member::as_commercial(org, Role::Manager, direct);
        assert_eq!(list(&env, middle).await, ["Direct", "Indirect"]);
        // An admin sees everything.
        assert_eq!(list(&env, Member::new(org, Role::Admin)).await.len(), 4);

        // A manager's new client is theirs; they may give it to their team, not beyond.
        let created = env
            .create(boss, person("Own", "own@example.fr"))
            .await
            .expect("own");
        assert_eq!(created.commercial_id, me.to_string());
        let mut given = person("Given", "given@example.fr");
        given.commercial_id = indirect.to_string();
        env.create(boss, given).await.expect("to the team");
        let mut beyond = person("Beyond", "beyond@example.fr");
        beyond.commercial_id = elsewhere.to_string();
        let err = env.create(boss, beyond).await.expect_err("beyond");
        assert_eq!(err.code(), Code::PermissionDenied);

        // A manager without a sales-agent record has no team: nothing to see.
        let lone = Member::new(org, Role::Manager);
        assert!(list(&env, lone).await.is_empty());
    }
}

/// An assigned sales agent must exist in the caller's organisation (NOT_FOUND naming
/// the field otherwise, another organisation's agent alike) and be active
/// (INVALID_ARGUMENT); imports reject such rows one by one and keep the others.
#[tokio::test]
async fn assigned_agents_must_exist_and_be_active() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let foreign = env.commercial(Uuid::now_v7()).await;
        for unknown in [Uuid::now_v7(), foreign] {
            let mut p = person("Nobody", "nobody@example.fr");
            p.commercial_id = unknown.to_string();
            let err = env.create(admin, p).await.expect_err("unknown agent");
            assert_eq!(err.code(), Code::NotFound, "{err:?}");
            assert_eq!(violation_fields(&err), ["client.commercial_id"]);
        }
        let gone = env.commercial(org).await;
        CommercialServiceClient::new(env.commerciaux.channel.clone())
            .deactivate_commercial(env.req(
                admin,
                co::DeactivateCommercialRequest {
                    commercial_id: gone.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .expect("deactivate");
        let mut p = person("Late", "late@example.fr");
        p.commercial_id = gone.to_string();
        let err = env.create(admin, p).await.expect_err("inactive agent");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["client.commercial_id"]);

        // UpdateClient checks a new agent the same way.
        let live = env.commercial(org).await;
        let c = assigned(&env, org, "Moving", live).await;
        let err = env
            .client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        commercial_id: foreign.to_string(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["commercial_id".into()],
                    }),
                },
            ))
            .await
            .expect_err("foreign agent");
        assert_eq!(err.code(), Code::NotFound);

        // Import: each row on its own.
        let rows = [live, Uuid::now_v7(), gone, live]
            .iter()
            .enumerate()
            .map(|(i, agent)| {
                let mut p = person(&format!("Row{i}"), &format!("row{i}@example.fr"));
                p.commercial_id = agent.to_string();
                pb::ImportClientsRequest {
                    client: Some(p),
                    ..Default::default()
                }
            })
            .collect::<Vec<_>>();
        let res = env
            .client()
            .import_clients(env.req(admin, futures::stream::iter(rows)))
            .await
            .expect("import")
            .into_inner();
        assert_eq!((res.imported_count, res.rejected_count), (2, 2));
        let reasons: Vec<_> = res
            .results
            .iter()
            .map(|r| {
                r.violations
                    .first()
                    .map(|v| (v.field.as_str(), v.description.as_str()))
            })
            .collect();
        assert_eq!(
            reasons,
            [
                None,
                Some((
                    "client.commercial_id",
                    "no such sales agent in the organisation"
                )),
                Some(("client.commercial_id", "the sales agent is not active")),
                None,
            ]
        );
    }
}

fn date(d: chrono::NaiveDate) -> common::Date {
    use chrono::Datelike as _;
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// Signs a contract for `client` with `agent` and returns its id.
async fn signed_contract(env: &Env, admin: Member, client: &str, agent: Uuid) -> String {
    let code = format!("P-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let product = ProductServiceClient::new(env.products.channel.clone())
        .create_product(env.req(
            admin,
            pr::CreateProductRequest {
                product: Some(pr::Product {
                    code: code.clone(),
                    name: format!("Assurance {code}"),
                    kind: pr::ProductKind::Subscription as i32,
                    billing_frequency: pr::BillingFrequency::Monthly as i32,
                    vat_category: pr::VatCategory::Exempt as i32,
                    ..Default::default()
                }),
                initial_price: Some(common::Money {
                    currency_code: "EUR".into(),
                    amount_minor: 1_990,
                }),
                initial_price_valid_from: Some(date(
                    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
                )),
                ..Default::default()
            },
        ))
        .await
        .expect("product")
        .into_inner()
        .product
        .expect("product")
        .id;
    let mut contracts = ContractServiceClient::new(env.contrats.channel.clone());
    let today = Utc::now().date_naive();
    let draft = contracts
        .create_contract(env.req(
            admin,
            ct::CreateContractRequest {
                contract: Some(ct::Contract {
                    client_id: client.into(),
                    commercial_id: agent.to_string(),
                    lines: vec![ct::ContractLine {
                        product_id: product,
                        quantity: 1,
                        ..Default::default()
                    }],
                    start_date: Some(date(today)),
                    term_months: 12,
                    billing_day: 5,
                    payment_method: ev::PaymentMethod::Card as i32,
                    sales_channel: ev::SalesChannel::OnPremises as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await
        .expect("draft")
        .into_inner()
        .contract
        .expect("contract");
    contracts
        .send_for_signature(env.req(
            admin,
            ct::SendForSignatureRequest {
                contract_id: draft.id.clone(),
                version: 0,
            },
        ))
        .await
        .expect("send");
    contracts
        .sign_contract(env.req(
            admin,
            ct::SignContractRequest {
                contract_id: draft.id.clone(),
                signer_name: "Jeanne Client".into(),
                signature_date: Some(date(today)),
                ..Default::default()
            },
        ))
        .await
        .expect("sign");
    draft.id
}

async fn archive(env: &Env, who: Member, id: &str) -> Result<pb::Client, tonic::Status> {
    Ok(env
        .client()
        .archive_client(env.req(
            who,
            pb::ArchiveClientRequest {
                client_id: id.into(),
            },
        ))
        .await?
        .into_inner()
        .client
        .expect("client"))
}

/// A client with an active or suspended contract cannot be archived, whoever asks and
/// whichever contracts they may see; once the contract ends, it can.
#[tokio::test]
async fn a_client_with_a_contract_in_force_stays() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let agent = env.commercial(org).await;
        let client = assigned(&env, org, "Bound", agent).await;
        let contract = signed_contract(&env, admin, &client.id, agent).await;

        let err = archive(&env, admin, &client.id)
            .await
            .expect_err("in force");
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        let mut contracts = ContractServiceClient::new(env.contrats.channel.clone());
        contracts
            .suspend_contract(env.req(
                admin,
                ct::SuspendContractRequest {
                    contract_id: contract.clone(),
                    reason: "impayé".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("suspend");
        let err = archive(&env, admin, &client.id)
            .await
            .expect_err("suspended");
        assert_eq!(err.code(), Code::FailedPrecondition);
        // Still there, unchanged.
        let kept = env.get(admin, &client.id).await.expect("client");
        assert_eq!(kept.version, client.version);

        contracts
            .terminate_contract(env.req(
                admin,
                ct::TerminateContractRequest {
                    contract_id: contract,
                    termination_date: Some(date(Utc::now().date_naive())),
                    cause: ev::TerminationCause::ClientCancellation as i32,
                    reason: "lettre recommandée".into(),
                    version: 0,
                },
            ))
            .await
            .expect("terminate");
        let archived = archive(&env, admin, &client.id).await.expect("archive");
        assert_eq!(archived.status, pb::ClientStatus::Archived as i32);
    }
}

/// With contrats down, archiving answers UNAVAILABLE and changes nothing; with
/// commerciaux down, assigning an agent and a manager's list answer UNAVAILABLE, while
/// an admin's reads go on.
#[tokio::test]
async fn dependencies_down_are_unavailable() {
    for mut env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let boss = env.manager(org).await;
        let agent = boss.commercial.expect("commercial");
        let client = assigned(&env, org, "Kept", agent).await;
        env.contrats.halt().await.expect("stop contrats");
        env.commerciaux.halt().await.expect("stop commerciaux");
        let err = archive(&env, admin, &client.id)
            .await
            .expect_err("contrats down");
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
        assert_eq!(
            env.get(admin, &client.id)
                .await
                .expect("admin reads")
                .status,
            client.status
        );
        let mut p = person("New", "new@example.fr");
        p.commercial_id = agent.to_string();
        let err = env.create(admin, p).await.expect_err("commerciaux down");
        assert_eq!(err.code(), Code::Unavailable);
        let err = env
            .client()
            .list_clients(env.req(boss, pb::ListClientsRequest::default()))
            .await
            .expect_err("team unknown");
        assert_eq!(err.code(), Code::Unavailable);
    }
}
