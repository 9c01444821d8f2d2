//! Money as integer minor units plus a currency, with checked arithmetic.
//!
//! Amounts never go through floats: formatting and parsing work on digits, and rates
//! are applied with `i128` intermediates and explicit half-up rounding. python-sepaxml
//! does the same (cents, string slicing) and warns against floats `[SEPAXML-utils]`.

mod allocate;
mod currency;
mod decimal;
mod rate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use currency::Currency;
pub use rate::Rate;

/// Smallest SEPA `InstdAmt`, 0.01 EUR in cents `[XMLD-AMT]`.
const SEPA_MIN_CENTS: i64 = 1;
/// Largest SEPA `InstdAmt`, 999 999 999.99 EUR in cents `[XMLD-AMT]`.
const SEPA_MAX_CENTS: i64 = 99_999_999_999;

/// Errors from money construction and arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not an ISO 4217 code the platform supports.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit in an `i64` of minor units.
    #[error("amount out of range")]
    Overflow,
    /// The text is not a plain decimal number such as `-12.30`.
    #[error("invalid amount format")]
    InvalidAmount,
    /// The text has more decimals than the currency's minor unit.
    #[error("too many decimals for {currency}: at most {max}")]
    TooManyDecimals {
        /// Currency the amount was parsed for.
        currency: Currency,
        /// Number of decimals the currency allows.
        max: u8,
    },
    /// The rate is not a decimal percentage with at most 6 decimals.
    #[error("invalid rate")]
    InvalidRate,
    /// An allocation was asked for zero parts.
    #[error("cannot allocate into zero parts")]
    NoParts,
    /// Every allocation weight is zero, so there is no ratio to follow.
    #[error("allocation weights are all zero")]
    ZeroWeights,
}

impl MoneyError {
    /// Returns the stable snake_case reason code, for API error details.
    pub fn reason(&self) -> &'static str {
        match self {
            MoneyError::UnknownCurrency(_) => "unknown_currency",
            MoneyError::CurrencyMismatch { .. } => "currency_mismatch",
            MoneyError::Overflow => "amount_overflow",
            MoneyError::InvalidAmount => "invalid_amount",
            MoneyError::TooManyDecimals { .. } => "too_many_decimals",
            MoneyError::InvalidRate => "invalid_rate",
            MoneyError::NoParts => "allocation_no_parts",
            MoneyError::ZeroWeights => "allocation_zero_weights",
        }
    }
}

/// An amount of money: a signed count of minor units (cents for EUR) in one currency.
///
/// `PartialOrd` is deliberately not derived: comparing amounts in different currencies
/// has no meaning, so callers compare `amount_minor` after checking the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Signed amount in minor units (cents for EUR, yen for JPY).
    pub amount_minor: i64,
    /// Currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Returns an amount of `amount_minor` minor units of `currency`.
    pub const fn new(amount_minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Returns zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// Returns true if the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    /// Returns true if the amount is strictly negative.
    pub fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    /// Returns the sum, or an error on currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Returns `self - other`, or an error on currency mismatch or overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Returns the opposite amount, or an error for `i64::MIN` which has no opposite.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.amount_minor
            .checked_neg()
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Returns the amount multiplied by an integer quantity, or an error on overflow.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        self.amount_minor
            .checked_mul(quantity)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Returns the sum of `amounts`, zero in `currency` when empty, or an error if one
    /// amount is in another currency or the total overflows.
    pub fn checked_sum<I>(currency: Currency, amounts: I) -> Result<Money, MoneyError>
    where
        I: IntoIterator<Item = Money>,
    {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// Returns true if the amount can be collected as a SEPA `InstdAmt`: EUR only,
    /// between 0.01 and 999 999 999.99 inclusive `[XMLD-AMT]`.
    pub fn is_valid_sepa_amount(&self) -> bool {
        self.currency == Currency::EUR
            && (SEPA_MIN_CENTS..=SEPA_MAX_CENTS).contains(&self.amount_minor)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// Formats as `"1234.56 EUR"`, the same in every locale so logs and exports stay stable.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::EUR)
    }

    #[test]
    fn add_and_sub_in_one_currency() {
        assert_eq!(eur(150).checked_add(eur(-25)), Ok(eur(125)));
        assert_eq!(eur(150).checked_sub(eur(200)), Ok(eur(-50)));
        assert_eq!(
            Money::checked_sum(Currency::EUR, [eur(1), eur(2), eur(3)]),
            Ok(eur(6))
        );
        assert_eq!(Money::checked_sum(Currency::EUR, []), Ok(eur(0)));
    }

    #[test]
    fn currency_mismatch_is_an_error() {
        let usd = Money::new(100, Currency::USD);
        let mismatch = MoneyError::CurrencyMismatch {
            left: Currency::EUR,
            right: Currency::USD,
        };
        assert_eq!(eur(100).checked_add(usd), Err(mismatch.clone()));
        assert_eq!(eur(100).checked_sub(usd), Err(mismatch.clone()));
        assert_eq!(
            Money::checked_sum(Currency::EUR, [eur(1), usd]),
            Err(mismatch.clone())
        );
        assert_eq!(mismatch.to_string(), "currency mismatch: EUR and USD");
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_sub(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MIN).checked_mul(-1), Err(MoneyError::Overflow));
    }

    #[test]
    fn neg_and_mul() {
        assert_eq!(eur(i64::MAX).checked_neg(), Ok(eur(-i64::MAX)));
        assert_eq!(eur(-5).checked_neg(), Ok(eur(5)));
        assert_eq!(eur(1999).checked_mul(3), Ok(eur(5997)));
        assert_eq!(eur(1999).checked_mul(-2), Ok(eur(-3998)));
        assert_eq!(eur(1999).checked_mul(0), Ok(eur(0)));
    }

    #[test]
    fn sepa_amount_bounds() {
        assert!(!eur(0).is_valid_sepa_amount());
        assert!(eur(1).is_valid_sepa_amount());
        assert!(eur(99_999_999_999).is_valid_sepa_amount());
        assert!(!eur(100_000_000_000).is_valid_sepa_amount());
        assert!(!eur(-1).is_valid_sepa_amount());
        assert!(!Money::new(100, Currency::USD).is_valid_sepa_amount());
        assert!(!Money::new(100, Currency::CHF).is_valid_sepa_amount());
    }

    #[test]
    fn display_is_locale_free() {
        assert_eq!(eur(123_456).to_string(), "1234.56 EUR");
        assert_eq!(eur(-5).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(1234, Currency::JPY).to_string(), "1234 JPY");
    }

    #[test]
    fn predicates() {
        assert!(Money::zero(Currency::GBP).is_zero());
        assert!(eur(-1).is_negative());
        assert!(!eur(0).is_negative());
    }

    #[test]
    fn reasons_are_distinct_snake_case() {
        let errors = [
            MoneyError::UnknownCurrency("X".into()),
            MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::JPY,
            },
            MoneyError::Overflow,
            MoneyError::InvalidAmount,
            MoneyError::TooManyDecimals {
                currency: Currency::EUR,
                max: 2,
            },
            MoneyError::InvalidRate,
            MoneyError::NoParts,
            MoneyError::ZeroWeights,
        ];
        let reasons: Vec<_> = errors.iter().map(MoneyError::reason).collect();
        for (i, r) in reasons.iter().enumerate() {
            assert!(
                r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{r}"
            );
            assert!(!reasons[i + 1..].contains(r), "duplicate {r}");
        }
        assert_eq!(MoneyError::Overflow.reason(), "amount_overflow");
    }
}
