//! Business days and the organisation's closed days.

use chrono::{Duration, NaiveDate};
use crm_db::Tenant;
use crm_kit::convert::required_id;
use crm_proto::calendar::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, CalendarApi, invalid, next_token, page};
use crate::convert::{
    Violations, calendar_from_proto, closed_day_name, closed_day_to_proto, date_from_proto,
    date_to_proto, day_to_proto, optional_uuid, required_date,
};
use crate::domain::business::MAX_DAYS_TO_ADD;
use crate::domain::{BusinessCalendar, ClosedDays, HolidayCalendar, MAX_CALENDAR_DAYS, StepError};
use crate::error::Error;
use crate::repo::day_key;

/// Bounds of the dates the calendars know (the Easter formula's years).
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1583, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(4099, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Runs `f` over `calendar` with the organisation's closed days from `from` to `to`
/// (none when `ignore`); while the computation walks past the loaded span (many
/// closures), loads a wider one and runs it again. A walk leaving the supported years
/// is a violation of `field`.
async fn with_calendar<T>(
    api: &CalendarApi,
    tenant: Tenant,
    calendar: HolidayCalendar,
    ignore: bool,
    (mut from, mut to): (NaiveDate, NaiveDate),
    field: &str,
    f: impl Fn(&BusinessCalendar<'_>) -> Result<T, StepError>,
) -> Result<T, Error> {
    loop {
        let closed = if ignore {
            ClosedDays::ignored()
        } else {
            let days = api.repo.closed_between(tenant, from, to).await?;
            ClosedDays::loaded(days, from, to)
        };
        match f(&BusinessCalendar::new(calendar, &closed)) {
            Ok(value) => return Ok(value),
            Err(StepError::NotLoaded) => {
                let widen = (to - from) + Duration::days(31);
                from = from
                    .checked_sub_signed(widen)
                    .unwrap_or(first_day())
                    .max(first_day());
                to = to
                    .checked_add_signed(widen)
                    .unwrap_or(last_day())
                    .min(last_day());
            }
            Err(StepError::Unsupported) => {
                return Err(Error::invalid(
                    field,
                    "the result falls outside the years 1583 to 4099",
                ));
            }
        }
    }
}

/// Returns the dates a walk of `n` business days from `date` probably stays within:
/// weekends and holidays close fewer than half the days.
fn walk_span(date: NaiveDate, n: i32) -> (NaiveDate, NaiveDate) {
    let reach = Duration::days(2 * i64::from(n.unsigned_abs()) + 14);
    let before = if n < 0 {
        date.checked_sub_signed(reach)
    } else {
        Some(date)
    };
    let after = if n > 0 {
        date.checked_add_signed(reach)
    } else {
        date.checked_add_signed(Duration::days(14))
    };
    (
        before.unwrap_or(first_day()).max(first_day()),
        after.unwrap_or(last_day()).min(last_day()),
    )
}

pub(super) async fn is_business_day(
    api: &CalendarApi,
    request: Request<pb::IsBusinessDayRequest>,
) -> Answer<pb::IsBusinessDayResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let date = required_date(req.date.as_ref(), "date", &mut v);
    let calendar = calendar_from_proto(req.calendar, "calendar", None, &mut v);
    invalid(v)?;
    let (Some(date), Some(calendar)) = (date, calendar) else {
        return Err(Error::invalid("date", "is required").into());
    };
    let ignore = req.ignore_organisation_closed_days;
    let day = with_calendar(api, tenant, calendar, ignore, (date, date), "date", |c| {
        c.day(date)
    })
    .await?;
    Ok(Response::new(pb::IsBusinessDayResponse {
        business_day: day.is_business_day(),
        day: Some(day_to_proto(day)),
    }))
}

pub(super) async fn add_business_days(
    api: &CalendarApi,
    request: Request<pb::AddBusinessDaysRequest>,
) -> Answer<pb::AddBusinessDaysResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let date = required_date(req.date.as_ref(), "date", &mut v);
    let calendar = calendar_from_proto(req.calendar, "calendar", None, &mut v);
    if !(-MAX_DAYS_TO_ADD..=MAX_DAYS_TO_ADD).contains(&req.days) {
        v.push((
            "days".into(),
            format!("must be between -{MAX_DAYS_TO_ADD} and {MAX_DAYS_TO_ADD}"),
        ));
    }
    invalid(v)?;
    let (Some(date), Some(calendar)) = (date, calendar) else {
        return Err(Error::invalid("date", "is required").into());
    };
    let n = req.days;
    let span = walk_span(date, n);
    let ignore = req.ignore_organisation_closed_days;
    let result = with_calendar(api, tenant, calendar, ignore, span, "days", |c| {
        c.add_business_days(date, n)
    })
    .await?;
    Ok(Response::new(pb::AddBusinessDaysResponse {
        date: Some(date_to_proto(result)),
    }))
}

