//! Integer money arithmetic: products and ratios of minor-unit amounts computed in
//! `i128` and rounded once, half away from zero (0.5 cent to 1 cent, −0.5 to −1), so a
//! clawback of a commission mirrors the commission exactly. No floats anywhere.

/// Basis points in one whole (100 %).
pub const BPS_PER_ONE: i64 = 10_000;

/// An amount that does not fit in minor units (`i64`), or a ratio with no denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct Overflow;

/// Returns `n / d` rounded half away from zero; `d` must be positive.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.abs() * 2 >= d { q + n.signum() } else { q }
}

/// Returns `amount × num / den`, rounded half away from zero.
pub fn mul_div(amount: i64, num: i64, den: i64) -> Result<i64, Overflow> {
    mul_div_wide(i128::from(amount), i128::from(num), i128::from(den))
}

/// Returns `a × b / den` for wide factors, rounded half away from zero.
pub fn mul_div_wide(a: i128, b: i128, den: i128) -> Result<i64, Overflow> {
    if den <= 0 {
        return Err(Overflow);
    }
    let product = a.checked_mul(b).ok_or(Overflow)?;
    i64::try_from(div_round(product, den)).map_err(|_| Overflow)
}

/// Returns `bps` basis points of `amount`, rounded half away from zero.
pub fn apply_bps(amount: i64, bps: i32) -> Result<i64, Overflow> {
    mul_div(amount, i64::from(bps), BPS_PER_ONE)
}

/// Returns the sum of `amounts`, or [`Overflow`].
pub fn sum<I: IntoIterator<Item = i64>>(amounts: I) -> Result<i64, Overflow> {
    amounts
        .into_iter()
        .try_fold(0_i64, |acc, a| acc.checked_add(a).ok_or(Overflow))
}

/// Returns the rate in basis points that `amount` is of `base` (rounded), 0 for a zero
/// base; the rate shown on a line computed from several rules.
pub fn effective_bps(amount: i64, base: i64) -> i32 {
    if base <= 0 {
        return 0;
    }
    mul_div(amount, BPS_PER_ONE, base)
        .ok()
        .and_then(|r| i32::try_from(r).ok())
        .unwrap_or(0)
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 15 % of 0.03: 0.45 cent → 0; of 0.10: 1.5 cents → 2; of −0.10: −2.
        assert_eq!(apply_bps(3, 1500), Ok(0));
        assert_eq!(apply_bps(10, 1500), Ok(2));
        assert_eq!(apply_bps(-10, 1500), Ok(-2));
        assert_eq!(apply_bps(11, 1500), Ok(2));
        assert_eq!(apply_bps(123_456, 4500), Ok(55_555));
        assert_eq!(mul_div(600_00, 5, 9), Ok(333_33));
        assert_eq!(mul_div(1, 1, 2), Ok(1));
        assert_eq!(mul_div(-1, 1, 2), Ok(-1));
        assert_eq!(mul_div(1, 1, 3), Ok(0));
    }

    #[test]
    fn overflow_and_bad_denominators_are_errors() {
        assert_eq!(mul_div(i64::MAX, 2, 1), Err(Overflow));
        assert_eq!(mul_div(1, 1, 0), Err(Overflow));
        assert_eq!(mul_div(1, 1, -5), Err(Overflow));
        assert_eq!(mul_div_wide(i128::MAX, 2, 1), Err(Overflow));
        assert_eq!(sum([i64::MAX, 1]), Err(Overflow));
        assert_eq!(apply_bps(i64::MAX, 10_000), Ok(i64::MAX));
    }

    #[test]
    fn effective_rates() {
        assert_eq!(effective_bps(150, 1000), 1500);
        assert_eq!(effective_bps(1, 3), 3333);
        assert_eq!(effective_bps(5, 0), 0);
    }

    proptest! {
        /// A rate applied to an amount and its negation gives opposite results: a
        /// clawback of a whole commission cancels it to the cent.
        #[test]
        fn rates_are_symmetric(amount in -1_000_000_000_000_i64..1_000_000_000_000, bps in 0..=10_000_i32) {
            prop_assert_eq!(apply_bps(-amount, bps)?, -apply_bps(amount, bps)?);
        }

        /// The rounded result is within half a minor unit of the exact one:
        /// |result × den − amount × num| ≤ den / 2.
        #[test]
        fn rounding_error_is_at_most_half_a_cent(
            amount in -1_000_000_000_000_i64..1_000_000_000_000,
            num in 0..1_000_000_i64,
            den in 1..1_000_000_i64,
        ) {
            let r = mul_div(amount, num, den)?;
            let error = i128::from(r) * i128::from(den) - i128::from(amount) * i128::from(num);
            prop_assert!(error.abs() * 2 <= i128::from(den));
        }

        /// A rate never gives more than the amount, and 100 % gives the amount.
        #[test]
        fn rates_stay_within_the_amount(amount in 0..1_000_000_000_000_i64, bps in 0..=10_000_i32) {
            let r = apply_bps(amount, bps)?;
            prop_assert!((0..=amount).contains(&r));
            prop_assert_eq!(apply_bps(amount, 10_000)?, amount);
        }

        /// Prorating is monotone: more months left never claws back less.
        #[test]
        fn prorata_is_monotone(amount in 0..1_000_000_000_i64, n in 1..=36_i64, k in 0..36_i64) {
            let k = k.min(n - 1);
            prop_assert!(mul_div(amount, n - k, n)? >= mul_div(amount, n - k - 1, n)?);
        }

        /// Sums are exact and order-free.
        #[test]
        fn sums_are_exact(parts in proptest::collection::vec(-1_000_000_000_i64..1_000_000_000, 0..50)) {
            let forward = sum(parts.iter().copied())?;
            let backward = sum(parts.iter().rev().copied())?;
            prop_assert_eq!(forward, backward);
            prop_assert_eq!(i128::from(forward), parts.iter().map(|p| i128::from(*p)).sum::<i128>());
        }
    }
}
