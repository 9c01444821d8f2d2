//! CreateOrganisation, GetOrganisation, UpdateOrganisation and ListMyOrganisations.

use crm_kit::Role;
use crm_proto::organisations::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, violation_fields};

fn named(name: &str) -> pb::Organisation {
    pb::Organisation {
        name: name.into(),
        ..Default::default()
    }
}

fn create(org: pb::Organisation, request_id: &str) -> pb::CreateOrganisationRequest {
    pb::CreateOrganisationRequest {
        organisation: Some(org),
        request_id: request_id.into(),
    }
}

/// A signed-in user without an organisation creates one: defaults are filled in, the
/// slug comes from the name, and the creator is its owner (in ListMyOrganisations, in
/// ListMembers and in GetMembership).
#[tokio::test]
async fn create_makes_the_caller_owner() {
    for env in envs().await {
        let user = Uuid::now_v7();
        let org = env
            .client()
            .create_organisation(env.bare(user, create(named("  Société Générale "), "")))
            .await
            .expect("create")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org.name, "Société Générale");
        assert_eq!(org.slug, "societe-generale");
        assert_eq!(org.country_code, "FR");
        assert_eq!(org.default_currency, "EUR");
        assert_eq!(org.time_zone, "Europe/Paris");
        assert_eq!(org.invoice_prefix, "F");
        assert!(org.create_time.is_some());
        let id: Uuid = org.id.parse().expect("uuid");
        assert_eq!(id.get_version_num(), 7);

        let mine = env
            .client()
            .list_my_organisations(env.bare(user, pb::ListMyOrganisationsRequest::default()))
            .await
            .expect("list mine")
            .into_inner();
        assert_eq!(mine.organisations.len(), 1);
        assert_eq!(mine.organisations[0].role, Role::Owner.to_proto());
        assert_eq!(
            mine.organisations[0].organisation.as_ref().map(|o| &o.id),
            Some(&org.id)
        );

        let owner = Member {
            org: id,
            user,
            role: Role::Owner,
        };
        let members = env
            .client()
            .list_members(env.req(
                owner,
                pb::ListMembersRequest {
                    organisation_id: org.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("members")
            .into_inner()
            .memberships;
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].user_id, user.to_string());
        assert_eq!(members[0].role, Role::Owner.to_proto());
    }
}

