//! Exact conversion between minor units and decimal strings, digit by digit.

use super::{Currency, Money, MoneyError};

/// A syntactically valid decimal literal, split into sign, integer and fraction digits.
pub(super) struct DecimalParts<'a> {
    pub(super) negative: bool,
    pub(super) integer: &'a str,
    pub(super) fraction: &'a str,
}

/// Splits `[+-]digits[.digits]` into its parts, or returns `None`.
///
/// At least one digit is required on each side of the point: `"1."` and `".5"` are
/// rejected so that a truncated value is not silently accepted.
pub(super) fn split_decimal(s: &str) -> Option<DecimalParts<'_>> {
    let (negative, rest) = if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    };
    let (integer, fraction) = match rest.split_once('.') {
        Some((_, "")) => return None,
        Some((integer, fraction)) => (integer, fraction),
        None => (rest, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    Some(DecimalParts {
        negative,
        integer,
        fraction,
    })
}

/// Returns `integer.fraction * 10^scale` as an integer, or `None` once it exceeds `limit`.
///
/// The caller guarantees `fraction.len() <= scale`; missing fraction digits count as
/// zeros. Checking the limit after every digit keeps arbitrarily long input from
/// overflowing the `i128`.
pub(super) fn scaled_magnitude(
    integer: &str,
    fraction: &str,
    scale: u32,
    limit: i128,
) -> Option<i128> {
    let padding = (scale as usize).saturating_sub(fraction.len());
    let digits = integer
        .bytes()
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', padding));
    let mut value: i128 = 0;
    for digit in digits {
        let digit = digit.checked_sub(b'0').filter(|d| *d <= 9)?;
        value = value * 10 + i128::from(digit);
        if value > limit {
            return None;
        }
    }
    Some(value)
}

impl Money {
    /// Returns the amount as a plain decimal string with exactly the currency's
    /// number of decimals: `"1234.56"`, `"-0.05"`, `"1234"` for JPY.
    pub fn format_decimal(&self) -> String {
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        // unsigned_abs handles i64::MIN, whose opposite does not fit in an i64.
        let magnitude = u128::from(self.amount_minor.unsigned_abs());
        let exponent = usize::from(self.currency.exponent());
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let unit = self.currency.minor_per_major().unsigned_abs();
        let major = magnitude / unit;
        let minor = magnitude % unit;
        format!("{sign}{major}.{minor:0exponent$}")
    }

    /// Returns the amount written as a decimal string (`"12.3"`, `"12.30"`, `"-0.5"`,
    /// `"+7"`) in `currency`, converted exactly into minor units.
    ///
    /// Rejects anything but an optional sign, digits and one optional point followed
    /// by digits: no spaces, no thousands separators, no exponent. More decimals than
    /// the currency has is an error even when they are zeros, so nothing is rounded.
    pub fn parse(s: &str, currency: Currency) -> Result<Money, MoneyError> {
        let parts = split_decimal(s).ok_or(MoneyError::InvalidAmount)?;
        let exponent = currency.exponent();
        if parts.fraction.len() > usize::from(exponent) {
            return Err(MoneyError::TooManyDecimals {
                currency,
                max: exponent,
            });
        }
        // The magnitude of i64::MIN is one more than i64::MAX.
        let limit = i128::from(i64::MAX) + 1;
        let magnitude = scaled_magnitude(parts.integer, parts.fraction, u32::from(exponent), limit)
            .ok_or(MoneyError::Overflow)?;
        let signed = if parts.negative {
            -magnitude
        } else {
            magnitude
        };
        i64::try_from(signed)
            .map(|amount| Money::new(amount, currency))
            .map_err(|_| MoneyError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kwd() -> Currency {
        Currency::from_code("KWD").unwrap()
    }

    #[test]
    fn formats_with_currency_decimals() {
        let cases = [
            (123_456, Currency::EUR, "1234.56"),
            (-5, Currency::EUR, "-0.05"),
            (5, Currency::EUR, "0.05"),
            (0, Currency::EUR, "0.00"),
            (-100, Currency::USD, "-1.00"),
            (1234, Currency::JPY, "1234"),
            (-1234, Currency::JPY, "-1234"),
            (0, Currency::JPY, "0"),
            (1, kwd(), "0.001"),
            (i64::MAX, Currency::EUR, "92233720368547758.07"),
            (i64::MIN, Currency::EUR, "-92233720368547758.08"),
            (i64::MIN, Currency::JPY, "-9223372036854775808"),
        ];
        for (amount, currency, expected) in cases {
            assert_eq!(Money::new(amount, currency).format_decimal(), expected);
        }
    }

    #[test]
    fn parses_exactly_into_minor_units() {
        let cases = [
            ("12.3", Currency::EUR, 1230),
            ("12.30", Currency::EUR, 1230),
            ("-0.5", Currency::EUR, -50),
            ("-0.05", Currency::EUR, -5),
            ("+7", Currency::EUR, 700),
            ("0", Currency::EUR, 0),
            ("-0", Currency::EUR, 0),
            ("007.10", Currency::EUR, 710),
            ("1234", Currency::JPY, 1234),
            ("1.234", kwd(), 1234),
            ("92233720368547758.07", Currency::EUR, i64::MAX),
            ("-92233720368547758.08", Currency::EUR, i64::MIN),
        ];
        for (text, currency, expected) in cases {
            assert_eq!(
                Money::parse(text, currency),
                Ok(Money::new(expected, currency)),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_more_decimals_than_the_currency_has() {
        let too_many_eur = Err(MoneyError::TooManyDecimals {
            currency: Currency::EUR,
            max: 2,
        });
        assert_eq!(Money::parse("12.345", Currency::EUR), too_many_eur);
        assert_eq!(Money::parse("12.300", Currency::EUR), too_many_eur);
        assert_eq!(
            Money::parse("12.3", Currency::JPY),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::JPY,
                max: 0
            })
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "", "-", "+", ".", "1.", ".5", "-.5", "1,50", " 1", "1 ", "1e3", "--1", "+-1", "1.2.3",
            "0x10", "١٢", "12.3a", "NaN",
        ] {
            assert_eq!(
                Money::parse(text, Currency::EUR),
                Err(MoneyError::InvalidAmount),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_out_of_range_values() {
        for text in [
            "92233720368547758.08",
            "-92233720368547758.09",
            "99999999999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                Money::parse(text, Currency::EUR),
                Err(MoneyError::Overflow),
                "{text}"
            );
        }
        assert_eq!(
            Money::parse("9223372036854775808", Currency::JPY),
            Err(MoneyError::Overflow)
        );
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(Currency::all())
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(amount in any::<i64>(), currency in any_currency()) {
            let money = Money::new(amount, currency);
            prop_assert_eq!(Money::parse(&money.format_decimal(), currency), Ok(money));
        }

        #[test]
        fn parse_then_format_is_canonical(
            major in 0_u64..1_000_000_000,
            minor in 0_u32..100,
            negative in any::<bool>(),
        ) {
            let sign = if negative && (major, minor) != (0, 0) { "-" } else { "" };
            let text = format!("{sign}{major}.{minor:02}");
            let money = Money::parse(&text, Currency::EUR);
            prop_assert_eq!(money.map(|m| m.format_decimal()), Ok(text));
        }
    }
}
