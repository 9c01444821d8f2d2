//! Integer division rounded half up (half away from zero), the rounding of BR-CO-17 and
//! of French practice, in `i128` so that products of amounts, rates and day counts
//! never overflow. Never a float.

/// Returns `numerator / denominator` rounded half away from zero: 0.5 → 1, −0.5 → −1,
/// 0.49… → 0. `None` when the denominator is not positive.
pub fn div_half_up(numerator: i128, denominator: i128) -> Option<i128> {
    if denominator <= 0 {
        return None;
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // |remainder| < denominator, so doubling it cannot overflow for any denominator we
    // use (at most a few billions).
    if remainder.abs() * 2 >= denominator {
        Some(quotient + numerator.signum())
    } else {
        Some(quotient)
    }
}

/// Returns `amount × numerator / denominator` rounded half up, or `None` when the
/// denominator is not positive or the result does not fit an `i64`.
pub fn scale_half_up(amount: i64, numerator: i128, denominator: i128) -> Option<i64> {
    let product = i128::from(amount).checked_mul(numerator)?;
    i64::try_from(div_half_up(product, denominator)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn halves_go_away_from_zero() {
        assert_eq!(div_half_up(5, 10), Some(1));
        assert_eq!(div_half_up(4, 10), Some(0));
        assert_eq!(div_half_up(15, 10), Some(2));
        assert_eq!(div_half_up(-5, 10), Some(-1));
        assert_eq!(div_half_up(-4, 10), Some(0));
        assert_eq!(div_half_up(0, 7), Some(0));
        assert_eq!(div_half_up(1, 0), None);
        assert_eq!(div_half_up(1, -3), None);
    }

    #[test]
    fn scaling_checks_the_range() {
        // 20 % of 0.05 EUR is 0.01 (0.010 exactly); of 0.02 it is 0.004 → 0.
        assert_eq!(scale_half_up(5, 2000, 10_000), Some(1));
        assert_eq!(scale_half_up(2, 2000, 10_000), Some(0));
        // 5.5 % of 0.10 is 0.0055 → 0.01.
        assert_eq!(scale_half_up(10, 550, 10_000), Some(1));
        assert_eq!(scale_half_up(i64::MAX, 2, 1), None);
    }

    proptest! {
        /// The result is the nearest integer, a tie going away from zero.
        #[test]
        fn nearest_integer(n in -1_000_000_000_000i128..1_000_000_000_000, d in 1i128..1_000_000) {
            let q = div_half_up(n, d).expect("positive denominator");
            let error = n - q * d; // the exact value minus the rounded one, times d
            prop_assert!(error.abs() * 2 <= d);
            if error.abs() * 2 == d {
                // A tie: rounded away from zero, so the leftover has the opposite sign.
                prop_assert!(error * n.signum() < 0);
            }
        }

        /// Rounding is symmetric around zero.
        #[test]
        fn symmetric(n in 0i128..1_000_000_000_000, d in 1i128..1_000_000) {
            prop_assert_eq!(div_half_up(-n, d).map(|q| -q), div_half_up(n, d));
        }
    }
}
