//! The dates of a collection's life (domain-rules §4.3), business days on the TARGET
//! calendar of [`crm_shared::calendar`].
//!
//! ```text
//! today ── pre-notification (≥ 14 calendar days) ──────────────┐
//! today ── submission lead (≥ 2 TARGET days, per tenant) ─────┐ │
//!                                                             D (collection) → settlement
//! settlement + 5 TARGET days   last day for a return (AM04 ...) or a reversal
//! settlement + 8 weeks         last day of the no-questions refund (MD06)
//! settlement + 13 months       last day of an unauthorised-debit refund (MD01)
//! last collection + 36 months  the mandate lapses
//! ```
//!
//! The TARGET calendar knows Easter for the years 1583 to 4099
//! ([`crm_shared::calendar::SUPPORTED_YEARS`]); outside them a business-day step returns
//! its input date unchanged rather than guessing.

use chrono::{Days, Months, NaiveDate};
use crm_shared::calendar::add_target_days;

/// Default notice given to the debtor before a collection, in calendar days.
pub const DEFAULT_PRENOTIFICATION_DAYS: u32 = 14;
/// Default number of TARGET days between handing the file to the bank and the
/// collection date (a per-tenant setting).
pub const DEFAULT_SUBMISSION_LEAD_TARGET_DAYS: u32 = 2;
/// TARGET days after settlement during which the debtor bank may return a collection.
pub const RETURN_WINDOW_TARGET_DAYS: u32 = 5;
/// Weeks after settlement during which a Core debtor may ask for a refund (MD06).
pub const AUTHORISED_REFUND_WEEKS: u64 = 8;
/// Months after settlement during which an unauthorised debit is refunded (MD01).
pub const UNAUTHORISED_REFUND_MONTHS: u32 = 13;
/// Months without a collection after which a mandate may no longer be used.
pub const MANDATE_LAPSE_MONTHS: u32 = 36;

/// Returns the earliest collection date for a collection prepared `today`.
///
/// The date is a TARGET day that is at least `prenotification_days` calendar days away
/// (the debtor's notice, 14 by default, shorter only by written agreement) and at least
/// `submission_lead_target_days` TARGET days after the first TARGET day from today
/// (the creditor bank's cut-off, 2 by default). A lead of 0 counts as 1: the scheme
/// needs the collection presented by D-1 at the latest.
pub fn earliest_collection_date(
    today: NaiveDate,
    prenotification_days: u32,
    submission_lead_target_days: u32,
) -> NaiveDate {
    let lead = submission_lead_target_days.max(1);
    let noticed = add_calendar_days(today, prenotification_days);
    // A file handed in on a closed day is processed on the next TARGET day.
    let submitted = settlement_date(today);
    let presented = add_target(submitted, signed(lead));
    settlement_date(noticed.max(presented))
}

/// Returns the last day the file may be handed to the bank for a collection on
/// `collection`: `submission_lead_target_days` (at least 1) TARGET days before it.
pub fn latest_submission_date(
    collection: NaiveDate,
    submission_lead_target_days: u32,
) -> NaiveDate {
    let lead = submission_lead_target_days.max(1);
    add_target(settlement_date(collection), -signed(lead))
}

