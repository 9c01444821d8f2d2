//! The formulas of domain-rules 8, each for one part of a contract (the lines one rule
//! applies to): upfront, recurring, overrides, and the clawback of an advance per mode
//! inside its window.

use chrono::{Datelike as _, Months, NaiveDate};

use super::Cause;
use super::money::{Overflow, apply_bps, mul_div};
use super::plan::{ClawbackMode, Upfront};
use super::terms::Part;

/// Returns the first day outside a window of `months` from `start`: start + N months
/// (the end of the month when that day does not exist).
pub fn window_end(start: NaiveDate, months: i32) -> NaiveDate {
    u32::try_from(months)
        .ok()
        .and_then(|m| start.checked_add_months(Months::new(m)))
        .unwrap_or(NaiveDate::MAX)
}

/// Returns whether `date` falls inside the window: before start + N months.
pub fn inside_window(start: NaiveDate, months: i32, date: NaiveDate) -> bool {
    date < window_end(start, months)
}

/// Returns the months of the contract elapsed at `date`, the month in progress
/// included: 1 during the first month (from the start day to the day before start + 1
/// month), 4 during the fourth, 0 before the start.
pub fn months_elapsed(start: NaiveDate, date: NaiveDate) -> i32 {
    if date < start {
        return 0;
    }
    let mut whole = (date.year() - start.year()) * 12 + date.month() as i32 - start.month() as i32;
    if window_end(start, whole) > date {
        whole -= 1;
    }
    whole + 1
}

/// Returns the upfront commission of a part in the contract's `currency`: its rate of
/// the first-year premium, or its fixed amount (when in that currency).
pub fn upfront(part: &Part, currency: &str) -> Result<i64, Overflow> {
    match &part.rule.upfront {
        Upfront::None => Ok(0),
        Upfront::Rate(bps) => apply_bps(part.annual_premium, *bps),
        Upfront::Amount {
            currency: c,
            amount_minor,
        } if c == currency => Ok(*amount_minor),
        Upfront::Amount { .. } => Ok(0),
    }
}

/// Returns the recurring commission of a part on a payment of `amount` for the whole
/// contract: the part's share of the payment (its share of the first-year premium
/// `total`) at the part's recurring rate, rounded once.
pub fn recurring(part: &Part, amount: i64, total: i64) -> Result<i64, Overflow> {
    if total <= 0 {
        return Ok(0);
    }
    let weight = i128::from(part.annual_premium) * i128::from(part.rule.recurring_bps);
    super::money::mul_div_wide(i128::from(amount), weight, i128::from(total) * 10_000)
}

/// Returns the override at `level` on a part's commission `amount`.
pub fn override_amount(part: &Part, amount: i64, level: i32) -> Result<i64, Overflow> {
    apply_bps(amount, part.rule.override_bps(level))
}

/// The event that may claw an advance back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Its date: termination, refund or return.
    pub date: NaiveDate,
    /// Renunciation, end of term, or a lapse (every other termination, and refunds).
    pub cause: Cause,
    /// Premiums collected and final at `date`, net of refunds (for EARNED_ON_CASH).
    pub collected: i64,
}

