//! Integration tests of crm-sepa: documents validated against the ISO 20022 schemas
//! with xmllint, and properties of randomly generated batches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod properties;
mod xsd;
