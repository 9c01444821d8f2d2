//! Integration tests of the retry service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL; RunDue against the
//! real payments service.

mod consume;
mod listing;
mod policy;
mod run_due;
mod stack;
mod support;
