//! Integration tests of the products service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod crud;
mod events;
mod isolation;
mod listing;
mod prices;
mod support;
mod validation;
