//! ReassignPortfolio against a real clients service: every client of the source moves
//! to the target, refusals leave them where they were, and a clients service that is
//! down gives UNAVAILABLE.

use std::time::Duration;

use crm_kit::Role;
use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commerciaux::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, Stack, stacks, violation_fields};

/// Creates a person client assigned to `commercial`, through the clients service.
async fn new_client(s: &Stack, who: Member, commercial: &str) -> String {
    let tag = Uuid::new_v4().simple().to_string();
    let request = cl::CreateClientRequest {
        client: Some(cl::Client {
            kind: cl::ClientKind::Person as i32,
            first_name: "Jeanne".into(),
            last_name: format!("Client {tag}"),
            email: format!("{tag}@example.fr"),
            commercial_id: commercial.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    ClientServiceClient::new(s.clients.channel.clone())
        .create_client(s.env.req(who, request))
        .await
        .expect("create client")
        .into_inner()
        .client
        .expect("client")
        .id
}

/// Returns the ids of the clients assigned to `commercial`, sorted.
async fn clients_of(s: &Stack, who: Member, commercial: &str) -> Vec<String> {
    let page = ClientServiceClient::new(s.clients.channel.clone())
        .list_clients(s.env.req(
            who,
            cl::ListClientsRequest {
                commercial_id: commercial.into(),
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .expect("list clients")
        .into_inner();
    assert!(page.next_page_token.is_empty(), "one page is enough here");
    let mut ids: Vec<String> = page.clients.into_iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

async fn reassign(
    s: &Stack,
    who: Member,
    from: &str,
    to: &str,
) -> Result<pb::ReassignPortfolioResponse, tonic::Status> {
    Ok(s.env
        .client()
        .reassign_portfolio(s.env.req(
            who,
            pb::ReassignPortfolioRequest {
                from_commercial_id: from.into(),
                to_commercial_id: to.into(),
            },
        ))
        .await?
        .into_inner())
}

#[tokio::test]
async fn moves_every_client_of_the_source_to_the_target() {
    for s in stacks().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let a = s.env.create_under(admin, "A", "").await.id;
        let b = s.env.create_under(admin, "B", "").await.id;
        let c = s.env.create_under(admin, "C", "").await.id;
        let mut moving = Vec::new();
        for _ in 0..3 {
            moving.push(new_client(&s, admin, &a).await);
        }
        moving.sort();
        let staying = new_client(&s, admin, &c).await;
        // The usual case: the source has left; their clients still move.
        s.env.deactivate(admin, &a).await.expect("deactivate A");

        // A manager moves portfolios within their team only (clients decides, from the
        // hierarchy); this one has no sales-agent record, hence no team.
        let manager = admin.with_role(Role::Manager);
        let err = reassign(&s, manager, &a, &b)
            .await
            .expect_err("outside the team");
        assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
        let moved = reassign(&s, admin, &a, &b).await.expect("reassign");
        assert_eq!(moved.reassigned_clients, 3, "{:?}", s.env.backend);
        assert_eq!(moved.reassigned_opportunities, 0);
        assert_eq!(clients_of(&s, admin, &b).await, moving);
        assert!(clients_of(&s, admin, &a).await.is_empty());
        assert_eq!(clients_of(&s, admin, &c).await, vec![staying]);

        // Nothing left to move: a repeat is harmless and says so.
        let again = reassign(&s, admin.with_role(Role::Owner), &a, &b)
            .await
            .expect("repeat");
        assert_eq!(again.reassigned_clients, 0);
        assert_eq!(clients_of(&s, admin, &b).await, moving);
    }
}

#[tokio::test]
async fn refusals_leave_the_clients_where_they_were() {
    for s in stacks().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let a = s.env.create_under(admin, "A", "").await.id;
        let b = s.env.create_under(admin, "B", "").await.id;
        let gone = s.env.create_under(admin, "GONE", "").await.id;
        s.env.deactivate(admin, &gone).await.expect("deactivate");
        let stranger = Member::new(Uuid::now_v7(), Role::Admin);
        let foreign = s.env.create_under(stranger, "F", "").await.id;
        let mut mine = vec![
            new_client(&s, admin, &a).await,
            new_client(&s, admin, &a).await,
        ];
        mine.sort();

        // Every violation at once.
        let err = reassign(&s, admin, "", "nope").await.expect_err("bad ids");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            ["from_commercial_id", "to_commercial_id"]
        );
        let err = reassign(&s, admin, &a, &a).await.expect_err("same ids");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["to_commercial_id"]);

        // Missing and another organisation's are alike, on either side.
        let unknown = Uuid::now_v7().to_string();
        for (from, to) in [
            (&unknown, &b),
            (&a, &unknown),
            (&foreign, &b),
            (&a, &foreign),
        ] {
            let err = reassign(&s, admin, from, to).await.expect_err("not found");
            assert_eq!(err.code(), Code::NotFound, "{from} -> {to}");
        }
        let err = reassign(&s, stranger, &a, &b)
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);

        let err = reassign(&s, admin, &a, &gone)
            .await
            .expect_err("inactive target");
        assert_eq!(err.code(), Code::FailedPrecondition);

        for role in [Role::Agent, Role::Viewer] {
            let err = reassign(&s, admin.with_role(role), &a, &b)
                .await
                .expect_err("role");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
        }

        assert_eq!(clients_of(&s, admin, &a).await, mine);
        assert!(clients_of(&s, admin, &b).await.is_empty());
        assert!(clients_of(&s, admin, &gone).await.is_empty());
    }
}

#[tokio::test]
async fn a_clients_service_that_is_down_gives_unavailable() {
    for s in stacks().await {
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let a = s.env.create_under(admin, "A", "").await.id;
        let b = s.env.create_under(admin, "B", "").await.id;
        // Connected first, so the stop also drops a live connection.
        let moved = reassign(&s, admin, &a, &b).await.expect("reassign");
        assert_eq!(moved.reassigned_clients, 0);

        let Stack { env, clients } = s;
        tokio::time::timeout(Duration::from_secs(10), clients.stop())
            .await
            .expect("clients stopped in time")
            .expect("clients stopped");
        let err = env
            .client()
            .reassign_portfolio(env.req(
                admin,
                pb::ReassignPortfolioRequest {
                    from_commercial_id: a.clone(),
                    to_commercial_id: b.clone(),
                },
            ))
            .await
            .expect_err("clients down");
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
        // The checks that need no other service still answer as before.
        let err = env
            .client()
            .reassign_portfolio(env.req(
                admin,
                pb::ReassignPortfolioRequest {
                    from_commercial_id: a.clone(),
                    to_commercial_id: Uuid::now_v7().to_string(),
                },
            ))
            .await
            .expect_err("unknown target");
        assert_eq!(err.code(), Code::NotFound);
    }
}