/// The users service creates the first organisation of a brand-new user through an
/// internal token whose subject is that user; without a subject there is nobody to make
/// owner, and without any credentials the call is refused.
#[tokio::test]
async fn create_on_behalf_of_a_user_and_refuse_anonymous_calls() {
    for env in envs().await {
        let user = Uuid::now_v7();
        let org = env
            .client()
            .create_organisation(env.internal(None, Some(user), create(named("Mesh Made"), "")))
            .await
            .expect("internal create")
            .into_inner()
            .organisation
            .expect("organisation");
        let membership = env
            .client()
            .get_membership(env.internal(
                None,
                None,
                pb::GetMembershipRequest {
                    organisation_id: org.id.clone(),
                    user_id: user.to_string(),
                },
            ))
            .await
            .expect("membership")
            .into_inner()
            .membership
            .expect("membership");
        assert_eq!(membership.role, Role::Owner.to_proto());

        let err = env
            .client()
            .create_organisation(env.internal(None, None, create(named("Nobody"), "")))
            .await
            .expect_err("no user");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = env
            .client()
            .create_organisation(create(named("Anonymous"), ""))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}

/// The same request id from the same user returns the same organisation and makes no
/// second one; another user's identical request id is theirs alone.
#[tokio::test]
async fn create_is_idempotent_by_request_id() {
    for env in envs().await {
        let user = Uuid::now_v7();
        let request_id = Uuid::now_v7().to_string();
        let mut ids = Vec::new();
        for name in ["Retry Me", "Retry Me Again"] {
            let org = env
                .client()
                .create_organisation(env.bare(user, create(named(name), &request_id)))
                .await
                .expect("create")
                .into_inner()
                .organisation
                .expect("organisation");
            assert_eq!(org.name, "Retry Me");
            ids.push(org.id);
        }
        assert_eq!(ids[0], ids[1]);
        let mine = env
            .client()
            .list_my_organisations(env.bare(user, pb::ListMyOrganisationsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(mine.organisations.len(), 1);

        let other = env
            .client()
            .create_organisation(env.bare(Uuid::now_v7(), create(named("Retry Me"), &request_id)))
            .await
            .expect("other user")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_ne!(other.id, ids[0]);
        assert_ne!(other.slug, "retry-me");
        assert!(other.slug.starts_with("retry-me-"), "{}", other.slug);
    }
}

/// Every invalid field is reported at once, with its path.
#[tokio::test]
async fn create_reports_every_violation() {
    for env in envs().await {
        let bad = pb::Organisation {
            name: String::new(),
            slug: "-Not_A_Slug".into(),
            legal_name: "x".repeat(201),
            siren: "123456789".into(),
            country_code: "XX".into(),
            default_currency: "ZZZ".into(),
            time_zone: "Paris".into(),
            sepa_creditor_id: "FR07ZZZ519993".into(),
            invoice_prefix: "F 2026".into(),
            settings: (0..51).map(|i| (format!("k{i}"), "v".into())).collect(),
            ..Default::default()
        };
        let err = env
            .client()
            .create_organisation(env.bare(Uuid::now_v7(), create(bad, "not-a-uuid")))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "organisation.name",
                "organisation.legal_name",
                "organisation.slug",
                "organisation.siren",
                "organisation.country_code",
                "organisation.default_currency",
                "organisation.time_zone",
                "organisation.sepa_creditor_id",
                "organisation.invoice_prefix",
                "organisation.settings",
            ]
        );

        let err = env
            .client()
            .create_organisation(env.bare(Uuid::now_v7(), pb::CreateOrganisationRequest::default()))
            .await
            .expect_err("missing");
        assert_eq!(violation_fields(&err), ["organisation"]);

        // Valid identifiers are accepted and normalised.
        let good = pb::Organisation {
            name: "Valid".into(),
            slug: "valid-org".into(),
            siren: "732 829 320".into(),
            country_code: "be".into(),
            default_currency: "chf".into(),
            sepa_creditor_id: "FR72ZZZ123456".into(),
            invoice_prefix: "FA-2026/".into(),
            ..Default::default()
        };
        let org = env
            .client()
            .create_organisation(env.bare(Uuid::now_v7(), create(good, "")))
            .await
            .expect("valid")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org.siren, "732829320");
        assert_eq!(org.country_code, "BE");
        assert_eq!(org.default_currency, "CHF");
        assert_eq!(org.slug, "valid-org");
    }
}

/// A slug chosen by the caller that is taken is ALREADY_EXISTS; a derived one gets a
/// suffix instead.
#[tokio::test]
async fn slugs_are_unique() {
    for env in envs().await {
        let first = env.org("Acme").await;
        assert_eq!(first.org.slug, "acme");
        let err = env
            .client()
            .create_organisation(env.bare(
                Uuid::now_v7(),
                create(
                    pb::Organisation {
                        slug: "acme".into(),
                        ..named("Other Acme")
                    },
                    "",
                ),
            ))
            .await
            .expect_err("taken");
        assert_eq!(err.code(), Code::AlreadyExists);
        let second = env.org("ACME!").await;
        assert_ne!(second.org.slug, "acme");
        assert!(second.org.slug.starts_with("acme-"), "{}", second.org.slug);
    }
}

