//! A service the contract needs is down or hangs: the caller gets UNAVAILABLE (or
//! DEADLINE_EXCEEDED at its deadline) promptly, and nothing is written.

use std::time::{Duration, Instant};

use crm_proto::contrats::v1 as pb;
use crm_testkit::Running;
use tonic::Code;

use crate::support::{Env, draft, envs, spawn_contrats, today};

/// Returns the address of a port nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    url
}

/// Returns the address of a server that accepts connections and never answers.
async fn hanging_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// Starts a second contrats service on the stack's database with `service` at `url`.
async fn with_dependency_at(env: &Env, service: &str, url: String) -> Running {
    let mut urls = vec![
        ("clients", env.clients.url.clone()),
        ("commerciaux", env.commerciaux.url.clone()),
        ("products", env.products.url.clone()),
    ];
    for (name, u) in &mut urls {
        if *name == service {
            *u = url.clone();
        }
    }
    spawn_contrats(&env.keys, &env.db, &urls).await
}

/// With any one of the three services down, CreateContract is UNAVAILABLE within a
/// moment (one retry), and no contract or event is written.
#[tokio::test]
async fn a_dependency_down_is_unavailable_and_writes_nothing() {
    for env in envs().await {
        let f = env.fixture().await;
        for service in ["clients", "commerciaux", "products"] {
            let broken = with_dependency_at(&env, service, dead_url().await).await;
            let api =
                pb::contract_service_client::ContractServiceClient::new(broken.channel.clone());
            let started = Instant::now();
            let err = api
                .clone()
                .create_contract(env.req(
                    f.admin,
                    pb::CreateContractRequest {
                        contract: Some(draft(&f)),
                        request_id: String::new(),
                    },
                ))
                .await
                .expect_err("dependency down");
            assert_eq!(err.code(), Code::Unavailable, "{service}: {err:?}");
            assert!(err.message().contains(service), "{err:?}");
            assert!(started.elapsed() < Duration::from_secs(5), "{service}");
            broken.stop().await.expect("stop");
        }
        let listed = env
            .list(f.admin, pb::ListContractsRequest::default())
            .await
            .expect("list");
        assert!(listed.contracts.is_empty());
        assert!(env.outbox(f.admin.org).await.is_empty());
    }
}

/// With products down at signature the contract stays PENDING_SIGNATURE, unchanged, and
/// no contract.signed is written.
#[tokio::test]
async fn a_dependency_down_at_signature_changes_nothing() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.create(f.admin, draft(&f)).await.expect("create");
        let pending = env.send(f.admin, &c.id).await.expect("send");
        let broken = with_dependency_at(&env, "products", dead_url().await).await;
        let api = pb::contract_service_client::ContractServiceClient::new(broken.channel.clone());
        let err = api
            .clone()
            .sign_contract(env.req(
                f.admin,
                pb::SignContractRequest {
                    contract_id: c.id.clone(),
                    signer_name: "Jeanne".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("products down");
        assert_eq!(err.code(), Code::Unavailable);
        assert_eq!(env.get(f.admin, &c.id).await.expect("get"), pending);
        let types: Vec<String> = env
            .outbox(f.admin.org)
            .await
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(types, ["contract.created"]);
        broken.stop().await.expect("stop");
        // Once products answers again, the same signature goes through.
        env.sign_on(f.admin, &c.id, today()).await.expect("sign");
    }
}

/// A service that accepts connections and never answers does not hold the caller past
/// its deadline: DEADLINE_EXCEEDED at about one second, and nothing written.
#[tokio::test]
async fn a_hanging_dependency_ends_at_the_callers_deadline() {
    for env in envs().await {
        let f = env.fixture().await;
        let broken = with_dependency_at(&env, "clients", hanging_url().await).await;
        let api = pb::contract_service_client::ContractServiceClient::new(broken.channel.clone());
        let mut request = env.req(
            f.admin,
            pb::CreateContractRequest {
                contract: Some(draft(&f)),
                request_id: String::new(),
            },
        );
        // The deadline travels as the header only, so the answer comes from the service
        // (the client's own timer, which set_timeout would start, would win the race).
        request
            .metadata_mut()
            .insert("grpc-timeout", "1000m".parse().expect("header"));
        let started = Instant::now();
        let answer =
            tokio::time::timeout(Duration::from_secs(5), api.clone().create_contract(request))
                .await
                .expect("answered before the test gave up");
        let err = answer.expect_err("hangs");
        assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
        assert!(err.message().contains("clients"), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(env.outbox(f.admin.org).await.is_empty());
        broken.stop().await.expect("stop");
    }
}
