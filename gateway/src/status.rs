//! Error answers: every failure, the edge's own or a service's, is a `google.rpc.Status`
//! in JSON (`code`, `message`, `details` with `@type`) under the HTTP status grpc-gateway
//! gives its gRPC code.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use tonic::Code;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

use crate::json::JsonCodec;

/// An error the edge answers itself, before or instead of calling a service.
#[derive(Debug, Clone)]
pub struct EdgeError {
    /// The gRPC code (the body's `code`).
    pub code: Code,
    /// The HTTP status, when it is not the code's usual one (405, 413).
    pub http: Option<StatusCode>,
    /// The message.
    pub message: String,
    /// Field violations, sent as a `google.rpc.BadRequest`.
    pub violations: Vec<FieldViolation>,
    /// Seconds after which to retry (429).
    pub retry_after: Option<Duration>,
    /// Methods the path takes (405).
    pub allow: Option<String>,
}

impl EdgeError {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            http: None,
            message: message.into(),
            violations: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    /// No route for the path: 404.
    pub fn not_found(path: &str) -> Self {
        Self::new(Code::NotFound, format!("no route for {path}"))
    }

    /// The path exists under other methods: 405 with `Allow`.
    pub fn method_not_allowed(allow: &[http::Method]) -> Self {
        let list: Vec<&str> = allow.iter().map(http::Method::as_str).collect();
        Self {
            http: Some(StatusCode::METHOD_NOT_ALLOWED),
            allow: Some(list.join(", ")),
            ..Self::new(Code::Unimplemented, "method not allowed on this path")
        }
    }

    /// Bad input: 400 with one violation per field.
    pub fn bad_request(message: impl Into<String>, violations: Vec<FieldViolation>) -> Self {
        Self {
            violations,
            ..Self::new(Code::InvalidArgument, message)
        }
    }

    /// A body larger than `limit` bytes: 413.
    pub fn too_large(limit: usize) -> Self {
        Self {
            http: Some(StatusCode::PAYLOAD_TOO_LARGE),
            ..Self::new(
                Code::ResourceExhausted,
                format!("request body larger than {limit} bytes"),
            )
        }
    }

    /// A content type the route does not take: 415.
    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self {
            http: Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ..Self::new(Code::InvalidArgument, message)
        }
    }

    /// Over a rate limit: 429 with `Retry-After`.
    pub fn rate_limited(what: &str, wait: Duration) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(
                Code::ResourceExhausted,
                format!("{what} rate limit exceeded"),
            )
        }
    }

    /// No token or a bad one: 401.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, message)
    }

    /// Any other code.
    pub fn with_code(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, message)
    }

    /// Returns the error as a gRPC status with its details, as a service would send it.
    pub fn to_status(&self) -> tonic::Status {
        let mut details = ErrorDetails::new();
        if !self.violations.is_empty() {
            details.set_bad_request(self.violations.clone());
        }
        if let Some(wait) = self.retry_after {
            details.set_retry_info(Some(wait));
        }
        if self.violations.is_empty() && self.retry_after.is_none() {
            tonic::Status::new(self.code, self.message.clone())
        } else {
            tonic::Status::with_error_details(self.code, self.message.clone(), details)
        }
    }
}

/// Writes statuses as JSON.
#[derive(Debug, Clone)]
pub struct StatusWriter {
    status: MessageDescriptor,
    codec: JsonCodec,
}

impl StatusWriter {
    /// Returns a writer using `google.rpc.Status` from `pool`.
    pub fn new(pool: &DescriptorPool, codec: JsonCodec) -> anyhow::Result<Self> {
        let status = pool
            .get_message_by_name("google.rpc.Status")
            .ok_or_else(|| anyhow::anyhow!("google.rpc.Status is not in the descriptor set"))?;
        Ok(Self { status, codec })
    }

    /// Returns the JSON body of `status`: its details decoded, each with its `@type`.
    pub fn body(&self, status: &tonic::Status) -> Bytes {
        let mut message = if status.details().is_empty() {
            DynamicMessage::new(self.status.clone())
        } else {
            DynamicMessage::decode(self.status.clone(), status.details())
                .unwrap_or_else(|_| DynamicMessage::new(self.status.clone()))
        };
        // The code and message of the status itself are authoritative.
        message.set_field_by_name("code", prost_reflect::Value::I32(status.code() as i32));
        message.set_field_by_name(
            "message",
            prost_reflect::Value::String(status.message().to_owned()),
        );
        match self.codec.encode(&message) {
            Ok(body) => body,
            Err(_) => {
                // A detail of a type the edge does not know cannot be written as JSON
                // with its fields; answer without the details rather than not at all.
                message.clear_field_by_name("details");
                self.codec.encode(&message).unwrap_or_else(|_| {
                    Bytes::from_static(br#"{"code":13,"message":"unwritable status"}"#)
                })
            }
        }
    }

    /// Returns the HTTP answer for a service's status.
    pub fn response(&self, status: &tonic::Status) -> Response<Body> {
        self.respond(status, None, None)
    }

    /// Returns the HTTP answer for an error of the edge's own.
    pub fn edge(&self, error: &EdgeError) -> Response<Body> {
        self.respond(&error.to_status(), error.http, error.allow.as_deref())
    }

    fn respond(
        &self,
        status: &tonic::Status,
        http: Option<StatusCode>,
        allow: Option<&str>,
    ) -> Response<Body> {
        let code = http.unwrap_or_else(|| {
            StatusCode::from_u16(crm_kit::error::http_status_of(status.code()))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        let mut response = Response::new(Body::from(self.body(status)));
        *response.status_mut() = code;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if status.code() == Code::ResourceExhausted && code == StatusCode::TOO_MANY_REQUESTS {
            let wait = status
                .get_error_details()
                .retry_info()
                .and_then(|r| r.retry_delay)
                .unwrap_or(Duration::from_secs(1));
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if status.code() == Code::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(allow) = allow.and_then(|a| HeaderValue::from_str(a).ok()) {
            headers.insert(header::ALLOW, allow);
        }
        response
    }

    /// Returns `status` as the JSON of a `google.rpc.Status`, for stream error events.
    pub fn stream_error(&self, status: &tonic::Status) -> Bytes {
        self.body(status)
    }
}
