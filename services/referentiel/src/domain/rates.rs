//! Dated rates: which period covers a date, the French late-penalty reference of a
//! half-year (domain-rules §5.6) and the minimum contractual penalty.

use chrono::{Datelike as _, NaiveDate};

use super::{EcbRate, LegalInterestRate, VatCategory, VatRate};

/// Points added to the ECB reference rate for the default B2B late-penalty rate
/// (Code de commerce L441-10): 10 percentage points, in basis points.
pub const LATE_PENALTY_MARGIN_BPS: i32 = 1000;

/// A contractual late-penalty rate may not be below this multiple of the legal interest
/// rate (L441-10).
pub const MIN_PENALTY_MULTIPLE: i32 = 3;

/// Returns whether the period `[from, to)` (open-ended without `to`) covers `date`.
pub fn covers(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|to| date < to)
}

/// Returns the VAT rate of `category` in `country` in force on `date`.
pub fn vat_rate_on<'a>(
    rates: &'a [VatRate],
    country: &str,
    category: VatCategory,
    date: NaiveDate,
) -> Option<&'a VatRate> {
    rates.iter().find(|r| {
        r.country_code == country
            && r.category == category
            && covers(r.valid_from, r.valid_to, date)
    })
}

/// Returns the legal interest rates of `country` for the period covering `date`.
pub fn legal_interest_on<'a>(
    rates: &'a [LegalInterestRate],
    country: &str,
    date: NaiveDate,
) -> Option<&'a LegalInterestRate> {
    rates
        .iter()
        .find(|r| r.country_code == country && covers(r.valid_from, Some(r.valid_to), date))
}

/// Returns the lowest contractual late-penalty rate for a legal interest rate (three
/// times it), saturating rather than overflowing on absurd input.
pub fn min_contractual_penalty_bps(legal_other_bps: i32) -> i32 {
    legal_other_bps.saturating_mul(MIN_PENALTY_MULTIPLE)
}

/// Returns the first day of the half-year of `date`: 1 January or 1 July.
pub fn half_year_start(date: NaiveDate) -> NaiveDate {
    let month = if date.month() <= 6 { 1 } else { 7 };
    // Day 1 of month 1 or 7 exists in every year chrono can hold.
    NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
}

/// The ECB rate around a date, with the late-penalty reference of its half-year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbAnswer {
    /// The rate in force on the date, in basis points.
    pub rate_bps: i32,
    /// When it took effect.
    pub valid_from: NaiveDate,
    /// When the next rate took effect, if one did.
    pub valid_to: Option<NaiveDate>,
    /// First day of the date's half-year.
    pub half_year_start: NaiveDate,
    /// The rate in force on that day, when the series reaches back to it.
    pub reference_bps: Option<i32>,
}

impl EcbAnswer {
    /// Returns the default late-penalty rate of the half-year: the reference plus ten
    /// points.
    pub fn default_penalty_bps(&self) -> Option<i32> {
        self.reference_bps
            .map(|r| r.saturating_add(LATE_PENALTY_MARGIN_BPS))
    }
}

/// Returns the step of `series` (sorted by `valid_from`) in force on `date`, with the
/// step after it.
fn step_on(series: &[EcbRate], date: NaiveDate) -> Option<(&EcbRate, Option<&EcbRate>)> {
    let after = series.partition_point(|s| s.valid_from <= date);
    let index = after.checked_sub(1)?;
    Some((series.get(index)?, series.get(after)))
}

