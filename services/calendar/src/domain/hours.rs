//! Working hours: weekly wall-clock periods in a time zone, turned into instants day by
//! day so that daylight-saving changes move them in UTC as they move on the clock.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::business::{BusinessCalendar, HolidayCalendar, StepError};
use super::intervals::Interval;

/// Minutes in a day; 24:00 ends a period at midnight.
pub const DAY_MINUTES: u32 = 24 * 60;
/// Most periods a week may have.
pub const MAX_PERIODS: usize = 28;

/// A span of working time on one day of the week, in minutes from midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    /// The day, 1 (Monday) to 7 (Sunday).
    #[serde(rename = "d")]
    pub day: u32,
    /// Start, minutes from midnight.
    #[serde(rename = "s")]
    pub start: u32,
    /// End, minutes from midnight, after start; at most 1440.
    #[serde(rename = "e")]
    pub end: u32,
}

/// A user's weekly working hours.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingHours {
    /// The time zone of the periods.
    pub time_zone: Tz,
    /// Whose business days are worked.
    pub calendar: HolidayCalendar,
    /// The periods, sorted by day then start.
    pub periods: Vec<Period>,
}

impl WorkingHours {
    /// Returns the defaults: Monday to Friday, 09:00 to 18:00, Europe/Paris, French
    /// working days.
    pub fn default_schedule() -> Self {
        Self {
            time_zone: chrono_tz::Europe::Paris,
            calendar: HolidayCalendar::France,
            periods: (1..=5)
                .map(|day| Period {
                    day,
                    start: 9 * 60,
                    end: 18 * 60,
                })
                .collect(),
        }
    }

    /// Returns the local dates whose working time may fall inside `window`, widened by
    /// a day on each side since a zone's date can differ from UTC's.
    pub fn local_dates(window: Interval) -> (NaiveDate, NaiveDate) {
        let from = (window.start - Duration::days(1)).date_naive();
        let to = (window.end + Duration::days(1)).date_naive();
        (from, to)
    }

    /// Returns the working time inside `window` on business days of `calendar` (which
    /// must know the organisation's closed days over [`Self::local_dates`]), merged and
    /// in order.
    pub fn intervals(
        &self,
        window: Interval,
        calendar: &BusinessCalendar<'_>,
    ) -> Result<Vec<Interval>, StepError> {
        let (from, to) = Self::local_dates(window);
        let mut out = Vec::new();
        let mut date = from;
        while date <= to {
            let day = date.weekday().number_from_monday();
            let periods: Vec<&Period> = self.periods.iter().filter(|p| p.day == day).collect();
            if !periods.is_empty() && calendar.is_business_day(date)? {
                for p in periods {
                    if let Some(i) = local_interval(self.time_zone, date, p.start, p.end)
                        .and_then(|i| i.clip(window))
                    {
                        out.push(i);
                    }
                }
            }
            date = date.succ_opt().ok_or(StepError::Unsupported)?;
        }
        Ok(super::intervals::merge(out))
    }
}

/// Returns the instants of `date` from `start` to `end` minutes of wall-clock time in
/// `tz`, or `None` when daylight saving leaves nothing of it.
pub fn local_interval(tz: Tz, date: NaiveDate, start: u32, end: u32) -> Option<Interval> {
    let at = |minutes: u32| {
        let midnight = date.and_hms_opt(0, 0, 0)?;
        resolve_local(tz, midnight + Duration::minutes(i64::from(minutes)))
    };
    Interval::new(at(start)?, at(end)?)
}

