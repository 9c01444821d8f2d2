//! The rules of the calendar, free of I/O: business days over the shared TARGET and
//! French calendars plus an organisation's closed days, agenda events, working hours
//! in a time zone, and the interval arithmetic of availability and slot proposals.

pub mod business;
pub mod event;
pub mod hours;
pub mod intervals;
mod names;

use chrono::{DateTime, Duration, Utc};

pub use business::{
    BusinessCalendar, ClosedDays, Closure, ClosureKind, Day, HolidayCalendar, StepError,
};
pub use event::{Draft, Event, EventData, Reach, Status};
pub use hours::{Period, WorkingHours};
pub use intervals::Interval;

/// Longest range GetCalendarDays returns, in days.
pub const MAX_CALENDAR_DAYS: i64 = 366;
/// Longest range of GetAvailability and ProposeSlots, in days.
pub const MAX_AVAILABILITY_DAYS: i64 = 62;
/// Most attendees ProposeSlots considers.
pub const MAX_SLOT_ATTENDEES: usize = 20;
/// Slot granularities ProposeSlots accepts, in minutes: divisors of an hour, so slots
/// fall on the same wall-clock minutes every hour.
pub const GRANULARITIES: [i32; 6] = [5, 10, 15, 20, 30, 60];
/// Granularity when a request gives none.
pub const DEFAULT_GRANULARITY: i32 = 15;
/// Slots returned when a request asks for no number.
pub const DEFAULT_MAX_SLOTS: usize = 10;
/// Most slots returned.
pub const MAX_SLOTS: usize = 100;

/// A day an organisation closed on top of the public calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDay {
    /// Id.
    pub id: uuid::Uuid,
    /// The organisation.
    pub organisation_id: uuid::Uuid,
    /// The date.
    pub date: chrono::NaiveDate,
    /// Why.
    pub name: String,
    /// Who added it.
    pub created_by: Option<uuid::Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A user's working hours as stored: theirs, or the defaults (version 0) when they set
/// none.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHours {
    /// The user.
    pub user_id: uuid::Uuid,
    /// The hours.
    pub hours: WorkingHours,
    /// When they were last set; `None` for the defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version; 0 for the defaults.
    pub version: i64,
}

impl StoredHours {
    /// Returns the defaults of `user_id`.
    pub fn default_for(user_id: uuid::Uuid) -> Self {
        Self {
            user_id,
            hours: WorkingHours::default_schedule(),
            updated_at: None,
            version: 0,
        }
    }
}

/// A user's availability over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    /// When they are in a scheduled event, merged.
    pub busy: Vec<Interval>,
    /// When they work and are not busy.
    pub free: Vec<Interval>,
}

/// Returns the availability of a user who works `working` and is in the events
/// `events` (any order, overlapping or not), within `window`.
pub fn availability(window: Interval, working: &[Interval], events: &[Interval]) -> Availability {
    let busy = intervals::merge(events.iter().filter_map(|e| e.clip(window)).collect());
    let free = intervals::subtract(working, &busy);
    Availability { busy, free }
}

/// Returns up to `max` slots of `minutes` in which everyone of `free` (one list per
/// attendee) is free, on multiples of `granularity` minutes, earliest first.
pub fn propose(
    free: &[Vec<Interval>],
    minutes: i64,
    granularity: i64,
    max: usize,
) -> Vec<Interval> {
    let Some((first, rest)) = free.split_first() else {
        return Vec::new();
    };
    let common = rest
        .iter()
        .fold(first.clone(), |acc, f| intervals::intersect(&acc, f));
    intervals::slots(
        &common,
        Duration::minutes(minutes),
        Duration::minutes(granularity),
        max,
    )
}

/// Returns whether `[start, end)` is a window availability may be asked for, or why
/// not.
pub fn check_window(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Interval, String> {
    if !event::is_plausible(start) || !event::is_plausible(end) {
        return Err("must be between 1970 and 2999".into());
    }
    match Interval::new(start, end) {
        None => Err("must be after the start".into()),
        Some(w) if w.end - w.start > Duration::days(MAX_AVAILABILITY_DAYS) => Err(format!(
            "must be at most {MAX_AVAILABILITY_DAYS} days after the start"
        )),
        Some(w) => Ok(w),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 30, h, m, 0)
            .single()
            .expect("instant")
    }

    fn iv(a: (u32, u32), b: (u32, u32)) -> Interval {
        Interval::new(t(a.0, a.1), t(b.0, b.1)).expect("interval")
    }

    /// Two attendees with overlapping events leave the slots neither is busy in.
    #[test]
    fn proposals_avoid_everyone_s_events() {
        let window = iv((0, 0), (23, 0));
        let working = [iv((7, 0), (16, 0))];
        let alice = availability(window, &working, &[iv((7, 0), (8, 30)), iv((8, 0), (9, 0))]);
        assert_eq!(alice.busy, [iv((7, 0), (9, 0))]);
        let bob = availability(
            window,
            &working,
            &[iv((9, 30), (10, 0)), iv((22, 0), (23, 30))],
        );
        assert_eq!(bob.busy, [iv((9, 30), (10, 0)), iv((22, 0), (23, 0))]);
        let slots = propose(&[alice.free, bob.free], 30, 15, 4);
        assert_eq!(
            slots,
            [
                iv((9, 0), (9, 30)),
                iv((10, 0), (10, 30)),
                iv((10, 15), (10, 45)),
                iv((10, 30), (11, 0))
            ]
        );
    }

    #[test]
    fn windows_are_bounded() {
        assert!(check_window(t(10, 0), t(9, 0)).is_err());
        assert!(check_window(t(9, 0), t(9, 0) + Duration::days(63)).is_err());
        assert!(check_window(t(9, 0), t(10, 0)).is_ok());
    }
}
