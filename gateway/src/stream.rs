//! Streaming RPCs over HTTP.
//!
//! Server streams answer as Server-Sent Events when the client accepts
//! `text/event-stream` (`data: <message>` per message, and a final `event: error` whose
//! data is a `google.rpc.Status`), else as newline-delimited JSON in grpc-gateway's shape
//! (`{"result": <message>}` per line, a final `{"error": <status>}`). A stream that fails
//! before its first message answers with the error's HTTP status instead of 200.
//!
//! Client streams take newline-delimited JSON (one request message per value) or, for
//! upload RPCs, `multipart/form-data`: the form's text parts fill the first message (a
//! part's name is a field path; a JSON part fills a message field), then the file part's
//! bytes follow in 64 KiB messages setting the request's one `bytes` field. Fields named
//! `filename` and `content_type` are filled from the file part when the form leaves them
//! empty. A form that breaks off mid-way cancels the call, so nothing half-uploaded is
//! kept.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt as _};
use http::{HeaderMap, HeaderValue, Response, header};
use http_body_util::{BodyExt as _, Limited};
use prost::Message as _;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value};
use tonic::metadata::MetadataMap;
use tonic_types::FieldViolation;

use crate::Edge;
use crate::codec::DynamicCodec;
use crate::fields::{is_wkt, resolve_param, set_from_text};
use crate::routes::Binding;
use crate::status::EdgeError;
use crate::transcode::{Failure, json_response, upstream_of, within};

/// Size of the file chunks sent to an upload RPC.
const CHUNK: usize = 64 * 1024;

/// Answers a server stream.
pub async fn stream_response(
    edge: &Edge,
    binding: &Binding,
    mut streaming: tonic::Streaming<DynamicMessage>,
    sse: bool,
    deadline: Duration,
) -> Result<Response<Body>, Failure> {
    // The first message decides between an error status and 200.
    let first = within(deadline, streaming.message()).await?;
    let framer = Framer {
        sse,
        json: edge.json.clone(),
        errors: edge.errors.clone(),
        response_body: binding.response_body.clone(),
    };
    let head = first.map(|m| framer.message(&m));
    let rest = futures::stream::unfold(Some((streaming, framer)), |state| async move {
        let (mut streaming, framer) = state?;
        match streaming.message().await {
            Ok(Some(m)) => Some((framer.message(&m), Some((streaming, framer)))),
            Ok(None) => None,
            // The error is the last frame: the stream ends after it.
            Err(status) => Some((framer.error(&status), None)),
        }
    });
    let frames = futures::stream::iter(head)
        .chain(rest)
        .map(Ok::<Bytes, std::convert::Infallible>);
    let mut response = Response::new(Body::from_stream(frames));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if sse {
            "text/event-stream"
        } else {
            "application/x-ndjson"
        }),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies such as nginx must pass each event on at once.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

struct Framer {
    sse: bool,
    json: crate::json::JsonCodec,
    errors: crate::status::StatusWriter,
    response_body: Option<FieldDescriptor>,
}

impl Framer {
    fn message(&self, message: &DynamicMessage) -> Bytes {
        let json = match &self.response_body {
            Some(field) => self.json.encode_field(message, field),
            None => self.json.encode(message),
        };
        match json {
            Ok(json) => self.frame(&json, false),
            Err(e) => self.error(&tonic::Status::internal(format!(
                "cannot write the answer as JSON: {e}"
            ))),
        }
    }

    fn error(&self, status: &tonic::Status) -> Bytes {
        self.frame(&self.errors.stream_error(status), true)
    }

    fn frame(&self, json: &[u8], error: bool) -> Bytes {
        let mut out = BytesMut::with_capacity(json.len() + 24);
        if self.sse {
            if error {
                out.extend_from_slice(b"event: error\n");
            }
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(json);
            out.extend_from_slice(b"\n\n");
        } else {
            out.extend_from_slice(if error {
                b"{\"error\":"
            } else {
                b"{\"result\":"
            });
            out.extend_from_slice(json);
            out.extend_from_slice(b"}\n");
        }
        out.freeze()
    }
}

