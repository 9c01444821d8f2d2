//! Working hours: proto ↔ domain.

use crm_proto::calendar::v1 as pb;

use super::{Violations, calendar_from_proto, calendar_to_proto, timestamp};
use crate::domain::event::parse_zone;
use crate::domain::hours::{DAY_MINUTES, check_periods};
use crate::domain::{HolidayCalendar, Period, StoredHours, WorkingHours};

/// Returns minutes from midnight of a time of day, recording a violation at `field`
/// when it is missing or not a time (24:00 is accepted; the caller checks where).
fn minutes(t: Option<&pb::TimeOfDay>, field: String, v: &mut Violations) -> u32 {
    let Some(t) = t else {
        v.push((field, "is required".into()));
        return 0;
    };
    let total = t.hours * 60 + t.minutes;
    if !(0..=24).contains(&t.hours) || !(0..=59).contains(&t.minutes) || total > 1440 {
        v.push((field, "is not a time of day (00:00 to 24:00)".into()));
        return 0;
    }
    u32::try_from(total).unwrap_or(0)
}

fn time_of_day(m: u32) -> pb::TimeOfDay {
    pb::TimeOfDay {
        hours: i32::try_from(m / 60).unwrap_or(0),
        minutes: i32::try_from(m % 60).unwrap_or(0),
    }
}

/// Returns the working hours of a proto message, recording every mistake in `v` under
/// `prefix`.
pub fn hours_from_proto(
    p: &pb::WorkingHours,
    prefix: &str,
    v: &mut Violations,
) -> Option<WorkingHours> {
    let field = |name: &str| format!("{prefix}.{name}");
    let zone = match p.time_zone.trim() {
        "" => {
            v.push((field("time_zone"), "is required".into()));
            None
        }
        name => {
            let zone = parse_zone(name);
            if zone.is_none() {
                v.push((
                    field("time_zone"),
                    format!("{name:?} is not an IANA time zone"),
                ));
            }
            zone
        }
    };
    let calendar = calendar_from_proto(
        p.calendar,
        &field("calendar"),
        Some(HolidayCalendar::France),
        v,
    );
    let before = v.len();
    let mut periods = Vec::with_capacity(p.periods.len());
    for (i, period) in p.periods.iter().enumerate() {
        let at = |name: &str| format!("{prefix}.periods[{i}].{name}");
        let day = match pb::DayOfWeek::try_from(period.day_of_week) {
            Ok(pb::DayOfWeek::Unspecified) | Err(_) => 0,
            Ok(day) => day as u32,
        };
        let start = minutes(period.start.as_ref(), at("start"), v);
        let end = minutes(period.end.as_ref(), at("end"), v);
        periods.push(Period { day, start, end });
    }
    // Range checks only make sense once each time parsed.
    if v.len() == before {
        v.extend(check_periods(&periods, &field("periods")));
    }
    periods.sort_by_key(|p| (p.day, p.start));
    Some(WorkingHours {
        time_zone: zone?,
        calendar: calendar?,
        periods,
    })
}

/// Returns the proto form of stored working hours.
pub fn hours_to_proto(s: StoredHours) -> pb::WorkingHours {
    pb::WorkingHours {
        user_id: s.user_id.to_string(),
        time_zone: s.hours.time_zone.name().to_owned(),
        periods: s
            .hours
            .periods
            .iter()
            .map(|p| pb::WorkingPeriod {
                day_of_week: i32::try_from(p.day).unwrap_or(0),
                start: Some(time_of_day(p.start)),
                end: Some(time_of_day(p.end.min(DAY_MINUTES))),
            })
            .collect(),
        calendar: calendar_to_proto(s.hours.calendar) as i32,
        is_default: s.version == 0,
        update_time: s.updated_at.map(timestamp),
        version: s.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hours: i32, minutes: i32) -> Option<pb::TimeOfDay> {
        Some(pb::TimeOfDay { hours, minutes })
    }

    #[test]
    fn defaults_round_trip() {
        let user = uuid::Uuid::now_v7();
        let p = hours_to_proto(StoredHours::default_for(user));
        assert!(p.is_default);
        assert_eq!(p.periods.len(), 5);
        let mut v = Vec::new();
        let back = hours_from_proto(&p, "working_hours", &mut v).expect("valid");
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(back, WorkingHours::default_schedule());
    }

    #[test]
    fn every_mistake_is_reported() {
        let p = pb::WorkingHours {
            time_zone: "Mars/Olympus".into(),
            calendar: 9,
            periods: vec![
                pb::WorkingPeriod {
                    day_of_week: 1,
                    start: t(25, 0),
                    end: None,
                },
                pb::WorkingPeriod {
                    day_of_week: 2,
                    start: t(9, 60),
                    end: t(18, 0),
                },
            ],
            ..Default::default()
        };
        let mut v = Vec::new();
        assert!(hours_from_proto(&p, "wh", &mut v).is_none());
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "wh.time_zone",
                "wh.calendar",
                "wh.periods[0].start",
                "wh.periods[0].end",
                "wh.periods[1].start"
            ]
        );
    }
}
