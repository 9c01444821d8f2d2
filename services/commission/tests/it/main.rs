//! Integration tests of the commission service, started in-process on an ephemeral port
//! with the commerciaux and products services it reads, against SQLite and, when
//! CRM_TEST_DATABASE_URL is set, PostgreSQL. Events are written to an outbox standing
//! for their publishers and relayed through the service's bus.

// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#![allow(clippy::inconsistent_digit_grouping)]

mod access;
mod consumers;
mod periods;
mod plans;
mod support;
