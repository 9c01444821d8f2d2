//! Integration tests of the factures service, started in-process on an ephemeral port
//! with the organisations, clients, commerciaux and referentiel services it reads (and
//! contrats and products for billing runs), against SQLite and, when
//! CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod billing;
mod credit;
mod drafts;
mod issue;
mod payments;
mod penalties;
mod scale;
mod support;
