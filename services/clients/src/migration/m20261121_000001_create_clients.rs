//! Creates the `clients` table and its indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    OrganisationId,
    Kind,
    Civility,
    FirstName,
    LastName,
    CompanyName,
    Siren,
    Siret,
    Email,
    EmailKey,
    Phone,
    BirthDate,
    PostalAddress,
    BillingAddress,
    Status,
    PreviousStatus,
    CommercialId,
    Tags,
    Source,
    CustomFields,
    SearchText,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Clients::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Clients::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(Clients::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Clients::Civility).string_len(8))
                    .col(ColumnDef::new(Clients::FirstName).string().not_null())
                    .col(ColumnDef::new(Clients::LastName).string().not_null())
                    .col(ColumnDef::new(Clients::CompanyName).string().not_null())
                    .col(ColumnDef::new(Clients::Siren).string_len(9))
                    .col(ColumnDef::new(Clients::Siret).string_len(14))
                    .col(ColumnDef::new(Clients::Email).string())
                    .col(ColumnDef::new(Clients::EmailKey).string())
                    .col(ColumnDef::new(Clients::Phone).string_len(16))
                    .col(ColumnDef::new(Clients::BirthDate).date())
                    .col(ColumnDef::new(Clients::PostalAddress).text())
                    .col(ColumnDef::new(Clients::BillingAddress).text())
                    .col(ColumnDef::new(Clients::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Clients::PreviousStatus).string_len(16))
                    .col(ColumnDef::new(Clients::CommercialId).uuid())
                    .col(ColumnDef::new(Clients::Tags).text().not_null())
                    .col(ColumnDef::new(Clients::Source).string().not_null())
                    .col(ColumnDef::new(Clients::CustomFields).text().not_null())
                    .col(ColumnDef::new(Clients::SearchText).text().not_null())
                    .col(ColumnDef::new(Clients::RequestId).uuid())
                    .col(
                        ColumnDef::new(Clients::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Clients::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Clients::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's clients by id, newest first.
        manager
            .create_index(
                Index::create()
                    .name("clients_org_id")
                    .table(Clients::Table)
                    .col(Clients::OrganisationId)
                    .col(Clients::Id)
                    .to_owned(),
            )
            .await?;
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
        // Partial unique indexes: the same SQL on PostgreSQL and SQLite. The e-mail is
        // unique among live clients only, so archiving frees it.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX clients_org_email_live ON clients (organisation_id, email_key) \
             WHERE email_key IS NOT NULL AND status <> 'archived'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX clients_org_request ON clients (organisation_id, request_id) \
             WHERE request_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}
