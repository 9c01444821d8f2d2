//! Errors of the retry service and their one mapping to gRPC statuses.

use tonic::Status;
use uuid::Uuid;

/// What can go wrong in the retry service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks a policy rule; carries every field violation.
    /// `INVALID_ARGUMENT` with a `google.rpc.BadRequest`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No chain holds this payment in the caller's organisation. `NOT_FOUND`.
    #[error("no retry chain holds payment {0}")]
    NotFound(Uuid),
    /// The chain is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The policy changed since the version the caller read. `ABORTED`.
    #[error("the policy is at version {current}, not {expected}")]
    VersionMismatch {
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// A concurrent change to the same record won the race. `ABORTED`.
    #[error("{0} changed concurrently; read it again and retry")]
    Concurrent(&'static str),
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// A service this one reads gave no answer: `UNAVAILABLE`, or `DEADLINE_EXCEEDED`
    /// when the caller's deadline passed while waiting.
    #[error(transparent)]
    Dependency(#[from] crm_kit::client::ReadError),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// A stored row holds a value this version cannot read. `INTERNAL`.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } | Error::Concurrent(_) => {
                Status::aborted(error.to_string())
            }
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Dependency(e) => e.into(),
            Error::Database(e) => {
                if matches!(
                    e,
                    sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
                ) {
                    tracing::warn!(error = %e, "database unavailable");
                    Status::unavailable("database unavailable")
                } else {
                    tracing::error!(error = %e, "database error");
                    Status::internal("internal error")
                }
            }
            Error::Corrupt(what) => {
                tracing::error!(error = %what, "corrupt row");
                Status::internal("internal error")
            }
        }
    }
}
