//! Contacts of company clients.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, cid, company, envs, person, violation_fields};

fn contact(client_id: &str, last: &str) -> pb::Contact {
    pb::Contact {
        client_id: client_id.into(),
        first_name: "Paul".into(),
        last_name: last.into(),
        job_title: "Purchasing manager".into(),
        email: format!("{}@acme.fr", last.to_lowercase()),
        phone: "+33 1 23 45 67 89".into(),
        ..Default::default()
    }
}

async fn add(env: &Env, who: Member, c: pb::Contact) -> Result<pb::Contact, tonic::Status> {
    env.client()
        .create_contact(env.req(
            who,
            pb::CreateContactRequest {
                contact: Some(c),
                request_id: String::new(),
            },
        ))
        .await
        .map(|r| r.into_inner().contact.expect("contact"))
}

async fn list(
    env: &Env,
    who: Member,
    client_id: &str,
    size: i32,
    token: &str,
) -> pb::ListContactsResponse {
    env.client()
        .list_contacts(env.req(
            who,
            pb::ListContactsRequest {
                client_id: client_id.into(),
                page_size: size,
                page_token: token.into(),
            },
        ))
        .await
        .expect("list")
        .into_inner()
}

/// A contact is created on a company, normalised, read back, updated through a mask
/// with an optimistic version, listed and deleted; a person takes no contact.
#[tokio::test]
async fn contact_lifecycle() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let acme = env.create(admin, company("ACME")).await.expect("company");
        let c = add(&env, admin, contact(&acme.id, "Durand"))
            .await
            .expect("create");
        assert_eq!(c.phone, "+33123456789");
        assert_eq!(c.version, 1);
        assert!(!c.is_primary);
        let got = env
            .client()
            .get_contact(env.req(
                admin,
                pb::GetContactRequest {
                    contact_id: c.id.clone(),
                },
            ))
            .await
            .expect("get")
            .into_inner()
            .contact
            .expect("contact");
        assert_eq!(got, c, "{:?}", env.backend);

        let updated = env
            .client()
            .update_contact(env.req(
                admin,
                pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: c.id.clone(),
                        job_title: "CFO".into(),
                        last_name: "Ignored".into(),
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["job_title".into()],
                    }),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .contact
            .expect("contact");
        assert_eq!(updated.job_title, "CFO");
        assert_eq!(updated.last_name, "Durand");
        assert_eq!(updated.version, 2);
        let stale = env
            .client()
            .update_contact(env.req(
                admin,
                pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: c.id.clone(),
                        job_title: "CEO".into(),
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted);

        let jeanne = env
            .create(admin, person("Solo", "solo@example.fr"))
            .await
            .expect("person");
        let err = add(&env, admin, contact(&jeanne.id, "Nope"))
            .await
            .expect_err("person");
        assert_eq!(err.code(), Code::FailedPrecondition);

        env.client()
            .delete_contact(env.req(
                admin,
                pb::DeleteContactRequest {
                    contact_id: c.id.clone(),
                    version: 2,
                },
            ))
            .await
            .expect("delete");
        let gone = env
            .client()
            .get_contact(env.req(
                admin,
                pb::GetContactRequest {
                    contact_id: c.id.clone(),
                },
            ))
            .await
            .expect_err("deleted");
        assert_eq!(gone.code(), Code::NotFound);
        assert!(list(&env, admin, &acme.id, 0, "").await.contacts.is_empty());
    }
}

/// At most one contact of a client is primary: making another primary demotes the
/// first, on create and on update.
#[tokio::test]
async fn one_primary_contact_per_client() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let acme = env.create(admin, company("ACME")).await.expect("company");
        let mut first = contact(&acme.id, "First");
        first.is_primary = true;
        let first = add(&env, admin, first).await.expect("first");
        let mut second = contact(&acme.id, "Second");
        second.is_primary = true;
        let second = add(&env, admin, second).await.expect("second");
        let primaries = |r: pb::ListContactsResponse| {
            r.contacts
                .into_iter()
                .filter(|c| c.is_primary)
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            primaries(list(&env, admin, &acme.id, 0, "").await),
            vec![second.id.clone()]
        );
        env.client()
            .update_contact(env.req(
                admin,
                pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: first.id.clone(),
                        is_primary: true,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect("promote");
        assert_eq!(
            primaries(list(&env, admin, &acme.id, 0, "").await),
            vec![first.id.clone()]
        );
    }
}

