//! Storage of agenda events.

use chrono::{DateTime, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::sea_query::{Condition, Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use super::{Repo, now};
use crate::domain::event::parse_zone;
use crate::domain::{Event, EventData, Interval, Reach, Status};
use crate::entity::event::{self, Column, Entity};
use crate::error::Error;

/// Filters of ListEvents.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events ending after this instant.
    pub ends_after: Option<DateTime<Utc>>,
    /// Only events starting before this instant.
    pub starts_before: Option<DateTime<Utc>>,
    /// Only events of this owner.
    pub owner: Option<Uuid>,
    /// Only events this user attends.
    pub attendee: Option<Uuid>,
    /// Only events with this client.
    pub client: Option<Uuid>,
    /// Cancelled events too.
    pub include_cancelled: bool,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn to_domain(m: event::Model) -> Event {
    Event {
        id: m.id,
        organisation_id: m.organisation_id,
        owner_user_id: m.owner_user_id,
        data: EventData {
            title: m.title,
            description: m.description,
            client_id: m.client_id,
            start: m.start_at,
            end: m.end_at,
            // Zones were checked before they were stored; UTC keeps a row readable should
            // a later tz database drop one.
            time_zone: parse_zone(&m.time_zone).unwrap_or(chrono_tz::UTC),
            location: m.location,
            attendee_user_ids: serde_json::from_str(&m.attendee_user_ids).unwrap_or_default(),
            attendee_emails: serde_json::from_str(&m.attendee_emails).unwrap_or_default(),
            reminder_minutes: serde_json::from_str(&m.reminder_minutes).unwrap_or_default(),
        },
        status: Status::parse(&m.status).unwrap_or(Status::Scheduled),
        cancellation_reason: m.cancellation_reason,
        cancelled_at: m.cancelled_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn to_active(e: &Event, request_id: Option<Uuid>) -> event::ActiveModel {
    let d = &e.data;
    event::ActiveModel {
        id: Set(e.id),
        organisation_id: Set(e.organisation_id),
        owner_user_id: Set(e.owner_user_id),
        title: Set(d.title.clone()),
        description: Set(d.description.clone()),
        client_id: Set(d.client_id),
        start_at: Set(d.start),
        end_at: Set(d.end),
        time_zone: Set(d.time_zone.name().to_owned()),
        location: Set(d.location.clone()),
        attendee_user_ids: Set(json(&d.attendee_user_ids)),
        attendee_emails: Set(json(&d.attendee_emails)),
        reminder_minutes: Set(json(&d.reminder_minutes)),
        status: Set(e.status.as_str().to_owned()),
        cancellation_reason: Set(e.cancellation_reason.clone()),
        cancelled_at: Set(e.cancelled_at),
        request_id: Set(request_id),
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
        version: Set(e.version),
    }
}

/// Returns the condition "`user` is a listed attendee": user ids are stored as a JSON
/// array of hyphenated UUIDs, so the quoted id matches exactly one element.
fn attends(user: Uuid) -> Condition {
    Condition::all().add(Expr::col(Column::AttendeeUserIds).like(format!("%\"{user}\"%")))
}

/// Returns the condition "`user` owns or attends".
fn involves(user: Uuid) -> Condition {
    Condition::any()
        .add(Column::OwnerUserId.eq(user))
        .add(attends(user))
}

fn visible(query: Select<Entity>, reach: Reach) -> Select<Entity> {
    match reach {
        Reach::All => query,
        Reach::Own(me) => query.filter(involves(me)),
    }
}

impl Repo {
    /// Inserts a new event with its `meeting.scheduled`, or returns the event created
    /// earlier with `request_id`.
    pub async fn create_event(
        &self,
        tenant: Tenant,
        owner: Uuid,
        data: EventData,
        request_id: Option<Uuid>,
        describe: impl FnOnce(&Event) -> NewEvent,
    ) -> Result<Event, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(to_domain(earlier));
            }
        }
        let at = now();
        let event = Event {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            owner_user_id: owner,
            data,
            status: Status::Scheduled,
            cancellation_reason: String::new(),
            cancelled_at: None,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        Entity::insert(to_active(&event, request_id))
            .exec(&txn)
            .await?;
        crm_events::append(&txn, describe(&event)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(event)
    }

    /// Returns an event of the tenant the caller may see.
    pub async fn get_event(&self, tenant: Tenant, id: Uuid, reach: Reach) -> Result<Event, Error> {
        Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(to_domain)
            .filter(|e| reach.sees(e))
            .ok_or(Error::EventNotFound(id))
    }

    /// Applies `change` to an event the caller may see, inside one transaction: read,
    /// changed, written with the event `describe` returns for (before, after), or nothing
    /// written. `expected_version` (when not 0) must match the stored version.
    pub async fn update_event<F, D>(
        &self,
        tenant: Tenant,
        id: Uuid,
        reach: Reach,
        expected_version: i64,
        change: F,
        describe: D,
    ) -> Result<Event, Error>
    where
        F: FnOnce(&Event) -> Result<Event, Error>,
        D: FnOnce(&Event, &Event) -> Option<NewEvent>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = Entity::find_by_id_in(tenant, id)
            .one(&txn)
            .await?
            .map(to_domain)
            .filter(|e| reach.sees(e))
            .ok_or(Error::EventNotFound(id))?;
        let mismatch = |current: i64| Error::VersionMismatch {
            what: format!("event {id}"),
            expected: expected_version,
            current,
        };
        if expected_version != 0 && expected_version != current.version {
            return Err(mismatch(current.version));
        }
        let mut next = change(&current)?;
        next.version = current.version + 1;
        next.updated_at = now();
        let mut active = to_active(&next, None);
        // The request id belongs to the creation; an update leaves it as it was.
        active.request_id = NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(mismatch(current.version + 1));
        }
        if let Some(event) = describe(&current, &next) {
            crm_events::append(&txn, event).await?;
        }
        txn.commit().await?;
        self.relay.notify_one();
        Ok(next)
    }

    /// Returns up to `limit` events the caller may see matching `filter`, by start time
    /// then id, after the position `after` (start, id), and whether more follow.
    pub async fn list_events(
        &self,
        tenant: Tenant,
        filter: &EventFilter,
        reach: Reach,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Event>, bool), Error> {
        let mut query = visible(Entity::find_in(tenant), reach);
        if let Some(t) = filter.ends_after {
            query = query.filter(Column::EndAt.gt(t));
        }
        if let Some(t) = filter.starts_before {
            query = query.filter(Column::StartAt.lt(t));
        }
        if let Some(owner) = filter.owner {
            query = query.filter(Column::OwnerUserId.eq(owner));
        }
        if let Some(user) = filter.attendee {
            query = query.filter(attends(user));
        }
        if let Some(client) = filter.client {
            query = query.filter(Column::ClientId.eq(client));
        }
        if !filter.include_cancelled {
            query = query.filter(Column::Status.eq(Status::Scheduled.as_str()));
        }
        if let Some((start, id)) = after {
            query = query.filter(
                Condition::any().add(Column::StartAt.gt(start)).add(
                    Condition::all()
                        .add(Column::StartAt.eq(start))
                        .add(Column::Id.gt(id)),
                ),
            );
        }
        let mut rows = query
            .order_by_asc(Column::StartAt)
            .order_by_asc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows.into_iter().map(to_domain).collect(), more))
    }

    /// Returns, for each of `users`, the scheduled events they own or attend that
    /// overlap `window`, as intervals.
    pub async fn busy(
        &self,
        tenant: Tenant,
        users: &[Uuid],
        window: Interval,
    ) -> Result<Vec<Vec<Interval>>, Error> {
        let anyone = users
            .iter()
            .fold(Condition::any(), |c, u| c.add(involves(*u)));
        let rows = Entity::find_in(tenant)
            .filter(Column::Status.eq(Status::Scheduled.as_str()))
            .filter(Column::StartAt.lt(window.end))
            .filter(Column::EndAt.gt(window.start))
            .filter(anyone)
            .all(&self.db)
            .await?;
        let events: Vec<Event> = rows.into_iter().map(to_domain).collect();
        Ok(users
            .iter()
            .map(|u| {
                events
                    .iter()
                    .filter(|e| Reach::Own(*u).sees(e))
                    .filter_map(|e| Interval::new(e.data.start, e.data.end))
                    .collect()
            })
            .collect())
    }
}