/// GetOrganisation answers the token's organisation; another organisation's id is
/// NOT_FOUND, a malformed one INVALID_ARGUMENT, and a token with no organisation is
/// PERMISSION_DENIED.
#[tokio::test]
async fn get_is_scoped_to_the_token() {
    for env in envs().await {
        let mine = env.org("Mine").await;
        let theirs = env.org("Theirs").await;
        let get = |id: String| pb::GetOrganisationRequest {
            organisation_id: id,
        };
        let viewer = Member {
            role: Role::Viewer,
            ..mine.owner
        };
        let org = env
            .client()
            .get_organisation(env.req(viewer, get(mine.id.to_string())))
            .await
            .expect("get")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org, mine.org);
        for id in [theirs.id, Uuid::now_v7()] {
            let err = env
                .client()
                .get_organisation(env.req(mine.owner, get(id.to_string())))
                .await
                .expect_err("other");
            assert_eq!(err.code(), Code::NotFound);
        }
        let err = env
            .client()
            .get_organisation(env.req(mine.owner, get("nope".into())))
            .await
            .expect_err("malformed");
        assert_eq!(violation_fields(&err), ["organisation_id"]);
        let err = env
            .client()
            .get_organisation(env.bare(mine.owner.user, get(mine.id.to_string())))
            .await
            .expect_err("no org");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}

