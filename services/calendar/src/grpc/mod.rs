//! The tonic implementation of `crm.calendar.v1.CalendarService`: decode, authorise,
//! call the domain and the store, encode. One module per area; this one holds the
//! trait, whose methods hand over to them, and the helpers they share.

use crm_kit::{RequestContext, Role};
use crm_proto::calendar::v1 as pb;
use crm_proto::calendar::v1::calendar_service_server::CalendarService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::Violations;
use crate::cursor::Cursor;
use crate::domain::Reach;
use crate::error::Error;
use crate::events::Actor;
use crate::repo::Repo;

mod agenda;
mod availability;
mod days;

/// The calendar API.
#[derive(Debug, Clone)]
pub struct CalendarApi {
    repo: Repo,
}

impl CalendarApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Returns whether the role reads every agenda of the organisation.
fn sees_everyone(ctx: &RequestContext) -> bool {
    matches!(ctx.role, Some(Role::Owner | Role::Admin | Role::Manager))
}

/// Returns the events the caller may see: all for owners, admins and managers, else
/// those they own or attend. Needs a user behind the call.
fn reach(ctx: &RequestContext) -> Result<(Uuid, Reach), Status> {
    let me = ctx.user_id()?;
    Ok((
        me,
        if sees_everyone(ctx) {
            Reach::All
        } else {
            Reach::Own(me)
        },
    ))
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the page size and the cursor a page starts after, recording malformed values
/// in `v`.
fn page(
    page_size: i32,
    token: &str,
    fingerprint: u64,
    v: &mut Violations,
) -> (u64, Option<Cursor>) {
    let size = crm_db::page_size(page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = Cursor::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten();
    (size, after)
}

/// Returns the token of the page after the row (`key`, `id`), when more follow.
fn next_token(more: bool, last: Option<(i64, Uuid)>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some((key, after))) => Cursor {
            key,
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

#[tonic::async_trait]
impl CalendarService for CalendarApi {
    async fn is_business_day(
        &self,
        r: Request<pb::IsBusinessDayRequest>,
    ) -> Answer<pb::IsBusinessDayResponse> {
        days::is_business_day(self, r).await
    }

    async fn add_business_days(
        &self,
        r: Request<pb::AddBusinessDaysRequest>,
    ) -> Answer<pb::AddBusinessDaysResponse> {
        days::add_business_days(self, r).await
    }

    async fn next_business_day(
        &self,
        r: Request<pb::NextBusinessDayRequest>,
    ) -> Answer<pb::NextBusinessDayResponse> {
        days::next_business_day(self, r).await
    }

    async fn list_holidays(
        &self,
        r: Request<pb::ListHolidaysRequest>,
    ) -> Answer<pb::ListHolidaysResponse> {
        days::list_holidays(self, r).await
    }

    async fn get_calendar_days(
        &self,
        r: Request<pb::GetCalendarDaysRequest>,
    ) -> Answer<pb::GetCalendarDaysResponse> {
        days::get_calendar_days(self, r).await
    }

    async fn add_closed_day(
        &self,
        r: Request<pb::AddClosedDayRequest>,
    ) -> Answer<pb::AddClosedDayResponse> {
        days::add_closed_day(self, r).await
    }

    async fn remove_closed_day(
        &self,
        r: Request<pb::RemoveClosedDayRequest>,
    ) -> Answer<pb::RemoveClosedDayResponse> {
        days::remove_closed_day(self, r).await
    }

    async fn list_closed_days(
        &self,
        r: Request<pb::ListClosedDaysRequest>,
    ) -> Answer<pb::ListClosedDaysResponse> {
        days::list_closed_days(self, r).await
    }

    async fn create_event(
        &self,
        r: Request<pb::CreateEventRequest>,
    ) -> Answer<pb::CreateEventResponse> {
        agenda::create_event(self, r).await
    }

    async fn get_event(&self, r: Request<pb::GetEventRequest>) -> Answer<pb::GetEventResponse> {
        agenda::get_event(self, r).await
    }

    async fn update_event(
        &self,
        r: Request<pb::UpdateEventRequest>,
    ) -> Answer<pb::UpdateEventResponse> {
        agenda::update_event(self, r).await
    }

    async fn cancel_event(
        &self,
        r: Request<pb::CancelEventRequest>,
    ) -> Answer<pb::CancelEventResponse> {
        agenda::cancel_event(self, r).await
    }

    async fn list_events(
        &self,
        r: Request<pb::ListEventsRequest>,
    ) -> Answer<pb::ListEventsResponse> {
        agenda::list_events(self, r).await
    }

    async fn get_working_hours(
        &self,
        r: Request<pb::GetWorkingHoursRequest>,
    ) -> Answer<pb::GetWorkingHoursResponse> {
        availability::get_working_hours(self, r).await
    }

    async fn set_working_hours(
        &self,
        r: Request<pb::SetWorkingHoursRequest>,
    ) -> Answer<pb::SetWorkingHoursResponse> {
        availability::set_working_hours(self, r).await
    }

    async fn get_availability(
        &self,
        r: Request<pb::GetAvailabilityRequest>,
    ) -> Answer<pb::GetAvailabilityResponse> {
        availability::get_availability(self, r).await
    }

    async fn propose_slots(
        &self,
        r: Request<pb::ProposeSlotsRequest>,
    ) -> Answer<pb::ProposeSlotsResponse> {
        availability::propose_slots(self, r).await
    }
}
