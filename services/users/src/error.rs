//! Errors of the users service and their one mapping to gRPC statuses.

use tonic::{Code, Status};
use uuid::Uuid;

/// The answer to every failed sign-in, whatever the reason (unknown e-mail, wrong
/// password, locked or disabled account), so the answer reveals nothing.
pub const INVALID_CREDENTIALS: &str = "invalid e-mail or password";

/// What can go wrong in the users service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// Credentials or a refresh token were refused. `UNAUTHENTICATED`.
    #[error("{0}")]
    Unauthenticated(String),
    /// An account already uses this e-mail address. `ALREADY_EXISTS`.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// The user is not a member of the organisation asked for. `PERMISSION_DENIED`.
    #[error("not a member of organisation {0}")]
    NotMember(Uuid),
    /// The account is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The user of a valid token no longer exists. `NOT_FOUND`.
    #[error("user {0} not found")]
    UserNotFound(Uuid),
    /// The organisations service refused or failed; its status, or `UNAVAILABLE` when it
    /// could not answer.
    #[error("organisations service: {0}")]
    Organisations(Status),
    /// Hashing, sealing or signing failed. `INTERNAL`.
    #[error("{0}")]
    Crypto(String),
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::EmailTaken => Status::already_exists(error.to_string()),
            Error::NotMember(_) => Status::permission_denied(error.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::UserNotFound(_) => Status::not_found(error.to_string()),
            Error::Organisations(status) => organisations_status(status),
            Error::Crypto(message) => {
                tracing::error!(error = %message, "cryptographic failure");
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

/// Answers a failure of the organisations service: what it said about the caller's input
/// or state passes through; its own failures become `UNAVAILABLE`; a refusal of our
/// credentials is a misconfigured mesh, so `INTERNAL`.
fn organisations_status(status: Status) -> Status {
    match status.code() {
        Code::InvalidArgument
        | Code::FailedPrecondition
        | Code::AlreadyExists
        | Code::PermissionDenied
        | Code::NotFound
        | Code::ResourceExhausted
        | Code::DeadlineExceeded => status,
        Code::Unauthenticated => {
            tracing::error!(error = %status.message(), "organisations refused our internal token");
            Status::internal("internal error")
        }
        Code::Ok
        | Code::Cancelled
        | Code::Unknown
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unimplemented
        | Code::Internal
        | Code::Unavailable
        | Code::DataLoss => {
            tracing::warn!(code = ?status.code(), error = %status.message(), "organisations failed");
            Status::unavailable("organisations service unavailable")
        }
    }
}

impl From<crate::domain::sealing::SealError> for Error {
    fn from(e: crate::domain::sealing::SealError) -> Self {
        Error::Crypto(e.to_string())
    }
}

impl From<crate::domain::password::HashError> for Error {
    fn from(e: crate::domain::password::HashError) -> Self {
        Error::Crypto(e.to_string())
    }
}

impl From<crate::domain::totp::TotpError> for Error {
    fn from(e: crate::domain::totp::TotpError) -> Self {
        Error::Crypto(e.to_string())
    }
}

impl From<crate::domain::refresh::RandomError> for Error {
    fn from(e: crate::domain::refresh::RandomError) -> Self {
        Error::Crypto(e.to_string())
    }
}

impl From<crm_kit::auth::tokens::TokenError> for Error {
    fn from(e: crm_kit::auth::tokens::TokenError) -> Self {
        Error::Crypto(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_failures_map_to_their_meaning() {
        let code = |s: Status| Status::from(Error::Organisations(s)).code();
        assert_eq!(code(Status::unavailable("down")), Code::Unavailable);
        assert_eq!(code(Status::internal("bug")), Code::Unavailable);
        assert_eq!(
            code(Status::invalid_argument("name")),
            Code::InvalidArgument
        );
        assert_eq!(code(Status::unauthenticated("mesh")), Code::Internal);
    }

    #[test]
    fn credentials_and_membership_have_their_codes() {
        assert_eq!(
            Status::from(Error::Unauthenticated(INVALID_CREDENTIALS.into())).code(),
            Code::Unauthenticated
        );
        assert_eq!(
            Status::from(Error::NotMember(Uuid::now_v7())).code(),
            Code::PermissionDenied
        );
        assert_eq!(Status::from(Error::EmailTaken).code(), Code::AlreadyExists);
    }
}
