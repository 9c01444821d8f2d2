//! Creates the plans, facts, entries, statements and periods tables and their indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CommissionPlans {
    Table,
    Id,
    OrganisationId,
    Name,
    NameKey,
    Description,
    IsDefault,
    Status,
    Rules,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CommissionFacts {
    Table,
    Seq,
    OrganisationId,
    EventId,
    EventType,
    ContractId,
    PaymentId,
    EventDate,
    Period,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommissionEntries {
    Table,
    Id,
    OrganisationId,
    EntryKey,
    CommercialId,
    Source,
    Kind,
    ContractId,
    PaymentId,
    Currency,
    BaseAmount,
    RateBps,
    Amount,
    Period,
    Status,
    EventDate,
    TriggerType,
    TriggerEventId,
    FactSeq,
    SourceCommercialId,
    OverrideLevel,
    OriginalKey,
    OriginalEntryId,
    ParentKey,
    ParentEntryId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommissionStatements {
    Table,
    Id,
    OrganisationId,
    CommercialId,
    Period,
    Currency,
    OpeningBalance,
    Earned,
    Clawbacks,
    ClosingBalance,
    Payable,
    EntryCount,
    Status,
    ClosedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum CommissionPeriods {
    Table,
    OrganisationId,
    ClosedThrough,
    UpdatedAt,
}

fn timestamp<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CommissionPlans as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(P::Name).string_len(200).not_null())
                    .col(ColumnDef::new(P::NameKey).string_len(200).not_null())
                    .col(ColumnDef::new(P::Description).text().not_null())
                    .col(ColumnDef::new(P::IsDefault).boolean().not_null())
                    .col(ColumnDef::new(P::Status).string_len(16).not_null())
                    .col(ColumnDef::new(P::Rules).text().not_null())
                    .col(ColumnDef::new(P::RequestId).uuid())
                    .col(timestamp(P::CreatedAt))
                    .col(timestamp(P::UpdatedAt))
                    .col(ColumnDef::new(P::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's plans by id; names are unique per
        // organisation without regard to case.
        index(
            manager,
            "commission_plans_org_id",
            P::Table,
            vec![P::OrganisationId.into_iden(), P::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "commission_plans_org_name",
            P::Table,
            vec![P::OrganisationId.into_iden(), P::NameKey.into_iden()],
            true,
        )
        .await?;
        // Partial unique indexes: the same SQL on PostgreSQL and SQLite.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX commission_plans_org_request ON commission_plans \
             (organisation_id, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX commission_plans_org_default ON commission_plans \
             (organisation_id) WHERE is_default",
        )
        .await?;

        use CommissionFacts as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(F::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(F::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(F::EventId).uuid().not_null())
                    .col(ColumnDef::new(F::EventType).string_len(64).not_null())
                    .col(ColumnDef::new(F::ContractId).uuid().not_null())
                    .col(ColumnDef::new(F::PaymentId).uuid())
                    .col(ColumnDef::new(F::EventDate).date().not_null())
                    .col(ColumnDef::new(F::Period).string_len(7).not_null())
                    .col(ColumnDef::new(F::Body).text().not_null())
                    .col(timestamp(F::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // An event is a fact once; a contract's facts are read in arrival order, and a
        // month's facts by Recompute.
        index(
            manager,
            "commission_facts_org_event",
            F::Table,
            vec![F::OrganisationId.into_iden(), F::EventId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "commission_facts_org_contract",
            F::Table,
            vec![
                F::OrganisationId.into_iden(),
                F::ContractId.into_iden(),
                F::Seq.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "commission_facts_org_period",
            F::Table,
            vec![
                F::OrganisationId.into_iden(),
                F::Period.into_iden(),
                F::Seq.into_iden(),
            ],
            false,
        )
        .await?;

        use CommissionEntries as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(E::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(E::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(E::EntryKey).string_len(255).not_null())
                    .col(ColumnDef::new(E::CommercialId).uuid().not_null())
                    .col(ColumnDef::new(E::Source).string_len(16).not_null())
                    .col(ColumnDef::new(E::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(E::ContractId).uuid().not_null())
                    .col(ColumnDef::new(E::PaymentId).uuid())
                    .col(ColumnDef::new(E::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(E::BaseAmount).big_integer().not_null())
                    .col(ColumnDef::new(E::RateBps).integer().not_null())
                    .col(ColumnDef::new(E::Amount).big_integer().not_null())
                    .col(ColumnDef::new(E::Period).string_len(7).not_null())
                    .col(ColumnDef::new(E::Status).string_len(16).not_null())
                    .col(ColumnDef::new(E::EventDate).date().not_null())
                    .col(ColumnDef::new(E::TriggerType).string_len(64).not_null())
                    .col(ColumnDef::new(E::TriggerEventId).uuid().not_null())
                    .col(ColumnDef::new(E::FactSeq).big_integer().not_null())
                    .col(ColumnDef::new(E::SourceCommercialId).uuid())
                    .col(ColumnDef::new(E::OverrideLevel).integer().not_null())
                    .col(ColumnDef::new(E::OriginalKey).string_len(255))
                    .col(ColumnDef::new(E::OriginalEntryId).uuid())
                    .col(ColumnDef::new(E::ParentKey).string_len(255))
                    .col(ColumnDef::new(E::ParentEntryId).uuid())
                    .col(timestamp(E::CreatedAt))
                    .col(timestamp(E::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The deterministic key makes every derivation idempotent; lists walk by id,
        // optionally of one agent or one month; statements read an agent's month.
        index(
            manager,
            "commission_entries_org_key",
            E::Table,
            vec![E::OrganisationId.into_iden(), E::EntryKey.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "commission_entries_org_id",
            E::Table,
            vec![E::OrganisationId.into_iden(), E::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "commission_entries_org_commercial",
            E::Table,
            vec![
                E::OrganisationId.into_iden(),
                E::CommercialId.into_iden(),
                E::Period.into_iden(),
                E::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "commission_entries_org_period",
            E::Table,
            vec![
                E::OrganisationId.into_iden(),
                E::Period.into_iden(),
                E::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "commission_entries_org_contract",
            E::Table,
            vec![E::OrganisationId.into_iden(), E::ContractId.into_iden()],
            false,
        )
        .await?;

        use CommissionStatements as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(S::CommercialId).uuid().not_null())
                    .col(ColumnDef::new(S::Period).string_len(7).not_null())
                    .col(ColumnDef::new(S::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(S::OpeningBalance).big_integer().not_null())
                    .col(ColumnDef::new(S::Earned).big_integer().not_null())
                    .col(ColumnDef::new(S::Clawbacks).big_integer().not_null())
                    .col(ColumnDef::new(S::ClosingBalance).big_integer().not_null())
                    .col(ColumnDef::new(S::Payable).big_integer().not_null())
                    .col(ColumnDef::new(S::EntryCount).big_integer().not_null())
                    .col(ColumnDef::new(S::Status).string_len(16).not_null())
                    .col(timestamp(S::ClosedAt))
                    .col(ColumnDef::new(S::PaidAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        // One statement per agent, month and currency; closing reads a month's.
        index(
            manager,
            "commission_statements_org_agent_month",
            S::Table,
            vec![
                S::OrganisationId.into_iden(),
                S::CommercialId.into_iden(),
                S::Period.into_iden(),
                S::Currency.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "commission_statements_org_month",
            S::Table,
            vec![S::OrganisationId.into_iden(), S::Period.into_iden()],
            false,
        )
        .await?;

        use CommissionPeriods as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(M::OrganisationId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(M::ClosedThrough).string_len(7))
                    .col(timestamp(M::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CommissionPeriods::Table.into_iden(),
            CommissionStatements::Table.into_iden(),
            CommissionEntries::Table.into_iden(),
            CommissionFacts::Table.into_iden(),
            CommissionPlans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
