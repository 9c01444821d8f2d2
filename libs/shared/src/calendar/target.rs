//! The TARGET (T2) calendar: open every weekday except six closing days
//! `[ECB-T2CAL]` `[ECB-2000]`.

use chrono::{Datelike, NaiveDate, Weekday};

use super::easter::{SUPPORTED_YEARS, easter_offset};

/// Fixed-date closing days as (month, day): New Year's Day, Labour Day, Christmas Day
/// and the day after.
const FIXED_CLOSINGS: [(u32, u32); 4] = [(1, 1), (5, 1), (12, 25), (12, 26)];
/// Easter-relative closing days in days from Easter Sunday: Good Friday, Easter Monday.
const EASTER_CLOSINGS: [i64; 2] = [-2, 1];

/// Returns true if `date` is one of the six TARGET closing days other than weekends:
/// 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December.
///
/// Outside [`SUPPORTED_YEARS`] Easter is unknown, so only the fixed dates count.
pub fn is_target_holiday(date: NaiveDate) -> bool {
    let fixed = FIXED_CLOSINGS.contains(&(date.month(), date.day()));
    fixed
        || EASTER_CLOSINGS
            .iter()
            .any(|offset| easter_offset(date.year(), *offset) == Some(date))
}

/// Returns true if TARGET is open on `date`: a weekday that is not a closing day.
/// French public holidays such as 8 May or 14 July are TARGET days.
pub fn is_target_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_target_holiday(date)
}

/// Returns the six TARGET closing days of `year` in date order, including those that
/// fall on a weekend (26 December 2026 is a Saturday and still listed).
///
/// Outside [`SUPPORTED_YEARS`] only the four fixed dates are returned.
pub fn target_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = FIXED_CLOSINGS
        .iter()
        .filter_map(|(month, day)| NaiveDate::from_ymd_opt(year, *month, *day));
    let movable = EASTER_CLOSINGS
        .iter()
        .filter_map(|offset| easter_offset(year, *offset));
    let mut days: Vec<NaiveDate> = fixed.chain(movable).collect();
    days.sort_unstable();
    days
}

/// Returns the first TARGET day strictly after `date`, or `None` if it would fall
/// outside [`SUPPORTED_YEARS`].
pub fn next_target_day(date: NaiveDate) -> Option<NaiveDate> {
    step(date, Direction::Forward)
}

/// Returns the last TARGET day strictly before `date`, or `None` if it would fall
/// outside [`SUPPORTED_YEARS`].
pub fn prev_target_day(date: NaiveDate) -> Option<NaiveDate> {
    step(date, Direction::Backward)
}

/// Returns the date `n` TARGET days after `date` (before it when `n` is negative), or
/// `None` if the result would fall outside [`SUPPORTED_YEARS`].
///
/// Counting starts from `date` whether or not it is a TARGET day, the way QuantLib's
/// `Calendar::advance` does: from a Saturday, +1 is the Monday and −1 the Friday.
/// `n = 0` returns `date` itself if it is a TARGET day, else the next TARGET day
/// (the "following" convention), so that a due date given on a closing day rolls
/// forward as SEPA settlement does.
pub fn add_target_days(date: NaiveDate, n: i32) -> Option<NaiveDate> {
    if n == 0 {
        return if is_target_day(date) && SUPPORTED_YEARS.contains(&date.year()) {
            Some(date)
        } else {
            next_target_day(date)
        };
    }
    let direction = if n > 0 {
        Direction::Forward
    } else {
        Direction::Backward
    };
    let mut current = date;
    for _ in 0..n.unsigned_abs() {
        current = step(current, direction)?;
    }
    Some(current)
}

#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

