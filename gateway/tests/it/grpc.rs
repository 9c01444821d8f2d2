//! One door: native gRPC and gRPC-Web through the edge, reflection of every service.

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use crm_gateway::codec::DynamicCodec;
use http::Method;
use prost::Message as _;
use prost_reflect::{DynamicMessage, Value};
use tokio_stream::StreamExt as _;
use tonic::codegen::http::uri::PathAndQuery;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::support::TestEdge;

fn thing(edge: &TestEdge, id: &str) -> DynamicMessage {
    let desc = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.Thing")
        .expect("Thing");
    let mut m = DynamicMessage::new(desc);
    m.set_field_by_name("id", Value::String(id.to_owned()));
    m
}

/// Native gRPC goes to the owning service by path, with x-internal-* dropped.
#[tokio::test]
async fn grpc_passes_through_by_path() {
    let edge = TestEdge::default().await;
    let channel = tonic::transport::Endpoint::from_shared(edge.base.clone())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let output = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.Thing")
        .expect("Thing");
    let mut request = tonic::Request::new(thing(&edge, "g1"));
    request
        .metadata_mut()
        .insert("x-internal-service", "users".parse().expect("value"));
    let answer = grpc
        .unary(
            request,
            PathAndQuery::from_static("/crm.edgetest.v1.EchoService/Echo"),
            DynamicCodec::new(output.clone()),
        )
        .await
        .expect("echo");
    assert_eq!(
        answer
            .get_ref()
            .get_field_by_name("id")
            .expect("id")
            .as_str(),
        Some("g1")
    );

    // The metadata the service saw, through GetThing.
    let get = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.GetThingRequest")
        .expect("type");
    let mut message = DynamicMessage::new(get);
    message.set_field_by_name("thing_id", Value::String("x".into()));
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-internal-service", "users".parse().expect("value"));
    request
        .metadata_mut()
        .insert("x-internal-token", "forged".parse().expect("value"));
    let received = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.Received")
        .expect("type");
    grpc.ready().await.expect("ready");
    let answer = grpc
        .unary(
            request,
            PathAndQuery::from_static("/crm.edgetest.v1.EchoService/GetThing"),
            DynamicCodec::new(received),
        )
        .await
        .expect("get");
    let metadata = answer
        .get_ref()
        .get_field_by_name("metadata")
        .expect("map")
        .into_owned();
    let keys: Vec<String> = match metadata {
        Value::Map(m) => m.keys().map(|k| format!("{k:?}")).collect(),
        _ => Vec::new(),
    };
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| !k.contains("internal")), "{keys:?}");

    // Streams pass through too, and errors keep their code.
    grpc.ready().await.expect("ready");
    let list = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.ListThingsRequest")
        .expect("type");
    let mut message = DynamicMessage::new(list);
    message.set_field_by_name("count", Value::I32(4));
    let stream = grpc
        .server_streaming(
            tonic::Request::new(message),
            PathAndQuery::from_static("/crm.edgetest.v1.EchoService/ListThings"),
            DynamicCodec::new(output.clone()),
        )
        .await
        .expect("stream")
        .into_inner();
    let things: Vec<_> = stream.collect().await;
    assert_eq!(things.len(), 4);

    grpc.ready().await.expect("ready");
    let fail = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.FailRequest")
        .expect("type");
    let mut message = DynamicMessage::new(fail);
    message.set_field_by_name("code", Value::I32(5));
    let status = grpc
        .unary(
            tonic::Request::new(message),
            PathAndQuery::from_static("/crm.edgetest.v1.EchoService/Fail"),
            DynamicCodec::new(output.clone()),
        )
        .await
        .expect_err("fails");
    assert_eq!(status.code(), tonic::Code::NotFound);

    // An unknown service is UNIMPLEMENTED.
    grpc.ready().await.expect("ready");
    let status = grpc
        .unary(
            tonic::Request::new(thing(&edge, "z")),
            PathAndQuery::from_static("/crm.nothing.v1.Nope/Call"),
            DynamicCodec::new(output),
        )
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
}

/// gRPC-Web over HTTP/1.1: framed request, data frame and trailer frame back.
#[tokio::test]
async fn grpc_web_is_translated() {
    let edge = TestEdge::default().await;
    let payload = thing(&edge, "web-1").encode_to_vec();
    let mut body = BytesMut::new();
    body.put_u8(0);
    body.put_u32(payload.len() as u32);
    body.put_slice(&payload);
    let answer = edge
        .send_bytes(
            Method::POST,
            "/crm.edgetest.v1.EchoService/Echo",
            &[
                ("content-type", "application/grpc-web+proto"),
                ("x-grpc-web", "1"),
                ("origin", "http://localhost:5173"),
            ],
            Some(body.freeze()),
        )
        .await;
    assert_eq!(answer.status, http::StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/grpc-web+proto");
    let mut frames = answer.body.clone();
    let mut data = None;
    let mut trailers = String::new();
    while frames.remaining() >= 5 {
        let flag = frames.get_u8();
        let len = frames.get_u32() as usize;
        let chunk: Bytes = frames.split_to(len);
        if flag & 0x80 != 0 {
            trailers = String::from_utf8_lossy(&chunk).into_owned();
        } else {
            data = Some(chunk);
        }
    }
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let desc = edge
        .pool
        .get_message_by_name("crm.edgetest.v1.Thing")
        .expect("Thing");
    let echoed = DynamicMessage::decode(desc, data.expect("data frame")).expect("decodes");
    assert_eq!(
        echoed.get_field_by_name("id").expect("id").as_str(),
        Some("web-1")
    );
}

/// The edge answers reflection for every service, v1 and v1alpha.
#[tokio::test]
async fn reflection_lists_every_service() {
    let edge = TestEdge::default().await;
    let channel = tonic::transport::Endpoint::from_shared(edge.base.clone())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut client = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers.next().await.expect("one answer").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "crm.users.v1.UserService",
        "crm.clients.v1.ClientService",
        "crm.organisations.v1.OrganisationService",
        "crm.activites.v1.ActivityService",
        "crm.edgetest.v1.EchoService",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    let mut alpha =
        tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient::new(
            channel.clone(),
        );
    let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "crm.clients.v1.ClientService".into(),
            ),
        ),
    };
    let mut answers = alpha
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let answer = answers.next().await.expect("one answer").expect("ok");
    assert!(matches!(
        answer.message_response,
        Some(tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
    ));

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}
