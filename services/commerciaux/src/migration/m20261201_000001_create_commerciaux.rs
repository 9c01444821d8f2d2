//! Creates the `commerciaux` table, the `commercial_links` closure table and their
//! indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Commerciaux {
    Table,
    Id,
    OrganisationId,
    Code,
    CodeKey,
    FirstName,
    LastName,
    Email,
    Phone,
    UserId,
    ManagerId,
    Team,
    Status,
    CommissionPlanId,
    HireDate,
    SearchText,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CommercialLinks {
    Table,
    AncestorId,
    DescendantId,
    OrganisationId,
    Depth,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Commerciaux as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(C::Code).string_len(32).not_null())
                    .col(ColumnDef::new(C::CodeKey).string_len(32).not_null())
                    .col(ColumnDef::new(C::FirstName).string().not_null())
                    .col(ColumnDef::new(C::LastName).string().not_null())
                    .col(ColumnDef::new(C::Email).string())
                    .col(ColumnDef::new(C::Phone).string_len(16))
                    .col(ColumnDef::new(C::UserId).uuid())
                    .col(ColumnDef::new(C::ManagerId).uuid())
                    .col(ColumnDef::new(C::Team).string().not_null())
                    .col(ColumnDef::new(C::Status).string_len(16).not_null())
                    .col(ColumnDef::new(C::CommissionPlanId).uuid())
                    .col(ColumnDef::new(C::HireDate).date())
                    .col(ColumnDef::new(C::SearchText).text().not_null())
                    .col(ColumnDef::new(C::RequestId).uuid())
                    .col(
                        ColumnDef::new(C::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(C::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(C::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's commerciaux by id, newest first.
        manager
            .create_index(
                Index::create()
                    .name("commerciaux_org_id")
                    .table(C::Table)
                    .col(C::OrganisationId)
                    .col(C::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("commerciaux_org_manager")
                    .table(C::Table)
                    .col(C::OrganisationId)
                    .col(C::ManagerId)
                    .to_owned(),
            )
            .await?;
        // Codes are unique per organisation without regard to case.
        manager
            .create_index(
                Index::create()
                    .name("commerciaux_org_code")
                    .table(C::Table)
                    .col(C::OrganisationId)
                    .col(C::CodeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Partial unique indexes: the same SQL on PostgreSQL and SQLite.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX commerciaux_org_user ON commerciaux (organisation_id, user_id) \
             WHERE user_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX commerciaux_org_request ON commerciaux \
             (organisation_id, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;

        use CommercialLinks as L;
        // The primary key (ancestor, descendant) serves a team's keyset pages, newest
        // descendant first; the second index serves uplines.
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(L::AncestorId).uuid().not_null())
                    .col(ColumnDef::new(L::DescendantId).uuid().not_null())
                    .col(ColumnDef::new(L::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(L::Depth).integer().not_null())
                    .primary_key(Index::create().col(L::AncestorId).col(L::DescendantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("commercial_links_descendant")
                    .table(L::Table)
                    .col(L::DescendantId)
                    .col(L::Depth)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CommercialLinks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Commerciaux::Table).to_owned())
            .await
    }
}
