//! Integration tests of the payments service, started in-process on an ephemeral port
//! with the calendar service beside it, against SQLite and, when CRM_TEST_DATABASE_URL
//! is set, PostgreSQL. Every exported pain.008 file is validated against its XSD.

mod collections;
mod isolation;
mod mandates;
mod returns;
mod scale;
mod schedules;
mod support;
mod validation;
