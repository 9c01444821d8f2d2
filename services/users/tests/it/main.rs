//! Integration tests of the users service, started in-process with an in-process
//! organisations service, on SQLite and (when CRM_TEST_DATABASE_URL is set) PostgreSQL.

mod account;
mod events;
mod login;
mod sessions;
mod signup;
mod support;
mod totp;