/// Walks day by day to the next TARGET day in `direction`. At most four closed days
/// follow each other (Good Friday to Easter Monday), so the loop is short; it stops
/// at the end of the supported range rather than returning an unchecked date.
fn step(date: NaiveDate, direction: Direction) -> Option<NaiveDate> {
    let mut current = date;
    loop {
        current = match direction {
            Direction::Forward => current.succ_opt()?,
            Direction::Backward => current.pred_opt()?,
        };
        if !SUPPORTED_YEARS.contains(&current.year()) {
            return None;
        }
        if is_target_day(current) {
            return Some(current);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn closures_2026_from_the_spec() {
        let expected = [
            date(2026, 1, 1),
            date(2026, 4, 3),
            date(2026, 4, 6),
            date(2026, 5, 1),
            date(2026, 12, 25),
            date(2026, 12, 26),
        ];
        assert_eq!(target_holidays(2026), expected);
        for day in expected {
            assert!(is_target_holiday(day), "{day}");
            assert!(!is_target_day(day), "{day}");
        }
    }

    #[test]
    fn closures_in_march_easter_years() {
        assert_eq!(
            target_holidays(2024),
            [
                date(2024, 1, 1),
                date(2024, 3, 29),
                date(2024, 4, 1),
                date(2024, 5, 1),
                date(2024, 12, 25),
                date(2024, 12, 26),
            ]
        );
        assert_eq!(
            target_holidays(2027),
            [
                date(2027, 1, 1),
                date(2027, 3, 26),
                date(2027, 3, 29),
                date(2027, 5, 1),
                date(2027, 12, 25),
                date(2027, 12, 26),
            ]
        );
    }

    #[test]
    fn unsupported_years_keep_fixed_closures_only() {
        assert_eq!(
            target_holidays(1500),
            [
                date(1500, 1, 1),
                date(1500, 5, 1),
                date(1500, 12, 25),
                date(1500, 12, 26)
            ]
        );
        assert!(is_target_holiday(date(5000, 12, 25)));
    }

    #[test]
    fn french_holidays_and_easter_sunday_context() {
        // French public holidays on weekdays in 2026 are open for TARGET.
        for open in [
            date(2026, 5, 8),   // Victory Day, Friday
            date(2026, 5, 14),  // Ascension, Thursday
            date(2026, 5, 25),  // Whit Monday
            date(2026, 7, 14),  // Tuesday
            date(2026, 11, 11), // Wednesday
            date(2026, 4, 2),   // Maundy Thursday
            date(2026, 4, 7),   // Easter Tuesday
            date(2026, 12, 24),
            date(2026, 12, 31),
        ] {
            assert!(is_target_day(open), "{open}");
        }
        assert!(!is_target_day(date(2026, 4, 4)), "Saturday");
        assert!(!is_target_day(date(2026, 4, 5)), "Easter Sunday");
        // Easter Sunday is closed as a Sunday, not as a listed holiday.
        assert!(!is_target_holiday(date(2026, 4, 5)));
    }

    #[test]
    fn add_across_christmas_and_new_year() {
        // Thu 25 and Fri 26 Dec 2025 closed, then a weekend.
        assert_eq!(
            add_target_days(date(2025, 12, 24), 1),
            Some(date(2025, 12, 29))
        );
        // Thu 1 Jan 2026 closed.
        assert_eq!(
            add_target_days(date(2025, 12, 31), 1),
            Some(date(2026, 1, 2))
        );
        assert_eq!(
            add_target_days(date(2026, 1, 2), -1),
            Some(date(2025, 12, 31))
        );
        assert_eq!(
            add_target_days(date(2025, 12, 31), 2),
            Some(date(2026, 1, 5))
        );
        // Fri 25 Dec 2026 closed, Sat 26, Sun 27; Fri 1 Jan 2027 closed.
        assert_eq!(
            add_target_days(date(2026, 12, 24), 1),
            Some(date(2026, 12, 28))
        );
        assert_eq!(
            add_target_days(date(2026, 12, 31), 1),
            Some(date(2027, 1, 4))
        );
        assert_eq!(
            add_target_days(date(2027, 1, 4), -1),
            Some(date(2026, 12, 31))
        );
        assert_eq!(
            add_target_days(date(2027, 1, 4), -5),
            Some(date(2026, 12, 24))
        );
        assert_eq!(prev_target_day(date(2026, 1, 1)), Some(date(2025, 12, 31)));
        assert_eq!(next_target_day(date(2026, 12, 31)), Some(date(2027, 1, 4)));
    }

    #[test]
    fn add_across_march_easter() {
        // 2024: Good Friday 29 Mar, Easter Monday 1 Apr.
        assert_eq!(
            add_target_days(date(2024, 3, 28), 1),
            Some(date(2024, 4, 2))
        );
        assert_eq!(
            add_target_days(date(2024, 4, 2), -1),
            Some(date(2024, 3, 28))
        );
        assert_eq!(
            add_target_days(date(2024, 3, 27), 2),
            Some(date(2024, 4, 2))
        );
        // 2027: Good Friday 26 Mar, Easter Monday 29 Mar.
        assert_eq!(
            add_target_days(date(2027, 3, 25), 1),
            Some(date(2027, 3, 30))
        );
        assert_eq!(prev_target_day(date(2027, 3, 30)), Some(date(2027, 3, 25)));
        assert_eq!(next_target_day(date(2027, 3, 25)), Some(date(2027, 3, 30)));
        // 2026: Thu 2 Apr, then Good Friday, weekend, Easter Monday.
        assert_eq!(next_target_day(date(2026, 4, 2)), Some(date(2026, 4, 7)));
        assert_eq!(
            add_target_days(date(2026, 4, 7), -1),
            Some(date(2026, 4, 2))
        );
    }

    #[test]
    fn zero_rolls_forward_only_when_closed() {
        assert_eq!(
            add_target_days(date(2026, 6, 10), 0),
            Some(date(2026, 6, 10))
        );
        // Saturday → Monday.
        assert_eq!(
            add_target_days(date(2026, 6, 13), 0),
            Some(date(2026, 6, 15))
        );
        // Good Friday 2026 → Tuesday after Easter Monday.
        assert_eq!(add_target_days(date(2026, 4, 3), 0), Some(date(2026, 4, 7)));
    }

    #[test]
    fn counting_from_a_closed_day() {
        let saturday = date(2026, 6, 13);
        assert_eq!(add_target_days(saturday, 1), Some(date(2026, 6, 15)));
        assert_eq!(add_target_days(saturday, -1), Some(date(2026, 6, 12)));
        assert_eq!(add_target_days(saturday, 5), Some(date(2026, 6, 19)));
        assert_eq!(prev_target_day(date(2026, 1, 5)), Some(date(2026, 1, 2)));
        // Plain weeks: 10 TARGET days are two calendar weeks.
        assert_eq!(
            add_target_days(date(2026, 6, 10), 10),
            Some(date(2026, 6, 24))
        );
        assert_eq!(
            add_target_days(date(2026, 6, 24), -10),
            Some(date(2026, 6, 10))
        );
    }

    #[test]
    fn stops_at_the_supported_range() {
        assert_eq!(next_target_day(date(4099, 12, 31)), None);
        assert_eq!(prev_target_day(date(1583, 1, 3)), None);
        assert_eq!(add_target_days(date(2026, 1, 1), i32::MAX), None);
        assert_eq!(add_target_days(date(2026, 1, 1), i32::MIN), None);
        assert_eq!(add_target_days(date(5000, 6, 1), 0), None);
        assert_eq!(next_target_day(date(1582, 12, 31)), Some(date(1583, 1, 3)));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 1990-01-01 to about 2110: covers TARGET's lifetime with margin.
        (0_u64..44_000).prop_map(|offset| date(1990, 1, 1) + chrono::Days::new(offset))
    }

    proptest! {
        #[test]
        fn lands_on_a_target_day_after_exactly_n_open_days(start in any_date(), n in -600_i32..600) {
            let end = add_target_days(start, n).unwrap();
            prop_assert!(is_target_day(end));
            if n > 0 {
                prop_assert!(end > start);
                let open = start.iter_days().skip(1).take_while(|d| *d <= end).filter(|d| is_target_day(*d)).count();
                prop_assert_eq!(open, n.unsigned_abs() as usize);
            } else if n < 0 {
                prop_assert!(end < start);
                let open = end.iter_days().take_while(|d| *d < start).filter(|d| is_target_day(*d)).count();
                prop_assert_eq!(open, n.unsigned_abs() as usize);
            } else {
                prop_assert!(end >= start);
                prop_assert!(start.iter_days().take_while(|d| *d < end).all(|d| !is_target_day(d)));
            }
        }

        #[test]
        fn add_then_subtract_is_consistent(start in any_date(), n in 1_i32..400) {
            let there = add_target_days(start, n).unwrap();
            let back = add_target_days(there, -n).unwrap();
            if is_target_day(start) {
                prop_assert_eq!(back, start);
            } else {
                // From a closed day the round trip lands on the last open day before it.
                prop_assert_eq!(Some(back), prev_target_day(start));
            }
            let there = add_target_days(start, -n).unwrap();
            let back = add_target_days(there, n).unwrap();
            if is_target_day(start) {
                prop_assert_eq!(back, start);
            } else {
                prop_assert_eq!(Some(back), next_target_day(start));
            }
        }

        #[test]
        fn next_and_prev_are_strict_and_adjacent(start in any_date()) {
            let next = next_target_day(start).unwrap();
            let prev = prev_target_day(start).unwrap();
            prop_assert!(prev < start && start < next);
            prop_assert!(is_target_day(next) && is_target_day(prev));
            prop_assert!(start.iter_days().skip(1).take_while(|d| *d < next).all(|d| !is_target_day(d)));
            prop_assert!(prev.iter_days().skip(1).take_while(|d| *d < start).all(|d| !is_target_day(d)));
            // No more than four closed days in a row (Good Friday to Easter Monday).
            prop_assert!((next - start).num_days() <= 5);
        }
    }
}
