//! Late-payment penalties between professionals (domain-rules §5.6): due from the day
//! after the due date without any reminder, at the ECB main refinancing rate in force
//! on 1 January (first half-year) or 1 July (second) plus 10 points, on the amount
//! including VAT, Actual/365: `base × rate × days / 365`. Days late that span
//! half-years are counted at each half-year's rate, and the sum is rounded half up once.
//! The 40 EUR recovery indemnity is due once per late invoice and bears no VAT.
//! Consumers owe neither (C. conso. L122-16, CPCE L111-8).

use chrono::{Datelike as _, Days, NaiveDate};

use super::Period;
use super::rounding::div_half_up;

/// Why a consumer owes no penalties.
pub const CONSUMER_REASON: &str = "consumer client: no late-payment penalties and no recovery \
     indemnity may be charged (C. conso. L122-16, CPCE L111-8)";
/// Why an invoice that is not late owes nothing.
pub const NOT_LATE_REASON: &str = "not late: the due date has not passed";
/// Why a cancelled invoice owes nothing.
pub const CANCELLED_REASON: &str = "cancelled by credit note: nothing is due";
/// Why a late B2B invoice owes penalties.
pub const LATE_REASON: &str = "professional client paid late: penalties from the day after \
     the due date (Code de commerce L441-10) and the 40 EUR recovery indemnity (D441-5)";

/// Returns the first day of the half-year of `d` (1 January or 1 July).
pub fn half_year_start(d: NaiveDate) -> NaiveDate {
    let month = if d.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d)
}

/// Returns the days late of an invoice due on `due`, counted to `as_of` or to the day it
/// was paid in full if earlier; `None` when it is not late.
pub fn late_days(due: NaiveDate, as_of: NaiveDate, paid: Option<NaiveDate>) -> Option<Period> {
    let first = due.checked_add_days(Days::new(1))?;
    let last = paid.map_or(as_of, |p| p.min(as_of));
    (last >= first).then_some(Period {
        start: first,
        end: last,
    })
}

/// Returns `late` cut at each half-year boundary.
pub fn half_years(late: Period) -> Vec<Period> {
    let mut out = Vec::new();
    let mut start = late.start;
    while start <= late.end {
        let next = half_year_start(start)
            .checked_add_months(chrono::Months::new(6))
            .unwrap_or(late.end);
        let end = next.pred_opt().unwrap_or(late.end).min(late.end);
        out.push(Period { start, end });
        match end.succ_opt() {
            Some(s) => start = s,
            None => break,
        }
    }
    out
}

/// Returns the penalty on `base` for each (days, rate in basis points), Actual/365,
/// summed exactly and rounded half up once; `None` if it overflows.
pub fn penalty(base: i64, periods: &[(i64, i32)]) -> Option<i64> {
    let mut numerator: i128 = 0;
    for (days, rate) in periods {
        let part = i128::from(base)
            .checked_mul(i128::from(*rate))?
            .checked_mul(i128::from(*days))?;
        numerator = numerator.checked_add(part)?;
    }
    i64::try_from(div_half_up(numerator, 10_000 * 365)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn days_run_from_the_day_after_the_due_date() {
        let due = d("2026-03-31");
        assert_eq!(late_days(due, d("2026-03-31"), None), None);
        let one = late_days(due, d("2026-04-01"), None).expect("late");
        assert_eq!((one.start, one.days()), (d("2026-04-01"), 1));
        // Paid on 10 April: late 10 days, whatever the day asked.
        let paid = late_days(due, d("2026-06-01"), Some(d("2026-04-10"))).expect("late");
        assert_eq!(paid.days(), 10);
        assert_eq!(late_days(due, d("2026-06-01"), Some(d("2026-03-20"))), None);
    }

    #[test]
    fn late_days_split_at_half_years() {
        let late = Period {
            start: d("2026-06-20"),
            end: d("2027-01-05"),
        };
        let parts = half_years(late);
        assert_eq!(
            parts,
            [
                Period {
                    start: d("2026-06-20"),
                    end: d("2026-06-30")
                },
                Period {
                    start: d("2026-07-01"),
                    end: d("2026-12-31")
                },
                Period {
                    start: d("2027-01-01"),
                    end: d("2027-01-05")
                },
            ]
        );
        assert_eq!(half_year_start(d("2026-12-31")), d("2026-07-01"));
        assert_eq!(half_year_start(d("2026-06-30")), d("2026-01-01"));
    }

    #[test]
    fn penalties_are_actual_365_half_up() {
        // 1 200.00 EUR, 12.15 %, 30 days: 1200 × 0.1215 × 30 / 365 = 11.9835… → 11.98.
        assert_eq!(penalty(120_000, &[(30, 1215)]), Some(1_198));
        // 100.00 EUR at 12.15 % for 3 days: 0.09986… → 0.10.
        assert_eq!(penalty(10_000, &[(3, 1215)]), Some(10));
        // Two half-years summed before rounding: 1000.00 × (10 d × 12 % + 10 d × 13 %) / 365.
        assert_eq!(penalty(100_000, &[(10, 1200), (10, 1300)]), Some(685));
        assert_eq!(penalty(100_000, &[]), Some(0));
    }

    proptest! {
        /// Splitting a late span at half-years keeps every day exactly once.
        #[test]
        fn half_years_tile_the_span(start in 0u64..5_000, len in 0u64..1_200) {
            let first = d("2020-01-01").checked_add_days(Days::new(start)).expect("date");
            let last = first.checked_add_days(Days::new(len)).expect("date");
            let parts = half_years(Period { start: first, end: last });
            prop_assert_eq!(parts.iter().map(Period::days).sum::<i64>(), i64::try_from(len + 1).expect("fits"));
            for w in parts.windows(2) {
                prop_assert_eq!(w[0].end.succ_opt(), Some(w[1].start));
                prop_assert_eq!(half_year_start(w[0].start), half_year_start(w[0].end));
            }
        }

        /// The penalty is within half a cent of the exact value, and grows with the days.
        #[test]
        fn penalty_is_exact_to_half_a_cent(base in 0i64..1_000_000_000, days in 0i64..2_000, rate in 0i32..3_000) {
            let p = penalty(base, &[(days, rate)]).expect("fits");
            let exact = i128::from(base) * i128::from(rate) * i128::from(days);
            let diff = i128::from(p) * 10_000 * 365 - exact;
            prop_assert!(diff.abs() * 2 <= 10_000 * 365);
            prop_assert!(penalty(base, &[(days + 1, rate)]).expect("fits") >= p);
        }
    }
}
