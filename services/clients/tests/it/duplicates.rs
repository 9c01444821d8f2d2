//! FindDuplicates and MergeClients.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::find_duplicates_request::Target;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, SIRETS, company_siret, envs, person, violation_fields};

fn born(mut p: pb::Client, year: i32) -> pb::Client {
    p.birth_date = Some(common::Date {
        year,
        month: 5,
        day: 17,
    });
    p
}

async fn find(
    env: &Env,
    who: Member,
    target: Target,
) -> Result<Vec<(String, Vec<i32>)>, tonic::Status> {
    let res = env
        .client()
        .find_duplicates(env.req(
            who,
            pb::FindDuplicatesRequest {
                target: Some(target),
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    Ok(res
        .matches
        .into_iter()
        .map(|m| (m.client.expect("client").id, m.reasons))
        .collect())
}

async fn merge(
    env: &Env,
    who: Member,
    survivor: &str,
    duplicates: &[&str],
) -> Result<pb::MergeClientsResponse, tonic::Status> {
    env.client()
        .merge_clients(env.req(
            who,
            pb::MergeClientsRequest {
                survivor_id: survivor.into(),
                duplicate_ids: duplicates.iter().map(|d| (*d).to_owned()).collect(),
                survivor_version: 0,
            },
        ))
        .await
        .map(|r| r.into_inner())
}

/// Same e-mail without regard to case, same SIRET, and same normalised name with the
/// same birth date are found, each with its reasons; archived clients are not.
#[tokio::test]
async fn duplicates_are_found_with_their_reasons() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut target = born(person("Dupré", "jeanne@example.fr"), 1980);
        target.first_name = "Jeanne".into();
        let target = env.create(admin, target).await.expect("target");
        // Same name once normalised, same birth date, other e-mail.
        let mut by_name = born(person("  DUPRE ", "other@example.fr"), 1980);
        by_name.first_name = "jeanne".into();
        let by_name = env.create(admin, by_name).await.expect("by name");
        // Same name, other birth date: not a duplicate.
        let mut other_birth = born(person("Dupré", "third@example.fr"), 1981);
        other_birth.first_name = "Jeanne".into();
        env.create(admin, other_birth).await.expect("other birth");
        // Same e-mail is impossible among live clients: archive one first.
        let old = env
            .create(admin, person("Old", "old@example.fr"))
            .await
            .expect("old");
        env.client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: old.id.clone(),
                },
            ))
            .await
            .expect("archive");
        let found = find(&env, admin, Target::ClientId(target.id.clone()))
            .await
            .expect("find");
        let name_rule = pb::DuplicateReason::SameNameAndBirthDate as i32;
        assert_eq!(found, [(by_name.id.clone(), vec![name_rule])]);

        // A candidate: its e-mail (other case) and its name both match.
        let mut candidate = born(person("Dupre", "JEANNE@example.fr"), 1980);
        candidate.first_name = "Jéanne".into();
        let found = find(&env, admin, Target::Candidate(candidate))
            .await
            .expect("candidate");
        assert_eq!(
            found,
            [
                (by_name.id.clone(), vec![name_rule]),
                (
                    target.id.clone(),
                    vec![pb::DuplicateReason::SameEmail as i32, name_rule]
                ),
            ]
        );
        // The archived client's e-mail matches nothing.
        let found = find(
            &env,
            admin,
            Target::Candidate(person("X", "old@example.fr")),
        )
        .await
        .expect("archived");
        assert!(found.is_empty());

        let a = env
            .create(admin, company_siret("ACME", SIRETS[0]))
            .await
            .expect("a");
        let b = env
            .create(admin, company_siret("ACME SAS", SIRETS[0]))
            .await
            .expect("b");
        let found = find(&env, admin, Target::ClientId(a.id.clone()))
            .await
            .expect("siret");
        assert_eq!(
            found,
            [(b.id.clone(), vec![pb::DuplicateReason::SameSiret as i32])]
        );
    }
}

