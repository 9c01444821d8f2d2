//! Integration tests of crm-e2e: the mock suite in-process (no server needed), the load
//! generator against in-process bench servers, and the live suite's failure reporting.

#![allow(clippy::unwrap_used)]

mod bench;
mod load;
mod suites;
