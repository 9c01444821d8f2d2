//! The dates of re-presentations (domain-rules 6.2 DESIGN, TARGET calendar of 0.2).
//!
//! An attempt is collected on the first pay-day anchor on or after the earliest valid
//! day, where the earliest valid day is the later of "last failure + spacing" and
//! "today + the submission lead time in TARGET days", moved forward to a TARGET day.
//! Pay-day anchors are the first five TARGET days of a month (salaries paid at the start
//! of the month) and the TARGET days among the 25th to the 28th (French salaries paid at
//! the end of the month). The literal "max(last failure + 8, next anchor)" of 6.2 only
//! lands on an anchor when the anchor comes last; here the anchor is always searched
//! from the earliest valid day, so every aligned date is an anchor.
//!
//! Every date lies within the window: first rejection + window days (calendar days,
//! inclusive). When the anchor falls after it, the earliest valid day is taken instead
//! (a collection inside the window beats none); when even that falls after it, there
//! is no date and the chain is exhausted.
//!
//! TARGET days come from `crm_shared::calendar` (pure, no call to the calendar service:
//! TARGET closing days are the same for every organisation).

use chrono::{Datelike as _, Days, NaiveDate};
use crm_shared::calendar::{add_target_days, is_target_day};

/// How many of a month's first TARGET days are pay-day anchors.
const EARLY_ANCHORS: u32 = 5;

/// Calendar days of a month that are pay-day anchors when they are TARGET days.
const LATE_ANCHORS: std::ops::RangeInclusive<u32> = 25..=28;

/// The date rules of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRules {
    /// Calendar days between a failure and the next attempt.
    pub spacing_days: u32,
    /// Calendar days from the first rejection within which attempts fall.
    pub window_days: u32,
    /// TARGET days between handing an attempt to payments and its collection.
    pub lead_days: u32,
    /// Whether attempts move to the next pay-day anchor.
    pub align_to_pay_days: bool,
}

/// Returns the rank of `date` among the TARGET days of its month (1 for the first), or
/// 0 when it is not a TARGET day.
pub fn target_rank_in_month(date: NaiveDate) -> u32 {
    if !is_target_day(date) {
        return 0;
    }
    (1..=date.day())
        .filter_map(|d| date.with_day(d))
        .filter(|d| is_target_day(*d))
        .count() as u32
}

/// Returns whether `date` is a pay-day anchor: one of the first five TARGET days of its
/// month, or a TARGET day from the 25th to the 28th.
pub fn is_pay_day_anchor(date: NaiveDate) -> bool {
    is_target_day(date)
        && (LATE_ANCHORS.contains(&date.day()) || target_rank_in_month(date) <= EARLY_ANCHORS)
}

/// Returns the first pay-day anchor on or after `from`. Anchors are never more than
/// four weeks apart (a December whose 25th is a Thursday has no late anchor), so the
/// search is short; `None` only past the calendar's supported years.
pub fn next_pay_day_anchor(from: NaiveDate) -> Option<NaiveDate> {
    let mut day = from;
    for _ in 0..64 {
        if is_pay_day_anchor(day) {
            return Some(day);
        }
        day = day.succ_opt()?;
    }
    None
}

/// Returns the last day of the window opened by a first rejection on `first_rejection`.
pub fn window_end(first_rejection: NaiveDate, window_days: u32) -> Option<NaiveDate> {
    first_rejection.checked_add_days(Days::new(u64::from(window_days)))
}

/// Returns the earliest day an attempt may be collected on: the later of
/// `last_failure + spacing` and `today + lead` TARGET days, as a TARGET day.
pub fn earliest_day(
    rules: &DateRules,
    last_failure: NaiveDate,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let after_spacing = last_failure.checked_add_days(Days::new(u64::from(rules.spacing_days)))?;
    let after_lead = add_target_days(today, i32::try_from(rules.lead_days).ok()?)?;
    // n = 0 rolls a closing day forward to the next TARGET day.
    add_target_days(after_spacing.max(after_lead), 0)
}

