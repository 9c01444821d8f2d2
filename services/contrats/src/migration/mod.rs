//! Migrations of the contrats database.

use sea_orm_migration::prelude::*;

mod m20261210_000001_create_contracts;

/// Applies the contrats service's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261210_000001_create_contracts::Migration),
            Box::new(crm_events::migration::Migration),
            Box::new(crm_events::migration::OutboxPacks),
            Box::new(crm_events::migration::OutboxLz4),
        ]
    }
}
