//! Creates the calendar's tables: the organisations' closed days, agenda events and
//! working hours.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClosedDays {
    Table,
    Id,
    OrganisationId,
    Day,
    Name,
    CreatedBy,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AgendaEvents {
    Table,
    Id,
    OrganisationId,
    OwnerUserId,
    Title,
    Description,
    ClientId,
    StartAt,
    EndAt,
    TimeZone,
    Location,
    AttendeeUserIds,
    AttendeeEmails,
    ReminderMinutes,
    Status,
    CancellationReason,
    CancelledAt,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum WorkingHours {
    Table,
    Id,
    OrganisationId,
    UserId,
    TimeZone,
    Calendar,
    Periods,
    CreatedAt,
    UpdatedAt,
    Version,
}

fn instant<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClosedDays::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ClosedDays::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ClosedDays::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(ClosedDays::Day).date().not_null())
                    .col(ColumnDef::new(ClosedDays::Name).string().not_null())
                    .col(ColumnDef::new(ClosedDays::CreatedBy).uuid())
                    .col(ColumnDef::new(ClosedDays::RequestId).uuid())
                    .col(instant(ClosedDays::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // One closed day per date and organisation; also the order ListClosedDays walks.
        manager
            .create_index(
                Index::create()
                    .name("closed_days_org_day")
                    .table(ClosedDays::Table)
                    .col(ClosedDays::OrganisationId)
                    .col(ClosedDays::Day)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AgendaEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AgendaEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AgendaEvents::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgendaEvents::OwnerUserId).uuid().not_null())
                    .col(ColumnDef::new(AgendaEvents::Title).string().not_null())
                    .col(ColumnDef::new(AgendaEvents::Description).text().not_null())
                    .col(ColumnDef::new(AgendaEvents::ClientId).uuid())
                    .col(instant(AgendaEvents::StartAt))
                    .col(instant(AgendaEvents::EndAt))
                    .col(
                        ColumnDef::new(AgendaEvents::TimeZone)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgendaEvents::Location).text().not_null())
                    .col(
                        ColumnDef::new(AgendaEvents::AttendeeUserIds)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgendaEvents::AttendeeEmails)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgendaEvents::ReminderMinutes)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgendaEvents::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgendaEvents::CancellationReason)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgendaEvents::CancelledAt).timestamp_with_time_zone())
                    .col(ColumnDef::new(AgendaEvents::RequestId).uuid())
                    .col(instant(AgendaEvents::CreatedAt))
                    .col(instant(AgendaEvents::UpdatedAt))
                    .col(
                        ColumnDef::new(AgendaEvents::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists and availability walk an organisation's events by start time.
        manager
            .create_index(
                Index::create()
                    .name("agenda_events_org_start")
                    .table(AgendaEvents::Table)
                    .col(AgendaEvents::OrganisationId)
                    .col(AgendaEvents::StartAt)
                    .col(AgendaEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("agenda_events_org_owner_start")
                    .table(AgendaEvents::Table)
                    .col(AgendaEvents::OrganisationId)
                    .col(AgendaEvents::OwnerUserId)
                    .col(AgendaEvents::StartAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WorkingHours::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(WorkingHours::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WorkingHours::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WorkingHours::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(WorkingHours::TimeZone)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WorkingHours::Calendar)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(WorkingHours::Periods).text().not_null())
                    .col(instant(WorkingHours::CreatedAt))
                    .col(instant(WorkingHours::UpdatedAt))
                    .col(
                        ColumnDef::new(WorkingHours::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("working_hours_org_user")
                    .table(WorkingHours::Table)
                    .col(WorkingHours::OrganisationId)
                    .col(WorkingHours::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Partial unique indexes, the same SQL on PostgreSQL and SQLite: a request id
        // makes a create idempotent within its organisation.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX closed_days_org_request ON closed_days \
             (organisation_id, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX agenda_events_org_request ON agenda_events \
             (organisation_id, request_id) WHERE request_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WorkingHours::Table.into_iden(),
            AgendaEvents::Table.into_iden(),
            ClosedDays::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