pub(super) async fn next_business_day(
    api: &CalendarApi,
    request: Request<pb::NextBusinessDayRequest>,
) -> Answer<pb::NextBusinessDayResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let date = required_date(req.date.as_ref(), "date", &mut v);
    let calendar = calendar_from_proto(req.calendar, "calendar", None, &mut v);
    invalid(v)?;
    let (Some(date), Some(calendar)) = (date, calendar) else {
        return Err(Error::invalid("date", "is required").into());
    };
    let inclusive = req.inclusive;
    let ignore = req.ignore_organisation_closed_days;
    let span = walk_span(date, 1);
    let result = with_calendar(api, tenant, calendar, ignore, span, "date", |c| {
        c.next_business_day(date, inclusive)
    })
    .await?;
    Ok(Response::new(pb::NextBusinessDayResponse {
        date: Some(date_to_proto(result)),
    }))
}

pub(super) async fn list_holidays(
    api: &CalendarApi,
    request: Request<pb::ListHolidaysRequest>,
) -> Answer<pb::ListHolidaysResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let calendar = calendar_from_proto(req.calendar, "calendar", None, &mut v);
    let year = NaiveDate::from_ymd_opt(req.year, 1, 1)
        .zip(NaiveDate::from_ymd_opt(req.year, 12, 31))
        .filter(|(jan, _)| crate::domain::business::is_supported(*jan));
    if year.is_none() {
        v.push(("year".into(), "must be 1583 to 4099".into()));
    }
    invalid(v)?;
    let (Some(span), Some(calendar)) = (year, calendar) else {
        return Err(Error::invalid("year", "is required").into());
    };
    let ignore = req.ignore_organisation_closed_days;
    let days = with_calendar(api, tenant, calendar, ignore, span, "year", |c| {
        c.holidays(req.year)
    })
    .await?;
    Ok(Response::new(pb::ListHolidaysResponse {
        days: days.into_iter().map(day_to_proto).collect(),
    }))
}

pub(super) async fn get_calendar_days(
    api: &CalendarApi,
    request: Request<pb::GetCalendarDaysRequest>,
) -> Answer<pb::GetCalendarDaysResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let start = required_date(req.start_date.as_ref(), "start_date", &mut v);
    let end = required_date(req.end_date.as_ref(), "end_date", &mut v);
    let calendar = calendar_from_proto(req.calendar, "calendar", None, &mut v);
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            v.push(("end_date".into(), "must not be before start_date".into()));
        } else if (end - start).num_days() >= MAX_CALENDAR_DAYS {
            v.push((
                "end_date".into(),
                format!("the range must be at most {MAX_CALENDAR_DAYS} days"),
            ));
        }
    }
    invalid(v)?;
    let (Some(start), Some(end), Some(calendar)) = (start, end, calendar) else {
        return Err(Error::invalid("start_date", "is required").into());
    };
    let ignore = req.ignore_organisation_closed_days;
    let days = with_calendar(
        api,
        tenant,
        calendar,
        ignore,
        (start, end),
        "end_date",
        |c| {
            start
                .iter_days()
                .take_while(|d| *d <= end)
                .map(|d| c.day(d))
                .collect::<Result<Vec<_>, _>>()
        },
    )
    .await?;
    let business_day_count = days.iter().filter(|d| d.is_business_day()).count();
    Ok(Response::new(pb::GetCalendarDaysResponse {
        business_day_count: i32::try_from(business_day_count).unwrap_or(i32::MAX),
        days: days.into_iter().map(day_to_proto).collect(),
    }))
}

