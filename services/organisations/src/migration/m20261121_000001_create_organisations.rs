//! Creates the `organisations`, `memberships` and `invitations` tables and their indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Name,
    Slug,
    LegalName,
    Siren,
    CountryCode,
    DefaultCurrency,
    TimeZone,
    SepaCreditorId,
    InvoicePrefix,
    Settings,
    CreatedBy,
    RequestId,
    MembershipVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    OrganisationId,
    UserId,
    Role,
    CommercialId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganisationId,
    Email,
    Role,
    State,
    TokenHash,
    ExpiresAt,
    InvitedBy,
    RequestId,
    AcceptedBy,
    AcceptedAt,
    RevokedAt,
    CreatedAt,
}

fn instant<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

async fn create_organisations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Organisations::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Organisations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Organisations::Name).string().not_null())
                .col(
                    ColumnDef::new(Organisations::Slug)
                        .string_len(63)
                        .not_null(),
                )
                .col(ColumnDef::new(Organisations::LegalName).string().not_null())
                .col(ColumnDef::new(Organisations::Siren).string_len(9))
                .col(
                    ColumnDef::new(Organisations::CountryCode)
                        .string_len(2)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Organisations::DefaultCurrency)
                        .string_len(3)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Organisations::TimeZone)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Organisations::SepaCreditorId).string_len(35))
                .col(
                    ColumnDef::new(Organisations::InvoicePrefix)
                        .string_len(10)
                        .not_null(),
                )
                .col(ColumnDef::new(Organisations::Settings).text().not_null())
                .col(ColumnDef::new(Organisations::CreatedBy).uuid().not_null())
                .col(ColumnDef::new(Organisations::RequestId).uuid())
                .col(
                    ColumnDef::new(Organisations::MembershipVersion)
                        .big_integer()
                        .not_null(),
                )
                .col(instant(Organisations::CreatedAt))
                .col(instant(Organisations::UpdatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("organisations_slug")
                .table(Organisations::Table)
                .col(Organisations::Slug)
                .unique()
                .to_owned(),
        )
        .await?;
    // Partial unique index, the same SQL on PostgreSQL and SQLite: a creator's retry
    // with the same request id finds the organisation instead of making a second one.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX organisations_creator_request \
             ON organisations (created_by, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;
    Ok(())
}

async fn create_memberships(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Memberships::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Memberships::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Memberships::OrganisationId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                .col(ColumnDef::new(Memberships::Role).string_len(16).not_null())
                .col(ColumnDef::new(Memberships::CommercialId).uuid())
                .col(instant(Memberships::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("memberships_organisation")
                        .from(Memberships::Table, Memberships::OrganisationId)
                        .to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
    // One membership per user and organisation, whatever the race.
    manager
        .create_index(
            Index::create()
                .name("memberships_org_user")
                .table(Memberships::Table)
                .col(Memberships::OrganisationId)
                .col(Memberships::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
    // ListMembers walks an organisation's members in joining (id) order.
    manager
        .create_index(
            Index::create()
                .name("memberships_org_id")
                .table(Memberships::Table)
                .col(Memberships::OrganisationId)
                .col(Memberships::Id)
                .to_owned(),
        )
        .await?;
    // ListMyOrganisations walks a user's memberships across organisations.
    manager
        .create_index(
            Index::create()
                .name("memberships_user_id")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .col(Memberships::Id)
                .to_owned(),
        )
        .await?;
    Ok(())
}

async fn create_invitations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Invitations::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(Invitations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Invitations::OrganisationId)
                        .uuid()
                        .not_null(),
                )
                .col(ColumnDef::new(Invitations::Email).string().not_null())
                .col(ColumnDef::new(Invitations::Role).string_len(16).not_null())
                .col(ColumnDef::new(Invitations::State).string_len(16).not_null())
                .col(
                    ColumnDef::new(Invitations::TokenHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(instant(Invitations::ExpiresAt))
                .col(ColumnDef::new(Invitations::InvitedBy).uuid().not_null())
                .col(ColumnDef::new(Invitations::RequestId).uuid())
                .col(ColumnDef::new(Invitations::AcceptedBy).uuid())
                .col(ColumnDef::new(Invitations::AcceptedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(Invitations::RevokedAt).timestamp_with_time_zone())
                .col(instant(Invitations::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("invitations_organisation")
                        .from(Invitations::Table, Invitations::OrganisationId)
                        .to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("invitations_token_hash")
                .table(Invitations::Table)
                .col(Invitations::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
    // ListInvitations walks an organisation's invitations by id, newest first.
    manager
        .create_index(
            Index::create()
                .name("invitations_org_id")
                .table(Invitations::Table)
                .col(Invitations::OrganisationId)
                .col(Invitations::Id)
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    db.execute_unprepared(
        "CREATE UNIQUE INDEX invitations_org_request ON invitations \
         (organisation_id, request_id) WHERE request_id IS NOT NULL",
    )
    .await?;
    // At most one pending invitation per address: a new one replaces the old.
    db.execute_unprepared(
        "CREATE UNIQUE INDEX invitations_org_email_pending ON invitations \
         (organisation_id, email) WHERE state = 'pending'",
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_organisations(manager).await?;
        create_memberships(manager).await?;
        create_invitations(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invitations::Table.into_iden(),
            Memberships::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
