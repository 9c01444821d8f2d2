//! Percentage rates and their application to amounts with half-up rounding.

use std::fmt;
use std::str::FromStr;

use super::decimal::{scaled_magnitude, split_decimal};
use super::{Money, MoneyError};

/// Decimals a percentage may carry: enough for `5.5`, `0.055` or a legal interest
/// rate such as `3.715`, while keeping the product with any `i64` amount in `i128`.
const PERCENT_DECIMALS: u32 = 6;
/// Rate units in one whole (100 %): one unit is a millionth of a percent.
const UNITS_PER_ONE: i128 = 100_000_000;
/// Rate units in one basis point (0.01 %).
const UNITS_PER_BPS: i64 = 10_000;

/// A percentage rate (VAT, discount, interest), held exactly as an integer count of
/// millionths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rate {
    units: i64,
}

impl Rate {
    /// A rate of 0 %.
    pub const ZERO: Rate = Rate { units: 0 };

    /// Returns the rate for an integer number of basis points (`550` is 5.5 %).
    ///
    /// Takes an `i32` so that the conversion to internal units can never overflow.
    pub const fn from_bps(bps: i32) -> Rate {
        Rate {
            units: bps as i64 * UNITS_PER_BPS,
        }
    }

    /// Returns the rate for a decimal percentage string: `"20"` is 20 %, `"5.5"` is
    /// 5.5 %, `"-3"` is −3 %. At most 6 decimals; no `%` sign, spaces or exponent.
    pub fn parse_percent(s: &str) -> Result<Rate, MoneyError> {
        let parts = split_decimal(s).ok_or(MoneyError::InvalidRate)?;
        if parts.fraction.len() > PERCENT_DECIMALS as usize {
            return Err(MoneyError::InvalidRate);
        }
        let limit = i128::from(i64::MAX);
        let magnitude = scaled_magnitude(parts.integer, parts.fraction, PERCENT_DECIMALS, limit)
            .ok_or(MoneyError::InvalidRate)?;
        let signed = if parts.negative {
            -magnitude
        } else {
            magnitude
        };
        i64::try_from(signed)
            .map(|units| Rate { units })
            .map_err(|_| MoneyError::InvalidRate)
    }

    /// Returns the percentage as the shortest decimal string (`"5.5"`, `"20"`), which
    /// [`Rate::parse_percent`] reads back to the same rate.
    pub fn format_percent(&self) -> String {
        let sign = if self.units < 0 { "-" } else { "" };
        let magnitude = self.units.unsigned_abs();
        let scale = 10_u64.pow(PERCENT_DECIMALS);
        let whole = magnitude / scale;
        let fraction = magnitude % scale;
        if fraction == 0 {
            return format!("{sign}{whole}");
        }
        let digits = format!("{fraction:0width$}", width = PERCENT_DECIMALS as usize);
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Formats as `"5.5%"`.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.format_percent())
    }
}

impl FromStr for Rate {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rate::parse_percent(s)
    }
}

/// Returns `n / d` rounded half away from zero; `d` must be positive.
///
/// "Half up" in the French and EN 16931 sense (BR-CO-17) means 0.5 cent goes to 1 cent
/// and −0.5 cent to −1 cent, so the rounding is symmetric around zero.
pub(crate) fn div_round_half_away(n: i128, d: i128) -> i128 {
    let quotient = n / d;
    let remainder = n % d;
    if remainder.abs() * 2 >= d {
        quotient + n.signum()
    } else {
        quotient
    }
}

impl Money {
    /// Returns `rate` of the amount (20 % of 100.00 is 20.00), rounded half away from
    /// zero to the currency's minor unit, or an error if the result overflows.
    pub fn apply_rate(self, rate: Rate) -> Result<Money, MoneyError> {
        // Both factors fit in 64 bits, so the product cannot overflow 128 bits.
        let product = i128::from(self.amount_minor) * i128::from(rate.units);
        let rounded = div_round_half_away(product, UNITS_PER_ONE);
        i64::try_from(rounded)
            .map(|amount| Money::new(amount, self.currency))
            .map_err(|_| MoneyError::Overflow)
    }

