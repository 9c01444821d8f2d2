//! Migrations of the clients database.

use sea_orm_migration::prelude::*;

mod m20261121_000001_create_clients;
mod m20261122_000001_contacts_opportunities;
mod m20261221_000001_commercial_keyset;

/// Applies the clients service's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_clients::Migration),
            Box::new(crm_events::migration::Migration),
            Box::new(crm_events::migration::OutboxPacks),
            Box::new(m20261122_000001_contacts_opportunities::Migration),
            Box::new(m20261221_000001_commercial_keyset::Migration),
            Box::new(crm_events::migration::OutboxLz4),
        ]
    }
}
