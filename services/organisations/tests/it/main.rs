//! Integration tests of the organisations service, started in-process on an ephemeral
//! port against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod events;
mod invitations;
mod members;
mod membership;
mod organisations;
mod schema;
mod support;
