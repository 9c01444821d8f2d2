//! ISO 4217 currencies with their minor-unit exponent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;

/// An ISO 4217 currency known to the platform, with its minor-unit exponent.
///
/// Values only come from the built-in table, so holding a `Currency` proves the code
/// is supported and the exponent is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// Supported currencies. The exponents are the ISO 4217 minor units, not what cash
/// registers round to (HUF and CZK keep 2 even though coins stopped at the unit).
const CURRENCIES: &[Currency] = &[
    Currency::EUR,
    Currency::USD,
    Currency::GBP,
    Currency::CHF,
    Currency::JPY,
    Currency::new("AUD", 2),
    Currency::new("BGN", 2),
    Currency::new("CAD", 2),
    Currency::new("CZK", 2),
    Currency::new("DKK", 2),
    Currency::new("HUF", 2),
    Currency::new("ISK", 0),
    Currency::new("KWD", 3),
    Currency::new("MAD", 2),
    Currency::new("NOK", 2),
    Currency::new("PLN", 2),
    Currency::new("RON", 2),
    Currency::new("SEK", 2),
    Currency::new("TND", 3),
    Currency::new("XOF", 0),
    Currency::new("XPF", 0),
];

impl Currency {
    /// The euro, 2 decimals.
    pub const EUR: Currency = Currency::new("EUR", 2);
    /// The US dollar, 2 decimals.
    pub const USD: Currency = Currency::new("USD", 2);
    /// The pound sterling, 2 decimals.
    pub const GBP: Currency = Currency::new("GBP", 2);
    /// The Swiss franc, 2 decimals.
    pub const CHF: Currency = Currency::new("CHF", 2);
    /// The Japanese yen, no minor unit.
    pub const JPY: Currency = Currency::new("JPY", 0);

    const fn new(code: &'static str, exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Returns the currency for an uppercase ISO 4217 code such as `"EUR"`.
    ///
    /// Lowercase codes are rejected rather than normalised: codes travel between
    /// services and the database, and one spelling keeps them comparable.
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .iter()
            .find(|c| c.code == code)
            .copied()
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// Returns the three-letter ISO 4217 code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Returns the number of decimals of the minor unit (2 for EUR, 0 for JPY).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Returns every supported currency.
    pub fn all() -> &'static [Currency] {
        CURRENCIES
    }

    /// Returns `10^exponent`, the number of minor units in one major unit.
    pub(crate) fn minor_per_major(&self) -> i128 {
        10_i128.pow(u32::from(self.exponent))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

/// Serialises as the bare code, `"EUR"`.
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

/// Deserialises from the code, rejecting unsupported currencies. Written by hand
/// because the derive would tie the `&'static str` field to the input's lifetime.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::from_code(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_carry_their_exponent() {
        let cases = [
            ("EUR", 2),
            ("USD", 2),
            ("GBP", 2),
            ("CHF", 2),
            ("JPY", 0),
            ("KWD", 3),
        ];
        for (code, exponent) in cases {
            let currency = Currency::from_code(code).unwrap();
            assert_eq!(currency.code(), code);
            assert_eq!(currency.exponent(), exponent, "{code}");
        }
        assert_eq!(Currency::EUR.minor_per_major(), 100);
        assert_eq!(Currency::JPY.minor_per_major(), 1);
    }

    #[test]
    fn unknown_lowercase_and_malformed_codes_are_rejected() {
        for code in ["", "eur", "Eur", "EURO", "EU", "XXX", "ABC", "E1R"] {
            assert_eq!(
                Currency::from_code(code),
                Err(MoneyError::UnknownCurrency(code.to_owned())),
                "{code:?}"
            );
        }
    }

    #[test]
    fn table_has_unique_uppercase_codes() {
        let all = Currency::all();
        for (i, c) in all.iter().enumerate() {
            assert_eq!(c.code().len(), 3);
            assert!(c.code().bytes().all(|b| b.is_ascii_uppercase()));
            assert!(all[i + 1..].iter().all(|o| o.code() != c.code()), "{c}");
        }
    }

    #[test]
    fn displays_and_parses_as_code() {
        assert_eq!(Currency::CHF.to_string(), "CHF");
        assert_eq!("JPY".parse::<Currency>(), Ok(Currency::JPY));
        assert_eq!(String::from(Currency::GBP), "GBP");
        assert_eq!(Currency::try_from("USD".to_owned()), Ok(Currency::USD));
    }
}
