//! Errors of the contrats service and their one mapping to gRPC statuses.

use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt as _};
use uuid::Uuid;

use crate::domain::lifecycle::Refusal;

/// What can go wrong in the contrats service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or names unusable references; carries every field
    /// violation. `INVALID_ARGUMENT` with a `google.rpc.BadRequest`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such contract in the caller's organisation (or visible to the caller).
    /// `NOT_FOUND`.
    #[error("contract {0} not found")]
    NotFound(Uuid),
    /// The contract is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The contract's stored references are no longer usable (at signature): one
    /// (field, description) per problem. `FAILED_PRECONDITION` with a
    /// `google.rpc.PreconditionFailure`.
    #[error("the contract cannot be signed as it stands")]
    Unusable(Vec<(String, String)>),
    /// The contract changed since the version the caller read. `ABORTED`.
    #[error("contract {id} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The contract.
        id: Uuid,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// The contract changed while its references were being checked. `ABORTED`.
    #[error("contract {0} changed concurrently; read it again and retry")]
    Concurrent(Uuid),
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

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(field, description) => {
                Error::InvalidArgument(vec![(field, description)])
            }
            Refusal::Precondition(message) => Error::FailedPrecondition(message),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => {
                // A client, sales agent or product the organisation does not have is
                // NOT_FOUND, exactly as another organisation's resource is everywhere;
                // the details still list every problem of the request.
                let unknown = violations.iter().any(|(_, d)| d.starts_with("no such "));
                let status = crm_kit::bad_request(violations);
                if unknown {
                    Status::with_details(
                        tonic::Code::NotFound,
                        status.message(),
                        status.details().to_vec().into(),
                    )
                } else {
                    status
                }
            }
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Unusable(problems) => {
                let message = match problems.as_slice() {
                    [(field, description)] => format!("{field}: {description}"),
                    many => format!("{} references are not usable", many.len()),
                };
                let mut details = ErrorDetails::new();
                for (field, description) in problems {
                    details.add_precondition_failure_violation("REFERENCE", field, description);
                }
                Status::with_error_details(tonic::Code::FailedPrecondition, message, details)
            }
            Error::VersionMismatch { .. } | Error::Concurrent(_) => {
                Status::aborted(error.to_string())
            }
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Dependency(e) => e.clone().into(),
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
