//! One table of error kinds with their gRPC code and HTTP status, and the helper that
//! turns field violations into `INVALID_ARGUMENT` with a `google.rpc.BadRequest` detail.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The kinds of failure a service reports, each with one gRPC code and one HTTP status,
/// so the JSON edge and the services never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent bad input: gRPC `INVALID_ARGUMENT`, HTTP 400.
    InvalidArgument,
    /// No token or a bad one: gRPC `UNAUTHENTICATED`, HTTP 401.
    Unauthenticated,
    /// The role may not do this: gRPC `PERMISSION_DENIED`, HTTP 403.
    PermissionDenied,
    /// Missing, or owned by another organisation: gRPC `NOT_FOUND`, HTTP 404.
    NotFound,
    /// A duplicate: gRPC `ALREADY_EXISTS`, HTTP 409.
    AlreadyExists,
    /// The resource is in the wrong state: gRPC `FAILED_PRECONDITION`, HTTP 400.
    FailedPrecondition,
    /// A concurrent change won: gRPC `ABORTED`, HTTP 409.
    Aborted,
    /// Too much, too often or too large: gRPC `RESOURCE_EXHAUSTED`, HTTP 429.
    ResourceExhausted,
    /// A dependency is down; retry later: gRPC `UNAVAILABLE`, HTTP 503.
    Unavailable,
    /// The deadline passed: gRPC `DEADLINE_EXCEEDED`, HTTP 504.
    DeadlineExceeded,
    /// A bug or an unexpected failure: gRPC `INTERNAL`, HTTP 500.
    Internal,
}

impl ErrorKind {
    /// Returns the gRPC code of the kind.
    pub fn grpc_code(self) -> Code {
        match self {
            Self::InvalidArgument => Code::InvalidArgument,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::PermissionDenied => Code::PermissionDenied,
            Self::NotFound => Code::NotFound,
            Self::AlreadyExists => Code::AlreadyExists,
            Self::FailedPrecondition => Code::FailedPrecondition,
            Self::Aborted => Code::Aborted,
            Self::ResourceExhausted => Code::ResourceExhausted,
            Self::Unavailable => Code::Unavailable,
            Self::DeadlineExceeded => Code::DeadlineExceeded,
            Self::Internal => Code::Internal,
        }
    }

    /// Returns the HTTP status of the kind, as grpc-gateway maps its gRPC code.
    pub fn http_status(self) -> u16 {
        http_status_of(self.grpc_code())
    }

    /// Returns a status of this kind with a lowercase message.
    pub fn status(self, message: impl Into<String>) -> Status {
        Status::new(self.grpc_code(), message)
    }
}

/// Returns the HTTP status grpc-gateway answers for a gRPC code; the JSON edge uses it
/// for every answer.
pub fn http_status_of(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        // Not in RFC 9110; the status nginx and grpc-gateway use for a client that gave up.
        Code::Cancelled => 499,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
        Code::DeadlineExceeded => 504,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::PermissionDenied => 403,
        Code::Unauthenticated => 401,
        Code::ResourceExhausted => 429,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
    }
}

/// Collects every field violation of a request before answering, so the caller learns of
/// all its mistakes at once.
#[derive(Debug, Default, Clone)]
pub struct FieldViolations {
    violations: Vec<(String, String)>,
}

impl FieldViolations {
    /// Returns an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (a dotted path such as `client.email`) is wrong.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push((field.into(), description.into()));
    }

    /// Returns whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// Returns the recorded violations as (field, description) pairs.
    pub fn violations(&self) -> &[(String, String)] {
        &self.violations
    }

    /// Returns `Ok(())` when nothing was recorded, otherwise the `INVALID_ARGUMENT` status.
    pub fn into_result(self) -> Result<(), Status> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(bad_request(self.violations))
        }
    }
}

/// Returns `INVALID_ARGUMENT` carrying a `google.rpc.BadRequest` with every violation.
pub fn bad_request(violations: Vec<(String, String)>) -> Status {
    let message = match violations.as_slice() {
        [(field, description)] => format!("invalid {field}: {description}"),
        many => format!("{} invalid fields", many.len()),
    };
    let mut details = ErrorDetails::new();
    for (field, description) in violations {
        details.add_bad_request_violation(field, description);
    }
    Status::with_error_details(Code::InvalidArgument, message, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_carries_every_violation() {
        let mut v = FieldViolations::new();
        v.add("client.email", "not an e-mail address");
        v.add("client.phone", "not in E.164 form");
        let status = v.into_result().expect_err("two violations");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status
            .get_details_bad_request()
            .expect("bad request detail");
        let fields: Vec<_> = details
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["client.email", "client.phone"]);
    }

    #[test]
    fn empty_violations_pass() {
        assert!(FieldViolations::new().into_result().is_ok());
    }

    #[test]
    fn code_table_matches_grpc_gateway() {
        assert_eq!(ErrorKind::NotFound.http_status(), 404);
        assert_eq!(ErrorKind::FailedPrecondition.http_status(), 400);
        assert_eq!(
            ErrorKind::ResourceExhausted.grpc_code(),
            Code::ResourceExhausted
        );
        assert_eq!(ErrorKind::Aborted.http_status(), 409);
    }
}
