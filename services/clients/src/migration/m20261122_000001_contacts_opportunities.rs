//! Adds contacts and opportunities, and the columns duplicate detection and merging need
//! on `clients` (the normalised name, filled for existing clients, and merged_into_id).

use sea_orm::{ConnectionTrait, sea_query::Query};
use sea_orm_migration::prelude::*;

use crate::domain::duplicates::normalise_name;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    OrganisationId,
    Kind,
    FirstName,
    LastName,
    Siret,
    NameKey,
    MergedIntoId,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OrganisationId,
    ClientId,
    FirstName,
    LastName,
    JobTitle,
    Email,
    Phone,
    IsPrimary,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Opportunities {
    Table,
    Id,
    OrganisationId,
    ClientId,
    CommercialId,
    ProductId,
    ProductInterest,
    CurrencyCode,
    AmountMinor,
    Stage,
    Probability,
    ExpectedCloseDate,
    LostReason,
    ClosedAt,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite takes a single change per statement.
        for col in [
            ColumnDef::new(Clients::NameKey).string().to_owned(),
            ColumnDef::new(Clients::MergedIntoId).uuid().to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        backfill_name_keys(manager).await?;
        for (name, col) in [
            ("clients_org_siret", Clients::Siret),
            ("clients_org_name_key", Clients::NameKey),
        ] {
            manager
                .create_index(index(
                    name,
                    Clients::Table,
                    vec![Clients::OrganisationId.into_iden(), col.into_iden()],
                ))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Contacts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Contacts::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(Contacts::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Contacts::FirstName).string().not_null())
                    .col(ColumnDef::new(Contacts::LastName).string().not_null())
                    .col(ColumnDef::new(Contacts::JobTitle).string().not_null())
                    .col(ColumnDef::new(Contacts::Email).string())
                    .col(ColumnDef::new(Contacts::Phone).string_len(16))
                    .col(ColumnDef::new(Contacts::IsPrimary).boolean().not_null())
                    .col(ColumnDef::new(Contacts::RequestId).uuid())
                    .col(
                        ColumnDef::new(Contacts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Contacts::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Contacts::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // ListContacts walks one client's contacts by id.
        manager
            .create_index(index(
                "contacts_org_client_id",
                Contacts::Table,
                vec![
                    Contacts::OrganisationId.into_iden(),
                    Contacts::ClientId.into_iden(),
                    Contacts::Id.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Opportunities::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Opportunities::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Opportunities::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Opportunities::CommercialId).uuid())
                    .col(ColumnDef::new(Opportunities::ProductId).uuid())
                    .col(
                        ColumnDef::new(Opportunities::ProductInterest)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Opportunities::CurrencyCode).string_len(3))
                    .col(ColumnDef::new(Opportunities::AmountMinor).big_integer())
                    .col(
                        ColumnDef::new(Opportunities::Stage)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::Probability)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Opportunities::ExpectedCloseDate).date())
                    .col(ColumnDef::new(Opportunities::LostReason).text().not_null())
                    .col(ColumnDef::new(Opportunities::ClosedAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(Opportunities::RequestId).uuid())
                    .col(
                        ColumnDef::new(Opportunities::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Opportunities::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's opportunities by id; the filters narrow by
        // client, sales agent and stage.
        for (name, col) in [
            ("opportunities_org_id", Opportunities::Id),
            ("opportunities_org_client", Opportunities::ClientId),
            ("opportunities_org_commercial", Opportunities::CommercialId),
            ("opportunities_org_stage", Opportunities::Stage),
        ] {
            manager
                .create_index(index(
                    name,
                    Opportunities::Table,
                    vec![Opportunities::OrganisationId.into_iden(), col.into_iden()],
                ))
                .await?;
        }

        // Partial unique indexes, the same SQL on both backends: one primary contact per
        // client, and one row per request id.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX contacts_client_primary ON contacts (client_id) \
             WHERE is_primary",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX contacts_org_request ON contacts (organisation_id, request_id) \
             WHERE request_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX opportunities_org_request ON opportunities \
             (organisation_id, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Opportunities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await?;
        for name in ["clients_org_siret", "clients_org_name_key"] {
            manager
                .drop_index(Index::drop().name(name).table(Clients::Table).to_owned())
                .await?;
        }
        for col in [Clients::MergedIntoId, Clients::NameKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Fills the normalised name of every existing person, as the service writes it.
async fn backfill_name_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([
            Clients::Id,
            Clients::Kind,
            Clients::FirstName,
            Clients::LastName,
        ])
        .from(Clients::Table)
        .to_owned();
    for row in db.query_all(&select).await? {
        let id: uuid::Uuid = row.try_get("", "id")?;
        let kind: String = row.try_get("", "kind")?;
        if kind != "person" {
            continue;
        }
        let first: String = row.try_get("", "first_name")?;
        let last: String = row.try_get("", "last_name")?;
        let key = normalise_name(&format!("{first} {last}"));
        if key.is_empty() {
            continue;
        }
        let update = Query::update()
            .table(Clients::Table)
            .value(Clients::NameKey, key)
            .and_where(Expr::col(Clients::Id).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
