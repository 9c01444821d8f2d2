//! Integration tests of the activites service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod calls;
mod consumer;
mod isolation;
mod notes;
mod support;
mod tasks;
mod timeline;
