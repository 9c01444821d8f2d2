//! Integration tests of the referentiel service, started in-process on an ephemeral
//! port against SQLite and, when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod access;
mod consumer;
mod rates;
mod seeds;
mod support;
mod validation;
mod values;
