//! Errors of the commission service and their one mapping to gRPC statuses.

use tonic::Status;

/// What can go wrong in the commission service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT` with
    /// a `google.rpc.BadRequest`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such resource in the caller's organisation, or not visible to the caller.
    /// `NOT_FOUND`.
    #[error("{0} not found")]
    NotFound(String),
    /// Another resource already has this identity (a plan name). `ALREADY_EXISTS`.
    #[error("{0}")]
    AlreadyExists(String),
    /// The resource is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The plan changed since the version the caller read. `ABORTED`.
    #[error("plan is at version {current}, not {expected}")]
    VersionMismatch {
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// A concurrent change won (for example another default plan created at the same
    /// time); read again and retry. `ABORTED`.
    #[error("{0}")]
    Concurrent(String),
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// A service this one reads gave no answer: `UNAVAILABLE`, or `DEADLINE_EXCEEDED`
    /// when the caller's deadline passed while waiting.
    #[error(transparent)]
    Dependency(#[from] crm_kit::client::ReadError),
    /// An amount does not fit in minor units. `INTERNAL` (the data is beyond any real
    /// commission).
    #[error(transparent)]
    Overflow(#[from] crate::domain::money::Overflow),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::Concurrent(message) => Status::aborted(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Dependency(e) => e.into(),
            Error::Overflow(e) => {
                tracing::error!(error = %e, "commission arithmetic out of range");
                Status::internal("internal error")
            }
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
        }
    }
}
