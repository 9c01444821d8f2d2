//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, dates, time zones, masks).

use chrono::{Datelike as _, NaiveDate, Weekday};
use crm_proto::calendar::v1 as pb;

use crate::domain::{ClosedDay, Closure, ClosureKind, Day, HolidayCalendar, Interval, business};

mod event;
mod hours;

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, from_timestamp, optional_uuid, timestamp,
    uuid_field,
};
pub use event::{apply_mask, draft_from_proto, event_to_proto, implicit_mask};
pub use hours::{hours_from_proto, hours_to_proto};

/// Returns the calendar of a proto value, recording a violation at `field` when it is
/// unknown, or unspecified and `required`.
pub fn calendar_from_proto(
    value: i32,
    field: &str,
    default: Option<HolidayCalendar>,
    v: &mut Violations,
) -> Option<HolidayCalendar> {
    match pb::HolidayCalendar::try_from(value) {
        Ok(pb::HolidayCalendar::Target) => Some(HolidayCalendar::Target),
        Ok(pb::HolidayCalendar::Fr) => Some(HolidayCalendar::France),
        Ok(pb::HolidayCalendar::FrTarget) => Some(HolidayCalendar::FranceTarget),
        Ok(pb::HolidayCalendar::Unspecified) if default.is_some() => default,
        Ok(pb::HolidayCalendar::Unspecified) => {
            v.push((
                field.to_owned(),
                "is required: TARGET, FR or FR_TARGET".into(),
            ));
            None
        }
        Err(_) => {
            v.push((field.to_owned(), "is not a known calendar".into()));
            None
        }
    }
}

/// Returns the proto value of a calendar.
pub fn calendar_to_proto(c: HolidayCalendar) -> pb::HolidayCalendar {
    match c {
        HolidayCalendar::Target => pb::HolidayCalendar::Target,
        HolidayCalendar::France => pb::HolidayCalendar::Fr,
        HolidayCalendar::FranceTarget => pb::HolidayCalendar::FrTarget,
    }
}

/// Returns the date of a required proto date within the calendar's years, recording a
/// violation at `field` when missing, invalid or out of range.
pub fn required_date(
    d: Option<&crm_proto::common::v1::Date>,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    let Some(d) = d else {
        v.push((field.to_owned(), "is required".into()));
        return None;
    };
    let date = date_from_proto(d, field, v)?;
    if !business::is_supported(date) {
        v.push((field.to_owned(), "must be in the years 1583 to 4099".into()));
        return None;
    }
    Some(date)
}

/// Returns the proto day of the week of a weekday.
pub fn weekday_to_proto(day: Weekday) -> pb::DayOfWeek {
    match day {
        Weekday::Mon => pb::DayOfWeek::Monday,
        Weekday::Tue => pb::DayOfWeek::Tuesday,
        Weekday::Wed => pb::DayOfWeek::Wednesday,
        Weekday::Thu => pb::DayOfWeek::Thursday,
        Weekday::Fri => pb::DayOfWeek::Friday,
        Weekday::Sat => pb::DayOfWeek::Saturday,
        Weekday::Sun => pb::DayOfWeek::Sunday,
    }
}

fn closure_to_proto(c: Closure) -> pb::Closure {
    let kind = match c.kind {
        ClosureKind::Weekend => pb::ClosureKind::Weekend,
        ClosureKind::TargetHoliday => pb::ClosureKind::TargetHoliday,
        ClosureKind::FrenchHoliday => pb::ClosureKind::FrPublicHoliday,
        ClosureKind::Organisation => pb::ClosureKind::Organisation,
    };
    pb::Closure {
        kind: kind as i32,
        name: c.name,
    }
}

/// Returns the proto form of a day.
pub fn day_to_proto(day: Day) -> pb::CalendarDay {
    pb::CalendarDay {
        date: Some(date_to_proto(day.date)),
        day_of_week: weekday_to_proto(day.date.weekday()) as i32,
        business_day: day.is_business_day(),
        closures: day.closures.into_iter().map(closure_to_proto).collect(),
    }
}

/// Returns the proto form of a closed day.
pub fn closed_day_to_proto(d: ClosedDay) -> pb::ClosedDay {
    pb::ClosedDay {
        id: d.id.to_string(),
        date: Some(date_to_proto(d.date)),
        name: d.name,
        created_by_user_id: d.created_by.map(|u| u.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(d.created_at)),
    }
}

/// Returns the proto form of an interval.
pub fn interval_to_proto(i: Interval) -> pb::Interval {
    pb::Interval {
        start_time: Some(timestamp(i.start)),
        end_time: Some(timestamp(i.end)),
    }
}

/// Returns the name of a closed day, recording a violation when it is empty or too long.
pub fn closed_day_name(name: &str, field: &str, v: &mut Violations) -> String {
    let name = name.trim();
    if name.is_empty() {
        v.push((field.to_owned(), "is required".into()));
    } else if name.chars().count() > 200 {
        v.push((field.to_owned(), "must be at most 200 characters".into()));
    } else if name.chars().any(char::is_control) {
        v.push((
            field.to_owned(),
            "must not contain control characters".into(),
        ));
    }
    name.to_owned()
}