pub(super) async fn add_closed_day(
    api: &CalendarApi,
    request: Request<pb::AddClosedDayRequest>,
) -> Answer<pb::AddClosedDayResponse> {
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.closed_day else {
        return Err(Error::invalid("closed_day", "is required").into());
    };
    if !input.id.is_empty() {
        v.push(("closed_day.id".into(), "is assigned by the service".into()));
    }
    let date = required_date(input.date.as_ref(), "closed_day.date", &mut v);
    let name = closed_day_name(&input.name, "closed_day.name", &mut v);
    invalid(v)?;
    let Some(date) = date else {
        return Err(Error::invalid("closed_day.date", "is required").into());
    };
    let day = api
        .repo
        .add_closed_day(tenant, date, name, ctx.user_id().ok(), request_id)
        .await?;
    tracing::info!(closed_day_id = %day.id, %date, "closed day added");
    Ok(Response::new(pb::AddClosedDayResponse {
        closed_day: Some(closed_day_to_proto(day)),
    }))
}

pub(super) async fn remove_closed_day(
    api: &CalendarApi,
    request: Request<pb::RemoveClosedDayRequest>,
) -> Answer<pb::RemoveClosedDayResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let id = required_id(&request.get_ref().closed_day_id, "closed_day_id")?;
    api.repo.remove_closed_day(tenant, id).await?;
    tracing::info!(closed_day_id = %id, "closed day removed");
    Ok(Response::new(pb::RemoveClosedDayResponse {}))
}

pub(super) async fn list_closed_days(
    api: &CalendarApi,
    request: Request<pb::ListClosedDaysRequest>,
) -> Answer<pb::ListClosedDaysResponse> {
    let tenant = crm_kit::context(&request)?.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let from = req
        .start_date
        .as_ref()
        .and_then(|d| date_from_proto(d, "start_date", &mut v));
    let to = req
        .end_date
        .as_ref()
        .and_then(|d| date_from_proto(d, "end_date", &mut v));
    let fingerprint = crm_db::page::fingerprint(&[&format!("{from:?}"), &format!("{to:?}")]);
    let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
    let after = match after
        .map(|c| NaiveDate::from_num_days_from_ce_opt(i32::try_from(c.key).unwrap_or(i32::MAX)))
    {
        Some(None) => {
            v.push(("page_token".into(), crm_db::PageError::BadToken.to_string()));
            None
        }
        Some(date) => date,
        None => None,
    };
    invalid(v)?;
    let (days, more) = api
        .repo
        .list_closed_days(tenant, from, to, after, size)
        .await?;
    let last = days.last().map(|d| (day_key(d.date), d.id));
    Ok(Response::new(pb::ListClosedDaysResponse {
        next_page_token: next_token(more, last, fingerprint),
        closed_days: days.into_iter().map(closed_day_to_proto).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::Datelike as _;

    use super::*;

    #[test]
    fn walk_spans_point_the_right_way() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 14).expect("date");
        let (from, to) = walk_span(d, 10);
        assert_eq!((from, (to - d).num_days()), (d, 34));
        let (from, to) = walk_span(d, -10);
        assert_eq!(((d - from).num_days(), (to - d).num_days()), (34, 14));
        assert_eq!(walk_span(last_day(), 10).1, last_day());
        assert_eq!(first_day().year(), 1583);
    }
}
