//! Integration tests of the clients service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod contacts;
mod crud;
mod duplicates;
mod events;
mod isolation;
mod kit;
mod listing;
mod opportunities;
mod references;
mod support;
mod transfer;
mod validation;
