//! Replaces the (organisation, commercial) index with (organisation, commercial, id), so
//! an agent's or a team's clients are read page by page in id order without sorting
//! everything assigned to them.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    OrganisationId,
    CommercialId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("clients_org_commercial_id")
                    .table(Clients::Table)
                    .col(Clients::OrganisationId)
                    .col(Clients::CommercialId)
                    .col(Clients::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("clients_org_commercial")
                    .table(Clients::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("clients_org_commercial")
                    .table(Clients::Table)
                    .col(Clients::OrganisationId)
                    .col(Clients::CommercialId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("clients_org_commercial_id")
                    .table(Clients::Table)
                    .to_owned(),
            )
            .await
    }
}