/// Returns the last day the debtor may be notified of a collection on `collection`.
pub fn prenotification_deadline(collection: NaiveDate, prenotification_days: u32) -> NaiveDate {
    collection
        .checked_sub_days(Days::new(u64::from(prenotification_days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Returns the settlement date of a collection requested for `collection`: the date
/// itself on a TARGET day, else the next TARGET day.
pub fn settlement_date(collection: NaiveDate) -> NaiveDate {
    add_target(collection, 0)
}

/// Returns the last day the debtor bank may return the collection settled on
/// `settlement` (and the creditor may reverse it): 5 TARGET days later. A settlement
/// date given on a closed day is first moved to the next TARGET day.
pub fn return_deadline(settlement: NaiveDate) -> NaiveDate {
    add_target(
        settlement_date(settlement),
        signed(RETURN_WINDOW_TARGET_DAYS),
    )
}

/// Returns the last day a Core debtor may ask for a refund of an authorised collection
/// (MD06): 8 calendar weeks after `settlement`. The right runs in calendar time.
pub fn refund_deadline_authorised(settlement: NaiveDate) -> NaiveDate {
    settlement
        .checked_add_days(Days::new(AUTHORISED_REFUND_WEEKS * 7))
        .unwrap_or(NaiveDate::MAX)
}

/// Returns the last day a debtor may claim a refund of an unauthorised collection
/// (MD01): 13 months after `settlement`, on the last day of the month when the day does
/// not exist (31 January → 28 or 29 February).
pub fn refund_deadline_unauthorised(settlement: NaiveDate) -> NaiveDate {
    settlement
        .checked_add_months(Months::new(UNAUTHORISED_REFUND_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Returns the day a mandate lapses: 36 months after its last collection, or after its
/// signature when it was never used (or when the recorded last collection predates it).
pub fn mandate_lapses_on(last_collection: Option<NaiveDate>, signed_on: NaiveDate) -> NaiveDate {
    let since = last_collection.map_or(signed_on, |last| last.max(signed_on));
    since
        .checked_add_months(Months::new(MANDATE_LAPSE_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Returns true if the mandate may no longer be used `today`: 36 months have passed
/// without a collection (see [`mandate_lapses_on`]; the lapse day itself counts).
pub fn mandate_lapsed(
    last_collection: Option<NaiveDate>,
    signed_on: NaiveDate,
    today: NaiveDate,
) -> bool {
    today >= mandate_lapses_on(last_collection, signed_on)
}

/// Where a settled collection stands (domain-rules §4.3 DESIGN), for commissions and
/// the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before the settlement date.
    Pending,
    /// From settlement to the return deadline: the debtor bank may still return it.
    ReturnWindow,
    /// Settled-final, but the Core debtor may still ask for a refund (8 weeks).
    RefundWindow,
    /// Only an unauthorised-debit claim (MD01) remains possible (13 months).
    UnauthorisedClaimWindow,
    /// Nothing can reverse it any more.
    Closed,
}

impl Phase {
    /// Returns true once the return window is over: the payment counts as settled-final.
    pub fn is_settled_final(self) -> bool {
        self >= Phase::RefundWindow
    }
}

/// Returns the phase, on `today`, of a collection settled on `settlement`.
pub fn phase(settlement: NaiveDate, today: NaiveDate) -> Phase {
    if today < settlement {
        Phase::Pending
    } else if today <= return_deadline(settlement) {
        Phase::ReturnWindow
    } else if today <= refund_deadline_authorised(settlement) {
        Phase::RefundWindow
    } else if today <= refund_deadline_unauthorised(settlement) {
        Phase::UnauthorisedClaimWindow
    } else {
        Phase::Closed
    }
}

/// Steps `n` TARGET days (see [`add_target_days`]); the input date outside the
/// calendar's years.
fn add_target(date: NaiveDate, n: i32) -> NaiveDate {
    add_target_days(date, n).unwrap_or(date)
}

fn add_calendar_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Day counts are small settings; anything beyond `i32` saturates.
fn signed(days: u32) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_shared::calendar::{is_target_day, prev_target_day};
    use proptest::prelude::*;

    fn previous_target(date: NaiveDate) -> NaiveDate {
        prev_target_day(date).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn earliest_collection_honours_the_notice() {
        // Thursday + 14 days is a Thursday, a TARGET day.
        assert_eq!(
            earliest_collection_date(d(2026, 12, 10), 14, 2),
            d(2026, 12, 24)
        );
        // Lands on Christmas: 25 and 26 closed, then the weekend.
        assert_eq!(
            earliest_collection_date(d(2026, 12, 11), 14, 2),
            d(2026, 12, 28)
        );
    }

    #[test]
    fn earliest_collection_crosses_the_year_end() {
        // 1 January 2027 is a Friday and closed: Monday 4 January.
        assert_eq!(
            earliest_collection_date(d(2026, 12, 18), 14, 2),
            d(2027, 1, 4)
        );
        // Without notice, the lead counts over 31 December and 1 January.
        assert_eq!(
            earliest_collection_date(d(2026, 12, 30), 0, 2),
            d(2027, 1, 4)
        );
    }

    #[test]
    fn earliest_collection_skips_easter() {
        // 3 April 2026 is Good Friday, 6 April Easter Monday.
        assert_eq!(
            earliest_collection_date(d(2026, 3, 20), 14, 2),
            d(2026, 4, 7)
        );
        assert_eq!(earliest_collection_date(d(2026, 4, 2), 0, 2), d(2026, 4, 8));
        // Prepared on Easter Saturday: handed in on Tuesday 7 April, +2 TARGET days.
        assert_eq!(earliest_collection_date(d(2026, 4, 4), 0, 2), d(2026, 4, 9));
        // Easter in March: 2027-03-28, so 26 and 29 March are closed.
        assert_eq!(
            earliest_collection_date(d(2027, 3, 25), 0, 1),
            d(2027, 3, 30)
        );
    }

    #[test]
    fn a_zero_lead_still_leaves_one_target_day() {
        assert_eq!(earliest_collection_date(d(2026, 1, 5), 0, 0), d(2026, 1, 6));
        assert_eq!(latest_submission_date(d(2026, 1, 6), 0), d(2026, 1, 5));
    }

    #[test]
    fn defaults_are_the_spec_values() {
        assert_eq!(DEFAULT_PRENOTIFICATION_DAYS, 14);
        assert_eq!(DEFAULT_SUBMISSION_LEAD_TARGET_DAYS, 2);
        assert_eq!(
            earliest_collection_date(
                d(2026, 3, 2),
                DEFAULT_PRENOTIFICATION_DAYS,
                DEFAULT_SUBMISSION_LEAD_TARGET_DAYS
            ),
            d(2026, 3, 16)
        );
    }

    #[test]
    fn submission_and_notice_deadlines_count_back() {
        // Tuesday 7 April 2026, after Easter Monday: two TARGET days back is 1 April.
        assert_eq!(latest_submission_date(d(2026, 4, 7), 2), d(2026, 4, 1));
        // A collection requested for Saturday settles on Monday: counted from there.
        assert_eq!(latest_submission_date(d(2027, 1, 2), 2), d(2026, 12, 30));
        assert_eq!(
            prenotification_deadline(d(2026, 1, 10), 14),
            d(2025, 12, 27)
        );
    }

    #[test]
    fn settlement_moves_to_the_next_target_day() {
        assert_eq!(settlement_date(d(2026, 12, 24)), d(2026, 12, 24));
        assert_eq!(settlement_date(d(2026, 12, 25)), d(2026, 12, 28));
        assert_eq!(settlement_date(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(settlement_date(d(2027, 1, 1)), d(2027, 1, 4));
        assert_eq!(settlement_date(d(2026, 4, 3)), d(2026, 4, 7));
        // French holidays are TARGET days: 14 July and 15 August settle on the day.
        assert_eq!(settlement_date(d(2026, 7, 14)), d(2026, 7, 14));
    }

    #[test]
    fn returns_close_five_target_days_after_settlement() {
        assert_eq!(return_deadline(d(2026, 12, 22)), d(2026, 12, 30));
        assert_eq!(return_deadline(d(2026, 12, 28)), d(2027, 1, 5));
        // Easter 2027: Good Friday 26 March and Easter Monday 29 March are closed.
        assert_eq!(return_deadline(d(2027, 3, 24)), d(2027, 4, 2));
        // A settlement date given on a closed day counts from the next TARGET day.
        assert_eq!(return_deadline(d(2026, 4, 3)), d(2026, 4, 14));
    }

    #[test]
    fn refund_windows_run_in_calendar_time() {
        assert_eq!(refund_deadline_authorised(d(2026, 1, 5)), d(2026, 3, 2));
        assert_eq!(refund_deadline_authorised(d(2026, 12, 1)), d(2027, 1, 26));
        assert_eq!(refund_deadline_unauthorised(d(2026, 3, 15)), d(2027, 4, 15));
        assert_eq!(refund_deadline_unauthorised(d(2026, 1, 31)), d(2027, 2, 28));
        assert_eq!(
            refund_deadline_unauthorised(d(2026, 12, 31)),
            d(2028, 1, 31)
        );
    }

    #[test]
    fn mandates_lapse_after_36_months_without_a_collection() {
        let signed = d(2023, 1, 15);
        assert!(!mandate_lapsed(None, signed, d(2026, 1, 14)));
        assert!(mandate_lapsed(None, signed, d(2026, 1, 15)));
        let last = Some(d(2024, 6, 10));
        assert_eq!(mandate_lapses_on(last, signed), d(2027, 6, 10));
        assert!(!mandate_lapsed(last, signed, d(2027, 6, 9)));
        assert!(mandate_lapsed(last, signed, d(2027, 6, 10)));
        // A last collection on 29 February lapses on the last day of February.
        assert_eq!(
            mandate_lapses_on(Some(d(2024, 2, 29)), d(2020, 1, 1)),
            d(2027, 2, 28)
        );
        // A last collection recorded before the signature counts from the signature.
        assert_eq!(
            mandate_lapses_on(Some(d(2020, 1, 1)), signed),
            d(2026, 1, 15)
        );
    }

    #[test]
    fn phases_follow_the_windows() {
        let settled = d(2026, 12, 22);
        assert_eq!(phase(settled, d(2026, 12, 21)), Phase::Pending);
        assert_eq!(phase(settled, settled), Phase::ReturnWindow);
        assert_eq!(phase(settled, d(2026, 12, 30)), Phase::ReturnWindow);
        assert_eq!(phase(settled, d(2026, 12, 31)), Phase::RefundWindow);
        assert!(phase(settled, d(2026, 12, 31)).is_settled_final());
        assert!(!phase(settled, d(2026, 12, 30)).is_settled_final());
        assert_eq!(phase(settled, d(2027, 2, 16)), Phase::RefundWindow);
        assert_eq!(
            phase(settled, d(2027, 2, 17)),
            Phase::UnauthorisedClaimWindow
        );
        assert_eq!(
            phase(settled, d(2028, 1, 22)),
            Phase::UnauthorisedClaimWindow
        );
        assert_eq!(phase(settled, d(2028, 1, 23)), Phase::Closed);
    }

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (0u64..4000).prop_map(|offset| d(2024, 1, 1) + Days::new(offset))
    }

    proptest! {
        #[test]
        fn earliest_collection_is_the_first_feasible_target_day(
            today in any_day(),
            notice in 0u32..30,
            lead in 0u32..6,
        ) {
            let date = earliest_collection_date(today, notice, lead);
            prop_assert!(is_target_day(date));
            prop_assert!(date >= today + Days::new(u64::from(notice)));
            prop_assert!(latest_submission_date(date, lead) >= today);
            prop_assert!(date > today);
            // The TARGET day before it misses the notice or the submission lead.
            let before = previous_target(date);
            prop_assert!(
                before < today + Days::new(u64::from(notice))
                    || latest_submission_date(before, lead) < today
            );
        }

        #[test]
        fn deadlines_are_ordered(collection in any_day()) {
            let settled = settlement_date(collection);
            prop_assert!(is_target_day(settled) && settled >= collection);
            let returned = return_deadline(settled);
            prop_assert!(is_target_day(returned) && returned > settled);
            prop_assert!(returned < refund_deadline_authorised(settled));
            prop_assert!(refund_deadline_authorised(settled) < refund_deadline_unauthorised(settled));
        }
    }
}