/// Returns the instant of a wall-clock time in `tz`. A time that occurs twice (the
/// clock going back) is taken at its first occurrence; a time that does not exist (the
/// clock jumping forward) is moved to the end of the gap, the first minute that exists.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Gaps are an hour or two; the longest on record (Samoa, 2011) is a day.
    for minutes in 0..=(i64::from(DAY_MINUTES) + 60) {
        let candidate = local + Duration::minutes(minutes);
        if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// Checks a week of periods, returning (path, problem) for each mistake; `field` names
/// the repeated field, for example "working_hours.periods".
pub fn check_periods(periods: &[Period], field: &str) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if periods.len() > MAX_PERIODS {
        v.push((
            field.to_owned(),
            format!("must have at most {MAX_PERIODS} periods"),
        ));
    }
    for (i, p) in periods.iter().enumerate() {
        if !(1..=7).contains(&p.day) {
            v.push((format!("{field}[{i}].day_of_week"), "is required".into()));
        }
        if p.start >= DAY_MINUTES {
            v.push((format!("{field}[{i}].start"), "must be before 24:00".into()));
        }
        if p.end > DAY_MINUTES {
            v.push((format!("{field}[{i}].end"), "must be at most 24:00".into()));
        }
        if p.end <= p.start {
            v.push((format!("{field}[{i}].end"), "must be after start".into()));
        }
        let overlaps = periods[..i]
            .iter()
            .any(|q| q.day == p.day && q.start < p.end && p.start < q.end);
        if overlaps {
            v.push((
                format!("{field}[{i}]"),
                "overlaps another period of the same day".into(),
            ));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::business::ClosedDays;
    use crate::domain::intervals::{Interval, slots};

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("instant")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn gaps_move_forward_and_repeats_take_the_first() {
        let paris = chrono_tz::Europe::Paris;
        let gap = date(2026, 3, 29).and_hms_opt(2, 30, 0).expect("time");
        assert_eq!(resolve_local(paris, gap), Some(utc(2026, 3, 29, 1, 0)));
        let twice = date(2026, 10, 25).and_hms_opt(2, 30, 0).expect("time");
        assert_eq!(resolve_local(paris, twice), Some(utc(2026, 10, 25, 0, 30)));
    }

    /// A whole day in Paris lasts 23 hours on the last Sunday of March and 25 on the
    /// last Sunday of October; 30-minute slots run straight across the changes.
    #[test]
    fn whole_days_across_daylight_saving_changes() {
        let paris = chrono_tz::Europe::Paris;
        let spring = local_interval(paris, date(2026, 3, 29), 0, DAY_MINUTES).expect("day");
        assert_eq!(spring.start, utc(2026, 3, 28, 23, 0));
        assert_eq!(spring.end, utc(2026, 3, 29, 22, 0));
        let autumn = local_interval(paris, date(2026, 10, 25), 0, DAY_MINUTES).expect("day");
        assert_eq!(autumn.end - autumn.start, Duration::hours(25));
        let half_hours =
            |i: Interval| slots(&[i], Duration::minutes(30), Duration::minutes(30), 100);
        assert_eq!(half_hours(spring).len(), 46);
        assert_eq!(half_hours(autumn).len(), 50);
        // 01:30-02:00 local is followed by 03:00-03:30 local: contiguous in UTC.
        let s = half_hours(spring);
        assert_eq!(
            (s[3].start, s[3].end),
            (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0))
        );
        assert_eq!(s[4].start, utc(2026, 3, 29, 1, 0));
    }

    /// Paris working hours are 08:00-17:00 UTC before the March change and 07:00-16:00
    /// after it; the weekend between is not worked.
    #[test]
    fn working_hours_follow_the_wall_clock() {
        let hours = WorkingHours::default_schedule();
        let window = Interval::new(utc(2026, 3, 27, 0, 0), utc(2026, 3, 31, 0, 0)).expect("window");
        let none = ClosedDays::ignored();
        let cal = BusinessCalendar::new(hours.calendar, &none);
        let got = hours.intervals(window, &cal).expect("intervals");
        assert_eq!(
            got,
            [
                Interval::new(utc(2026, 3, 27, 8, 0), utc(2026, 3, 27, 17, 0)).expect("fri"),
                Interval::new(utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 16, 0)).expect("mon"),
            ]
        );
    }

    /// Egypt moves its clocks on a Friday at midnight, a business day: a period over the
    /// gap is an hour shorter.
    #[test]
    fn a_gap_on_a_business_day_shortens_the_period() {
        let cairo = chrono_tz::Africa::Cairo;
        let day = date(2023, 4, 28);
        let whole = local_interval(cairo, day, 0, DAY_MINUTES).expect("day");
        assert_eq!(whole.end - whole.start, Duration::hours(23));
        let hours = WorkingHours {
            time_zone: cairo,
            calendar: HolidayCalendar::Target,
            periods: vec![Period {
                day: 5,
                start: 0,
                end: DAY_MINUTES,
            }],
        };
        let window = Interval::new(utc(2023, 4, 27, 0, 0), utc(2023, 4, 30, 0, 0)).expect("window");
        let closed = ClosedDays::loaded(BTreeMap::new(), date(2023, 4, 1), date(2023, 5, 31));
        let cal = BusinessCalendar::new(hours.calendar, &closed);
        assert_eq!(hours.intervals(window, &cal).expect("intervals"), [whole]);
    }

    #[test]
    fn holidays_and_closed_days_are_not_worked() {
        let hours = WorkingHours::default_schedule();
        // Friday 1 May and Monday 4 May 2026, the organisation closed on the Monday.
        let window = Interval::new(utc(2026, 5, 1, 0, 0), utc(2026, 5, 5, 0, 0)).expect("window");
        let mut days = BTreeMap::new();
        days.insert(date(2026, 5, 4), "Bridge".to_owned());
        let (from, to) = WorkingHours::local_dates(window);
        let closed = ClosedDays::loaded(days, from, to);
        let cal = BusinessCalendar::new(hours.calendar, &closed);
        assert!(hours.intervals(window, &cal).expect("intervals").is_empty());
    }

    #[test]
    fn periods_are_checked() {
        let bad = [
            Period {
                day: 0,
                start: 600,
                end: 540,
            },
            Period {
                day: 1,
                start: 540,
                end: 720,
            },
            Period {
                day: 1,
                start: 700,
                end: 1500,
            },
        ];
        let fields: Vec<_> = check_periods(&bad, "p")
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["p[0].day_of_week", "p[0].end", "p[2].end", "p[2]"]);
        assert!(check_periods(&WorkingHours::default_schedule().periods, "p").is_empty());
    }
}
