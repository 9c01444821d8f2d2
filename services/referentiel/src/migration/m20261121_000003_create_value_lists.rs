//! Creates the organisations' value lists: `value_lists` (one row per list, carrying its
//! revision) and `list_values`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ValueLists {
    Table,
    OrganisationId,
    ListKey,
    Revision,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ListValues {
    Table,
    Id,
    OrganisationId,
    ListKey,
    Code,
    Label,
    Position,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ValueLists::Table)
                    .col(ColumnDef::new(ValueLists::OrganisationId).uuid().not_null())
                    .col(
                        ColumnDef::new(ValueLists::ListKey)
                            .string_len(63)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ValueLists::Revision)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ValueLists::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ValueLists::OrganisationId)
                            .col(ValueLists::ListKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ListValues::Table)
                    .col(
                        ColumnDef::new(ListValues::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ListValues::OrganisationId).uuid().not_null())
                    .col(
                        ColumnDef::new(ListValues::ListKey)
                            .string_len(63)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ListValues::Code).string_len(64).not_null())
                    .col(ColumnDef::new(ListValues::Label).string_len(800).not_null())
                    .col(ColumnDef::new(ListValues::Position).integer().not_null())
                    .col(ColumnDef::new(ListValues::Active).boolean().not_null())
                    .col(ColumnDef::new(ListValues::Version).big_integer().not_null())
                    .col(
                        ColumnDef::new(ListValues::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ListValues::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // A code names one value of a list; concurrent creators of the same code meet here.
        manager
            .create_index(
                Index::create()
                    .name("list_values_org_list_code")
                    .table(ListValues::Table)
                    .col(ListValues::OrganisationId)
                    .col(ListValues::ListKey)
                    .col(ListValues::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk a list by (position, code).
        manager
            .create_index(
                Index::create()
                    .name("list_values_org_list_position")
                    .table(ListValues::Table)
                    .col(ListValues::OrganisationId)
                    .col(ListValues::ListKey)
                    .col(ListValues::Position)
                    .col(ListValues::Code)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ListValues::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ValueLists::Table).to_owned())
            .await
    }
}
