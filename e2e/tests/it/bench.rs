//! The bench server: GetClient answers the fixed record, other methods refuse, and the
//! kit mode authenticates like a real service.

use crm_e2e::bench_server::{BenchKeys, BenchServer, Mode, fixed_client};
use crm_kit::KitConfig;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use tonic::Code;

/// Starts a bench server in `mode` on an ephemeral port, waiting until it serves.
pub async fn start(mode: Mode) -> (BenchServer, BenchKeys) {
    let keys = BenchKeys::new().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = BenchServer::start(mode, listener, &keys, &KitConfig::default())
        .await
        .unwrap();
    let channel = tonic::transport::Channel::from_shared(server.url())
        .unwrap()
        .connect_lazy();
    if mode == Mode::Kit {
        crm_testkit::wait_serving(channel).await.unwrap();
    }
    (server, keys)
}

/// Both modes answer GetClient with the fixed record (kit with the printed token) and
/// every other method with FAILED_PRECONDITION.
#[tokio::test]
async fn get_client_answers_the_fixed_record() {
    for mode in [Mode::Bare, Mode::Kit] {
        let (server, keys) = start(mode).await;
        let channel = tonic::transport::Channel::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = ClientServiceClient::new(channel);
        let got = client
            .get_client(crm_testkit::authed(
                &keys.token,
                pb::GetClientRequest {
                    client_id: uuid::Uuid::now_v7().to_string(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .client;
        assert_eq!(got, Some(fixed_client()), "{mode:?}");
        let refused = client
            .list_clients(crm_testkit::authed(
                &keys.token,
                pb::ListClientsRequest::default(),
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{mode:?}");
        assert_eq!(refused.message(), "benchmark server serves GetClient only");
        server.stop().await.unwrap();
    }
}

/// The kit mode refuses a call without a token, like the real clients service; the
/// bare mode does not check tokens at all.
#[tokio::test]
async fn only_the_kit_mode_needs_a_token() {
    for (mode, code) in [(Mode::Kit, Some(Code::Unauthenticated)), (Mode::Bare, None)] {
        let (server, _) = start(mode).await;
        let channel = tonic::transport::Channel::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let answer = ClientServiceClient::new(channel)
            .get_client(pb::GetClientRequest::default())
            .await;
        assert_eq!(answer.err().map(|s| s.code()), code, "{mode:?}");
        server.stop().await.unwrap();
    }
}