    /// Returns `bps` basis points of the amount (`550` is 5.5 %), rounded half away
    /// from zero to the currency's minor unit.
    pub fn apply_bps(self, bps: i32) -> Result<Money, MoneyError> {
        self.apply_rate(Rate::from_bps(bps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::EUR)
    }

    fn pct(s: &str) -> Rate {
        Rate::parse_percent(s).unwrap()
    }

    #[test]
    fn parses_decimal_percentages() {
        assert_eq!(pct("20"), Rate::from_bps(2000));
        assert_eq!(pct("5.5"), Rate::from_bps(550));
        assert_eq!(pct("5.50"), Rate::from_bps(550));
        assert_eq!(pct("0.01"), Rate::from_bps(1));
        assert_eq!(pct("-3"), Rate::from_bps(-300));
        assert_eq!(pct("0"), Rate::ZERO);
        assert_eq!(pct("3.715").format_percent(), "3.715");
        assert_eq!(pct("0.000001").format_percent(), "0.000001");
        assert_eq!("2.1".parse::<Rate>(), Ok(Rate::from_bps(210)));
    }

    #[test]
    fn rejects_bad_percentages() {
        for text in ["", "5%", "5,5", " 5", "5.", ".5", "1.0000001", "abc", "1e2"] {
            assert_eq!(
                Rate::parse_percent(text),
                Err(MoneyError::InvalidRate),
                "{text:?}"
            );
        }
        assert_eq!(
            Rate::parse_percent("99999999999999999999"),
            Err(MoneyError::InvalidRate)
        );
    }

    #[test]
    fn formats_shortest_form() {
        assert_eq!(Rate::from_bps(550).format_percent(), "5.5");
        assert_eq!(Rate::from_bps(2000).format_percent(), "20");
        assert_eq!(Rate::from_bps(-125).format_percent(), "-1.25");
        assert_eq!(Rate::from_bps(550).to_string(), "5.5%");
        assert_eq!(Rate::ZERO.to_string(), "0%");
    }

    #[test]
    fn applies_rates_with_half_up_rounding() {
        assert_eq!(eur(10_000).apply_rate(pct("20")), Ok(eur(2000)));
        // 19.99 × 5.5 % = 1.09945 → 1.10
        assert_eq!(eur(1999).apply_rate(pct("5.5")), Ok(eur(110)));
        // 123.45 × 2.5 % = 3.08625 → 3.09
        assert_eq!(eur(12_345).apply_bps(250), Ok(eur(309)));
        // 0.10 × 5 % = 0.005: exactly half a cent goes away from zero.
        assert_eq!(eur(10).apply_bps(500), Ok(eur(1)));
        assert_eq!(eur(-10).apply_bps(500), Ok(eur(-1)));
        // 0.09 × 5 % = 0.0045 stays below half a cent.
        assert_eq!(eur(9).apply_bps(500), Ok(eur(0)));
        assert_eq!(eur(-9).apply_bps(500), Ok(eur(0)));
        assert_eq!(eur(10_000).apply_rate(pct("-3")), Ok(eur(-300)));
        assert_eq!(
            Money::new(1000, Currency::JPY).apply_rate(pct("5.5")),
            Ok(Money::new(55, Currency::JPY))
        );
        assert_eq!(
            Money::new(1010, Currency::JPY).apply_rate(pct("5")),
            Ok(Money::new(51, Currency::JPY))
        );
    }

    #[test]
    fn overflowing_application_is_an_error() {
        assert_eq!(eur(i64::MAX).apply_bps(20_000), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX).apply_bps(10_000), Ok(eur(i64::MAX)));
        assert_eq!(eur(i64::MIN).apply_bps(-10_000), Err(MoneyError::Overflow));
    }

    #[test]
    fn half_away_division() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(-4, 10), 0);
        assert_eq!(div_round_half_away(15, 10), 2);
        assert_eq!(div_round_half_away(-25, 10), -3);
        assert_eq!(div_round_half_away(20, 10), 2);
    }

    proptest! {
        #[test]
        fn percent_format_round_trips(bps in any::<i32>()) {
            let rate = Rate::from_bps(bps);
            prop_assert_eq!(Rate::parse_percent(&rate.format_percent()), Ok(rate));
        }

        #[test]
        fn rounding_error_is_at_most_half_a_unit(amount in -1_000_000_000_i64..1_000_000_000, bps in -10_000_i32..10_000) {
            let applied = eur(amount).apply_bps(bps).unwrap().amount_minor;
            // Compare in ten-thousandths of a cent: |applied·10000 − amount·bps| ≤ 5000.
            let exact = i128::from(amount) * i128::from(bps);
            let error = (i128::from(applied) * 10_000 - exact).abs();
            prop_assert!(error <= 5_000, "error {error}");
        }
    }
}
