//! Integration tests of the contrats service, started in-process on an ephemeral port
//! with the clients, commerciaux and products services it reads, against SQLite and,
//! when CRM_TEST_DATABASE_URL is set, PostgreSQL.

mod events;
mod isolation;
mod lifecycle;
mod listing;
mod numbering;
mod outage;
mod pricing;
mod references;
mod renunciation;
mod support;
mod validation;
