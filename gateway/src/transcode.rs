//! JSON to gRPC and back: one HTTP request becomes the request message of the RPC its
//! route names (body, then path variables, then query parameters), the call goes to the
//! service with the caller's token and deadline, and the answer comes back as JSON.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Limited};
use prost_reflect::{DynamicMessage, Kind, Value};
use tonic::metadata::MetadataMap;
use tonic_types::FieldViolation;

use crate::Edge;
use crate::codec::DynamicCodec;
use crate::fields::{is_set, resolve_param, set_from_text};
use crate::json::{BodyError, mask_paths};
use crate::routes::{Binding, BodyTarget, Lookup};
use crate::status::EdgeError;

/// Top-level resource fields a PATCH body may carry that never go into the update mask
/// the edge fills: the concurrency token and the times the server sets.
pub const NOT_IN_MASK: &[&str] = &[
    "version",
    "etag",
    "create_time",
    "update_time",
    "delete_time",
];

/// What the outer layer learnt about a request.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    /// The request id (kept or made).
    pub request_id: HeaderValue,
    /// The client's address.
    pub client: IpAddr,
}

/// Serves one JSON request.
pub async fn handle(
    edge: Arc<Edge>,
    facts: RequestFacts,
    request: Request<Body>,
) -> Response<Body> {
    match serve(&edge, &facts, request).await {
        Ok(response) => response,
        Err(Failure::Edge(error)) => edge.errors.edge(&error),
        Err(Failure::Service(status)) => edge.errors.response(&status),
    }
}

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// The edge refused it.
    Edge(EdgeError),
    /// The service answered an error.
    Service(tonic::Status),
}

impl From<EdgeError> for Failure {
    fn from(e: EdgeError) -> Self {
        Self::Edge(e)
    }
}

impl From<tonic::Status> for Failure {
    fn from(s: tonic::Status) -> Self {
        Self::Service(s)
    }
}

async fn serve(
    edge: &Edge,
    facts: &RequestFacts,
    request: Request<Body>,
) -> Result<Response<Body>, Failure> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let (binding, values) = match edge.routes.lookup(&parts.method, path) {
        Lookup::Found(b, v) => (b, v),
        Lookup::OtherMethods(m) => return Err(EdgeError::method_not_allowed(&m).into()),
        Lookup::NotFound => return Err(EdgeError::not_found(path).into()),
    };
    let rpc = &binding.rpc;
    let caller = edge.auth.caller(&parts.headers).await;
    let caller = match (rpc.public, caller) {
        (true, caller) => caller.ok().flatten(),
        (false, Ok(Some(caller))) => Some(caller),
        (false, Ok(None)) => {
            return Err(EdgeError::unauthenticated("a bearer token is required").into());
        }
        (false, Err(e)) => return Err(e.into()),
    };
    if let Some(org) = caller.as_ref().and_then(|c| c.organisation.as_deref()) {
        edge.limits.check_organisation(org)?;
    }

    let deadline = crate::headers::deadline(
        &parts.headers,
        Duration::from_millis(edge.config.default_timeout_ms),
        Duration::from_millis(edge.config.max_timeout_ms),
    );
    let metadata = MetadataMap::from_headers(crate::headers::metadata(
        &parts.headers,
        &edge.forward,
        &facts.request_id,
        facts.client,
    ));
    let method = &rpc.method;
    if method.is_client_streaming() {
        let first = request_message(
            edge,
            &binding,
            &values,
            parts.uri.query(),
            &parts.headers,
            None,
        )?;
        return crate::stream::client_streaming(
            edge,
            &binding,
            first,
            &parts.headers,
            body,
            metadata,
            deadline,
        )
        .await;
    }

    let bytes = read_body(edge, &binding, &parts.headers, body).await?;
    let message = request_message(
        edge,
        &binding,
        &values,
        parts.uri.query(),
        &parts.headers,
        Some(&bytes),
    )?;
    let mut call = tonic::Request::new(message);
    *call.metadata_mut() = metadata;
    call.set_timeout(deadline);
    let channel = upstream_of(edge, rpc)?;
    let mut grpc = tonic::client::Grpc::new(channel);
    let codec = DynamicCodec::new(method.output());

    if method.is_server_streaming() {
        let accept = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let sse = accept.is_some_and(|a| a.contains("text/event-stream"));
        let future = async {
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(format!("service unreachable: {e}")))?;
            grpc.server_streaming(call, rpc.path.clone(), codec).await
        };
        let response = within(deadline, future).await?;
        return crate::stream::stream_response(
            edge,
            &binding,
            response.into_inner(),
            sse,
            deadline,
        )
        .await;
    }

    let future = async {
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(format!("service unreachable: {e}")))?;
        grpc.unary(call, rpc.path.clone(), codec).await
    };
    let answer = within(deadline, future).await?;
    json_response(edge, &binding, &answer.into_inner())
}

