//! End-to-end suites against live services and a gRPC load generator.
//!
//! - [`mock`]: checks that need no server: the descriptor set holds every service with
//!   its HTTP annotations and every generated client builds.
//! - [`live`]: business flows through the users, organisations and clients services at
//!   the addresses of [`Endpoints`].
//! - [`load`]: a ghz-style unary load generator (JSON request encoded once, raw bytes
//!   sent over several HTTP/2 connections, latency in an HDR histogram).
//! - [`bench_server`]: the fixed-record GetClient server the load generator is
//!   benchmarked against, bare tonic or assembled with the kit.
//!
//! Suites are lists of named scenarios run in order by [`runner::Runner`].

pub mod bench_server;
pub mod commerce_bench;
pub mod endpoints;
pub mod events_bench;
pub mod live;
pub mod load;
pub mod mock;
pub mod runner;

pub use endpoints::Endpoints;
pub use runner::{Runner, Summary};
