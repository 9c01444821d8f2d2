//! French public holidays (jours fériés), for the calendar service. They are not
//! TARGET closing days.

use chrono::{Datelike, NaiveDate};

use super::easter::easter_offset;

/// Fixed-date public holidays as (month, day): New Year, Labour Day, Victory in Europe
/// (8 May), Bastille Day, Assumption, All Saints, Armistice, Christmas.
const FIXED_HOLIDAYS: [(u32, u32); 8] = [
    (1, 1),
    (5, 1),
    (5, 8),
    (7, 14),
    (8, 15),
    (11, 1),
    (11, 11),
    (12, 25),
];
/// Easter-relative holidays in days from Easter Sunday: Easter Monday, Ascension
/// Thursday, Whit Monday.
const EASTER_HOLIDAYS: [i64; 3] = [1, 39, 50];

/// Returns the eleven national public holidays of `year` in date order, including
/// those falling on a weekend. Alsace-Moselle's extra days (Good Friday, 26 December)
/// are not included.
///
/// Outside [`SUPPORTED_YEARS`](super::SUPPORTED_YEARS) only the eight fixed dates are
/// returned.
pub fn french_public_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = FIXED_HOLIDAYS
        .iter()
        .filter_map(|(month, day)| NaiveDate::from_ymd_opt(year, *month, *day));
    let movable = EASTER_HOLIDAYS
        .iter()
        .filter_map(|offset| easter_offset(year, *offset));
    let mut days: Vec<NaiveDate> = fixed.chain(movable).collect();
    days.sort_unstable();
    days
}

/// Returns true if `date` is a French national public holiday.
pub fn is_french_public_holiday(date: NaiveDate) -> bool {
    FIXED_HOLIDAYS.contains(&(date.month(), date.day()))
        || EASTER_HOLIDAYS
            .iter()
            .any(|offset| easter_offset(date.year(), *offset) == Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn holidays_2026() {
        let expected = [
            date(2026, 1, 1),
            date(2026, 4, 6),
            date(2026, 5, 1),
            date(2026, 5, 8),
            date(2026, 5, 14),
            date(2026, 5, 25),
            date(2026, 7, 14),
            date(2026, 8, 15),
            date(2026, 11, 1),
            date(2026, 11, 11),
            date(2026, 12, 25),
        ];
        assert_eq!(french_public_holidays(2026), expected);
        assert!(expected.iter().all(|d| is_french_public_holiday(*d)));
    }

    #[test]
    fn movable_holidays_in_a_march_easter_year() {
        let days = french_public_holidays(2024);
        assert_eq!(days.len(), 11);
        // Easter 31 March 2024: Monday 1 April, Ascension 9 May, Whit Monday 20 May.
        for movable in [date(2024, 4, 1), date(2024, 5, 9), date(2024, 5, 20)] {
            assert!(days.contains(&movable), "{movable}");
            assert!(is_french_public_holiday(movable), "{movable}");
        }
        assert!(days.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn ordinary_days_and_target_only_closures_are_not_french_holidays() {
        assert!(!is_french_public_holiday(date(2026, 4, 3)), "Good Friday");
        assert!(!is_french_public_holiday(date(2026, 12, 26)));
        assert!(!is_french_public_holiday(date(2026, 4, 5)), "Easter Sunday");
        assert!(!is_french_public_holiday(date(2026, 6, 10)));
    }

    #[test]
    fn unsupported_years_keep_fixed_holidays_only() {
        assert_eq!(french_public_holidays(1500).len(), 8);
        assert!(is_french_public_holiday(date(1500, 7, 14)));
    }
}