/// Runs a call to a service within `deadline`. Passing it is DEADLINE_EXCEEDED, also
/// when tonic's client notices first (it answers CANCELLED "Timeout expired" once the
/// `grpc-timeout` it sent has passed).
pub async fn within<T>(
    deadline: Duration,
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> Result<T, tonic::Status> {
    let started = std::time::Instant::now();
    match tokio::time::timeout(deadline, call).await {
        Ok(Err(status))
            if status.code() == tonic::Code::Cancelled && started.elapsed() >= deadline =>
        {
            Err(tonic::Status::deadline_exceeded("the deadline passed"))
        }
        Ok(result) => result,
        Err(_) => Err(tonic::Status::deadline_exceeded("the deadline passed")),
    }
}

/// Returns the answer of a unary response: its JSON, 201 for a create.
pub fn json_response(
    edge: &Edge,
    binding: &Binding,
    message: &DynamicMessage,
) -> Result<Response<Body>, Failure> {
    let json = encode_answer(edge, binding, message)?;
    let mut response = Response::new(Body::from(json));
    if binding.created {
        *response.status_mut() = StatusCode::CREATED;
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Returns the service that serves `rpc`.
pub fn upstream_of(
    edge: &Edge,
    rpc: &crate::routes::Rpc,
) -> Result<crate::upstream::Upstream, EdgeError> {
    edge.upstreams
        .for_path(rpc.path.path())
        .cloned()
        .ok_or_else(|| {
            EdgeError::with_code(tonic::Code::Unimplemented, "no service serves this route")
        })
}

/// Reads a JSON body up to the limit; a route without a body takes none.
async fn read_body(
    edge: &Edge,
    binding: &Binding,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, EdgeError> {
    let limit = edge.config.body_limit_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(EdgeError::too_large(limit));
    }
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                EdgeError::too_large(limit)
            } else {
                EdgeError::bad_request(format!("cannot read the body: {e}"), Vec::new())
            }
        })?
        .to_bytes();
    if matches!(binding.body, BodyTarget::None) {
        if bytes.iter().any(|b| !b.is_ascii_whitespace()) {
            return Err(EdgeError::bad_request(
                format!(
                    "{} {} takes no body",
                    binding.method, binding.template.source
                ),
                Vec::new(),
            ));
        }
        return Ok(bytes);
    }
    // Like grpc-gateway, any declared type is read as JSON (curl -d sends a form type);
    // only a multipart form, which only upload RPCs take, is refused outright.
    if !bytes.is_empty() && is_multipart(headers) {
        return Err(EdgeError::unsupported_media(
            "this route takes a JSON body; multipart forms are for upload routes",
        ));
    }
    Ok(bytes)
}

/// Returns whether the request declares a multipart body.
fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
}

