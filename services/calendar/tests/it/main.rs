//! Integration tests of the calendar service, started in-process on an ephemeral port
//! against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod agenda;
mod availability;
mod closed_days;
mod days;
mod events;
mod support;
