//! Storage of activities. Every query goes through the tenant-scoped helpers.

use chrono::{DateTime, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::domain::{Activity, Details, Direction, Kind, Subject, SystemEvent, Task, TaskStatus};
use crate::entity::activity::{self, Column, Entity};
use crate::error::Error;

/// Whose activities ListTimeline reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineOf {
    /// Everything about a client.
    Client(Uuid),
    /// Everything about an aggregate.
    Subject(Subject),
}

/// The activities store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
}

/// Returns the current time as both backends store it (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn to_domain(m: activity::Model) -> Activity {
    let kind = Kind::parse(&m.kind).unwrap_or(Kind::Note);
    let details = match kind {
        Kind::Note => Details::Note,
        Kind::Call => Details::Call {
            direction: m
                .call_direction
                .as_deref()
                .and_then(Direction::parse)
                .unwrap_or(Direction::Inbound),
            duration_seconds: m.call_duration_seconds.unwrap_or(0),
        },
        Kind::Task => Details::Task(Task {
            title: m.task_title.unwrap_or_default(),
            due_at: m.task_due_at.unwrap_or(m.created_at),
            assignee: m.task_assignee.unwrap_or_default(),
            status: m
                .task_status
                .as_deref()
                .and_then(TaskStatus::parse)
                .unwrap_or(TaskStatus::Open),
            completed_at: m.task_completed_at,
            completed_by: m.task_completed_by,
        }),
        Kind::System => Details::System(SystemEvent {
            event_type: m.event_type.unwrap_or_default(),
            event_id: m.event_id.unwrap_or_default(),
            aggregate_id: m.aggregate_id.unwrap_or_default(),
        }),
    };
    Activity {
        id: m.id,
        organisation_id: m.organisation_id,
        subject: Subject {
            kind: m.subject_kind,
            id: m.subject_id,
        },
        client_id: m.client_id,
        author: m.author_user_id,
        body: m.body,
        details,
        occurred_at: m.occurred_at,
        created_at: m.created_at,
    }
}

fn to_active(a: &Activity, request_id: Option<Uuid>) -> activity::ActiveModel {
    let (direction, duration) = match &a.details {
        Details::Call {
            direction,
            duration_seconds,
        } => (Some(direction.as_str().to_owned()), Some(*duration_seconds)),
        _ => (None, None),
    };
    let task = match &a.details {
        Details::Task(t) => Some(t),
        _ => None,
    };
    let system = match &a.details {
        Details::System(s) => Some(s),
        _ => None,
    };
    activity::ActiveModel {
        id: Set(a.id),
        organisation_id: Set(a.organisation_id),
        kind: Set(a.details.kind().as_str().to_owned()),
        subject_kind: Set(a.subject.kind.clone()),
        subject_id: Set(a.subject.id.clone()),
        client_id: Set(a.client_id),
        author_user_id: Set(a.author),
        body: Set(a.body.clone()),
        call_direction: Set(direction),
        call_duration_seconds: Set(duration),
        task_title: Set(task.map(|t| t.title.clone())),
        task_due_at: Set(task.map(|t| t.due_at)),
        task_assignee: Set(task.map(|t| t.assignee)),
        task_status: Set(task.map(|t| t.status.as_str().to_owned())),
        task_completed_at: Set(task.and_then(|t| t.completed_at)),
        task_completed_by: Set(task.and_then(|t| t.completed_by)),
        event_type: Set(system.map(|s| s.event_type.clone())),
        event_id: Set(system.map(|s| s.event_id)),
        aggregate_id: Set(system.map(|s| s.aggregate_id.clone())),
        request_id: Set(request_id),
        occurred_at: Set(a.occurred_at),
        created_at: Set(a.created_at),
    }
}

/// Writes the system activity of an event once: a second write of the same event in the
/// same organisation changes nothing. Runs inside the consumer's transaction.
pub async fn insert_system<C: ConnectionTrait>(db: &C, activity: &Activity) -> Result<(), Error> {
    Entity::insert(to_active(activity, None))
        .on_conflict(
            OnConflict::columns([Column::OrganisationId, Column::EventId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn page<C: ConnectionTrait>(
    db: &C,
    query: Select<Entity>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<Activity>, bool), Error> {
    let query = match after {
        Some(after) => query.filter(Column::Id.lt(after)),
        None => query,
    };
    let mut rows = query
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows.into_iter().map(to_domain).collect(), more))
}

impl Repo {
    /// Returns a store over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Inserts `activity`, or returns the one created earlier with `request_id`. A
    /// request id already used for another kind of activity is refused.
    pub async fn create(
        &self,
        tenant: Tenant,
        activity: Activity,
        request_id: Option<Uuid>,
    ) -> Result<Activity, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?
                .map(to_domain);
            if let Some(earlier) = earlier {
                if earlier.details.kind() != activity.details.kind() {
                    return Err(Error::FailedPrecondition(
                        "request_id was already used for another activity".into(),
                    ));
                }
                return Ok(earlier);
            }
        }
        Entity::insert(to_active(&activity, request_id))
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(activity)
    }

    /// Applies `change` to the task `id` of the tenant in one transaction.
    pub async fn update_task<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        change: F,
    ) -> Result<Activity, Error>
    where
        F: FnOnce(&Activity) -> Result<Activity, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = Entity::find_by_id_in(tenant, id)
            .filter(Column::Kind.eq(Kind::Task.as_str()))
            .one(&txn)
            .await?
            .map(to_domain)
            .ok_or(Error::TaskNotFound(id))?;
        let next = change(&current)?;
        let previous = match &current.details {
            Details::Task(t) => t.status.as_str(),
            _ => return Err(Error::TaskNotFound(id)),
        };
        // Only the row still in the status read is changed: a concurrent completion wins once.
        let mut active = to_active(&next, None);
        // The request id belongs to the creation; an update leaves it as it was.
        active.request_id = sea_orm::ActiveValue::NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::TaskStatus.eq(previous))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(Error::FailedPrecondition(
                "the task changed meanwhile; read it again".into(),
            ));
        }
        txn.commit().await?;
        Ok(next)
    }

    /// Returns up to `limit` activities of a timeline after the id `after` (newest
    /// first), and whether more follow.
    pub async fn timeline(
        &self,
        tenant: Tenant,
        of: &TimelineOf,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Activity>, bool), Error> {
        let query = match of {
            TimelineOf::Client(id) => Entity::find_in(tenant).filter(Column::ClientId.eq(*id)),
            TimelineOf::Subject(s) => Entity::find_in(tenant)
                .filter(Column::SubjectKind.eq(s.kind.as_str()))
                .filter(Column::SubjectId.eq(s.id.as_str())),
        };
        page(&self.db, query, after, limit).await
    }

    /// Returns up to `limit` tasks assigned to `assignee` after the id `after` (newest
    /// first), only in `status` when given, and whether more follow.
    pub async fn tasks_of(
        &self,
        tenant: Tenant,
        assignee: Uuid,
        status: Option<TaskStatus>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Activity>, bool), Error> {
        let mut query = Entity::find_in(tenant)
            .filter(Column::Kind.eq(Kind::Task.as_str()))
            .filter(Column::TaskAssignee.eq(assignee));
        if let Some(status) = status {
            query = query.filter(Column::TaskStatus.eq(status.as_str()));
        }
        page(&self.db, query, after, limit).await
    }
}