/// Serves a client-streaming (or bidirectional) RPC; `first` holds what the path and the
/// query set.
pub async fn client_streaming(
    edge: &Edge,
    binding: &Binding,
    first: DynamicMessage,
    headers: &HeaderMap,
    body: Body,
    metadata: MetadataMap,
    deadline: Duration,
) -> Result<Response<Body>, Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-ndjson");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "multipart/form-data" {
        let boundary = multer::parse_boundary(content_type)
            .map_err(|e| EdgeError::bad_request(format!("bad multipart form: {e}"), Vec::new()))?;
        return upload(edge, binding, first, body, boundary, metadata, deadline).await;
    }
    if !(essence == "application/x-ndjson"
        || essence == "application/jsonl"
        || essence == "application/json")
    {
        return Err(EdgeError::unsupported_media(
            "a streaming upload takes application/x-ndjson or multipart/form-data",
        )
        .into());
    }
    let limit = edge.config.upload_limit_bytes;
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|_| EdgeError::too_large(limit))?
        .to_bytes();
    let input = binding.rpc.method.input();
    let mut messages = Vec::new();
    let mut violations = Vec::new();
    for (i, value) in serde_json::Deserializer::from_slice(&bytes)
        .into_iter::<serde_json::Value>()
        .enumerate()
    {
        let value = value.map_err(|e| {
            EdgeError::bad_request(
                format!("malformed JSON: {e}"),
                vec![FieldViolation::new(format!("[{i}]"), e.to_string())],
            )
        })?;
        match DynamicMessage::deserialize_with_options(
            input.clone(),
            value,
            &prost_reflect::DeserializeOptions::new().deny_unknown_fields(true),
        ) {
            Ok(m) => messages.push(m),
            Err(e) => violations.push(FieldViolation::new(format!("[{i}]"), e.to_string())),
        }
    }
    if !violations.is_empty() {
        return Err(EdgeError::bad_request("invalid messages in the stream", violations).into());
    }
    // What the path and query set applies to the first message, over the body's values.
    let from_url = first.encode_to_vec();
    match messages.first_mut() {
        Some(head) => head
            .merge(from_url.as_slice())
            .map_err(|e| tonic::Status::internal(format!("cannot merge the path fields: {e}")))?,
        None => messages.push(first),
    }
    call_streaming(
        edge,
        binding,
        futures::stream::iter(messages),
        metadata,
        deadline,
        headers,
    )
    .await
}

/// Sends `messages` and answers with what the service returns.
async fn call_streaming(
    edge: &Edge,
    binding: &Binding,
    messages: impl Stream<Item = DynamicMessage> + Send + 'static,
    metadata: MetadataMap,
    deadline: Duration,
    headers: &HeaderMap,
) -> Result<Response<Body>, Failure> {
    let rpc = &binding.rpc;
    let channel = upstream_of(edge, rpc)?;
    let mut grpc = tonic::client::Grpc::new(channel);
    let mut call = tonic::Request::new(messages);
    *call.metadata_mut() = metadata;
    call.set_timeout(deadline);
    let codec = DynamicCodec::new(rpc.method.output());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("service unreachable: {e}")))?;
    if rpc.method.is_server_streaming() {
        let sse = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/event-stream"));
        let answer = within(deadline, grpc.streaming(call, rpc.path.clone(), codec)).await?;
        return stream_response(edge, binding, answer.into_inner(), sse, deadline).await;
    }
    let answer = within(
        deadline,
        grpc.client_streaming(call, rpc.path.clone(), codec),
    )
    .await?;
    json_response(edge, binding, &answer.into_inner())
}

/// The layout of an upload RPC's request message.
struct UploadShape {
    input: MessageDescriptor,
    chunk: FieldDescriptor,
    /// The one message field holding the metadata, when the form's names are relative
    /// to it.
    nested: Option<FieldDescriptor>,
}

impl UploadShape {
    fn of(input: &MessageDescriptor) -> Option<Self> {
        let mut bytes = input
            .fields()
            .filter(|f| f.kind() == Kind::Bytes && !f.is_list());
        let chunk = bytes.next()?;
        if bytes.next().is_some() {
            return None;
        }
        let mut messages = input.fields().filter(|f| {
            matches!(f.kind(), Kind::Message(m) if !is_wkt(&m)) && !f.is_list() && !f.is_map()
        });
        let nested = match (messages.next(), messages.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        };
        Some(Self {
            input: input.clone(),
            chunk,
            nested,
        })
    }

    fn resolve(&self, name: &str) -> Option<Vec<FieldDescriptor>> {
        if let Some(path) = resolve_param(&self.input, name) {
            return Some(path);
        }
        let nested = self.nested.as_ref()?;
        let Kind::Message(inner) = nested.kind() else {
            return None;
        };
        let mut path = vec![nested.clone()];
        path.extend(resolve_param(&inner, name)?);
        Some(path)
    }

    /// Sets `filename` / `content_type` (or `file_name` / `mime_type`) when unset.
    fn describe_file(
        &self,
        message: &mut DynamicMessage,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) {
        for (names, value) in [
            (["filename", "file_name"], filename),
            (["content_type", "mime_type"], content_type),
        ] {
            let Some(value) = value else { continue };
            for name in names {
                if let Some(path) = self.resolve(name)
                    && path
                        .last()
                        .is_some_and(|f| f.kind() == Kind::String && !f.is_list())
                    && !crate::fields::is_set(message, &path)
                {
                    let _ = set_from_text(message, &path, value);
                    break;
                }
            }
        }
    }
}

