//! Western (Gregorian) Easter `[DATEUTIL-EASTER]`.

use std::ops::RangeInclusive;

use chrono::{Days, NaiveDate};

/// Years for which the Easter formula, and so every Easter-based holiday, is valid.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 1583..=4099;

/// Returns the date of Western Easter Sunday, or `None` outside [`SUPPORTED_YEARS`].
///
/// This is dateutil's "method 3", in integer arithmetic exactly as the spec writes it.
/// All intermediate values are non-negative in the supported range, so Rust's
/// truncating division agrees with the floor division of the reference.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if !SUPPORTED_YEARS.contains(&year) {
        return None;
    }
    let y = year;
    let g = y % 19;
    let c = y / 100;
    let h = (c - c / 4 - (8 * c + 13) / 25 + 19 * g + 15) % 30;
    let i = h - (h / 28) * (1 - (h / 28) * (29 / (h + 1)) * ((21 - g) / 11));
    let j = (y + y / 4 + i + 2 - c + c / 4) % 7;
    let p = i - j;
    let day = 1 + (p + 27 + (p + 6) / 40) % 31;
    let month = 3 + (p + 26) / 30;
    NaiveDate::from_ymd_opt(y, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Returns Easter Sunday shifted by `offset` days (negative for Good Friday).
pub(crate) fn easter_offset(year: i32, offset: i64) -> Option<NaiveDate> {
    let easter = easter_sunday(year)?;
    let days = Days::new(offset.unsigned_abs());
    if offset < 0 {
        easter.checked_sub_days(days)
    } else {
        easter.checked_add_days(days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2028), Some(date(2028, 4, 16)));
    }

    #[test]
    fn extremes_of_the_date_range() {
        // Earliest and latest possible Easter dates.
        assert_eq!(easter_sunday(1818), Some(date(1818, 3, 22)));
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
        assert_eq!(easter_sunday(1943), Some(date(1943, 4, 25)));
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter_sunday(2000), Some(date(2000, 4, 23)));
        assert_eq!(easter_sunday(1583), Some(date(1583, 4, 10)));
    }

    #[test]
    fn outside_supported_years_is_none() {
        assert_eq!(easter_sunday(1582), None);
        assert_eq!(easter_sunday(4100), None);
        assert_eq!(easter_sunday(-1), None);
        assert!(easter_sunday(4099).is_some());
    }

    /// The Meeus/Jones/Butcher algorithm, an independent formulation, agrees with the
    /// spec formula on every supported year, and every Easter is a Sunday.
    #[test]
    fn agrees_with_meeus_on_every_supported_year() {
        use chrono::{Datelike, Weekday};
        for y in SUPPORTED_YEARS {
            let a = y % 19;
            let b = y / 100;
            let c = y % 100;
            let f = (b + 8) / 25;
            let g = (b - f + 1) / 3;
            let h = (19 * a + b - b / 4 - g + 15) % 30;
            let l = (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7;
            let m = (a + 11 * h + 22 * l) / 451;
            let month = (h + l - 7 * m + 114) / 31;
            let day = (h + l - 7 * m + 114) % 31 + 1;
            let expected = date(y, month as u32, day as u32);
            let easter = easter_sunday(y).unwrap();
            assert_eq!(easter, expected, "{y}");
            assert_eq!(easter.weekday(), Weekday::Sun, "{y}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(easter_offset(2026, -2), Some(date(2026, 4, 3)));
        assert_eq!(easter_offset(2026, 1), Some(date(2026, 4, 6)));
        assert_eq!(easter_offset(2024, 39), Some(date(2024, 5, 9)));
        assert_eq!(easter_offset(1500, 1), None);
    }
}
