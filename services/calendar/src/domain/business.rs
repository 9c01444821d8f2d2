//! Business days: a public calendar (TARGET, French or both, from `crm_shared::calendar`)
//! plus the organisation's own closed days.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use crm_shared::calendar::{
    SUPPORTED_YEARS, add_target_days, french_public_holidays, is_french_public_holiday,
    is_target_holiday, next_target_day, target_holidays,
};

use super::names::{french_names, target_names};

/// Largest number of business days AddBusinessDays moves, about forty years.
pub const MAX_DAYS_TO_ADD: i32 = 10_000;

/// The public calendar business days are counted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayCalendar {
    /// TARGET (T2): the calendar of SEPA date arithmetic.
    Target,
    /// French national public holidays.
    France,
    /// Closed when TARGET or France is.
    FranceTarget,
}

impl HolidayCalendar {
    /// Returns the stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::France => "fr",
            Self::FranceTarget => "fr_target",
        }
    }

    /// Returns the calendar of a stored text form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "target" => Some(Self::Target),
            "fr" => Some(Self::France),
            "fr_target" => Some(Self::FranceTarget),
            _ => None,
        }
    }

    fn has_target(self) -> bool {
        matches!(self, Self::Target | Self::FranceTarget)
    }

    fn has_france(self) -> bool {
        matches!(self, Self::France | Self::FranceTarget)
    }
}

/// Why a day is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureKind {
    /// Saturday or Sunday.
    Weekend,
    /// A TARGET closing day.
    TargetHoliday,
    /// A French public holiday.
    FrenchHoliday,
    /// One of the organisation's closed days.
    Organisation,
}

/// One reason a day is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// The kind.
    pub kind: ClosureKind,
    /// Its name.
    pub name: String,
}

/// A day with its closures; a business day has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// The date.
    pub date: NaiveDate,
    /// Every reason it is closed.
    pub closures: Vec<Closure>,
}

impl Day {
    /// Returns whether the day is open.
    pub fn is_business_day(&self) -> bool {
        self.closures.is_empty()
    }
}

/// Why a date cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// The walk left the years for which Easter is known (1583 to 4099).
    Unsupported,
    /// The walk reached a date whose organisation closed days were not loaded; load a
    /// wider span and try again.
    NotLoaded,
}

/// The organisation's closed days, known for a span of dates (or ignored).
#[derive(Debug, Clone, Default)]
pub struct ClosedDays {
    days: BTreeMap<NaiveDate, String>,
    /// The span loaded; `None` when the organisation's days are ignored.
    span: Option<(NaiveDate, NaiveDate)>,
}

impl ClosedDays {
    /// Returns no closed days, for requests that ignore them.
    pub fn ignored() -> Self {
        Self::default()
    }

    /// Returns the closed days `days`, which must be all of those from `from` to `to`.
    pub fn loaded(days: BTreeMap<NaiveDate, String>, from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            days,
            span: Some((from, to)),
        }
    }

    /// Returns whether the organisation's days are ignored.
    fn is_ignored(&self) -> bool {
        self.span.is_none()
    }

    /// Returns the name of the closed day on `date`, or `NotLoaded` outside the span.
    fn get(&self, date: NaiveDate) -> Result<Option<&str>, StepError> {
        match self.span {
            None => Ok(None),
            Some((from, to)) if date < from || date > to => Err(StepError::NotLoaded),
            Some(_) => Ok(self.days.get(&date).map(String::as_str)),
        }
    }

    /// Returns the closed days of the span falling in `year`.
    fn in_year(&self, year: i32) -> impl Iterator<Item = (&NaiveDate, &String)> {
        self.days.iter().filter(move |(d, _)| d.year() == year)
    }
}

/// Returns whether `date` lies in the years the calendars know.
pub fn is_supported(date: NaiveDate) -> bool {
    SUPPORTED_YEARS.contains(&date.year())
}