/// Every bad field of a contact is reported at once, and nothing is written.
#[tokio::test]
async fn contacts_report_every_violation() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let acme = env.create(admin, company("ACME")).await.expect("company");
        let bad = pb::Contact {
            id: Uuid::now_v7().to_string(),
            client_id: "nope".into(),
            email: "not-an-email".into(),
            phone: "12".into(),
            ..Default::default()
        };
        let err = env
            .client()
            .create_contact(env.req(
                admin,
                pb::CreateContactRequest {
                    contact: Some(bad),
                    request_id: "x".into(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "contact.id",
                "contact.client_id",
                "contact.last_name",
                "contact.email",
                "contact.phone"
            ]
        );
        let c = add(&env, admin, contact(&acme.id, "Ok"))
            .await
            .expect("create");
        let err = env
            .client()
            .update_contact(env.req(
                admin,
                pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: c.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["client_id".into(), "email".into(), "last_name".into()],
                    }),
                },
            ))
            .await
            .expect_err("invalid update");
        assert_eq!(violation_fields(&err), ["update_mask.paths[0]"]);
        let err = env
            .client()
            .update_contact(env.req(
                admin,
                pb::UpdateContactRequest {
                    contact: Some(pb::Contact {
                        id: c.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["last_name".into()],
                    }),
                },
            ))
            .await
            .expect_err("last name cleared");
        assert_eq!(violation_fields(&err), ["contact.last_name"]);
        let page = list(&env, admin, &acme.id, 0, "").await;
        assert_eq!(page.contacts.len(), 1);
        assert_eq!(page.contacts[0].last_name, "Ok");
    }
}

/// Pages walk a client's contacts once, in the order they were added.
#[tokio::test]
async fn contact_pages_cover_everything_once() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let acme = env.create(admin, company("ACME")).await.expect("company");
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                add(&env, admin, contact(&acme.id, &format!("C{i}")))
                    .await
                    .expect("add")
                    .id,
            );
        }
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let page = list(&env, admin, &acme.id, 2, &token).await;
            seen.extend(page.contacts.into_iter().map(|c| c.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, ids);
    }
}

/// Another organisation's contacts are NOT_FOUND for every contact RPC; an agent sees
/// only the contacts of their own clients.
#[tokio::test]
async fn contacts_are_isolated() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let admin = Member::new(org, Role::Admin);
        let stranger = Member::new(Uuid::now_v7(), Role::Owner);
        let alice = env.agent(org).await;
        let bob = env.agent(org).await;
        let mut theirs = company("Bob's");
        theirs.commercial_id = cid(bob);
        let theirs = env.create(admin, theirs).await.expect("company");
        let c = add(&env, admin, contact(&theirs.id, "Hidden"))
            .await
            .expect("contact");
        for who in [stranger, alice] {
            let err = add(&env, who, contact(&theirs.id, "X"))
                .await
                .expect_err("create");
            assert_eq!(err.code(), Code::NotFound);
            let get = env
                .client()
                .get_contact(env.req(
                    who,
                    pb::GetContactRequest {
                        contact_id: c.id.clone(),
                    },
                ))
                .await
                .expect_err("get");
            assert_eq!(get.code(), Code::NotFound);
            let update = env
                .client()
                .update_contact(env.req(
                    who,
                    pb::UpdateContactRequest {
                        contact: Some(pb::Contact {
                            id: c.id.clone(),
                            last_name: "Hijack".into(),
                            ..Default::default()
                        }),
                        update_mask: None,
                    },
                ))
                .await
                .expect_err("update");
            assert_eq!(update.code(), Code::NotFound);
            let list = env
                .client()
                .list_contacts(env.req(
                    who,
                    pb::ListContactsRequest {
                        client_id: theirs.id.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .expect_err("list");
            assert_eq!(list.code(), Code::NotFound);
            let delete = env
                .client()
                .delete_contact(env.req(
                    who,
                    pb::DeleteContactRequest {
                        contact_id: c.id.clone(),
                        version: 0,
                    },
                ))
                .await
                .expect_err("delete");
            assert_eq!(delete.code(), Code::NotFound);
        }
        // Bob sees the contacts of his client; a viewer reads but does not write.
        assert_eq!(list(&env, bob, &theirs.id, 0, "").await.contacts.len(), 1);
        let viewer = Member::new(org, Role::Viewer);
        assert_eq!(
            list(&env, viewer, &theirs.id, 0, "").await.contacts.len(),
            1
        );
        let err = add(&env, viewer, contact(&theirs.id, "No"))
            .await
            .expect_err("viewer");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}
