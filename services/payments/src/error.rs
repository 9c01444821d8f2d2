//! Errors of the payments service and their one mapping to gRPC statuses.

use tonic::Status;

use crate::domain::sealing::SealError;

/// What can go wrong in the payments service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT` with
    /// a `google.rpc.BadRequest`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such resource in the caller's organisation. `NOT_FOUND`.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for ("mandate", "payment", ...).
        entity: &'static str,
        /// The id or reference asked for.
        id: String,
    },
    /// The resource exists already (a mandate reference ever used, a contract's
    /// schedule). `ALREADY_EXISTS`.
    #[error("{0}")]
    AlreadyExists(String),
    /// The resource is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// A concurrent change won the race, or the caller's version is stale. `ABORTED`.
    #[error("{0}")]
    Aborted(String),
    /// The caller's role or service may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// A service this one depends on gave no answer: `UNAVAILABLE`, or
    /// `DEADLINE_EXCEEDED` when the caller's deadline passed while waiting.
    #[error(transparent)]
    Dependency(#[from] crm_kit::client::ReadError),
    /// An IBAN could not be sealed or opened (wrong key, corrupted row). `INTERNAL`.
    #[error(transparent)]
    Sealing(#[from] SealError),
    /// A stored value cannot be read back (a damaged batch file). `INTERNAL`.
    #[error("{0}")]
    Damaged(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Error {
    /// Returns NOT_FOUND for `entity` `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound { .. } => Status::not_found(error.to_string()),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::Aborted(message) => Status::aborted(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Dependency(e) => e.into(),
            Error::Sealing(e) => {
                tracing::error!(error = %e, "iban sealing failed");
                Status::internal("internal error")
            }
            Error::Damaged(message) => {
                tracing::error!(error = %message, "stored value damaged");
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
