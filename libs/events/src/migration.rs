//! The migration creating `outbox`, for each publishing service to list in its migrator.

use sea_orm_migration::prelude::*;

/// Creates the `outbox` table.
#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Seq,
    Id,
    EventType,
    OrganisationId,
    AggregateId,
    AggregateVersion,
    Payload,
    Traceparent,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Outbox::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Outbox::Id).uuid().not_null().unique_key())
                    .col(ColumnDef::new(Outbox::EventType).string_len(64).not_null())
                    .col(ColumnDef::new(Outbox::OrganisationId).uuid().not_null())
                    .col(
                        ColumnDef::new(Outbox::AggregateId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Outbox::AggregateVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Outbox::Payload).blob().not_null())
                    .col(ColumnDef::new(Outbox::Traceparent).string_len(64))
                    .col(
                        ColumnDef::new(Outbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Outbox::SentAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        // The relay's query: unsent rows in order. A partial index stays as small as the
        // backlog.
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
