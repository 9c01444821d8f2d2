//! Errors of the commerciaux service and their one mapping to gRPC statuses.

use tonic::{Code, Status};
use uuid::Uuid;

use crate::domain::hierarchy::HierarchyError;

/// What can go wrong in the commerciaux service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; carries every field violation. `INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// No such commercial in the caller's organisation. `NOT_FOUND`.
    #[error("commercial {0} not found")]
    NotFound(Uuid),
    /// Another commercial of the organisation has this code. `ALREADY_EXISTS`.
    #[error("a commercial with code {0} already exists")]
    CodeTaken(String),
    /// Another commercial of the organisation is linked to this user. `ALREADY_EXISTS`.
    #[error("user {0} is already linked to another commercial")]
    UserTaken(Uuid),
    /// The hierarchy refuses the placement (cycle, depth, inactive manager).
    /// `FAILED_PRECONDITION`, or `INVALID_ARGUMENT` for a commercial named as their own
    /// manager.
    #[error(transparent)]
    Hierarchy(#[from] HierarchyError),
    /// The commercial is not in a state that allows this. `FAILED_PRECONDITION`.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The commercial changed since the version the caller read. `ABORTED`.
    #[error("commercial {id} is at version {current}, not {expected}")]
    VersionMismatch {
        /// The commercial.
        id: Uuid,
        /// The version the caller sent.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// The caller's role may not do this. `PERMISSION_DENIED`.
    #[error("{0}")]
    PermissionDenied(String),
    /// The stored hierarchy contradicts itself (a bug, never the caller's). `INTERNAL`.
    #[error("inconsistent hierarchy: {0}")]
    Corrupt(String),
    /// A service this one calls could not answer (down, overloaded, conflicting).
    /// `UNAVAILABLE`: the caller may retry.
    #[error("the {service} service is unavailable: {message}")]
    Unavailable {
        /// The service.
        service: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The caller's deadline passed before another service answered.
    /// `DEADLINE_EXCEEDED`.
    #[error("the deadline passed while waiting for the {0} service")]
    DeadlineExceeded(&'static str),
    /// Another service refused a call this one checked beforehand (a bug or mismatched
    /// versions, never the caller's fault). `INTERNAL`.
    #[error("the {service} service refused the call: {message}")]
    Downstream {
        /// The service.
        service: &'static str,
        /// Its answer.
        message: String,
    },
    /// The database failed. `INTERNAL` (or `UNAVAILABLE` when it cannot be reached).
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl Error {
    /// Returns the error for a failed call to `service` that answered `status`;
    /// `deadline_passed` tells whether the caller's deadline is over (the client's own
    /// timer reports that as CANCELLED).
    pub fn from_downstream(service: &'static str, status: &Status, deadline_passed: bool) -> Self {
        let message = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            Code::DeadlineExceeded => Error::DeadlineExceeded(service),
            _ if deadline_passed => Error::DeadlineExceeded(service),
            Code::Unavailable | Code::Cancelled | Code::ResourceExhausted | Code::Aborted => {
                Error::Unavailable { service, message }
            }
            // The owner of the records refused this caller (a manager outside their team).
            Code::PermissionDenied => Error::PermissionDenied(status.message().to_owned()),
            _ => Error::Downstream { service, message },
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => crm_kit::bad_request(violations),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::CodeTaken(_) | Error::UserTaken(_) => Status::already_exists(error.to_string()),
            Error::Hierarchy(HierarchyError::SelfManagement) => crm_kit::bad_request(vec![(
                "commercial.manager_id".into(),
                HierarchyError::SelfManagement.to_string(),
            )]),
            Error::Hierarchy(
                e @ (HierarchyError::Cycle
                | HierarchyError::InactiveManager
                | HierarchyError::TooDeep { .. }),
            ) => Status::failed_precondition(e.to_string()),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::VersionMismatch { .. } => Status::aborted(error.to_string()),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::Corrupt(message) => {
                tracing::error!(%message, "inconsistent hierarchy");
                Status::internal("internal error")
            }
            Error::Unavailable { service, message } => {
                tracing::warn!(service, error = %message, "dependency unavailable");
                Status::unavailable(format!("the {service} service is unavailable"))
            }
            Error::DeadlineExceeded(_) => Status::deadline_exceeded(error.to_string()),
            Error::Downstream { service, message } => {
                tracing::error!(service, error = %message, "dependency refused a checked call");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downstream_failures_map_to_what_the_caller_can_act_on() {
        let down = Error::from_downstream("clients", &Status::unavailable("refused"), false);
        assert_eq!(Status::from(down).code(), Code::Unavailable);
        let late = Error::from_downstream("clients", &Status::cancelled("timeout"), true);
        assert_eq!(Status::from(late).code(), Code::DeadlineExceeded);
        let cut = Error::from_downstream("clients", &Status::deadline_exceeded("late"), false);
        assert_eq!(Status::from(cut).code(), Code::DeadlineExceeded);
        let refused = Error::from_downstream("clients", &Status::invalid_argument("bad"), false);
        assert_eq!(Status::from(refused).code(), Code::Internal);
    }
}