/// Returns how much of a part's `advance` the trigger claws back in total (the amount
/// already clawed back by earlier triggers is the caller's to deduct):
/// - renunciation: the whole advance, whatever the window;
/// - end of term, or a date outside the window: nothing;
/// - FULL: the whole advance;
/// - PRORATA: advance × (N − months elapsed) / N;
/// - EARNED_ON_CASH: the advance minus the part earned on the premiums collected,
///   advance × min(collected, total) / total.
pub fn advance_clawback(
    part: &Part,
    advance: i64,
    start: NaiveDate,
    trigger: &Trigger,
    total: i64,
) -> Result<i64, Overflow> {
    let n = part.rule.clawback_months;
    match trigger.cause {
        Cause::Renunciation => return Ok(advance),
        Cause::EndOfTerm => return Ok(0),
        Cause::Lapse if !inside_window(start, n, trigger.date) => return Ok(0),
        Cause::Lapse => {}
    }
    match part.rule.mode {
        ClawbackMode::Full => Ok(advance),
        ClawbackMode::Prorata => {
            let left = i64::from(n - months_elapsed(start, trigger.date)).max(0);
            mul_div(advance, left, i64::from(n))
        }
        ClawbackMode::EarnedOnCash => {
            if total <= 0 {
                return Ok(advance);
            }
            let earned = mul_div(advance, trigger.collected.clamp(0, total), total)?;
            Ok(advance - earned)
        }
    }
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::domain::plan::{OverrideRate, Rule, Target};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn part(mode: ClawbackMode, months: i32, annual: i64) -> Part {
        Part {
            rule: Rule {
                target: Target::Product(Uuid::nil()),
                upfront: Upfront::Rate(5000),
                recurring_bps: 1000,
                overrides: vec![
                    OverrideRate {
                        level: 1,
                        bps: 1000,
                    },
                    OverrideRate { level: 2, bps: 500 },
                ],
                clawback_months: months,
                mode,
            },
            annual_premium: annual,
        }
    }

    fn lapse(date: NaiveDate, collected: i64) -> Trigger {
        Trigger {
            date,
            cause: Cause::Lapse,
            collected,
        }
    }

    #[test]
    fn months_elapsed_count_the_month_in_progress() {
        let start = d(2026, 1, 15);
        assert_eq!(months_elapsed(start, d(2026, 1, 14)), 0);
        assert_eq!(months_elapsed(start, d(2026, 1, 15)), 1);
        assert_eq!(months_elapsed(start, d(2026, 2, 14)), 1);
        assert_eq!(months_elapsed(start, d(2026, 2, 15)), 2);
        assert_eq!(months_elapsed(start, d(2026, 4, 20)), 4);
        assert_eq!(months_elapsed(start, d(2027, 1, 14)), 12);
        assert_eq!(months_elapsed(start, d(2027, 1, 15)), 13);
        // A start on the 31st: a month later is the end of the shorter month.
        let end_of_month = d(2026, 1, 31);
        assert_eq!(window_end(end_of_month, 1), d(2026, 2, 28));
        assert_eq!(months_elapsed(end_of_month, d(2026, 2, 27)), 1);
        assert_eq!(months_elapsed(end_of_month, d(2026, 2, 28)), 2);
    }

    #[test]
    fn windows_end_at_start_plus_n_months() {
        let start = d(2026, 3, 1);
        for n in [12, 24, 36] {
            let end = window_end(start, n);
            assert!(inside_window(start, n, end.pred_opt().expect("day before")));
            assert!(!inside_window(start, n, end));
        }
        assert_eq!(window_end(start, 24), d(2028, 3, 1));
    }

    #[test]
    fn upfront_is_the_rate_of_the_first_year_premium_or_the_fixed_amount() {
        let p = part(ClawbackMode::Full, 12, 598_80);
        assert_eq!(upfront(&p, "EUR"), Ok(299_40));
        let mut fixed = p.clone();
        fixed.rule.upfront = Upfront::Amount {
            currency: "EUR".into(),
            amount_minor: 150_00,
        };
        assert_eq!(upfront(&fixed, "EUR"), Ok(150_00));
        assert_eq!(upfront(&fixed, "CHF"), Ok(0));
        fixed.rule.upfront = Upfront::None;
        assert_eq!(upfront(&fixed, "EUR"), Ok(0));
    }

    #[test]
    fn recurring_is_the_rate_of_the_parts_share_of_the_payment() {
        // One part covering the whole contract: 10 % of the payment.
        let p = part(ClawbackMode::Full, 12, 600_00);
        assert_eq!(recurring(&p, 50_00, 600_00), Ok(5_00));
        // A part covering a third of the premium: 10 % of a third of 50.00 = 1.67.
        let third = part(ClawbackMode::Full, 12, 200_00);
        assert_eq!(recurring(&third, 50_00, 600_00), Ok(1_67));
        assert_eq!(recurring(&third, 50_00, 0), Ok(0));
        // A refund's reversal is the exact negative.
        assert_eq!(recurring(&third, -50_00, 600_00), Ok(-1_67));
    }

    #[test]
    fn overrides_are_the_level_rate_of_the_subordinates_commission() {
        let p = part(ClawbackMode::Full, 12, 600_00);
        assert_eq!(override_amount(&p, 300_00, 1), Ok(30_00));
        assert_eq!(override_amount(&p, 300_00, 2), Ok(15_00));
        assert_eq!(override_amount(&p, 300_00, 3), Ok(0));
        assert_eq!(override_amount(&p, 5_01, 2), Ok(25));
    }

    #[test]
    fn full_claws_back_the_whole_advance_inside_the_window_only() {
        let start = d(2026, 1, 1);
        let p = part(ClawbackMode::Full, 12, 1200_00);
        let last_day = d(2026, 12, 31);
        assert_eq!(
            advance_clawback(&p, 600_00, start, &lapse(last_day, 0), 1200_00),
            Ok(600_00)
        );
        assert_eq!(
            advance_clawback(&p, 600_00, start, &lapse(d(2027, 1, 1), 0), 1200_00),
            Ok(0)
        );
        // Before the start (the contract never took effect): inside.
        assert_eq!(
            advance_clawback(&p, 600_00, start, &lapse(d(2025, 12, 20), 0), 1200_00),
            Ok(600_00)
        );
    }

    #[test]
    fn prorata_claws_back_the_months_left() {
        // N = 12: an advance of 1200.00 lapsing in month 4 gives back 8/12.
        let start = d(2026, 1, 1);
        let p = part(ClawbackMode::Prorata, 12, 2400_00);
        let at = |date| advance_clawback(&p, 1200_00, start, &lapse(date, 0), 2400_00);
        assert_eq!(at(d(2026, 4, 10)), Ok(800_00));
        assert_eq!(at(d(2026, 1, 1)), Ok(1100_00));
        assert_eq!(at(d(2025, 12, 31)), Ok(1200_00));
        // The last day of the window: month 12 is in progress, nothing left.
        assert_eq!(at(d(2026, 12, 31)), Ok(0));
        assert_eq!(at(d(2027, 1, 1)), Ok(0));
        let p24 = part(ClawbackMode::Prorata, 24, 2400_00);
        let at24 = |date| advance_clawback(&p24, 1000_00, start, &lapse(date, 0), 2400_00);
        // Month 13 of 24: 11/24 of 1000.00 = 458.333… → 458.33.
        assert_eq!(at24(d(2027, 1, 5)), Ok(458_33));
        assert_eq!(at24(d(2027, 12, 31)), Ok(0));
        // The practice example itself: 9 months, lapse in month 4, 5/9 back.
        let p9 = part(ClawbackMode::Prorata, 9, 900_00);
        assert_eq!(
            advance_clawback(&p9, 900_00, start, &lapse(d(2026, 4, 10), 0), 900_00),
            Ok(500_00)
        );
    }

    #[test]
    fn earned_on_cash_reverses_what_the_cash_did_not_earn() {
        let start = d(2026, 1, 1);
        let p = part(ClawbackMode::EarnedOnCash, 24, 1200_00);
        let at =
            |date, collected| advance_clawback(&p, 600_00, start, &lapse(date, collected), 1200_00);
        // Four months of 100.00 collected: 200.00 earned, 400.00 back.
        assert_eq!(at(d(2026, 5, 2), 400_00), Ok(400_00));
        assert_eq!(at(d(2026, 5, 2), 0), Ok(600_00));
        // The whole first-year premium collected: nothing back, even inside the window.
        assert_eq!(at(d(2027, 6, 1), 1300_00), Ok(0));
        // A net negative collection (refunds) earns nothing.
        assert_eq!(at(d(2026, 5, 2), -50_00), Ok(600_00));
        // Window edges (24 months).
        assert_eq!(at(d(2027, 12, 31), 0), Ok(600_00));
        assert_eq!(at(d(2028, 1, 1), 0), Ok(0));
        // A contract with no premium earns nothing on cash.
        assert_eq!(
            advance_clawback(&p, 600_00, start, &lapse(d(2026, 2, 1), 0), 0),
            Ok(600_00)
        );
    }

    #[test]
    fn renunciation_takes_everything_and_end_of_term_nothing() {
        let start = d(2026, 1, 1);
        for mode in [
            ClawbackMode::Full,
            ClawbackMode::Prorata,
            ClawbackMode::EarnedOnCash,
        ] {
            let p = part(mode, 12, 1200_00);
            let renounced = Trigger {
                date: d(2026, 1, 10),
                cause: Cause::Renunciation,
                collected: 100_00,
            };
            assert_eq!(
                advance_clawback(&p, 600_00, start, &renounced, 1200_00),
                Ok(600_00)
            );
            let ended = Trigger {
                cause: Cause::EndOfTerm,
                ..renounced
            };
            assert_eq!(advance_clawback(&p, 600_00, start, &ended, 1200_00), Ok(0));
        }
    }

    proptest! {
        /// No mode ever claws back more than the advance, nor less than nothing.
        #[test]
        fn clawbacks_stay_within_the_advance(
            advance in 0..100_000_000_i64,
            days in -100_i64..1500,
            collected in -100_000_000_i64..200_000_000,
            total in 0..100_000_000_i64,
            mode in 0..3_usize,
            window in 0..3_usize,
        ) {
            let mode = [ClawbackMode::Full, ClawbackMode::Prorata, ClawbackMode::EarnedOnCash][mode];
            let p = part(mode, [12, 24, 36][window], total);
            let start = d(2026, 1, 1);
            let date = start + chrono::Duration::days(days);
            let back = advance_clawback(&p, advance, start, &lapse(date, collected), total)?;
            prop_assert!((0..=advance).contains(&back));
        }
    }
}
