//! Names of the public holidays. The dates themselves come from `crm_shared::calendar`;
//! these tables only name them, and the tests check the two agree for every year.

use chrono::{Datelike, NaiveDate};
use crm_shared::calendar::easter_sunday;

/// TARGET closing days on fixed dates, as (month, day, name).
const TARGET_FIXED: [(u32, u32, &str); 4] = [
    (1, 1, "New Year's Day"),
    (5, 1, "Labour Day"),
    (12, 25, "Christmas Day"),
    (12, 26, "Boxing Day"),
];
/// TARGET closing days relative to Easter Sunday, as (days, name).
const TARGET_EASTER: [(i64, &str); 2] = [(-2, "Good Friday"), (1, "Easter Monday")];

/// French public holidays on fixed dates, as (month, day, name).
const FRENCH_FIXED: [(u32, u32, &str); 8] = [
    (1, 1, "New Year's Day"),
    (5, 1, "Labour Day"),
    (5, 8, "Victory in Europe Day"),
    (7, 14, "Bastille Day"),
    (8, 15, "Assumption Day"),
    (11, 1, "All Saints' Day"),
    (11, 11, "Armistice Day"),
    (12, 25, "Christmas Day"),
];
/// French public holidays relative to Easter Sunday, as (days, name).
const FRENCH_EASTER: [(i64, &str); 3] = [
    (1, "Easter Monday"),
    (39, "Ascension Day"),
    (50, "Whit Monday"),
];

fn names(
    date: NaiveDate,
    fixed: &[(u32, u32, &'static str)],
    easter: &[(i64, &'static str)],
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = fixed
        .iter()
        .filter(|(m, d, _)| *m == date.month() && *d == date.day())
        .map(|(_, _, name)| *name)
        .collect();
    if let Some(sunday) = easter_sunday(date.year()) {
        let offset = (date - sunday).num_days();
        out.extend(
            easter
                .iter()
                .filter(|(days, _)| *days == offset)
                .map(|(_, name)| *name),
        );
    }
    out
}

/// Returns the name of the TARGET closing day on `date` (empty when it is none).
pub fn target_names(date: NaiveDate) -> Vec<&'static str> {
    names(date, &TARGET_FIXED, &TARGET_EASTER)
}

/// Returns the names of the French public holidays on `date`: usually none or one, two
/// when Ascension falls on 1 or 8 May (as in 2008).
pub fn french_names(date: NaiveDate) -> Vec<&'static str> {
    names(date, &FRENCH_FIXED, &FRENCH_EASTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_shared::calendar::{
        french_public_holidays, is_french_public_holiday, is_target_holiday, target_holidays,
    };

    /// Every holiday the shared calendar knows has a name here, and nothing else does.
    #[test]
    fn names_cover_exactly_the_shared_holidays() {
        for year in 1990..=2100 {
            for date in target_holidays(year) {
                assert!(!target_names(date).is_empty(), "{date}");
            }
            for date in french_public_holidays(year) {
                assert!(!french_names(date).is_empty(), "{date}");
            }
            let mut day = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
            while day.year() == year {
                assert_eq!(
                    is_target_holiday(day),
                    !target_names(day).is_empty(),
                    "{day}"
                );
                assert_eq!(
                    is_french_public_holiday(day),
                    !french_names(day).is_empty(),
                    "{day}"
                );
                day = day.succ_opt().expect("next");
            }
        }
    }

    #[test]
    fn ascension_on_labour_day_has_both_names() {
        let day = NaiveDate::from_ymd_opt(2008, 5, 1).expect("date");
        assert_eq!(french_names(day), ["Labour Day", "Ascension Day"]);
        assert_eq!(target_names(day), ["Labour Day"]);
    }
}