/// Bad targets are INVALID_ARGUMENT with every violation; another organisation's
/// client is NOT_FOUND and an agent finds only among their own clients.
#[tokio::test]
async fn find_duplicates_checks_its_input_and_isolation() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let err = env
            .client()
            .find_duplicates(env.req(admin, pb::FindDuplicatesRequest::default()))
            .await
            .expect_err("no target");
        assert_eq!(violation_fields(&err), ["client_id"]);
        let bad = pb::Client {
            email: "nope".into(),
            siret: "123".into(),
            birth_date: Some(common::Date {
                year: 2020,
                month: 2,
                day: 31,
            }),
            ..Default::default()
        };
        let err = find(&env, admin, Target::Candidate(bad))
            .await
            .expect_err("bad candidate");
        assert_eq!(
            violation_fields(&err),
            ["candidate.email", "candidate.siret", "candidate.birth_date"]
        );
        let err = find(&env, admin, Target::Candidate(pb::Client::default()))
            .await
            .expect_err("empty");
        assert_eq!(violation_fields(&err), ["candidate"]);

        let c = env
            .create(admin, born(person("Iso", "iso@example.fr"), 1970))
            .await
            .expect("c");
        let twin = env
            .create(admin, born(person("Iso", "iso2@example.fr"), 1970))
            .await
            .expect("twin");
        let stranger = Member::new(Uuid::now_v7(), Role::Owner);
        let err = find(&env, stranger, Target::ClientId(c.id.clone()))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        assert!(
            find(
                &env,
                stranger,
                Target::Candidate(born(person("Iso", "x@example.fr"), 1970))
            )
            .await
            .expect("ok")
            .is_empty()
        );
        let agent = env.agent(org).await;
        assert!(
            find(
                &env,
                agent,
                Target::Candidate(born(person("Iso", "x@example.fr"), 1970))
            )
            .await
            .expect("ok")
            .is_empty()
        );
        assert_eq!(
            find(&env, admin, Target::ClientId(c.id.clone()))
                .await
                .expect("ok")
                .len(),
            1
        );
        assert_eq!(
            find(&env, admin, Target::ClientId(twin.id.clone()))
                .await
                .expect("ok")[0]
                .0,
            c.id
        );
    }
}

