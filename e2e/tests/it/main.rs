//! Integration tests of crm-e2e: the mock suite in-process (no server needed), the load
//! generator against in-process bench servers (and its HTTP mode against a tiny axum
//! server), and the live suite's failure reporting.

#![allow(clippy::unwrap_used)]

mod bench;
mod http_load;
mod load;
mod suites;