/// Streams a multipart form into an upload RPC.
async fn upload(
    edge: &Edge,
    binding: &Binding,
    first: DynamicMessage,
    body: Body,
    boundary: String,
    metadata: MetadataMap,
    deadline: Duration,
) -> Result<Response<Body>, Failure> {
    let input = binding.rpc.method.input();
    let shape = UploadShape::of(&input).ok_or_else(|| {
        EdgeError::unsupported_media(
            "this method takes no file: send its messages as application/x-ndjson",
        )
    })?;
    let limit = edge.config.upload_limit_bytes;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let (tx, rx) = tokio::sync::mpsc::channel::<DynamicMessage>(4);
    // Keeps the request stream open until the form is known to be whole: if the reader
    // fails, the call is dropped (cancelled) while this sender still exists, so the
    // service never sees a stream that ends normally after a partial file.
    let keep_open = tx.clone();
    let json = edge.json.clone();
    let reader = async move {
        let form_error = |e: multer::Error| match e {
            multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
                EdgeError::too_large(limit)
            }
            other => EdgeError::bad_request(format!("bad multipart form: {other}"), Vec::new()),
        };
        let mut head = first;
        let mut violations = Vec::new();
        let mut file_seen = false;
        while let Some(mut part) = form.next_field().await.map_err(form_error)? {
            let name = part.name().unwrap_or_default().to_owned();
            if part.file_name().is_some() {
                if file_seen {
                    return Err(EdgeError::bad_request(
                        "the form holds more than one file",
                        Vec::new(),
                    ));
                }
                if !violations.is_empty() {
                    return Err(EdgeError::bad_request("invalid form fields", violations));
                }
                file_seen = true;
                shape.describe_file(
                    &mut head,
                    part.file_name(),
                    part.content_type().map(|m| m.essence_str()),
                );
                let metadata =
                    std::mem::replace(&mut head, DynamicMessage::new(shape.input.clone()));
                if tx.send(metadata).await.is_err() {
                    return Ok(());
                }
                let mut buffer = BytesMut::with_capacity(CHUNK);
                while let Some(data) = part.chunk().await.map_err(form_error)? {
                    buffer.extend_from_slice(&data);
                    while buffer.len() >= CHUNK {
                        let piece = buffer.split_to(CHUNK).freeze();
                        if !send_chunk(&tx, &shape, piece).await {
                            return Ok(());
                        }
                    }
                }
                if !buffer.is_empty() && !send_chunk(&tx, &shape, buffer.freeze()).await {
                    return Ok(());
                }
                continue;
            }
            if file_seen {
                return Err(EdgeError::bad_request(
                    format!("form field {name:?} comes after the file; send fields first"),
                    Vec::new(),
                ));
            }
            let is_json_part = part
                .content_type()
                .is_some_and(|m| m.essence_str() == "application/json");
            let text = part.text().await.map_err(form_error)?;
            let Some(path) = shape.resolve(&name) else {
                violations.push(FieldViolation::new(name, "unknown form field"));
                continue;
            };
            let result = match path.last().map(FieldDescriptor::kind) {
                Some(Kind::Message(m)) if is_json_part && !is_wkt(&m) => json
                    .decode(&m, text.as_bytes())
                    .map_err(|e| format!("{e:?}"))
                    .map(|value| set_message(&mut head, &path, value)),
                _ => set_from_text(&mut head, &path, &text),
            };
            if let Err(reason) = result {
                violations.push(FieldViolation::new(name, reason));
            }
        }
        if !violations.is_empty() {
            return Err(EdgeError::bad_request("invalid form fields", violations));
        }
        if !file_seen {
            let _ = tx.send(head).await;
        }
        Ok(())
    };
    let no_headers = HeaderMap::new();
    let call = call_streaming(
        edge,
        binding,
        tokio_stream::wrappers::ReceiverStream::new(rx),
        metadata,
        deadline,
        &no_headers,
    );
    let mut call = Box::pin(call);
    tokio::select! {
        read = reader => match read {
            Ok(()) => {
                drop(keep_open);
                call.await
            }
            Err(error) => {
                drop(call);
                drop(keep_open);
                Err(error.into())
            }
        },
        answered = &mut call => answered,
    }
}

async fn send_chunk(
    tx: &tokio::sync::mpsc::Sender<DynamicMessage>,
    shape: &UploadShape,
    piece: Bytes,
) -> bool {
    let mut message = DynamicMessage::new(shape.input.clone());
    message.set_field(&shape.chunk, Value::Bytes(piece));
    tx.send(message).await.is_ok()
}

fn set_message(message: &mut DynamicMessage, path: &[FieldDescriptor], value: DynamicMessage) {
    let Some((leaf, parents)) = path.split_last() else {
        return;
    };
    let mut current = message;
    for field in parents {
        current = match current.get_field_mut(field) {
            Value::Message(m) => m,
            _ => return,
        };
    }
    current.set_field(leaf, Value::Message(value));
}