/// A merge moves contacts and opportunities to the survivor, fills its empty fields,
/// archives the duplicates with merged_into_id, publishes client.archived for each and
/// client.merged for the survivor, all in one transaction.
#[tokio::test]
async fn merge_moves_everything_to_the_survivor() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let agent = env.commercial(admin.org).await;
        let mut survivor = company_siret("ACME", SIRETS[1]);
        survivor.tags = vec!["vip".into()];
        let survivor = env.create(admin, survivor).await.expect("survivor");
        let mut dup = company_siret("ACME SARL", SIRETS[1]);
        dup.email = "contact@acme.fr".into();
        dup.phone = "+33 1 00 00 00 01".into();
        dup.commercial_id = agent.to_string();
        dup.tags = vec!["web".into()];
        dup.status = pb::ClientStatus::Active as i32;
        let dup = env.create(admin, dup).await.expect("dup");
        let contact = env
            .client()
            .create_contact(env.req(
                admin,
                pb::CreateContactRequest {
                    contact: Some(pb::Contact {
                        client_id: dup.id.clone(),
                        last_name: "Moved".into(),
                        is_primary: true,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("contact")
            .into_inner()
            .contact
            .expect("contact");
        let opp = env
            .client()
            .create_opportunity(env.req(
                admin,
                pb::CreateOpportunityRequest {
                    opportunity: Some(pb::Opportunity {
                        client_id: dup.id.clone(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("opportunity")
            .into_inner()
            .opportunity
            .expect("opportunity");

        let merged = merge(&env, admin, &survivor.id, &[&dup.id])
            .await
            .expect("merge");
        assert_eq!(merged.merged_client_ids, vec![dup.id.clone()]);
        assert_eq!((merged.moved_contacts, merged.moved_opportunities), (1, 1));
        let s = merged.client.expect("client");
        assert_eq!(s.company_name, "ACME");
        assert_eq!(s.email, "contact@acme.fr");
        assert_eq!(s.phone, "+33100000001");
        assert_eq!(s.commercial_id, agent.to_string());
        assert_eq!(s.tags, ["vip", "web"]);
        assert_eq!(s.status, pb::ClientStatus::Active as i32);
        assert_eq!(s.version, 2);

        let gone = env.get(admin, &dup.id).await.expect("dup");
        assert_eq!(gone.status, pb::ClientStatus::Archived as i32);
        assert_eq!(gone.merged_into_id, survivor.id);
        let moved = env
            .client()
            .get_contact(env.req(
                admin,
                pb::GetContactRequest {
                    contact_id: contact.id.clone(),
                },
            ))
            .await
            .expect("contact")
            .into_inner()
            .contact
            .expect("contact");
        assert_eq!(moved.client_id, survivor.id);
        assert!(moved.is_primary, "the survivor had no primary contact");
        let opp = env
            .client()
            .get_opportunity(env.req(
                admin,
                pb::GetOpportunityRequest {
                    opportunity_id: opp.id.clone(),
                },
            ))
            .await
            .expect("opportunity")
            .into_inner()
            .opportunity
            .expect("opportunity");
        assert_eq!(opp.client_id, survivor.id);

        let events = env.outbox(admin.org, "client.merged").await;
        assert_eq!(events.len(), 1);
        let e = ev::ClientMerged::decode(events[0].payload.as_slice()).expect("payload");
        assert_eq!(e.client_id, survivor.id);
        assert_eq!(e.merged_client_ids, vec![dup.id.clone()]);
        assert_eq!(e.commercial_id, agent.to_string());
        assert_eq!(e.meta.map(|m| m.aggregate_version), Some(2));
        let archived = env.outbox(admin.org, "client.archived").await;
        assert_eq!(archived.len(), 1);
        assert_eq!(archived[0].aggregate_id, dup.id);

        // A merged client cannot be restored, nor merged again.
        let err = env
            .client()
            .restore_client(env.req(
                admin,
                pb::RestoreClientRequest {
                    client_id: dup.id.clone(),
                },
            ))
            .await
            .expect_err("restore");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = merge(&env, admin, &survivor.id, &[&dup.id])
            .await
            .expect_err("again");
        assert_eq!(err.code(), Code::FailedPrecondition);
    }
}

/// A client cannot be merged into itself (INVALID_ARGUMENT, with every bad id named);
/// across organisations a merge is NOT_FOUND and changes nothing; a person and a
/// company do not merge.
#[tokio::test]
async fn merge_refuses_what_it_cannot_do() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let other = Member::new(Uuid::now_v7(), Role::Admin);
        let a = env
            .create(admin, person("A", "a@example.fr"))
            .await
            .expect("a");
        let b = env
            .create(admin, person("B", "b@example.fr"))
            .await
            .expect("b");
        let theirs = env
            .create(other, person("T", "t@example.fr"))
            .await
            .expect("theirs");
        let err = merge(&env, admin, &a.id, &[&a.id, &b.id, &b.id, "x"])
            .await
            .expect_err("self");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            ["duplicate_ids[0]", "duplicate_ids[2]", "duplicate_ids[3]"]
        );
        let err = merge(&env, admin, "", &[]).await.expect_err("empty");
        assert_eq!(violation_fields(&err), ["survivor_id", "duplicate_ids"]);

        let err = merge(&env, admin, &a.id, &[&theirs.id])
            .await
            .expect_err("cross org");
        assert_eq!(err.code(), Code::NotFound);
        let err = merge(&env, other, &theirs.id, &[&a.id])
            .await
            .expect_err("cross org");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(
            env.get(other, &theirs.id).await.expect("untouched").version,
            1
        );
        assert_eq!(env.get(admin, &a.id).await.expect("untouched").version, 1);

        let c = env
            .create(admin, company_siret("Co", SIRETS[2]))
            .await
            .expect("company");
        let err = merge(&env, admin, &a.id, &[&c.id])
            .await
            .expect_err("kinds");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // An agent merges only their own clients.
        let agent = env.agent(admin.org).await;
        let err = merge(&env, agent, &a.id, &[&b.id])
            .await
            .expect_err("agent");
        assert_eq!(err.code(), Code::NotFound);
        assert!(env.outbox(admin.org, "client.merged").await.is_empty());
    }
}

/// Matches come in keyset pages, newest first, each once; a token is bound to its target.
#[tokio::test]
async fn duplicate_pages_cover_everything_once() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut ids = Vec::new();
        for i in 0..5 {
            let c = company_siret(&format!("Same {i}"), SIRETS[3]);
            ids.push(env.create(admin, c).await.expect("company").id);
        }
        ids.reverse();
        let candidate = || Some(Target::Candidate(company_siret("New", SIRETS[3])));
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let page = env
                .client()
                .find_duplicates(env.req(
                    admin,
                    pb::FindDuplicatesRequest {
                        target: candidate(),
                        page_size: 2,
                        page_token: token.clone(),
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.matches.len() <= 2);
            seen.extend(
                page.matches
                    .into_iter()
                    .map(|m| m.client.expect("client").id),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, ids);
        let first = env
            .client()
            .find_duplicates(env.req(
                admin,
                pb::FindDuplicatesRequest {
                    target: candidate(),
                    page_size: 2,
                    page_token: String::new(),
                },
            ))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .find_duplicates(env.req(
                admin,
                pb::FindDuplicatesRequest {
                    target: Some(Target::ClientId(ids[0].clone())),
                    page_size: 2,
                    page_token: first.next_page_token,
                },
            ))
            .await
            .expect_err("other target");
        assert_eq!(violation_fields(&err), ["page_token"]);
    }
}