fn update(org: pb::Organisation, paths: &[&str]) -> pb::UpdateOrganisationRequest {
    pb::UpdateOrganisationRequest {
        organisation: Some(org),
        update_mask: (!paths.is_empty()).then(|| FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

/// A mask changes exactly the fields it names (clearing one restores its default);
/// without a mask every non-empty field changes.
#[tokio::test]
async fn update_follows_the_mask() {
    for env in envs().await {
        let o = env.org("Before").await;
        let input = pb::Organisation {
            id: o.id.to_string(),
            name: "After".into(),
            legal_name: "Ignored SA".into(),
            time_zone: String::new(),
            ..Default::default()
        };
        let org = env
            .client()
            .update_organisation(env.req(o.owner, update(input, &["name", "time_zone"])))
            .await
            .expect("masked")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org.name, "After");
        assert_eq!(org.legal_name, "");
        assert_eq!(org.time_zone, "Europe/Paris");
        assert_eq!(org.slug, "before", "the slug is not derived again");

        let admin = Member {
            role: Role::Admin,
            ..o.owner
        };
        let input = pb::Organisation {
            id: o.id.to_string(),
            legal_name: "Before SAS".into(),
            sepa_creditor_id: "FR72ZZZ123456".into(),
            settings: [("theme".to_owned(), "dark".to_owned())].into(),
            ..Default::default()
        };
        let org = env
            .client()
            .update_organisation(env.req(admin, update(input, &[])))
            .await
            .expect("implicit")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(org.name, "After");
        assert_eq!(org.legal_name, "Before SAS");
        assert_eq!(org.sepa_creditor_id, "FR72ZZZ123456");
        assert_eq!(org.settings.get("theme").map(String::as_str), Some("dark"));

        let fetched = env
            .client()
            .get_organisation(env.req(
                o.owner,
                pb::GetOrganisationRequest {
                    organisation_id: o.id.to_string(),
                },
            ))
            .await
            .expect("get")
            .into_inner()
            .organisation
            .expect("organisation");
        assert_eq!(fetched, org);
    }
}

/// Update refuses unknown mask paths, invalid values (all listed), a slug another
/// organisation holds, another organisation, and roles below admin.
#[tokio::test]
async fn update_is_validated_and_guarded() {
    for env in envs().await {
        let o = env.org("Guarded").await;
        let other = env.org("Taken Slug").await;
        let id = o.id.to_string();

        let err = env
            .client()
            .update_organisation(env.req(
                o.owner,
                update(
                    pb::Organisation {
                        id: id.clone(),
                        ..Default::default()
                    },
                    &["name", "id", "create_time"],
                ),
            ))
            .await
            .expect_err("paths");
        assert_eq!(
            violation_fields(&err),
            ["update_mask.paths[1]", "update_mask.paths[2]"]
        );

        let err = env
            .client()
            .update_organisation(env.req(
                o.owner,
                update(
                    pb::Organisation {
                        id: id.clone(),
                        ..Default::default()
                    },
                    &[],
                ),
            ))
            .await
            .expect_err("empty");
        assert_eq!(violation_fields(&err), ["update_mask"]);

        let bad = pb::Organisation {
            id: id.clone(),
            name: "x".repeat(201),
            country_code: "QQ".into(),
            invoice_prefix: "ELEVENCHARS".into(),
            ..Default::default()
        };
        let err = env
            .client()
            .update_organisation(env.req(
                o.owner,
                update(bad, &["name", "country_code", "invoice_prefix"]),
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            [
                "organisation.name",
                "organisation.country_code",
                "organisation.invoice_prefix"
            ]
        );

        let err = env
            .client()
            .update_organisation(env.req(
                o.owner,
                update(
                    pb::Organisation {
                        id: id.clone(),
                        slug: other.org.slug.clone(),
                        ..Default::default()
                    },
                    &["slug"],
                ),
            ))
            .await
            .expect_err("slug taken");
        assert_eq!(err.code(), Code::AlreadyExists);

        let rename = pb::Organisation {
            id: other.id.to_string(),
            name: "Hijack".into(),
            ..Default::default()
        };
        let err = env
            .client()
            .update_organisation(env.req(o.owner, update(rename, &["name"])))
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);

        for role in [Role::Manager, Role::Viewer] {
            let who = Member { role, ..o.owner };
            let err = env
                .client()
                .update_organisation(env.req(
                    who,
                    update(
                        pb::Organisation {
                            id: id.clone(),
                            name: "Nope".into(),
                            ..Default::default()
                        },
                        &["name"],
                    ),
                ))
                .await
                .expect_err("role");
            assert_eq!(err.code(), Code::PermissionDenied);
        }
    }
}

/// ListMyOrganisations pages a user's organisations in joining order, binds its tokens
/// to the user, and works for the users service acting for that user.
#[tokio::test]
async fn list_my_organisations_pages() {
    for env in envs().await {
        let user = Uuid::now_v7();
        let mut created = Vec::new();
        for name in ["One", "Two", "Three"] {
            let org = env
                .client()
                .create_organisation(env.bare(user, create(named(name), "")))
                .await
                .expect("create")
                .into_inner()
                .organisation
                .expect("organisation");
            created.push(org.id);
        }
        // A membership obtained by invitation is listed too, with its role.
        let elsewhere = env.org("Elsewhere").await;
        let (_, token) = env
            .invite(elsewhere.owner, "me@example.fr", Role::Accountant)
            .await
            .expect("invite");
        env.accept(user, &token).await.expect("accept");
        created.push(elsewhere.id.to_string());

        let page = |token: String| pb::ListMyOrganisationsRequest {
            page_size: 2,
            page_token: token,
        };
        let first = env
            .client()
            .list_my_organisations(env.bare(user, page(String::new())))
            .await
            .expect("first")
            .into_inner();
        assert_eq!(first.organisations.len(), 2);
        assert!(!first.next_page_token.is_empty());
        let second = env
            .client()
            .list_my_organisations(env.internal(
                None,
                Some(user),
                page(first.next_page_token.clone()),
            ))
            .await
            .expect("second, internal")
            .into_inner();
        assert_eq!(second.organisations.len(), 2);
        assert!(second.next_page_token.is_empty());
        let seen: Vec<String> = first
            .organisations
            .iter()
            .chain(&second.organisations)
            .filter_map(|o| o.organisation.as_ref().map(|o| o.id.clone()))
            .collect();
        assert_eq!(seen, created);
        assert_eq!(second.organisations[1].role, Role::Accountant.to_proto());

        let err = env
            .client()
            .list_my_organisations(env.bare(Uuid::now_v7(), page(first.next_page_token)))
            .await
            .expect_err("another user's token");
        assert_eq!(violation_fields(&err), ["page_token"]);
        let err = env
            .client()
            .list_my_organisations(env.bare(
                user,
                pb::ListMyOrganisationsRequest {
                    page_size: -1,
                    page_token: String::new(),
                },
            ))
            .await
            .expect_err("negative");
        assert_eq!(violation_fields(&err), ["page_size"]);
        let none = env
            .client()
            .list_my_organisations(env.bare(Uuid::now_v7(), page(String::new())))
            .await
            .expect("stranger")
            .into_inner();
        assert!(none.organisations.is_empty());
    }
}