/// Builds the request message: body first, then path variables (which win), then query
/// parameters, then the idempotency key and the PATCH update mask. Every problem with
/// the path and the query is reported at once.
pub fn request_message(
    edge: &Edge,
    binding: &Binding,
    values: &[String],
    query: Option<&str>,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Result<DynamicMessage, EdgeError> {
    let input = binding.rpc.method.input();
    let mut message = DynamicMessage::new(input.clone());
    let mut body_json: Option<serde_json::Value> = None;
    if let Some(body) = body {
        match &binding.body {
            BodyTarget::None => {}
            BodyTarget::Whole => {
                message = edge.json.decode(&input, body).map_err(body_error)?;
            }
            BodyTarget::Field(field) => {
                if let Some(value) = edge.json.decode_field(field, body).map_err(body_error)? {
                    message.set_field(field, value);
                }
                if binding.update_mask.is_some() {
                    body_json = serde_json::from_slice(body).ok();
                }
            }
        }
    }

    let mut violations = Vec::new();
    for ((variable, fields), value) in binding
        .template
        .variables
        .iter()
        .zip(&binding.variables)
        .zip(values)
    {
        if let Err(reason) = set_from_text(&mut message, fields, value) {
            violations.push(FieldViolation::new(variable.field_path.clone(), reason));
        }
    }

    if let Some(query) = query.filter(|q| !q.is_empty()) {
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if let Err(reason) = apply_param(binding, &mut message, &key, &value, &mut seen) {
                violations.push(FieldViolation::new(key.into_owned(), reason));
            }
        }
    }
    if !violations.is_empty() {
        return Err(EdgeError::bad_request(
            "invalid path or query parameters",
            violations,
        ));
    }

    if let Some(key) = headers.get(&crate::headers::IDEMPOTENCY_KEY)
        && let Some(field) = input.get_field_by_name("request_id")
        && field.kind() == Kind::String
        && !field.is_list()
        && !message.has_field(&field)
    {
        let key = key
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 256)
            .ok_or_else(|| {
                EdgeError::bad_request(
                    "invalid Idempotency-Key",
                    vec![FieldViolation::new(
                        "Idempotency-Key",
                        "must be 1 to 256 visible ASCII characters",
                    )],
                )
            })?;
        message.set_field(&field, Value::String(key.to_owned()));
    }

    if let (Some(mask_field), BodyTarget::Field(body_field), Some(json)) =
        (&binding.update_mask, &binding.body, &body_json)
        && !message.has_field(mask_field)
        && let Kind::Message(resource) = body_field.kind()
        && let Kind::Message(mask_type) = mask_field.kind()
    {
        // The fields the path binds (client.id), the concurrency token and the times the
        // server sets say which resource and which version, not what to change.
        let bound: Vec<String> = binding
            .variables
            .iter()
            .filter(|v| v.len() > 1 && v[0] == *body_field)
            .map(|v| {
                v[1..]
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        let paths: Vec<String> = mask_paths(&resource, json)
            .into_iter()
            .filter(|p| !bound.contains(p) && !NOT_IN_MASK.contains(&p.as_str()))
            .collect();
        let mut mask = DynamicMessage::new(mask_type);
        mask.set_field_by_name(
            "paths",
            Value::List(paths.into_iter().map(Value::String).collect()),
        );
        message.set_field(mask_field, Value::Message(mask));
    }
    Ok(message)
}

fn apply_param(
    binding: &Binding,
    message: &mut DynamicMessage,
    key: &str,
    value: &str,
    seen: &mut Vec<String>,
) -> Result<(), String> {
    if matches!(binding.body, BodyTarget::Whole) {
        return Err("unknown query parameter: the body carries the whole request".to_owned());
    }
    let input = binding.rpc.method.input();
    let fields = resolve_param(&input, key).ok_or("unknown query parameter")?;
    if let BodyTarget::Field(body) = &binding.body
        && fields.first() == Some(body)
    {
        return Err("this field comes from the body".to_owned());
    }
    if binding.variables.iter().any(|v| prefix_of(v, &fields)) {
        return Err("this field comes from the path".to_owned());
    }
    let leaf = fields.last().ok_or("unknown query parameter")?;
    let canonical = fields
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(".");
    if !leaf.is_list() {
        if seen.contains(&canonical) || is_set(message, &fields) {
            return Err("given more than once".to_owned());
        }
        seen.push(canonical);
    }
    set_from_text(message, &fields, value)
}

/// Whether one of the two field paths is a prefix of the other.
fn prefix_of(a: &[prost_reflect::FieldDescriptor], b: &[prost_reflect::FieldDescriptor]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

fn body_error(error: BodyError) -> EdgeError {
    match error {
        BodyError::Malformed(message) => EdgeError::bad_request(
            format!("malformed JSON: {message}"),
            vec![FieldViolation::new("body", message)],
        ),
        BodyError::Field { field, reason } => {
            let field = if field.is_empty() {
                "body".to_owned()
            } else {
                field
            };
            EdgeError::bad_request(
                format!("invalid value for {field}: {reason}"),
                vec![FieldViolation::new(field, reason)],
            )
        }
    }
}

/// Returns the JSON of a response message per the binding's `response_body`.
pub fn encode_answer(
    edge: &Edge,
    binding: &Binding,
    message: &DynamicMessage,
) -> Result<Bytes, tonic::Status> {
    match &binding.response_body {
        Some(field) => edge.json.encode_field(message, field),
        None => edge.json.encode(message),
    }
    .map_err(|e| tonic::Status::internal(format!("cannot write the answer as JSON: {e}")))
}
