//! Who may do what: tenant isolation of the value lists, roles, tokens and internal
//! callers; health and reflection need no token.

use crm_kit::Role;
use crm_proto::referentiel::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, value};

/// Another organisation's list is invisible: its values are not listed, deleting or
/// guarding a change with a version of them is NOT_FOUND exactly like a missing value,
/// and the same code is free to create.
#[tokio::test]
async fn organisations_see_only_their_lists() {
    for env in envs().await {
        let a = Member::new(Uuid::now_v7(), Role::Owner);
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        env.upsert(a, "lead_sources", value("web", "Site web"), &[])
            .await
            .expect("a");
        let theirs = env.values(b, "lead_sources").await.expect("b list");
        assert!(theirs.values.is_empty());
        assert_eq!(theirs.version, "0");
        for code in ["web", "missing"] {
            let err = env
                .delete(b, "lead_sources", code)
                .await
                .expect_err("delete");
            assert_eq!(err.code(), Code::NotFound, "{code}");
            let guarded = pb::Value {
                version: 1,
                ..value(code, "Pirate")
            };
            let err = env
                .upsert(b, "lead_sources", guarded, &[])
                .await
                .expect_err("update");
            assert_eq!(err.code(), Code::NotFound, "{code}");
        }
        let own = env
            .upsert(b, "lead_sources", value("web", "Web"), &[])
            .await
            .expect("b");
        assert!(own.created, "the code is free in another organisation");
        let mine = env.values(a, "lead_sources").await.expect("a list");
        assert_eq!(mine.values.len(), 1);
        assert_eq!(mine.values[0].label, "Site web", "untouched");
        assert_eq!(mine.version, "1");
    }
}

/// Every member reads the lists; only owners and admins change them.
#[tokio::test]
async fn only_owners_and_admins_change_lists() {
    for env in envs().await {
        let org = Uuid::now_v7();
        for role in [Role::Owner, Role::Admin] {
            let who = Member::new(org, role);
            env.upsert(who, "client_tags", value(role.as_str(), "Tag"), &[])
                .await
                .expect("write");
        }
        for role in [Role::Manager, Role::Agent, Role::Accountant, Role::Viewer] {
            let who = Member::new(org, role);
            assert_eq!(
                env.values(who, "client_tags")
                    .await
                    .expect("read")
                    .values
                    .len(),
                2
            );
            let err = env
                .upsert(who, "client_tags", value("x", "X"), &[])
                .await
                .expect_err("upsert");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
            let err = env
                .delete(who, "client_tags", "owner")
                .await
                .expect_err("delete");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
        }
        let admin = Member::new(org, Role::Admin);
        env.delete(admin, "client_tags", "owner")
            .await
            .expect("admin deletes");
    }
}

/// Global data needs a valid token, with or without an organisation, or an internal
/// caller's mesh token; value lists need an organisation.
#[tokio::test]
async fn global_reads_need_any_valid_token() {
    for env in envs().await {
        let request = || pb::ListCountriesRequest {
            page_size: 1,
            ..Default::default()
        };
        let err = env
            .client()
            .list_countries(tonic::Request::new(request()))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = env
            .client()
            .list_countries(crm_testkit::authed("garbage", request()))
            .await
            .expect_err("bad token");
        assert_eq!(err.code(), Code::Unauthenticated);
        let stranger = crm_testkit::Keys::new().expect("keys");
        let foreign = stranger.token(Uuid::now_v7(), Uuid::now_v7(), Role::Owner);
        let err = env
            .client()
            .list_countries(crm_testkit::authed(&foreign, request()))
            .await
            .expect_err("foreign key");
        assert_eq!(err.code(), Code::Unauthenticated);

        // A signed-in user who has not picked an organisation yet.
        let now = chrono::Utc::now().timestamp();
        let claims = crm_kit::auth::tokens::AccessClaims::new(Uuid::now_v7(), None, None, now);
        let no_org = env.keys.signer.sign(&claims).expect("sign");
        let page = env
            .client()
            .list_countries(crm_testkit::authed(&no_org, request()))
            .await
            .expect("global read")
            .into_inner();
        assert_eq!(page.countries.len(), 1);
        let err = env
            .client()
            .list_values(crm_testkit::authed(
                &no_org,
                pb::ListValuesRequest {
                    list_key: "lead_sources".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("lists are per organisation");
        assert_eq!(err.code(), Code::PermissionDenied);

        // Another service of the mesh, for no organisation.
        let mut internal = tonic::Request::new(pb::GetReasonCodeRequest {
            code: "AM04".into(),
        });
        let token = env
            .keys
            .mesh
            .mint("retry", "referentiel", None, None, None, now)
            .expect("mint");
        internal.metadata_mut().insert(
            crm_kit::auth::INTERNAL_SERVICE_HEADER,
            "retry".parse().expect("value"),
        );
        internal.metadata_mut().insert(
            crm_kit::auth::INTERNAL_TOKEN_HEADER,
            token.parse().expect("value"),
        );
        let am04 = env
            .client()
            .get_reason_code(internal)
            .await
            .expect("internal read")
            .into_inner();
        assert_eq!(am04.reason_code.map(|r| r.retryable), Some(true));
    }
}

/// Health answers SERVING without a token and reflection lists the service.
#[tokio::test]
async fn health_and_reflection_need_no_token() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let env = envs().await.remove(0);
    let status = HealthClient::new(env.running.channel.clone())
        .check(HealthCheckRequest {
            service: "crm.referentiel.v1.ReferentielService".into(),
        })
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(status, 1, "SERVING");
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(env.running.channel.clone())
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = stream.message().await.expect("message").expect("some");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"crm.referentiel.v1.ReferentielService".to_owned()),
        "{names:?}"
    );
}
