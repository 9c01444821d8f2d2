//! The edge under test: the platform's descriptors plus the fixture service of
//! `fixture/edgetest.proto`, served by an in-process echo server, and an HTTP client.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use crm_gateway::codec::DynamicCodec;
use crm_gateway::{Edge, GatewayConfig};
use crm_kit::auth::Role;
use futures::{Stream, StreamExt as _};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

/// The encoded descriptor set: every platform proto and the fixture.
pub fn descriptor_set() -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let protos = root.join("../proto");
    let fixture = root.join("tests/it/fixture");
    let mut compiler = protox::Compiler::new([&protos, &fixture]).expect("compiler");
    compiler.include_imports(true);
    compiler.include_source_info(true);
    let mut files = vec![fixture.join("edgetest.proto")];
    collect(&protos.join("crm"), &mut files);
    files.push(protos.join("google/rpc/error_details.proto"));
    compiler.open_files(&files).expect("fixture compiles");
    compiler.encode_file_descriptor_set()
}

fn collect(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("proto dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

/// A running edge in front of the echo server.
pub struct TestEdge {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Signs tokens the edge accepts.
    pub keys: crm_testkit::Keys,
    /// The descriptors.
    pub pool: DescriptorPool,
    /// The edge itself.
    pub edge: Arc<Edge>,
    client: Client<HttpConnector, Full<Bytes>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestEdge {
    /// Starts the echo server and an edge with `config`.
    pub async fn start(config: GatewayConfig) -> Self {
        let fds = descriptor_set();
        let pool = DescriptorPool::decode(fds.as_slice()).expect("pool");
        let echo = spawn_echo(pool.clone()).await;
        let keys = crm_testkit::Keys::new().expect("keys");
        let edge = Edge::new(config, &fds, keys.keys.clone(), 1000, move |service| {
            crm_gateway::upstream::Target::Url(if service == "edgetest" {
                format!("http://{echo}")
            } else {
                // Nothing listens there: the platform's services are down in these tests.
                "http://127.0.0.1:9".to_owned()
            })
        })
        .await
        .expect("edge");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(crm_gateway::serve(edge.clone(), listener, async {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{addr}"),
            keys,
            pool,
            edge,
            client: Client::builder(TokioExecutor::new()).build_http(),
            _stop: stop,
        }
    }

    /// Starts with the default configuration and no rate limits.
    pub async fn default() -> Self {
        let mut config = GatewayConfig::default();
        config.rate_limits.per_ip_per_second = 0;
        config.rate_limits.per_organisation_per_second = 0;
        Self::start(config).await
    }

    /// Returns a valid token of a new organisation.
    pub fn token(&self) -> String {
        self.keys.token(Uuid::now_v7(), Uuid::now_v7(), Role::Admin)
    }

    /// Sends a request with a valid token unless `headers` names `authorization`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        self.send_bytes(
            method,
            path,
            headers,
            body.map(|b| Bytes::from(b.to_owned())),
        )
        .await
    }

    /// Like [`TestEdge::send`], with a raw body.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Answer {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        let token = self.token();
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("content-type", "application/json");
        }
        for (k, v) in headers {
            if !v.is_empty() {
                request = request.header(*k, *v);
            }
        }
        let request = request
            .body(Full::new(body.unwrap_or_default()))
            .expect("request");
        let response = tokio::time::timeout(Duration::from_secs(20), self.client.request(request))
            .await
            .expect("answer in time")
            .expect("answer");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Decodes a `Received` answer: the request message the service got, as JSON, and
    /// its metadata.
    pub fn received(&self, answer: &Answer, input: &str) -> (serde_json::Value, serde_json::Value) {
        let json = answer.json();
        let raw = base64_decode(json["request"].as_str().unwrap_or_default());
        let desc = self.pool.get_message_by_name(input).expect("input type");
        let message = DynamicMessage::decode(desc, raw.as_slice()).expect("decodes");
        let options = prost_reflect::SerializeOptions::new().skip_default_fields(true);
        let mut out = Vec::new();
        message
            .serialize_with_options(&mut serde_json::Serializer::new(&mut out), &options)
            .expect("json");
        (
            serde_json::from_slice(&out).expect("json"),
            json["metadata"].clone(),
        )
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

// ---------------------------------------------------------------- the echo server

type Boxed<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

#[derive(Clone)]
struct Echo {
    pool: DescriptorPool,
}

async fn spawn_echo(pool: DescriptorPool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback_service(Echo { pool });
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

impl tower::Service<http::Request<axum::body::Body>> for Echo {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Boxed<Result<Self::Response, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/').to_owned();
        let method = path.split_once('/').and_then(|(service, method)| {
            self.pool
                .get_service_by_name(service)
                .and_then(|s| s.methods().find(|m| m.name() == method))
        });
        Box::pin(async move {
            let Some(method) = method else {
                return Ok(Status::unimplemented("no such method").into_http());
            };
            let mut grpc = tonic::server::Grpc::new(DynamicCodec::new(method.input()));
            let handler = Handler(method.clone());
            Ok(
                match (method.is_client_streaming(), method.is_server_streaming()) {
                    (false, false) => grpc.unary(handler, request).await,
                    (false, true) => grpc.server_streaming(handler, request).await,
                    (true, false) => grpc.client_streaming(handler, request).await,
                    (true, true) => Status::unimplemented("no bidi in the fixture").into_http(),
                },
            )
        })
    }
}

#[derive(Clone)]
struct Handler(MethodDescriptor);

fn metadata_json(request_metadata: &tonic::metadata::MetadataMap) -> Vec<(String, String)> {
    let headers = request_metadata.clone().into_headers();
    let mut out: Vec<(String, String)> = Vec::new();
    for key in headers.keys() {
        let values: Vec<String> = headers
            .get_all(key)
            .iter()
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .collect();
        out.push((key.as_str().to_owned(), values.join(", ")));
    }
    out
}

impl tonic::server::UnaryService<DynamicMessage> for Handler {
    type Response = DynamicMessage;
    type Future = Boxed<Result<Response<DynamicMessage>, Status>>;

    fn call(&mut self, request: Request<DynamicMessage>) -> Self::Future {
        let method = self.0.clone();
        Box::pin(async move {
            let metadata = metadata_json(request.metadata());
            let message = request.into_inner();
            match method.name() {
                "Echo" | "UpdateThing" => Ok(Response::new(message)),
                "Slow" => {
                    let millis = message
                        .get_field_by_name("millis")
                        .and_then(|v| v.as_i32())
                        .unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(millis.max(0) as u64)).await;
                    Ok(Response::new(message))
                }
                "CreateThing" | "GetThing" => {
                    let mut out = DynamicMessage::new(method.output());
                    out.set_field_by_name("request", Value::Bytes(message.encode_to_vec().into()));
                    let map = metadata
                        .into_iter()
                        .map(|(k, v)| (prost_reflect::MapKey::String(k), Value::String(v)))
                        .collect();
                    out.set_field_by_name("metadata", Value::Map(map));
                    Ok(Response::new(out))
                }
                "Fail" => {
                    let code = message
                        .get_field_by_name("code")
                        .and_then(|v| v.as_i32())
                        .unwrap_or(2);
                    let mut details = tonic_types::ErrorDetails::new();
                    if message
                        .get_field_by_name("violations")
                        .and_then(|v| v.as_bool())
                        == Some(true)
                    {
                        details.add_bad_request_violation("email", "must be an e-mail address");
                        details.add_bad_request_violation("phone", "must be E.164");
                    }
                    let retry = message
                        .get_field_by_name("retry_seconds")
                        .and_then(|v| v.as_i32())
                        .unwrap_or(0);
                    if retry > 0 {
                        details.set_retry_info(Some(Duration::from_secs(retry as u64)));
                    }
                    use tonic_types::StatusExt as _;
                    Err(Status::with_error_details(
                        tonic::Code::from_i32(code),
                        format!("failed with {code}"),
                        details,
                    ))
                }
                other => Err(Status::unimplemented(other.to_owned())),
            }
        })
    }
}

type ThingStream = Pin<Box<dyn Stream<Item = Result<DynamicMessage, Status>> + Send>>;

impl tonic::server::ServerStreamingService<DynamicMessage> for Handler {
    type Response = DynamicMessage;
    type ResponseStream = ThingStream;
    type Future = Boxed<Result<Response<ThingStream>, Status>>;

    fn call(&mut self, request: Request<DynamicMessage>) -> Self::Future {
        let output = self.0.output();
        Box::pin(async move {
            let message = request.into_inner();
            let count = message
                .get_field_by_name("count")
                .and_then(|v| v.as_i32())
                .unwrap_or(0);
            let fail = message
                .get_field_by_name("fail_code")
                .and_then(|v| v.as_i32())
                .unwrap_or(0);
            if count < 0 {
                return Err(Status::invalid_argument("count must not be negative"));
            }
            let things = (0..count).map(move |i| {
                let mut thing = DynamicMessage::new(output.clone());
                thing.set_field_by_name("id", Value::String(format!("t{i}")));
                thing.set_field_by_name("i64", Value::I64(i64::from(i)));
                Ok(thing)
            });
            let tail =
                (fail != 0).then(|| Err(Status::new(tonic::Code::from_i32(fail), "stream broke")));
            let stream: ThingStream = Box::pin(futures::stream::iter(things.chain(tail)));
            Ok(Response::new(stream))
        })
    }
}

impl tonic::server::ClientStreamingService<DynamicMessage> for Handler {
    type Response = DynamicMessage;
    type Future = Boxed<Result<Response<DynamicMessage>, Status>>;

    fn call(&mut self, request: Request<Streaming<DynamicMessage>>) -> Self::Future {
        let method = self.0.clone();
        Box::pin(async move {
            let mut stream = request.into_inner();
            let mut out = DynamicMessage::new(method.output());
            if method.name() == "Sum" {
                let mut total = 0i64;
                while let Some(thing) = stream.next().await {
                    total += thing?
                        .get_field_by_name("i64")
                        .and_then(|v| v.as_i64())
                        .unwrap_or(0);
                }
                out.set_field_by_name("i64", Value::I64(total));
                return Ok(Response::new(out));
            }
            let mut size = 0i64;
            let mut chunks = 0i32;
            let mut first = true;
            let mut content = Vec::new();
            while let Some(part) = stream.next().await {
                let part = part?;
                if let Some(meta) = part
                    .get_field_by_name("meta")
                    .filter(|_| part.has_field_by_name("meta"))
                {
                    if first {
                        out.set_field_by_name("metadata_first", Value::Bool(true));
                    }
                    out.set_field_by_name("meta", meta.into_owned());
                }
                if part.has_field_by_name("chunk")
                    && let Some(Value::Bytes(b)) =
                        part.get_field_by_name("chunk").map(|c| c.into_owned())
                {
                    size += b.len() as i64;
                    chunks += 1;
                    if content.len() < 4096 {
                        content.extend_from_slice(&b);
                    }
                }
                first = false;
            }
            out.set_field_by_name("size", Value::I64(size));
            out.set_field_by_name("chunks", Value::I32(chunks));
            content.truncate(4096);
            out.set_field_by_name("content", Value::Bytes(content.into()));
            Ok(Response::new(out))
        })
    }
}
