//! Errors of the factures service and their one mapping to gRPC statuses.

use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt as _};
use uuid::Uuid;

/// What can go wrong in the factures service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT` with a
    /// `google.rpc.BadRequest`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// The request names a client or contract the organisation does not have. `NOT_FOUND`
    /// with a `google.rpc.BadRequest` naming the fields.
    #[error("unknown reference")]
    UnknownReference(Vec<(String, String)>),
    /// No such invoice in the caller's organisation (or visible to the caller).
    /// `NOT_FOUND`.
    #[error("invoice {0} not found")]
    NotFound(Uuid),
    /// The invoice is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// A mandatory mention cannot be filled: one (subject, description) per problem.
    /// `FAILED_PRECONDITION` with a `google.rpc.PreconditionFailure`.
    #[error("the invoice cannot be issued as it stands")]
    Unissuable(Vec<(String, String)>),
    /// The invoice changed since the version the caller read, or while other services
    /// were asked. `ABORTED`.
    #[error("invoice {id} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The invoice.
        id: Uuid,
        /// The version expected.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// Concurrent writers kept changing what this call writes; running it again
    /// finishes it. `ABORTED`.
    #[error("{0}")]
    Aborted(String),
    /// The same payment id was recorded with other details. `ALREADY_EXISTS`.
    #[error("{0}")]
    AlreadyExists(String),
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// A service this one depends on gave no answer: `UNAVAILABLE`, or
    /// `DEADLINE_EXCEEDED` when the caller's deadline passed while waiting.
    #[error(transparent)]
    Dependency(#[from] crm_kit::client::ReadError),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::UnknownReference(violations) => {
                let status = crm_kit::bad_request(violations);
                Status::with_details(
                    tonic::Code::NotFound,
                    status.message(),
                    status.details().to_vec().into(),
                )
            }
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Unissuable(problems) => {
                let message = match problems.as_slice() {
                    [(subject, description)] => format!("{subject}: {description}"),
                    many => format!("{} mandatory mentions cannot be filled", many.len()),
                };
                let mut details = ErrorDetails::new();
                for (subject, description) in problems {
                    details.add_precondition_failure_violation("MENTION", subject, description);
                }
                Status::with_error_details(tonic::Code::FailedPrecondition, message, details)
            }
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::Aborted(message) => Status::aborted(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
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
        }
    }
}
