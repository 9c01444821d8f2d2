//! Integration tests of the commerciaux service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod concurrency;
mod crud;
mod events;
mod hierarchy;
mod isolation;
mod listing;
mod portfolio;
mod support;
mod validation;