/// Returns the collection date of the next attempt, or `None` when no valid day is left
/// in the window (see the module's documentation).
pub fn plan(
    rules: &DateRules,
    first_rejection: NaiveDate,
    last_failure: NaiveDate,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let end = window_end(first_rejection, rules.window_days)?;
    let earliest = earliest_day(rules, last_failure, today)?;
    if earliest > end {
        return None;
    }
    if rules.align_to_pay_days
        && let Some(anchor) = next_pay_day_anchor(earliest)
        && anchor <= end
    {
        return Some(anchor);
    }
    Some(earliest)
}

/// Returns the day an attempt collected on `scheduled` is handed to payments: `lead`
/// TARGET days before it, not before `today` and not after `scheduled`.
pub fn due_date(scheduled: NaiveDate, lead_days: u32, today: NaiveDate) -> NaiveDate {
    let back = i32::try_from(lead_days).map_or(0, |n| -n);
    add_target_days(scheduled, back)
        .unwrap_or(scheduled)
        .max(today)
        .min(scheduled)
}

/// Returns the collection date to give payments when an attempt planned for `scheduled`
/// is handed over on `today`: the planned date, or the first TARGET day the lead time
/// still allows when the hand-over is late; `None` when that falls after `window_end`.
pub fn collection_date(
    scheduled: NaiveDate,
    lead_days: u32,
    today: NaiveDate,
    window_end: NaiveDate,
) -> Option<NaiveDate> {
    let earliest = add_target_days(today, i32::try_from(lead_days).ok()?)?;
    let date = add_target_days(scheduled.max(earliest), 0)?;
    (date <= window_end).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("in range")
    }

    fn defaults() -> DateRules {
        DateRules {
            spacing_days: 8,
            window_days: 30,
            lead_days: 2,
            align_to_pay_days: true,
        }
    }

    #[test]
    fn early_anchors_are_the_first_five_target_days() {
        // March 2026 starts on a Sunday: TARGET days 2, 3, 4, 5, 6 are the first five.
        let anchors: Vec<u32> = (1..=12)
            .map(|day| d(2026, 3, day))
            .filter(|x| is_pay_day_anchor(*x))
            .map(|x| x.day())
            .collect();
        assert_eq!(anchors, vec![2, 3, 4, 5, 6]);
        // January 2027: the 1st is closed and the 2nd and 3rd are a weekend.
        let january: Vec<u32> = (1..=12)
            .map(|day| d(2027, 1, day))
            .filter(|x| is_pay_day_anchor(*x))
            .map(|x| x.day())
            .collect();
        assert_eq!(january, vec![4, 5, 6, 7, 8]);
    }

    #[test]
    fn early_anchors_skip_easter_monday() {
        // April 2026: Good Friday the 3rd and Easter Monday the 6th are closed, so the
        // first five TARGET days are 1, 2, 7, 8, 9.
        let anchors: Vec<u32> = (1..=12)
            .map(|day| d(2026, 4, day))
            .filter(|x| is_pay_day_anchor(*x))
            .map(|x| x.day())
            .collect();
        assert_eq!(anchors, vec![1, 2, 7, 8, 9]);
        assert_eq!(target_rank_in_month(d(2026, 4, 6)), 0);
        assert_eq!(target_rank_in_month(d(2026, 4, 7)), 3);
    }

    #[test]
    fn late_anchors_are_target_days_from_25_to_28() {
        // November 2026: the 25th to the 27th are Wednesday to Friday, the 28th a Saturday.
        let late: Vec<u32> = (20..=30)
            .map(|day| d(2026, 11, day))
            .filter(|x| is_pay_day_anchor(*x))
            .map(|x| x.day())
            .collect();
        assert_eq!(late, vec![25, 26, 27]);
        // December 2026: 25 and 26 are closed, 27 a Sunday: only the 28th.
        let december: Vec<u32> = (20..=31)
            .map(|day| d(2026, 12, day))
            .filter(|x| is_pay_day_anchor(*x))
            .map(|x| x.day())
            .collect();
        assert_eq!(december, vec![28]);
    }

    #[test]
    fn a_rejection_early_in_march_waits_for_the_25th() {
        // 2 March + 8 = 10 March, no anchor before the 25th, inside the window (1 April).
        assert_eq!(
            plan(&defaults(), d(2026, 3, 2), d(2026, 3, 2), d(2026, 3, 2)),
            Some(d(2026, 3, 25))
        );
    }

    #[test]
    fn a_rejection_late_in_the_month_goes_to_the_next_month_start() {
        // 20 March + 8 = 28 March, a Saturday; the next anchor is Wednesday 1 April.
        assert_eq!(
            plan(&defaults(), d(2026, 3, 20), d(2026, 3, 20), d(2026, 3, 20)),
            Some(d(2026, 4, 1))
        );
    }

    #[test]
    fn easter_closures_are_skipped() {
        // 27 March 2026 + 8 = 4 April (Saturday). Easter Monday is 6 April, so the
        // anchor is Tuesday 7 April, the third TARGET day of the month.
        assert_eq!(
            plan(&defaults(), d(2026, 3, 27), d(2026, 3, 27), d(2026, 3, 27)),
            Some(d(2026, 4, 7))
        );
        // Without alignment the earliest valid day: Tuesday 7 April as well.
        let plain = DateRules {
            align_to_pay_days: false,
            ..defaults()
        };
        assert_eq!(
            plan(&plain, d(2026, 3, 27), d(2026, 3, 27), d(2026, 3, 27)),
            Some(d(2026, 4, 7))
        );
    }

    #[test]
    fn christmas_and_year_end_are_skipped() {
        // 17 December 2026 + 8 = 25 December (closed), 26 closed, 27 Sunday, the 28th
        // is a late anchor.
        assert_eq!(
            plan(
                &defaults(),
                d(2026, 12, 17),
                d(2026, 12, 17),
                d(2026, 12, 17)
            ),
            Some(d(2026, 12, 28))
        );
        // 24 December + 8 = 1 January (closed); Saturday 2, Sunday 3; Monday 4 January
        // 2027 is the first TARGET day of the year.
        assert_eq!(
            plan(
                &defaults(),
                d(2026, 12, 24),
                d(2026, 12, 24),
                d(2026, 12, 24)
            ),
            Some(d(2027, 1, 4))
        );
    }

    #[test]
    fn the_anchor_is_dropped_when_it_falls_after_the_window() {
        // First rejection 1 March, last failure 9 March: earliest 17 March, the anchor
        // (25 March) is after the 20-day window (21 March): 17 March is taken.
        let rules = DateRules {
            window_days: 20,
            ..defaults()
        };
        assert_eq!(
            plan(&rules, d(2026, 3, 1), d(2026, 3, 9), d(2026, 3, 9)),
            Some(d(2026, 3, 17))
        );
    }

    #[test]
    fn no_date_once_the_window_has_passed() {
        // First rejection 2 March, window ends 1 April; last failure 26 March + 8 =
        // 3 April is after it.
        assert_eq!(
            plan(&defaults(), d(2026, 3, 2), d(2026, 3, 26), d(2026, 3, 26)),
            None
        );
    }

    #[test]
    fn a_late_decision_respects_the_lead_time() {
        // Rejected 2 March but decided on 30 March: 30 March + 2 TARGET days = 1 April,
        // an anchor and the window's last day.
        assert_eq!(
            plan(&defaults(), d(2026, 3, 2), d(2026, 3, 2), d(2026, 3, 30)),
            Some(d(2026, 4, 1))
        );
        // Decided on 31 March: 2 April is after the window.
        assert_eq!(
            plan(&defaults(), d(2026, 3, 2), d(2026, 3, 2), d(2026, 3, 31)),
            None
        );
    }

    #[test]
    fn due_dates_are_the_lead_time_before_collection() {
        // Collection Wednesday 25 March, lead 2: due Monday 23 March.
        assert_eq!(due_date(d(2026, 3, 25), 2, d(2026, 3, 2)), d(2026, 3, 23));
        // Collection Tuesday 7 April 2026, lead 2: Easter Monday and Good Friday are
        // closed, so Thursday 2 April is one TARGET day before and Wednesday 1 April two.
        assert_eq!(due_date(d(2026, 4, 7), 2, d(2026, 3, 27)), d(2026, 4, 1));
        // Never before today.
        assert_eq!(due_date(d(2026, 4, 1), 2, d(2026, 3, 31)), d(2026, 3, 31));
    }

    #[test]
    fn a_late_hand_over_moves_the_collection_date() {
        let end = d(2026, 4, 1);
        // On time: the planned date.
        assert_eq!(
            collection_date(d(2026, 3, 25), 2, d(2026, 3, 23), end),
            Some(d(2026, 3, 25))
        );
        // Two days late: Tuesday 24 + 2 TARGET days = Thursday 26.
        assert_eq!(
            collection_date(d(2026, 3, 25), 2, d(2026, 3, 24), end),
            Some(d(2026, 3, 26))
        );
        // So late that the window has passed.
        assert_eq!(
            collection_date(d(2026, 3, 25), 2, d(2026, 3, 31), end),
            None
        );
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2020-01-01 plus up to about twenty years.
        (0u64..7300).prop_map(|n| d(2020, 1, 1) + Days::new(n))
    }

    fn any_rules() -> impl Strategy<Value = DateRules> {
        (1u32..=60, 1u32..=60, 1u32..=10, any::<bool>()).prop_map(
            |(window_days, spacing, lead_days, align_to_pay_days)| DateRules {
                spacing_days: spacing.min(window_days),
                window_days,
                lead_days,
                align_to_pay_days,
            },
        )
    }

    proptest! {
        /// Every planned date is a TARGET day, never before last failure + spacing or
        /// today + lead, never after the window; aligned dates are anchors unless the
        /// anchor fell outside the window.
        #[test]
        fn planned_dates_obey_every_rule(
            rules in any_rules(),
            first in any_date(),
            since_first in 0u64..40,
            late in 0u64..10,
        ) {
            let last_failure = first + Days::new(since_first);
            let today = last_failure + Days::new(late);
            let end = window_end(first, rules.window_days).expect("in range");
            match plan(&rules, first, last_failure, today) {
                Some(date) => {
                    prop_assert!(is_target_day(date));
                    prop_assert!(date >= last_failure + Days::new(u64::from(rules.spacing_days)));
                    prop_assert!(date >= add_target_days(today, rules.lead_days as i32).expect("in range"));
                    prop_assert!(date <= end);
                    let earliest = earliest_day(&rules, last_failure, today).expect("in range");
                    if rules.align_to_pay_days && date != earliest {
                        prop_assert!(is_pay_day_anchor(date));
                        // No anchor between the earliest day and the date.
                        prop_assert_eq!(next_pay_day_anchor(earliest), Some(date));
                    }
                    let due = due_date(date, rules.lead_days, today);
                    prop_assert!(due >= today && due <= date);
                }
                None => {
                    let earliest = earliest_day(&rules, last_failure, today).expect("in range");
                    prop_assert!(earliest > end);
                }
            }
        }

        /// The next anchor is an anchor, on or after the day asked, and no day in
        /// between is one; anchors are never more than four weeks apart.
        #[test]
        fn the_next_anchor_is_the_first(from in any_date()) {
            let anchor = next_pay_day_anchor(from).expect("in range");
            prop_assert!(is_pay_day_anchor(anchor));
            prop_assert!(anchor >= from);
            prop_assert!((anchor - from).num_days() <= 28);
            let mut day = from;
            while day < anchor {
                prop_assert!(!is_pay_day_anchor(day));
                day = day.succ_opt().expect("in range");
            }
        }

        /// A late hand-over never collects before the lead time allows, never before the
        /// planned date, always on a TARGET day and never after the window.
        #[test]
        fn hand_over_dates_obey_the_lead_time(
            scheduled in any_date(),
            lead in 1u32..=10,
            late in 0u64..30,
            window in 0u64..40,
        ) {
            let today = scheduled - Days::new(5) + Days::new(late);
            let end = scheduled + Days::new(window);
            if let Some(date) = collection_date(scheduled, lead, today, end) {
                prop_assert!(is_target_day(date));
                prop_assert!(date >= scheduled);
                prop_assert!(date >= add_target_days(today, lead as i32).expect("in range"));
                prop_assert!(date <= end);
            }
        }
    }
}
