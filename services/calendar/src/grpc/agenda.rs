//! Agenda events: create, read, update, cancel, list.

use crm_kit::convert::required_id;
use crm_proto::calendar::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Answer, CalendarApi, actor, invalid, next_token, page, reach};
use crate::convert::{
    Violations, apply_mask, draft_from_proto, event_to_proto, from_timestamp, implicit_mask,
    optional_uuid, uuid_field,
};
use crate::domain::event::{self, MAX_LOCATION, draft_of};
use crate::domain::{Draft, Event, Status as EventStatus};
use crate::error::Error;
use crate::events;
use crate::repo::EventFilter;

/// Refuses a change to someone else's event (which the caller can see, or they would
/// have had NOT_FOUND).
fn owned(event: &Event, me: Uuid) -> Result<(), Error> {
    if event.owner_user_id == me {
        Ok(())
    } else {
        Err(Error::PermissionDenied(
            "only the owner of an event changes or cancels it".into(),
        ))
    }
}

fn refuse_cancelled(event: &Event, what: &str) -> Result<(), Error> {
    if event.status == EventStatus::Cancelled {
        Err(Error::FailedPrecondition(format!(
            "a cancelled event cannot be {what}"
        )))
    } else {
        Ok(())
    }
}

pub(super) async fn create_event(
    api: &CalendarApi,
    request: Request<pb::CreateEventRequest>,
) -> Answer<pb::CreateEventResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let me = ctx.user_id()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.event else {
        return Err(Error::invalid("event", "is required").into());
    };
    if !input.id.is_empty() {
        v.push(("event.id".into(), "is assigned by the service".into()));
    }
    if input.status != 0 && input.status != pb::EventStatus::Scheduled as i32 {
        v.push(("event.status".into(), "a new event is SCHEDULED".into()));
    }
    let owner = optional_uuid(&input.owner_user_id, "event.owner_user_id", &mut v);
    let draft = draft_from_proto(input, "event", &mut v);
    let data = event::validate(draft, "event", v).map_err(Error::InvalidArgument)?;
    if owner.is_some_and(|o| o != me) {
        return Err(Error::PermissionDenied(
            "events are created in the caller's own agenda".into(),
        )
        .into());
    }
    let actor = actor(ctx);
    let created = api
        .repo
        .create_event(tenant, me, data, request_id, |e| {
            events::scheduled(e, &actor)
        })
        .await?;
    tracing::info!(event_id = %created.id, "event created");
    Ok(Response::new(pb::CreateEventResponse {
        event: Some(event_to_proto(created)),
    }))
}

pub(super) async fn get_event(
    api: &CalendarApi,
    request: Request<pb::GetEventRequest>,
) -> Answer<pb::GetEventResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let (_, reach) = reach(ctx)?;
    let id = required_id(&request.get_ref().event_id, "event_id")?;
    let found = api.repo.get_event(tenant, id, reach).await?;
    Ok(Response::new(pb::GetEventResponse {
        event: Some(event_to_proto(found)),
    }))
}

pub(super) async fn update_event(
    api: &CalendarApi,
    request: Request<pb::UpdateEventRequest>,
) -> Answer<pb::UpdateEventResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let (me, reach) = reach(ctx)?;
    let req = request.get_ref();
    let Some(input) = &req.event else {
        return Err(Error::invalid("event", "is required").into());
    };
    let mut v = Violations::new();
    let id = uuid_field(&input.id, "event.id", &mut v);
    let paths = match &req.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => implicit_mask(input),
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no field to update".into()));
    }
    let incoming = draft_from_proto(input, "event", &mut v);
    // Unknown and read-only paths are reported before anything is read.
    apply_mask(&mut Draft::default(), &incoming, &paths, &mut v);
    invalid(v)?;
    let Some(id) = id else {
        return Err(Status::internal("validated request without an id"));
    };
    let updated = api
        .repo
        .update_event(
            tenant,
            id,
            reach,
            input.version,
            |current| {
                owned(current, me)?;
                refuse_cancelled(current, "changed")?;
                let mut draft = draft_of(&current.data);
                apply_mask(&mut draft, &incoming, &paths, &mut Violations::new());
                let data =
                    event::validate(draft, "event", Vec::new()).map_err(Error::InvalidArgument)?;
                let mut next = current.clone();
                next.data = data;
                Ok(next)
            },
            // The catalogue has no event for a changed meeting (spec/events.md).
            |_, _| None,
        )
        .await?;
    Ok(Response::new(pb::UpdateEventResponse {
        event: Some(event_to_proto(updated)),
    }))
}

