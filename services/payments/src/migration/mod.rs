//! Migrations of the payments database.

use sea_orm_migration::prelude::*;

mod m20261220_000001_create_payments;
mod m20261221_000002_batch_file_lz4;
mod m20261222_000003_payments_hot;
mod m20261222_000004_batch_file_packed;

/// Applies the payments service's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261220_000001_create_payments::Migration),
            Box::new(crm_events::migration::Migration),
            Box::new(crm_events::migration::OutboxPacks),
            Box::new(m20261221_000002_batch_file_lz4::Migration),
            Box::new(m20261222_000003_payments_hot::Migration),
            Box::new(m20261222_000004_batch_file_packed::Migration),
            Box::new(crm_events::migration::OutboxLz4),
        ]
    }
}
