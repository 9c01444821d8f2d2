//! Creates the `retry_policies`, `retry_chains` and `retry_attempts` tables and their
//! indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RetryPolicies {
    Table,
    OrganisationId,
    RetryableCodes,
    MaxRetries,
    WindowDays,
    SpacingDays,
    AlignToPayDays,
    SubmissionLeadDays,
    Version,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum RetryChains {
    Table,
    Id,
    OrganisationId,
    RootPaymentId,
    CurrentPaymentId,
    InstalmentId,
    InvoiceId,
    MandateId,
    ClientId,
    ContractId,
    CurrencyCode,
    AmountMinor,
    State,
    StopReason,
    Presentations,
    LastReasonCode,
    FirstRejectionDate,
    LastFailureDate,
    WindowEndDate,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum RetryAttempts {
    Table,
    Id,
    OrganisationId,
    ChainId,
    AttemptNumber,
    Status,
    ScheduledDate,
    DueDate,
    PresentedPaymentId,
    NewPaymentId,
    CollectionDate,
    ReasonCode,
    FailureReasonCode,
    ClientId,
    MandateId,
    InvoiceId,
    CurrencyCode,
    AmountMinor,
    CreatedAt,
    UpdatedAt,
}

fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn index<T: IntoIden + Copy>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

async fn create_policies(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use RetryPolicies as P;
    manager
        .create_table(
            Table::create()
                .table(P::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(P::OrganisationId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(P::RetryableCodes).text().not_null())
                .col(ColumnDef::new(P::MaxRetries).integer().not_null())
                .col(ColumnDef::new(P::WindowDays).integer().not_null())
                .col(ColumnDef::new(P::SpacingDays).integer().not_null())
                .col(ColumnDef::new(P::AlignToPayDays).boolean().not_null())
                .col(ColumnDef::new(P::SubmissionLeadDays).integer().not_null())
                .col(ColumnDef::new(P::Version).big_integer().not_null())
                .col(timestamp(P::UpdatedAt))
                .col(ColumnDef::new(P::UpdatedBy).uuid())
                .to_owned(),
        )
        .await
}

async fn create_chains(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use RetryChains as C;
    manager
        .create_table(
            Table::create()
                .table(C::Table)
                .if_not_exists()
                .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(C::OrganisationId).uuid().not_null())
                .col(ColumnDef::new(C::RootPaymentId).uuid().not_null())
                .col(ColumnDef::new(C::CurrentPaymentId).uuid().not_null())
                .col(ColumnDef::new(C::InstalmentId).uuid())
                .col(ColumnDef::new(C::InvoiceId).uuid())
                .col(ColumnDef::new(C::MandateId).uuid())
                .col(ColumnDef::new(C::ClientId).uuid())
                .col(ColumnDef::new(C::ContractId).uuid())
                .col(ColumnDef::new(C::CurrencyCode).string_len(3).not_null())
                .col(ColumnDef::new(C::AmountMinor).big_integer().not_null())
                .col(ColumnDef::new(C::State).string_len(16).not_null())
                .col(ColumnDef::new(C::StopReason).string_len(32))
                .col(ColumnDef::new(C::Presentations).integer().not_null())
                .col(ColumnDef::new(C::LastReasonCode).string_len(8).not_null())
                .col(ColumnDef::new(C::FirstRejectionDate).date().not_null())
                .col(ColumnDef::new(C::LastFailureDate).date().not_null())
                .col(ColumnDef::new(C::WindowEndDate).date().not_null())
                .col(timestamp(C::CreatedAt))
                .col(timestamp(C::UpdatedAt))
                .col(ColumnDef::new(C::Version).big_integer().not_null())
                .check(Expr::col(C::Presentations).gte(1))
                .to_owned(),
        )
        .await?;
    // A payment opens at most one chain: a second payment.rejected for it (another
    // event id) finds the chain instead of opening another.
    manager
        .create_index(
            index(
                "retry_chains_org_root",
                C::Table,
                &[C::OrganisationId, C::RootPaymentId],
            )
            .unique()
            .to_owned(),
        )
        .await?;
    // Keyset pages walk an organisation's chains by id; the consumers find them by
    // mandate (mandate.revoked) and invoice (credit notes, invoice.paid).
    for (name, col) in [
        ("retry_chains_org_id", C::Id),
        ("retry_chains_org_mandate", C::MandateId),
        ("retry_chains_org_invoice", C::InvoiceId),
        ("retry_chains_org_client", C::ClientId),
    ] {
        manager
            .create_index(index(name, C::Table, &[C::OrganisationId, col]))
            .await?;
    }
    Ok(())
}

async fn create_attempts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use RetryAttempts as A;
    manager
        .create_table(
            Table::create()
                .table(A::Table)
                .if_not_exists()
                .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(A::OrganisationId).uuid().not_null())
                .col(ColumnDef::new(A::ChainId).uuid().not_null())
                .col(ColumnDef::new(A::AttemptNumber).integer().not_null())
                .col(ColumnDef::new(A::Status).string_len(16).not_null())
                .col(ColumnDef::new(A::ScheduledDate).date().not_null())
                .col(ColumnDef::new(A::DueDate).date().not_null())
                .col(ColumnDef::new(A::PresentedPaymentId).uuid().not_null())
                .col(ColumnDef::new(A::NewPaymentId).uuid())
                .col(ColumnDef::new(A::CollectionDate).date())
                .col(ColumnDef::new(A::ReasonCode).string_len(8).not_null())
                .col(ColumnDef::new(A::FailureReasonCode).string_len(8))
                .col(ColumnDef::new(A::ClientId).uuid())
                .col(ColumnDef::new(A::MandateId).uuid())
                .col(ColumnDef::new(A::InvoiceId).uuid())
                .col(ColumnDef::new(A::CurrencyCode).string_len(3).not_null())
                .col(ColumnDef::new(A::AmountMinor).big_integer().not_null())
                .col(timestamp(A::CreatedAt))
                .col(timestamp(A::UpdatedAt))
                .check(Expr::col(A::AttemptNumber).gte(2))
                .check(Expr::col(A::DueDate).lte(Expr::col(A::ScheduledDate)))
                .foreign_key(
                    ForeignKey::create()
                        .name("retry_attempts_chain")
                        .from(A::Table, A::ChainId)
                        .to(RetryChains::Table, RetryChains::Id),
                )
                .to_owned(),
        )
        .await?;
    // One attempt per presentation number of a chain: a decision taken twice fails.
    manager
        .create_index(
            index(
                "retry_attempts_org_chain_number",
                A::Table,
                &[A::OrganisationId, A::ChainId, A::AttemptNumber],
            )
            .unique()
            .to_owned(),
        )
        .await?;
    // Keyset pages by id; the client filter; RunDue walks scheduled attempts by due date.
    manager
        .create_index(index(
            "retry_attempts_org_id",
            A::Table,
            &[A::OrganisationId, A::Id],
        ))
        .await?;
    manager
        .create_index(index(
            "retry_attempts_org_client",
            A::Table,
            &[A::OrganisationId, A::ClientId],
        ))
        .await?;
    manager
        .create_index(index(
            "retry_attempts_org_status_due",
            A::Table,
            &[A::OrganisationId, A::Status, A::DueDate],
        ))
        .await?;
    // A payment made by payments belongs to one attempt; payment.received and
    // payment.rejected find the attempt through it. Partial index: same SQL on both
    // backends.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX retry_attempts_org_new_payment ON retry_attempts \
             (organisation_id, new_payment_id) WHERE new_payment_id IS NOT NULL",
        )
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_policies(manager).await?;
        create_chains(manager).await?;
        create_attempts(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RetryAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RetryChains::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RetryPolicies::Table).to_owned())
            .await
    }
}
