//! Errors of the clients service and their one mapping to gRPC statuses.

use tonic::Status;
use uuid::Uuid;

/// What can go wrong in the clients service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such client, contact or opportunity in the caller's organisation (or visible to
    /// the caller). `NOT_FOUND`.
    #[error("{entity} {id} not found")]
    NotFound {
        /// "client", "contact" or "opportunity".
        entity: &'static str,
        /// The id asked for.
        id: Uuid,
    },
    /// Another live client already uses this e-mail address. `ALREADY_EXISTS`.
    #[error("a client with e-mail {0} already exists")]
    EmailTaken(String),
    /// The client is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The record changed since the version the caller read. `ABORTED`.
    #[error("{id} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The record.
        id: Uuid,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// The caller's role may not do this to this client. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// The request names something (a sales agent) that does not exist in the caller's
    /// organisation: one (field, description) per reference. `NOT_FOUND` with a
    /// `google.rpc.BadRequest` naming the fields.
    #[error("unknown reference")]
    UnknownReference(Vec<(String, String)>),
    /// A service this one depends on gave no answer: `UNAVAILABLE`, or
    /// `DEADLINE_EXCEEDED` when the caller's deadline passed while waiting.
    #[error(transparent)]
    Dependency(#[from] crm_kit::client::ReadError),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Error {
    /// Returns `NOT_FOUND` for a client.
    pub fn client_not_found(id: Uuid) -> Self {
        Error::NotFound {
            entity: "client",
            id,
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound { .. } => Status::not_found(error.to_string()),
            Error::EmailTaken(_) => Status::already_exists(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::UnknownReference(violations) => {
                let status = crm_kit::bad_request(violations);
                Status::with_details(
                    tonic::Code::NotFound,
                    status.message(),
                    status.details().to_vec().into(),
                )
            }
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
