//! Bad input: INVALID_ARGUMENT with every violation, and nothing written.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::common::v1 as common;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, person, violation_fields};

/// Every wrong field of a create is named in one answer, and no client is created.
#[tokio::test]
async fn create_reports_every_violation() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let bad = pb::Client {
            kind: pb::ClientKind::Person as i32,
            last_name: String::new(),
            email: "not-an-email".into(),
            phone: "12".into(),
            birth_date: Some(common::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            commercial_id: "nope".into(),
            postal_address: Some(common::Address {
                line1: "1 rue X".into(),
                city: "Paris".into(),
                postal_code: "750".into(),
                country_code: "FR".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = env.create(admin, bad).await.expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        let mut fields = violation_fields(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "client.birth_date",
                "client.commercial_id",
                "client.email",
                "client.last_name",
                "client.phone",
                "client.postal_address.postal_code",
            ],
            "malformed and invalid fields are reported together"
        );

        let bad = pb::Client {
            kind: pb::ClientKind::Person as i32,
            email: "not-an-email".into(),
            phone: "12".into(),
            postal_address: Some(common::Address {
                line1: "1 rue X".into(),
                city: "Paris".into(),
                postal_code: "750".into(),
                country_code: "FR".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = env.create(admin, bad).await.expect_err("invalid");
        let fields = violation_fields(&err);
        assert_eq!(
            fields,
            [
                "client.last_name",
                "client.email",
                "client.phone",
                "client.postal_address.postal_code"
            ]
        );

        let list = env
            .client()
            .list_clients(env.req(admin, pb::ListClientsRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(list.clients.is_empty(), "nothing was written");
    }
}

/// A missing kind, an archived status at creation, an id and a bad request_id are refused.
#[tokio::test]
async fn create_refuses_what_the_service_assigns() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let mut p = person("Kind", "kind@example.fr");
        p.kind = 0;
        p.id = Uuid::now_v7().to_string();
        p.status = pb::ClientStatus::Archived as i32;
        let err = env
            .client()
            .create_client(env.req(
                admin,
                pb::CreateClientRequest {
                    client: Some(p),
                    request_id: "not-a-uuid".into(),
                },
            ))
            .await
            .expect_err("invalid");
        let fields = violation_fields(&err);
        assert_eq!(
            fields,
            ["request_id", "client.id", "client.status", "client.kind"]
        );

        let err = env
            .client()
            .create_client(env.req(admin, pb::CreateClientRequest::default()))
            .await
            .expect_err("no client");
        assert_eq!(violation_fields(&err), ["client"]);
    }
}

/// A company needs a valid SIREN or SIRET; a bad one is named.
#[tokio::test]
async fn companies_need_valid_identifiers() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let bad = pb::Client {
            kind: pb::ClientKind::Company as i32,
            company_name: "ACME".into(),
            siren: "123456789".into(),
            ..Default::default()
        };
        let err = env.create(admin, bad).await.expect_err("luhn");
        assert_eq!(violation_fields(&err), ["client.siren"]);
        let none = pb::Client {
            kind: pb::ClientKind::Company as i32,
            company_name: "ACME".into(),
            ..Default::default()
        };
        let err = env.create(admin, none).await.expect_err("missing");
        assert_eq!(violation_fields(&err), ["client.siren"]);
    }
}

/// Malformed ids, page sizes and tokens in reads are INVALID_ARGUMENT, not NOT_FOUND.
#[tokio::test]
async fn reads_validate_their_input() {
    for env in envs().await {
        let admin = Member::new(Uuid::now_v7(), Role::Viewer);
        let err = env.get(admin, "42").await.expect_err("bad id");
        assert_eq!(violation_fields(&err), ["client_id"]);
        let err = env
            .client()
            .list_clients(env.req(
                admin,
                pb::ListClientsRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                    status: 99,
                    commercial_id: "x".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("bad list");
        assert_eq!(
            violation_fields(&err),
            ["page_size", "status", "commercial_id", "page_token"]
        );
    }
}