/// A public calendar with an organisation's closed days.
#[derive(Debug, Clone, Copy)]
pub struct BusinessCalendar<'a> {
    calendar: HolidayCalendar,
    closed: &'a ClosedDays,
}

impl<'a> BusinessCalendar<'a> {
    /// Returns the calendar `calendar` with the closed days `closed`.
    pub fn new(calendar: HolidayCalendar, closed: &'a ClosedDays) -> Self {
        Self { calendar, closed }
    }

    /// Returns `date` with every reason it is closed.
    pub fn day(&self, date: NaiveDate) -> Result<Day, StepError> {
        if !is_supported(date) {
            return Err(StepError::Unsupported);
        }
        let mut closures = Vec::new();
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            closures.push(closure(ClosureKind::Weekend, "Weekend"));
        }
        if self.calendar.has_target() {
            for name in target_names(date) {
                closures.push(closure(ClosureKind::TargetHoliday, name));
            }
        }
        if self.calendar.has_france() {
            for name in french_names(date) {
                closures.push(closure(ClosureKind::FrenchHoliday, name));
            }
        }
        if let Some(name) = self.closed.get(date)? {
            closures.push(closure(ClosureKind::Organisation, name));
        }
        Ok(Day { date, closures })
    }

    /// Returns whether `date` is a business day. The public part asks the shared
    /// calendar; the names above only describe it.
    pub fn is_business_day(&self, date: NaiveDate) -> Result<bool, StepError> {
        if !is_supported(date) {
            return Err(StepError::Unsupported);
        }
        let closed = matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            || (self.calendar.has_target() && is_target_holiday(date))
            || (self.calendar.has_france() && is_french_public_holiday(date))
            || self.closed.get(date)?.is_some();
        Ok(!closed)
    }

    /// Returns the business day `n` business days after `date` (before it when `n` is
    /// negative), counting from `date` whether or not it is open; `n = 0` is `date` when
    /// open, else the next business day. The conventions of
    /// `crm_shared::calendar::add_target_days`, which answers the pure TARGET case.
    pub fn add_business_days(&self, date: NaiveDate, n: i32) -> Result<NaiveDate, StepError> {
        if !is_supported(date) {
            return Err(StepError::Unsupported);
        }
        if self.calendar == HolidayCalendar::Target && self.closed.is_ignored() {
            return add_target_days(date, n).ok_or(StepError::Unsupported);
        }
        if n == 0 {
            return self.next_business_day(date, true);
        }
        let forward = n > 0;
        let mut current = date;
        for _ in 0..n.unsigned_abs() {
            current = self.step(current, forward)?;
        }
        Ok(current)
    }

    /// Returns the first business day after `date`, or `date` itself when `inclusive`
    /// and it is open.
    pub fn next_business_day(
        &self,
        date: NaiveDate,
        inclusive: bool,
    ) -> Result<NaiveDate, StepError> {
        if inclusive && self.is_business_day(date)? {
            return Ok(date);
        }
        if self.calendar == HolidayCalendar::Target && self.closed.is_ignored() {
            return next_target_day(date).ok_or(StepError::Unsupported);
        }
        self.step(date, true)
    }

    /// Walks one day at a time to the next business day in a direction. Closed runs are
    /// short (a long weekend, or the organisation's closures), so the walk is too.
    fn step(&self, date: NaiveDate, forward: bool) -> Result<NaiveDate, StepError> {
        let mut current = date;
        loop {
            current = if forward {
                current.succ_opt()
            } else {
                current.pred_opt()
            }
            .ok_or(StepError::Unsupported)?;
            if self.is_business_day(current)? {
                return Ok(current);
            }
        }
    }

    /// Returns the closing days of `year` other than plain weekends, in date order: the
    /// public holidays of the calendar (weekend ones included) and the organisation's
    /// closed days, each with every reason it is closed.
    pub fn holidays(&self, year: i32) -> Result<Vec<Day>, StepError> {
        let mut dates: Vec<NaiveDate> = Vec::new();
        if self.calendar.has_target() {
            dates.extend(target_holidays(year));
        }
        if self.calendar.has_france() {
            dates.extend(french_public_holidays(year));
        }
        dates.extend(self.closed.in_year(year).map(|(d, _)| *d));
        dates.sort_unstable();
        dates.dedup();
        dates.into_iter().map(|d| self.day(d)).collect()
    }
}

