//! Migrations of the activites database.

use sea_orm_migration::prelude::*;

mod m20261121_000001_create_activities;

/// Applies the activites service's migrations in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_activities::Migration),
            Box::new(crm_events::migration::Migration),
            Box::new(crm_events::migration::OutboxPacks),
            Box::new(crm_events::migration::OutboxLz4),
        ]
    }
}