/// Returns the ECB main refinancing rate in force on `date` and the late-penalty
/// reference of the date's half-year (the rate in force on 1 January or 1 July), or
/// `None` before the series starts. `series` must be sorted by `valid_from`.
pub fn ecb_on(series: &[EcbRate], date: NaiveDate) -> Option<EcbAnswer> {
    let (step, next) = step_on(series, date)?;
    let start = half_year_start(date);
    Some(EcbAnswer {
        rate_bps: step.rate_bps,
        valid_from: step.valid_from,
        valid_to: next.map(|n| n.valid_from),
        half_year_start: start,
        reference_bps: step_on(series, start).map(|(s, _)| s.rate_bps),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn vat(category: VatCategory, bps: i32, from: NaiveDate, to: Option<NaiveDate>) -> VatRate {
        VatRate {
            country_code: "FR".into(),
            category,
            rate_bps: bps,
            valid_from: from,
            valid_to: to,
            description: String::new(),
        }
    }

    #[test]
    fn vat_periods_include_their_start_and_exclude_their_end() {
        let rates = [
            vat(
                VatCategory::Standard,
                1960,
                d(2000, 4, 1),
                Some(d(2014, 1, 1)),
            ),
            vat(VatCategory::Standard, 2000, d(2014, 1, 1), None),
            vat(VatCategory::Reduced, 550, d(2000, 4, 1), None),
        ];
        let at = |c, date| vat_rate_on(&rates, "FR", c, date).map(|r| r.rate_bps);
        assert_eq!(at(VatCategory::Standard, d(2013, 12, 31)), Some(1960));
        assert_eq!(at(VatCategory::Standard, d(2014, 1, 1)), Some(2000));
        assert_eq!(at(VatCategory::Standard, d(2000, 4, 1)), Some(1960));
        assert_eq!(at(VatCategory::Standard, d(2000, 3, 31)), None);
        assert_eq!(at(VatCategory::Standard, d(2099, 1, 1)), Some(2000));
        assert_eq!(at(VatCategory::Reduced, d(2026, 6, 1)), Some(550));
        assert_eq!(at(VatCategory::Intermediate, d(2026, 6, 1)), None);
        assert_eq!(
            vat_rate_on(&rates, "DE", VatCategory::Standard, d(2026, 1, 1)),
            None
        );
    }

    #[test]
    fn half_years_start_in_january_and_july() {
        assert_eq!(half_year_start(d(2026, 6, 30)), d(2026, 1, 1));
        assert_eq!(half_year_start(d(2026, 7, 1)), d(2026, 7, 1));
        assert_eq!(half_year_start(d(2026, 12, 31)), d(2026, 7, 1));
        assert_eq!(half_year_start(d(2026, 1, 1)), d(2026, 1, 1));
    }

    fn series() -> Vec<EcbRate> {
        [
            (d(2024, 6, 12), 425),
            (d(2024, 9, 18), 365),
            (d(2024, 12, 18), 315),
            (d(2025, 2, 5), 290),
        ]
        .into_iter()
        .map(|(valid_from, rate_bps)| EcbRate {
            valid_from,
            rate_bps,
        })
        .collect()
    }

    #[test]
    fn the_ecb_rate_is_the_last_step_on_or_before_the_date() {
        let s = series();
        let a = ecb_on(&s, d(2024, 9, 17)).expect("rate");
        assert_eq!((a.rate_bps, a.valid_from), (425, d(2024, 6, 12)));
        assert_eq!(a.valid_to, Some(d(2024, 9, 18)));
        let a = ecb_on(&s, d(2024, 9, 18)).expect("rate");
        assert_eq!(a.rate_bps, 365);
        let a = ecb_on(&s, d(2030, 1, 1)).expect("rate");
        assert_eq!((a.rate_bps, a.valid_to), (290, None));
        assert_eq!(ecb_on(&s, d(2024, 6, 11)), None);
        assert_eq!(ecb_on(&[], d(2024, 6, 11)), None);
    }

    #[test]
    fn the_penalty_reference_is_the_rate_on_the_half_year_start() {
        let s = series();
        // H2 2024: the rate in force on 1 July 2024 (4.25 %), not the 3.65 % of the date.
        let a = ecb_on(&s, d(2024, 10, 1)).expect("rate");
        assert_eq!(a.rate_bps, 365);
        assert_eq!(a.half_year_start, d(2024, 7, 1));
        assert_eq!(a.reference_bps, Some(425));
        assert_eq!(a.default_penalty_bps(), Some(1425));
        // H1 2025: the rate on 1 January 2025 (3.15 %), though 2.90 % applies in March.
        let a = ecb_on(&s, d(2025, 3, 1)).expect("rate");
        assert_eq!((a.rate_bps, a.reference_bps), (290, Some(315)));
        assert_eq!(a.default_penalty_bps(), Some(1315));
        // H1 2024 starts before the series: the reference is unknown.
        let a = ecb_on(&s, d(2024, 6, 20)).expect("rate");
        assert_eq!((a.reference_bps, a.default_penalty_bps()), (None, None));
    }

    #[test]
    fn legal_interest_covers_its_half_year() {
        let rates = [LegalInterestRate {
            country_code: "FR".into(),
            valid_from: d(2026, 1, 1),
            valid_to: d(2026, 7, 1),
            individual_bps: 667,
            other_bps: 262,
        }];
        assert!(legal_interest_on(&rates, "FR", d(2026, 1, 1)).is_some());
        assert!(legal_interest_on(&rates, "FR", d(2026, 6, 30)).is_some());
        assert!(legal_interest_on(&rates, "FR", d(2026, 7, 1)).is_none());
        assert!(legal_interest_on(&rates, "FR", d(2025, 12, 31)).is_none());
        assert!(legal_interest_on(&rates, "BE", d(2026, 3, 1)).is_none());
        assert_eq!(min_contractual_penalty_bps(262), 786);
        assert_eq!(min_contractual_penalty_bps(i32::MAX), i32::MAX);
    }
}