fn closure(kind: ClosureKind, name: &str) -> Closure {
    Closure {
        kind,
        name: name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn open(calendar: HolidayCalendar, d: NaiveDate) -> bool {
        let none = ClosedDays::ignored();
        BusinessCalendar::new(calendar, &none)
            .is_business_day(d)
            .expect("supported")
    }

    use HolidayCalendar::{France, FranceTarget, Target};

    #[test]
    fn holidays_by_calendar() {
        // Easter Monday and 1 May close every calendar.
        for cal in [Target, France, FranceTarget] {
            assert!(!open(cal, date(2026, 4, 6)), "Easter Monday {cal:?}");
            assert!(!open(cal, date(2026, 5, 1)), "1 May {cal:?}");
            assert!(!open(cal, date(2026, 3, 28)), "Saturday {cal:?}");
            assert!(open(cal, date(2026, 4, 7)), "a Tuesday {cal:?}");
        }
        // 26 December 2025 (a Friday) and Good Friday: TARGET only.
        for d in [date(2025, 12, 26), date(2026, 4, 3)] {
            assert!(!open(Target, d), "{d}");
            assert!(open(France, d), "{d}");
            assert!(!open(FranceTarget, d), "{d}");
        }
        // 8 May, Ascension, 14 July: French only.
        for d in [date(2026, 5, 8), date(2026, 5, 14), date(2026, 7, 14)] {
            assert!(open(Target, d), "{d}");
            assert!(!open(France, d), "{d}");
            assert!(!open(FranceTarget, d), "{d}");
        }
    }

    #[test]
    fn closures_name_every_reason() {
        let none = ClosedDays::ignored();
        let cal = BusinessCalendar::new(FranceTarget, &none);
        let day = cal.day(date(2026, 4, 6)).expect("day");
        let kinds: Vec<_> = day
            .closures
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ClosureKind::TargetHoliday, "Easter Monday"),
                (ClosureKind::FrenchHoliday, "Easter Monday")
            ]
        );
        // 26 December 2026 is a Saturday: weekend and TARGET.
        let day = cal.day(date(2026, 12, 26)).expect("day");
        assert_eq!(day.closures.len(), 2);
        assert!(!day.is_business_day());
        assert!(cal.day(date(2026, 4, 7)).expect("day").is_business_day());
    }

    #[test]
    fn adding_days_skips_closures_both_ways() {
        let none = ClosedDays::ignored();
        let target = BusinessCalendar::new(Target, &none);
        let france = BusinessCalendar::new(France, &none);
        // From Tuesday after Easter back one day: Thursday in TARGET (Good Friday and
        // Easter Monday closed), Friday in France.
        assert_eq!(
            target.add_business_days(date(2026, 4, 7), -1),
            Ok(date(2026, 4, 2))
        );
        assert_eq!(
            france.add_business_days(date(2026, 4, 7), -1),
            Ok(date(2026, 4, 3))
        );
        // Forward over Christmas 2025: 24 Dec (Wed) + 1 is 29 Dec in TARGET, 26 Dec in
        // France.
        assert_eq!(
            target.add_business_days(date(2025, 12, 24), 1),
            Ok(date(2025, 12, 29))
        );
        assert_eq!(
            france.add_business_days(date(2025, 12, 24), 1),
            Ok(date(2025, 12, 26))
        );
        // From a Saturday: +1 Monday, -1 Friday, 0 Monday.
        let saturday = date(2026, 3, 28);
        assert_eq!(france.add_business_days(saturday, 1), Ok(date(2026, 3, 30)));
        assert_eq!(
            france.add_business_days(saturday, -1),
            Ok(date(2026, 3, 27))
        );
        assert_eq!(france.add_business_days(saturday, 0), Ok(date(2026, 3, 30)));
        assert_eq!(
            france.add_business_days(date(2026, 3, 27), 0),
            Ok(date(2026, 3, 27))
        );
    }

    #[test]
    fn next_business_day_is_strict_unless_inclusive() {
        let none = ClosedDays::ignored();
        let cal = BusinessCalendar::new(FranceTarget, &none);
        let thursday = date(2026, 4, 2);
        assert_eq!(cal.next_business_day(thursday, true), Ok(thursday));
        assert_eq!(cal.next_business_day(thursday, false), Ok(date(2026, 4, 7)));
        let target = BusinessCalendar::new(Target, &none);
        assert_eq!(
            target.next_business_day(date(2026, 5, 7), false),
            Ok(date(2026, 5, 8))
        );
    }

    #[test]
    fn organisation_days_close_and_must_be_loaded() {
        let mut days = BTreeMap::new();
        days.insert(date(2026, 5, 15), "Bridge day".to_owned());
        let closed = ClosedDays::loaded(days, date(2026, 5, 1), date(2026, 5, 31));
        let cal = BusinessCalendar::new(Target, &closed);
        assert_eq!(cal.is_business_day(date(2026, 5, 15)), Ok(false));
        // Thursday 14 May + 1 skips the bridge day and the weekend.
        assert_eq!(
            cal.add_business_days(date(2026, 5, 14), 1),
            Ok(date(2026, 5, 18))
        );
        assert_eq!(
            cal.add_business_days(date(2026, 5, 14), 30),
            Err(StepError::NotLoaded)
        );
        let day = cal.day(date(2026, 5, 15)).expect("day");
        assert_eq!(day.closures[0].kind, ClosureKind::Organisation);
        assert_eq!(day.closures[0].name, "Bridge day");
    }

    #[test]
    fn holidays_of_a_year_merge_calendars_and_organisation_days() {
        let mut days = BTreeMap::new();
        days.insert(date(2026, 8, 14), "Summer closure".to_owned());
        let closed = ClosedDays::loaded(days, date(2026, 1, 1), date(2026, 12, 31));
        let cal = BusinessCalendar::new(FranceTarget, &closed);
        let list = cal.holidays(2026).expect("holidays");
        // 11 French + Good Friday + 26 December + the organisation's day.
        assert_eq!(list.len(), 14);
        assert!(list.windows(2).all(|w| w[0].date < w[1].date));
        let none = ClosedDays::ignored();
        let target = BusinessCalendar::new(Target, &none)
            .holidays(2026)
            .expect("target");
        let dates: Vec<_> = target.iter().map(|d| d.date).collect();
        assert_eq!(dates, target_holidays(2026));
    }

    #[test]
    fn the_walk_stops_at_the_supported_years() {
        let none = ClosedDays::ignored();
        let cal = BusinessCalendar::new(France, &none);
        assert_eq!(
            cal.add_business_days(date(4099, 12, 30), 5),
            Err(StepError::Unsupported)
        );
        assert_eq!(
            cal.is_business_day(date(1500, 1, 5)),
            Err(StepError::Unsupported)
        );
    }

    /// The generic walk agrees with the shared TARGET arithmetic it delegates to.
    #[test]
    fn the_walk_agrees_with_the_shared_target_calendar() {
        let closed = ClosedDays::loaded(BTreeMap::new(), date(2020, 1, 1), date(2032, 12, 31));
        let walking = BusinessCalendar::new(Target, &closed);
        let mut d = date(2024, 1, 1);
        while d < date(2028, 1, 1) {
            for n in [-7, -1, 0, 1, 3, 20] {
                assert_eq!(
                    walking.add_business_days(d, n).ok(),
                    add_target_days(d, n),
                    "{d} {n}"
                );
            }
            d = d.succ_opt().expect("next");
        }
    }
}
