//! Migrations of the referentiel database.
//!
//! The global data sets are facts written by migrations only (see [`seed`]). Changing
//! one (a new legal interest half-year, an ECB decision, a VAT change) is a new
//! migration that inserts or updates its rows; the data set's version, a fingerprint of
//! its content, then changes by itself on every replica once the migration ran.

use sea_orm_migration::prelude::*;

mod m20261121_000001_create_reference_tables;
mod m20261121_000002_seed_reference_data;
mod m20261121_000003_create_value_lists;
pub mod seed;

/// Applies the referentiel service's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_reference_tables::Migration),
            Box::new(m20261121_000002_seed_reference_data::Migration),
            Box::new(m20261121_000003_create_value_lists::Migration),
            Box::new(crm_events::migration::Migration),
            Box::new(crm_events::migration::OutboxPacks),
            Box::new(crm_events::migration::OutboxLz4),
        ]
    }
}
