//! Creates the `invoices`, `invoice_series` and `invoice_payments` tables and their
//! indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    OrganisationId,
    Kind,
    Status,
    Number,
    ClientId,
    ClientCommercialId,
    ContractId,
    Currency,
    Lines,
    ServicePeriodStart,
    ServicePeriodEnd,
    BillingPeriodStart,
    IssueDate,
    DueDate,
    PaymentTermsDays,
    Seller,
    Buyer,
    ClientKind,
    Vat,
    TotalExclVat,
    TotalVat,
    TotalInclVat,
    AmountPaid,
    AmountCredited,
    Credited,
    LatePenaltyRateBps,
    Mentions,
    CreditedInvoiceId,
    CreditedInvoiceNumber,
    CreditReason,
    OverdueAt,
    PaidDate,
    WriteOffReason,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum InvoiceSeries {
    Table,
    OrganisationId,
    Prefix,
    LastValue,
    LastIssueDate,
}

#[derive(DeriveIden)]
enum InvoicePayments {
    Table,
    OrganisationId,
    PaymentId,
    InvoiceId,
    Amount,
    Currency,
    PaidDate,
    Reversed,
    CreatedAt,
    UpdatedAt,
}

fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Invoices as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(I::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(I::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(I::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(I::Status).string_len(32).not_null())
                    .col(ColumnDef::new(I::Number).string_len(40))
                    .col(ColumnDef::new(I::ClientId).uuid().not_null())
                    .col(ColumnDef::new(I::ClientCommercialId).uuid())
                    .col(ColumnDef::new(I::ContractId).uuid())
                    .col(ColumnDef::new(I::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(I::Lines).text().not_null())
                    .col(ColumnDef::new(I::ServicePeriodStart).date())
                    .col(ColumnDef::new(I::ServicePeriodEnd).date())
                    .col(ColumnDef::new(I::BillingPeriodStart).date())
                    .col(ColumnDef::new(I::IssueDate).date())
                    .col(ColumnDef::new(I::DueDate).date())
                    .col(ColumnDef::new(I::PaymentTermsDays).integer())
                    .col(ColumnDef::new(I::Seller).text())
                    .col(ColumnDef::new(I::Buyer).text())
                    .col(ColumnDef::new(I::ClientKind).string_len(16))
                    .col(ColumnDef::new(I::Vat).text())
                    .col(ColumnDef::new(I::TotalExclVat).big_integer().not_null())
                    .col(ColumnDef::new(I::TotalVat).big_integer())
                    .col(ColumnDef::new(I::TotalInclVat).big_integer())
                    .col(ColumnDef::new(I::AmountPaid).big_integer().not_null())
                    .col(ColumnDef::new(I::AmountCredited).big_integer().not_null())
                    .col(ColumnDef::new(I::Credited).text().not_null())
                    .col(ColumnDef::new(I::LatePenaltyRateBps).integer())
                    .col(ColumnDef::new(I::Mentions).text())
                    .col(ColumnDef::new(I::CreditedInvoiceId).uuid())
                    .col(ColumnDef::new(I::CreditedInvoiceNumber).string_len(40))
                    .col(ColumnDef::new(I::CreditReason).text())
                    .col(ColumnDef::new(I::OverdueAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(I::PaidDate).date())
                    .col(ColumnDef::new(I::WriteOffReason).text())
                    .col(ColumnDef::new(I::RequestId).uuid())
                    .col(timestamp(I::CreatedAt))
                    .col(timestamp(I::UpdatedAt))
                    .col(ColumnDef::new(I::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's documents by id, newest first, optionally of
        // one client, one contract or one sales agent's clients; credit notes are found by
        // the invoice they credit.
        for (name, column) in [
            ("invoices_org_id", None),
            ("invoices_org_client", Some(I::ClientId)),
            ("invoices_org_contract", Some(I::ContractId)),
            ("invoices_org_commercial", Some(I::ClientCommercialId)),
            ("invoices_org_credited", Some(I::CreditedInvoiceId)),
        ] {
            let mut index = Index::create();
            index.name(name).table(I::Table).col(I::OrganisationId);
            if let Some(column) = column {
                index.col(column);
            }
            manager.create_index(index.col(I::Id).to_owned()).await?;
        }
        // MarkOverdue looks for unpaid invoices by status and due date.
        manager
            .create_index(
                Index::create()
                    .name("invoices_org_status_due")
                    .table(I::Table)
                    .col(I::OrganisationId)
                    .col(I::Status)
                    .col(I::DueDate)
                    .to_owned(),
            )
            .await?;
        // Unique indexes ignore NULLs on both backends: drafts have no number, manual
        // invoices no billing month, and most rows no request id. A number is given once
        // per organisation (behind the series row, which already serialises numbering);
        // a billing run invoices a contract once per month.
        for (name, columns) in [
            ("invoices_org_number", vec![I::OrganisationId, I::Number]),
            (
                "invoices_org_contract_month",
                vec![I::OrganisationId, I::ContractId, I::BillingPeriodStart],
            ),
            (
                "invoices_org_request",
                vec![I::OrganisationId, I::RequestId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(I::Table).unique();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // One row per organisation and series; numbering locks it (SELECT … FOR UPDATE
        // on PostgreSQL, the write lock on SQLite) and moves it in the issuing
        // transaction, so a rolled-back issue gives its numbers back: no gaps.
        manager
            .create_table(
                Table::create()
                    .table(InvoiceSeries::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(InvoiceSeries::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InvoiceSeries::Prefix)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InvoiceSeries::LastValue)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InvoiceSeries::LastIssueDate).date())
                    .primary_key(
                        Index::create()
                            .col(InvoiceSeries::OrganisationId)
                            .col(InvoiceSeries::Prefix),
                    )
                    .to_owned(),
            )
            .await?;
        use InvoicePayments as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(P::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(P::PaymentId).uuid().not_null())
                    .col(ColumnDef::new(P::InvoiceId).uuid().not_null())
                    .col(ColumnDef::new(P::Amount).big_integer().not_null())
                    .col(ColumnDef::new(P::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(P::PaidDate).date().not_null())
                    .col(ColumnDef::new(P::Reversed).big_integer().not_null())
                    .col(timestamp(P::CreatedAt))
                    .col(timestamp(P::UpdatedAt))
                    .primary_key(Index::create().col(P::OrganisationId).col(P::PaymentId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoice_payments_org_invoice")
                    .table(P::Table)
                    .col(P::OrganisationId)
                    .col(P::InvoiceId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InvoicePayments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InvoiceSeries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Invoices::Table).to_owned())
            .await
    }
}
