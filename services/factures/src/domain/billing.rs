//! Which contract lines a billing run bills. A run bills one calendar month. Each
//! recurring line has billing periods anchored on the contract's start date: the k-th
//! starts `k × frequency` months after it (a start on the 31st falls on the last day of
//! shorter months, computed from the start each time so it never drifts) and ends the
//! day before the next one. A run bills the periods that start in its month, so a
//! monthly line is billed every month, a quarterly line every third month from the
//! start, an annual line once a year. A one-off line is billed once, in the month of the
//! start date, for that day. Periods that started before the first run are not caught up.

use chrono::{Datelike as _, Months, NaiveDate};

use super::Period;

/// How often a line is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnual,
    /// Every year.
    Annual,
}

impl Frequency {
    /// Returns the months between two billings.
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::SemiAnnual => 6,
            Frequency::Annual => 12,
        }
    }
}

/// Returns the calendar month of `start`..=`end`, or why it is not one.
pub fn month(start: NaiveDate, end: NaiveDate) -> Result<Period, &'static str> {
    if start.day() != 1 {
        return Err("must be the first day of a month");
    }
    let last = start
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .ok_or("is out of range")?;
    if end != last {
        return Err("must be the last day of the month of period_start");
    }
    Ok(Period { start, end })
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// Returns the period of a line of a contract starting on `start`, billed every
/// `frequency` (`None`: once), that `month` bills, if any.
pub fn period_in(start: NaiveDate, frequency: Option<Frequency>, month: Period) -> Option<Period> {
    let offset = month_index(month.start) - month_index(start);
    if offset < 0 {
        return None;
    }
    let Some(frequency) = frequency else {
        return (offset == 0).then_some(Period { start, end: start });
    };
    let every = i64::from(frequency.months());
    if offset % every != 0 {
        return None;
    }
    let k = u32::try_from(offset).ok()?;
    let begins = start.checked_add_months(Months::new(k))?;
    let next = start.checked_add_months(Months::new(k.checked_add(frequency.months())?))?;
    Some(Period {
        start: begins,
        end: next.pred_opt()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn jan(year: i32) -> Period {
        month(
            NaiveDate::from_ymd_opt(year, 1, 1).expect("date"),
            NaiveDate::from_ymd_opt(year, 1, 31).expect("date"),
        )
        .expect("month")
    }

    fn m(y: i32, mo: u32) -> Period {
        let start = NaiveDate::from_ymd_opt(y, mo, 1).expect("date");
        let end = start
            .checked_add_months(Months::new(1))
            .and_then(|n| n.pred_opt())
            .expect("end");
        month(start, end).expect("month")
    }

    #[test]
    fn runs_bill_calendar_months() {
        assert!(month(d("2026-02-01"), d("2026-02-28")).is_ok());
        assert!(month(d("2028-02-01"), d("2028-02-29")).is_ok());
        assert!(month(d("2026-02-02"), d("2026-02-28")).is_err());
        assert!(month(d("2026-02-01"), d("2026-03-31")).is_err());
        assert!(month(d("2026-02-01"), d("2026-02-27")).is_err());
        assert_eq!(jan(2030).days(), 31);
    }

    #[test]
    fn monthly_lines_are_billed_every_month_from_the_start() {
        let start = d("2030-01-15");
        assert_eq!(
            period_in(start, Some(Frequency::Monthly), m(2030, 1)),
            Some(Period {
                start: d("2030-01-15"),
                end: d("2030-02-14")
            })
        );
        assert_eq!(
            period_in(start, Some(Frequency::Monthly), m(2030, 2)),
            Some(Period {
                start: d("2030-02-15"),
                end: d("2030-03-14")
            })
        );
        assert_eq!(
            period_in(start, Some(Frequency::Monthly), m(2029, 12)),
            None
        );
    }

    #[test]
    fn end_of_month_starts_do_not_drift() {
        let start = d("2030-01-31");
        let feb = period_in(start, Some(Frequency::Monthly), m(2030, 2)).expect("february");
        assert_eq!(
            feb,
            Period {
                start: d("2030-02-28"),
                end: d("2030-03-30")
            }
        );
        let mar = period_in(start, Some(Frequency::Monthly), m(2030, 3)).expect("march");
        assert_eq!(mar.start, d("2030-03-31"));
    }

    #[test]
    fn quarterly_and_annual_lines_skip_months() {
        let start = d("2030-01-01");
        let q = Some(Frequency::Quarterly);
        assert_eq!(
            period_in(start, q, m(2030, 1)),
            Some(Period {
                start: d("2030-01-01"),
                end: d("2030-03-31")
            })
        );
        assert_eq!(period_in(start, q, m(2030, 2)), None);
        assert_eq!(period_in(start, q, m(2030, 3)), None);
        assert!(period_in(start, q, m(2030, 4)).is_some());
        let a = Some(Frequency::Annual);
        assert_eq!(
            period_in(start, a, m(2031, 1)),
            Some(Period {
                start: d("2031-01-01"),
                end: d("2031-12-31")
            })
        );
        assert_eq!(period_in(start, a, m(2030, 7)), None);
        let s = Some(Frequency::SemiAnnual);
        assert!(period_in(start, s, m(2030, 7)).is_some());
    }

    #[test]
    fn one_off_lines_are_billed_once_in_the_start_month() {
        let start = d("2030-01-20");
        assert_eq!(
            period_in(start, None, m(2030, 1)),
            Some(Period { start, end: start })
        );
        assert_eq!(period_in(start, None, m(2030, 2)), None);
    }

    proptest! {
        /// Consecutive months bill consecutive periods: no day billed twice, none skipped.
        #[test]
        fn periods_tile_the_calendar(
            y in 2020i32..2040, mo in 1u32..=12, day in 1u32..=31,
            every in prop_oneof![Just(Frequency::Monthly), Just(Frequency::Quarterly), Just(Frequency::SemiAnnual), Just(Frequency::Annual)],
        ) {
            let Some(start) = NaiveDate::from_ymd_opt(y, mo, day) else { return Ok(()) };
            let mut expected = start;
            let mut current = NaiveDate::from_ymd_opt(y, mo, 1).expect("date");
            for _ in 0..30 {
                let end = current.checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).expect("end");
                let run = month(current, end).expect("month");
                if let Some(p) = period_in(start, Some(every), run) {
                    prop_assert_eq!(p.start, expected);
                    prop_assert!(p.start >= run.start && p.start <= run.end);
                    expected = p.end.succ_opt().expect("next");
                }
                current = end.succ_opt().expect("next month");
            }
        }
    }
}
