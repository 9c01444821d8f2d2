//! Errors of the referentiel service and their one mapping to gRPC statuses.

use tonic::Status;

/// What can go wrong in the referentiel service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such entry (in the data set, or in the caller's organisation). `NOT_FOUND`.
    #[error("{entity} {key} not found")]
    NotFound {
        /// What was looked for, for example "country".
        entity: &'static str,
        /// Its key, for example "ZZ".
        key: String,
    },
    /// The list is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The value changed since the version the caller read. `ABORTED`.
    #[error("value {code} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The value's code.
        code: String,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// A stored row the service cannot read (a seed or migration bug). `INTERNAL`.
    #[error("unreadable stored data: {0}")]
    Corrupt(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound { .. } => Status::not_found(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::Corrupt(detail) => {
                tracing::error!(detail, "unreadable stored data");
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