pub(super) async fn cancel_event(
    api: &CalendarApi,
    request: Request<pb::CancelEventRequest>,
) -> Answer<pb::CancelEventResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let (me, reach) = reach(ctx)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let id = uuid_field(&req.event_id, "event_id", &mut v);
    let reason = req.reason.trim().to_owned();
    if reason.chars().count() > MAX_LOCATION {
        v.push((
            "reason".into(),
            format!("must be at most {MAX_LOCATION} characters"),
        ));
    }
    invalid(v)?;
    let Some(id) = id else {
        return Err(Status::internal("validated request without an id"));
    };
    let actor = actor(ctx);
    let cancelled = api
        .repo
        .update_event(
            tenant,
            id,
            reach,
            req.version,
            |current| {
                owned(current, me)?;
                refuse_cancelled(current, "cancelled again")?;
                let mut next = current.clone();
                next.status = EventStatus::Cancelled;
                next.cancellation_reason = reason;
                next.cancelled_at = Some(crate::repo::now());
                Ok(next)
            },
            |_, after| Some(events::cancelled(after, &actor)),
        )
        .await?;
    tracing::info!(event_id = %id, "event cancelled");
    Ok(Response::new(pb::CancelEventResponse {
        event: Some(event_to_proto(cancelled)),
    }))
}

pub(super) async fn list_events(
    api: &CalendarApi,
    request: Request<pb::ListEventsRequest>,
) -> Answer<pb::ListEventsResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let (_, reach) = reach(ctx)?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let filter = EventFilter {
        ends_after: req
            .start_time
            .as_ref()
            .and_then(|t| from_timestamp(t, "start_time", &mut v)),
        starts_before: req
            .end_time
            .as_ref()
            .and_then(|t| from_timestamp(t, "end_time", &mut v)),
        owner: optional_uuid(&req.owner_user_id, "owner_user_id", &mut v),
        attendee: optional_uuid(&req.attendee_user_id, "attendee_user_id", &mut v),
        client: optional_uuid(&req.client_id, "client_id", &mut v),
        include_cancelled: req.include_cancelled,
    };
    if let (Some(from), Some(to)) = (filter.ends_after, filter.starts_before)
        && to <= from
    {
        v.push(("end_time".into(), "must be after start_time".into()));
    }
    let fingerprint = crm_db::page::fingerprint(&[
        &format!("{:?}", filter.ends_after),
        &format!("{:?}", filter.starts_before),
        &req.owner_user_id,
        &req.attendee_user_id,
        &req.client_id,
        &req.include_cancelled.to_string(),
    ]);
    let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
    let after = match after.map(|c| (chrono::DateTime::from_timestamp_micros(c.key), c.after)) {
        Some((Some(start), id)) => Some((start, id)),
        Some((None, _)) => {
            v.push(("page_token".into(), crm_db::PageError::BadToken.to_string()));
            None
        }
        None => None,
    };
    invalid(v)?;
    let (found, more) = api
        .repo
        .list_events(tenant, &filter, reach, after, size)
        .await?;
    let last = found
        .last()
        .map(|e| (e.data.start.timestamp_micros(), e.id));
    Ok(Response::new(pb::ListEventsResponse {
        next_page_token: next_token(more, last, fingerprint),
        events: found.into_iter().map(event_to_proto).collect(),
    }))
}
