//! Creates the `activities` table and its indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
    OrganisationId,
    Kind,
    SubjectKind,
    SubjectId,
    ClientId,
    AuthorUserId,
    Body,
    CallDirection,
    CallDurationSeconds,
    TaskTitle,
    TaskDueAt,
    TaskAssignee,
    TaskStatus,
    TaskCompletedAt,
    TaskCompletedBy,
    EventType,
    EventId,
    AggregateId,
    RequestId,
    OccurredAt,
    CreatedAt,
}

fn index(name: &str, cols: &[Activities], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Activities::Table);
    for col in cols {
        index.col(*col);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Activities as A;
        let at = |c: A| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(A::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(A::SubjectKind).string_len(32).not_null())
                    .col(ColumnDef::new(A::SubjectId).string_len(64).not_null())
                    .col(ColumnDef::new(A::ClientId).uuid())
                    .col(ColumnDef::new(A::AuthorUserId).uuid())
                    .col(ColumnDef::new(A::Body).text().not_null())
                    .col(ColumnDef::new(A::CallDirection).string_len(16))
                    .col(ColumnDef::new(A::CallDurationSeconds).integer())
                    .col(ColumnDef::new(A::TaskTitle).string_len(255))
                    .col(at(A::TaskDueAt))
                    .col(ColumnDef::new(A::TaskAssignee).uuid())
                    .col(ColumnDef::new(A::TaskStatus).string_len(16))
                    .col(at(A::TaskCompletedAt))
                    .col(ColumnDef::new(A::TaskCompletedBy).uuid())
                    .col(ColumnDef::new(A::EventType).string_len(64))
                    .col(ColumnDef::new(A::EventId).uuid())
                    .col(ColumnDef::new(A::AggregateId).string_len(64))
                    .col(ColumnDef::new(A::RequestId).uuid())
                    .col(at(A::OccurredAt).not_null())
                    .col(at(A::CreatedAt).not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk a client's, an aggregate's or an assignee's activities by id.
        manager
            .create_index(index(
                "activities_org_client",
                &[A::OrganisationId, A::ClientId, A::Id],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "activities_org_subject",
                &[A::OrganisationId, A::SubjectKind, A::SubjectId, A::Id],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "activities_org_assignee",
                &[A::OrganisationId, A::TaskAssignee, A::Id],
                false,
            ))
            .await?;
        // One system activity per event, one activity per request id; NULLs (the other
        // kinds) never collide on either backend.
        manager
            .create_index(index(
                "activities_org_event",
                &[A::OrganisationId, A::EventId],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "activities_org_request",
                &[A::OrganisationId, A::RequestId],
                true,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Activities::Table).to_owned())
            .await
    }
}
