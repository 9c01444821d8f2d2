//! Stores the batches' pain.008 files compressed with LZ4 on PostgreSQL: an 87 MB file
//! of 100,000 transactions is written in tens of milliseconds instead of the second
//! PostgreSQL's default compression takes, and comes out a little smaller. SQLite keeps
//! the file as it is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A server built without LZ4 keeps its default compression: the choice is a matter of
/// speed only.
const LZ4: &str = "DO $$ BEGIN \
     ALTER TABLE batches ALTER COLUMN xml SET COMPRESSION lz4; \
     EXCEPTION WHEN feature_not_supported THEN NULL; \
     END $$";

const DEFAULT: &str = "ALTER TABLE batches ALTER COLUMN xml SET COMPRESSION default";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared(LZ4).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared(DEFAULT).await?;
        }
        Ok(())
    }
}
