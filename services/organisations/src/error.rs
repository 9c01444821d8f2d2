//! Errors of the organisations service and their one mapping to gRPC statuses.

use tonic::Status;

use crate::domain::Refusal;

/// What can go wrong in the organisations service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such thing in the caller's organisation (or another organisation's). `NOT_FOUND`.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked for: "organisation", "membership", "invitation".
        entity: &'static str,
        /// Its id as the caller gave it.
        id: String,
    },
    /// A duplicate: a slug in use, a member already there. `ALREADY_EXISTS`.
    #[error("{0}")]
    AlreadyExists(String),
    /// The thing is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// Something that is no caller's fault, such as no randomness. `INTERNAL`.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// Returns `NOT_FOUND` for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(message) => Error::PermissionDenied(message.into()),
            Refusal::WrongState(message) => Error::FailedPrecondition(message.into()),
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
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                Status::internal("internal error")
            }
        }
    }
}
