//! Working hours, availability and slot proposals.

use crm_db::Tenant;
use crm_kit::Role;
use crm_kit::convert::required_id;
use crm_proto::calendar::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Answer, CalendarApi, invalid};
use crate::convert::{
    Violations, from_timestamp, hours_from_proto, hours_to_proto, interval_to_proto, uuid_field,
};
use crate::domain::{
    self, Availability, BusinessCalendar, ClosedDays, DEFAULT_GRANULARITY, DEFAULT_MAX_SLOTS,
    GRANULARITIES, Interval, MAX_SLOT_ATTENDEES, MAX_SLOTS, StoredHours, WorkingHours,
};
use crate::error::Error;

/// Returns the window of two required timestamps, recording violations under the two
/// field names.
fn window(
    start: Option<&prost_types::Timestamp>,
    end: Option<&prost_types::Timestamp>,
    (start_field, end_field): (&str, &str),
    v: &mut Violations,
) -> Option<Interval> {
    let instant = |t: Option<&prost_types::Timestamp>, field: &str, v: &mut Violations| match t {
        None => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
        Some(t) => from_timestamp(t, field, v),
    };
    let start = instant(start, start_field, v);
    let end = instant(end, end_field, v);
    let (start, end) = (start?, end?);
    domain::check_window(start, end)
        .map_err(|problem| v.push((end_field.to_owned(), problem)))
        .ok()
}

/// Returns the availability of each of `users` within `window`: their working hours on
/// their business days (the organisation's closed days included) minus their scheduled
/// events.
async fn availabilities(
    api: &CalendarApi,
    tenant: Tenant,
    users: &[Uuid],
    window: Interval,
) -> Result<Vec<(StoredHours, Availability)>, Error> {
    let hours = api.repo.working_hours(tenant, users).await?;
    let (from, to) = WorkingHours::local_dates(window);
    let closed = ClosedDays::loaded(api.repo.closed_between(tenant, from, to).await?, from, to);
    let busy = api.repo.busy(tenant, users, window).await?;
    hours
        .into_iter()
        .zip(busy)
        .map(|(stored, events)| {
            let calendar = BusinessCalendar::new(stored.hours.calendar, &closed);
            // Windows lie in 1970 to 2999 and the closed days cover their local dates,
            // so the walk cannot fail; report it as a bad window all the same.
            let working = stored
                .hours
                .intervals(window, &calendar)
                .map_err(|_| Error::invalid("window", "is outside the calendar's years"))?;
            let availability = domain::availability(window, &working, &events);
            Ok((stored, availability))
        })
        .collect()
}

pub(super) async fn get_working_hours(
    api: &CalendarApi,
    request: Request<pb::GetWorkingHoursRequest>,
) -> Answer<pb::GetWorkingHoursResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let user = required_id(&request.get_ref().user_id, "user_id")?;
    let mut stored = api.repo.working_hours(tenant, &[user]).await?;
    Ok(Response::new(pb::GetWorkingHoursResponse {
        working_hours: stored.pop().map(hours_to_proto),
    }))
}

pub(super) async fn set_working_hours(
    api: &CalendarApi,
    request: Request<pb::SetWorkingHoursRequest>,
) -> Answer<pb::SetWorkingHoursResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let Some(input) = &request.get_ref().working_hours else {
        return Err(Error::invalid("working_hours", "is required").into());
    };
    let mut v = Violations::new();
    let user = uuid_field(&input.user_id, "working_hours.user_id", &mut v);
    let hours = hours_from_proto(input, "working_hours", &mut v);
    invalid(v)?;
    let (Some(user), Some(hours)) = (user, hours) else {
        return Err(Status::internal("validated request without its fields"));
    };
    let admin = matches!(ctx.role, Some(Role::Owner | Role::Admin));
    if !admin && ctx.user_id()? != user {
        return Err(Error::PermissionDenied(
            "members set their own working hours; owners and admins set anyone's".into(),
        )
        .into());
    }
    let stored = api
        .repo
        .set_working_hours(tenant, user, hours, input.version)
        .await?;
    tracing::info!(user_id = %user, "working hours set");
    Ok(Response::new(pb::SetWorkingHoursResponse {
        working_hours: Some(hours_to_proto(stored)),
    }))
}

