//! Keeps a batch's pain.008 file LZ4-compressed by the service, in `file_lz4`: an 87 MB
//! file of 100,000 transactions goes to the database as 4.5 MB. Files written before
//! stay in `xml`, read as they are. On PostgreSQL the column is stored as it comes
//! (compressed data does not compress again).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Batches {
    Table,
    FileLz4,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Batches::Table)
                    .add_column(ColumnDef::new(Batches::FileLz4).blob().null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE batches ALTER COLUMN file_lz4 SET STORAGE EXTERNAL",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Batches::Table)
                    .drop_column(Batches::FileLz4)
                    .to_owned(),
            )
            .await
    }
}
