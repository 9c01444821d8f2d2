//! Creates the `contracts` and `contract_counters` tables and their indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    OrganisationId,
    Number,
    ClientId,
    CommercialId,
    Lines,
    StartDate,
    TermMonths,
    TacitRenewal,
    BillingDay,
    PaymentMethod,
    MandateReference,
    SalesChannel,
    Status,
    SignatureDate,
    SignerName,
    ClientKind,
    SuspensionDate,
    SuspensionReason,
    DunningCaseId,
    TerminationDate,
    TerminationCause,
    TerminationReason,
    CancellationReason,
    Amendments,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ContractCounters {
    Table,
    OrganisationId,
    Year,
    LastValue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Contracts as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(C::Number).string_len(32).not_null())
                    .col(ColumnDef::new(C::ClientId).uuid().not_null())
                    .col(ColumnDef::new(C::CommercialId).uuid().not_null())
                    .col(ColumnDef::new(C::Lines).text().not_null())
                    .col(ColumnDef::new(C::StartDate).date().not_null())
                    .col(ColumnDef::new(C::TermMonths).integer().not_null())
                    .col(ColumnDef::new(C::TacitRenewal).boolean().not_null())
                    .col(ColumnDef::new(C::BillingDay).integer().not_null())
                    .col(ColumnDef::new(C::PaymentMethod).string_len(16).not_null())
                    .col(ColumnDef::new(C::MandateReference).string_len(35))
                    .col(ColumnDef::new(C::SalesChannel).string_len(16).not_null())
                    .col(ColumnDef::new(C::Status).string_len(24).not_null())
                    .col(ColumnDef::new(C::SignatureDate).date())
                    .col(ColumnDef::new(C::SignerName).string())
                    .col(ColumnDef::new(C::ClientKind).string_len(16))
                    .col(ColumnDef::new(C::SuspensionDate).date())
                    .col(ColumnDef::new(C::SuspensionReason).text())
                    .col(ColumnDef::new(C::DunningCaseId).uuid())
                    .col(ColumnDef::new(C::TerminationDate).date())
                    .col(ColumnDef::new(C::TerminationCause).string_len(24))
                    .col(ColumnDef::new(C::TerminationReason).text())
                    .col(ColumnDef::new(C::CancellationReason).text())
                    .col(ColumnDef::new(C::Amendments).text().not_null())
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
        // Keyset pages walk an organisation's contracts by id, newest first, optionally
        // of one client or one sales agent.
        for (name, column) in [
            ("contracts_org_id", None),
            ("contracts_org_client", Some(C::ClientId)),
            ("contracts_org_commercial", Some(C::CommercialId)),
        ] {
            let mut index = Index::create();
            index.name(name).table(C::Table).col(C::OrganisationId);
            if let Some(column) = column {
                index.col(column);
            }
            manager.create_index(index.col(C::Id).to_owned()).await?;
        }
        // The number is unique per organisation: a second line of defence behind the
        // counter row, which already serialises numbering.
        manager
            .create_index(
                Index::create()
                    .name("contracts_org_number")
                    .table(C::Table)
                    .col(C::OrganisationId)
                    .col(C::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Partial unique index: the same SQL on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX contracts_org_request ON contracts (organisation_id, request_id) \
                 WHERE request_id IS NOT NULL",
            )
            .await?;
        // One row per organisation and year; creating a contract increments it in its own
        // transaction, so numbers are gapless and a rolled-back creation gives its
        // number back.
        manager
            .create_table(
                Table::create()
                    .table(ContractCounters::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ContractCounters::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContractCounters::Year).integer().not_null())
                    .col(
                        ColumnDef::new(ContractCounters::LastValue)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ContractCounters::OrganisationId)
                            .col(ContractCounters::Year),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContractCounters::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Contracts::Table).to_owned())
            .await
    }
}