pub(super) async fn get_availability(
    api: &CalendarApi,
    request: Request<pb::GetAvailabilityRequest>,
) -> Answer<pb::GetAvailabilityResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let user = uuid_field(&req.user_id, "user_id", &mut v);
    let window = window(
        req.start_time.as_ref(),
        req.end_time.as_ref(),
        ("start_time", "end_time"),
        &mut v,
    );
    invalid(v)?;
    let (Some(user), Some(window)) = (user, window) else {
        return Err(Status::internal("validated request without its fields"));
    };
    let mut found = availabilities(api, tenant, &[user], window).await?;
    let Some((stored, availability)) = found.pop() else {
        return Err(Status::internal("no availability for the user asked for"));
    };
    Ok(Response::new(pb::GetAvailabilityResponse {
        busy: availability
            .busy
            .into_iter()
            .map(interval_to_proto)
            .collect(),
        free: availability
            .free
            .into_iter()
            .map(interval_to_proto)
            .collect(),
        working_hours: Some(hours_to_proto(stored)),
    }))
}

pub(super) async fn propose_slots(
    api: &CalendarApi,
    request: Request<pb::ProposeSlotsRequest>,
) -> Answer<pb::ProposeSlotsResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    if req.attendee_user_ids.is_empty() {
        v.push(("attendee_user_ids".into(), "is required".into()));
    } else if req.attendee_user_ids.len() > MAX_SLOT_ATTENDEES {
        v.push((
            "attendee_user_ids".into(),
            format!("must have at most {MAX_SLOT_ATTENDEES} users"),
        ));
    }
    let mut users: Vec<Uuid> = Vec::with_capacity(req.attendee_user_ids.len());
    for (i, text) in req.attendee_user_ids.iter().enumerate() {
        let field = format!("attendee_user_ids[{i}]");
        match uuid_field(text, &field, &mut v) {
            Some(id) if users.contains(&id) => v.push((field, "is listed twice".into())),
            Some(id) => users.push(id),
            None => {}
        }
    }
    if !(5..=1440).contains(&req.duration_minutes) {
        v.push(("duration_minutes".into(), "must be 5 to 1440".into()));
    }
    let granularity = match req.granularity_minutes {
        0 => DEFAULT_GRANULARITY,
        g if GRANULARITIES.contains(&g) => g,
        _ => {
            v.push((
                "granularity_minutes".into(),
                format!("must be one of {GRANULARITIES:?}"),
            ));
            DEFAULT_GRANULARITY
        }
    };
    let max = match usize::try_from(req.max_results) {
        Ok(0) => DEFAULT_MAX_SLOTS,
        Ok(n) => n.min(MAX_SLOTS),
        Err(_) => {
            v.push(("max_results".into(), "must not be negative".into()));
            DEFAULT_MAX_SLOTS
        }
    };
    let window = window(
        req.window_start.as_ref(),
        req.window_end.as_ref(),
        ("window_start", "window_end"),
        &mut v,
    );
    invalid(v)?;
    let Some(window) = window else {
        return Err(Status::internal("validated request without a window"));
    };
    let found = availabilities(api, tenant, &users, window).await?;
    let free: Vec<Vec<Interval>> = found.into_iter().map(|(_, a)| a.free).collect();
    let slots = domain::propose(
        &free,
        i64::from(req.duration_minutes),
        i64::from(granularity),
        max,
    );
    Ok(Response::new(pb::ProposeSlotsResponse {
        slots: slots.into_iter().map(interval_to_proto).collect(),
    }))
}
