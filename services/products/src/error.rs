//! Errors of the products service and their one mapping to gRPC statuses.

use chrono::NaiveDate;
use tonic::Status;
use uuid::Uuid;

/// What can go wrong in the products service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such product in the caller's organisation. `NOT_FOUND`.
    #[error("product {0} not found")]
    NotFound(Uuid),
    /// The product has no price period covering the date. `NOT_FOUND`.
    #[error("product {product} has no price on {date}")]
    NoPriceAt {
        /// The product.
        product: Uuid,
        /// The date asked for.
        date: NaiveDate,
    },
    /// Another product of the organisation already has this code. `ALREADY_EXISTS`.
    #[error("a product with code {0} already exists")]
    CodeTaken(String),
    /// The product is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The product changed since the version the caller read. `ABORTED`.
    #[error("product {id} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The product.
        id: Uuid,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// A concurrent change to the same product won the race. `ABORTED`.
    #[error("product {0} changed concurrently; read it again and retry")]
    Concurrent(Uuid),
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound(_) | Error::NoPriceAt { .. } => Status::not_found(error.to_string()),
            Error::CodeTaken(_) => Status::already_exists(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } | Error::Concurrent(_) => {
                Status::aborted(error.to_string())
            }
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
