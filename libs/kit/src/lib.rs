//! The server kit every CRM service is built with, so that all nineteen look and behave
//! the same to operators and integrators: layered configuration, telemetry, the tower
//! stack (request id, trace, metrics, load shedding, authentication and tenant context),
//! health and reflection, an admin HTTP port, graceful shutdown, typed clients to other
//! services that forward the caller's context, and one table of error codes.

pub mod admin;
pub mod auth;
pub mod bootstrap;
pub mod client;
pub mod config;
pub mod convert;
pub mod error;
pub mod layers;
pub mod metrics;
pub mod server;
pub mod shutdown;
pub mod team;
pub mod telemetry;

pub use auth::context::{Principal, RequestContext, Role, context};
pub use auth::permissions::{Access, Action, PermissionTable};
pub use config::KitConfig;
pub use error::{FieldViolations, bad_request};
pub use server::{Server, ServiceSpec};
