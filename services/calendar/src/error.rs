//! Errors of the calendar service and their one mapping to gRPC statuses.

use tonic::Status;
use uuid::Uuid;

/// What can go wrong in the calendar service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such event visible to the caller in their organisation. `NOT_FOUND`.
    #[error("event {0} not found")]
    EventNotFound(Uuid),
    /// No such closed day in the caller's organisation. `NOT_FOUND`.
    #[error("closed day {0} not found")]
    ClosedDayNotFound(Uuid),
    /// The organisation is already closed on that date. `ALREADY_EXISTS`.
    #[error("the organisation is already closed on {0}")]
    AlreadyClosed(chrono::NaiveDate),
    /// The event is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The resource changed since the version the caller read. `ABORTED`.
    #[error("{what} is at version {current}, not {expected}")]
    VersionMismatch {
        /// What changed, for example "event 0190…".
        what: String,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// The caller may see the resource but not do this to it. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Error {
    /// Returns `INVALID_ARGUMENT` for one field.
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![(field.to_owned(), problem.into())])
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::EventNotFound(_) | Error::ClosedDayNotFound(_) => {
                Status::not_found(error.to_string())
            }
            Error::AlreadyClosed(_) => Status::already_exists(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::PermissionDenied(message) => Status::permission_denied(message),
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
