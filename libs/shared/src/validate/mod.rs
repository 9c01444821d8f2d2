//! Validators for banking, company and contact identifiers.
//!
//! Each validator normalises its input (spaces stripped, case fixed), checks it, and
//! returns a newtype that can only hold a valid value, or a [`ValidationError`] whose
//! [`reason`](ValidationError::reason) is a stable code for `google.rpc.BadRequest`
//! field violations. Rules come from section 0.3 and 0.4 of the domain spec.

mod bic;
mod checksum;
mod company;
mod contact;
mod country;
mod creditor_id;
mod iban;
mod rib;
mod sepa_text;

use std::ops::Range;

pub use bic::{Bic, is_pain_008_001_02_bic, is_pain_008_001_08_bicfi, validate_bic};
pub use company::{
    FrVatNumber, Siren, Siret, fr_vat_from_siren, fr_vat_key, validate_fr_vat, validate_siren,
    validate_siret,
};
pub use contact::{Email, PhoneNumber, normalise_phone, validate_e164, validate_email};
pub use country::is_iso_country_code;
pub use creditor_id::{CreditorId, creditor_id_check_digits, validate_creditor_id};
pub use iban::{
    Iban, build_iban, iban_check_digits, iban_length, mask_iban, sepa_iban_countries, validate_iban,
};
pub use rib::{Rib, rib_key, validate_fr_bban};
pub use sepa_text::{check_sepa_identifier, check_sepa_text, is_sepa_char, is_sepa_charset};

/// Why a value was rejected. Messages are lowercase without a trailing period, ready
/// to be shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// Nothing left once spaces are stripped.
    #[error("value is empty")]
    Empty,
    /// The overall shape is wrong; `expected` describes the right one.
    #[error("invalid format, expected {expected}")]
    InvalidFormat {
        /// Human description of the expected shape.
        expected: &'static str,
    },
    /// The length is outside `min..=max`.
    #[error("{}", length_message(*min, *max, *actual))]
    InvalidLength {
        /// Smallest allowed length.
        min: usize,
        /// Largest allowed length.
        max: usize,
        /// Length found, after normalisation.
        actual: usize,
    },
    /// A character outside the allowed set.
    #[error("character {ch:?} is not allowed")]
    InvalidCharacter {
        /// The first offending character.
        ch: char,
    },
    /// The IBAN country is not in the SEPA IBAN table.
    #[error("iban country {country:?} is not a sepa country")]
    IbanUnknownCountry {
        /// The two characters read as the country code.
        country: String,
    },
    /// The IBAN does not have its country's length.
    #[error("iban for {country} must have {expected} characters, got {actual}")]
    IbanBadLength {
        /// IBAN country code.
        country: String,
        /// Length fixed for that country.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The IBAN check digits do not match.
    #[error("iban check digits do not match")]
    IbanBadChecksum,
    /// The French RIB key does not match bank, branch and account.
    #[error("rib key does not match bank, branch and account")]
    RibBadKey,
    /// A BIC is 8 or 11 characters.
    #[error("bic must have 8 or 11 characters, got {actual}")]
    BicBadLength {
        /// Length found.
        actual: usize,
    },
    /// Characters 5 and 6 of the BIC are not an ISO 3166 country code.
    #[error("bic country code {country:?} is not an iso 3166 code")]
    BicUnknownCountry {
        /// Characters 5 and 6.
        country: String,
    },
    /// The creditor identifier does not have its country's length.
    #[error("creditor identifier for {country} must have {expected} characters, got {actual}")]
    CreditorIdBadLength {
        /// Country code of the identifier.
        country: String,
        /// Length fixed for that country.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The creditor identifier check digits do not match.
    #[error("creditor identifier check digits do not match")]
    CreditorIdBadChecksum,
    /// The SIREN (or the SIREN inside a SIRET or VAT number) fails the Luhn check.
    #[error("siren check digit does not match")]
    SirenBadChecksum,
    /// The SIRET fails its Luhn check (or La Poste's digit-sum rule).
    #[error("siret check digit does not match")]
    SiretBadChecksum,
    /// The French VAT key does not match the SIREN.
    #[error("vat key does not match the siren")]
    VatBadKey,
    /// A SEPA reference starts or ends with `/` or contains `//`.
    #[error("must not start or end with '/' or contain '//'")]
    SepaSlash,
}

impl ValidationError {
    /// Returns the stable snake_case reason code, for `google.rpc.ErrorInfo` and field
    /// violations. This match is the one list of validation reason codes.
    pub fn reason(&self) -> &'static str {
        match self {
            ValidationError::Empty => "empty",
            ValidationError::InvalidFormat { .. } => "invalid_format",
            ValidationError::InvalidLength { .. } => "invalid_length",
            ValidationError::InvalidCharacter { .. } => "invalid_character",
            ValidationError::IbanUnknownCountry { .. } => "iban_unknown_country",
            ValidationError::IbanBadLength { .. } => "iban_bad_length",
            ValidationError::IbanBadChecksum => "iban_bad_checksum",
            ValidationError::RibBadKey => "rib_bad_key",
            ValidationError::BicBadLength { .. } => "bic_bad_length",
            ValidationError::BicUnknownCountry { .. } => "bic_unknown_country",
            ValidationError::CreditorIdBadLength { .. } => "creditor_id_bad_length",
            ValidationError::CreditorIdBadChecksum => "creditor_id_bad_checksum",
            ValidationError::SirenBadChecksum => "siren_bad_checksum",
            ValidationError::SiretBadChecksum => "siret_bad_checksum",
            ValidationError::VatBadKey => "vat_bad_key",
            ValidationError::SepaSlash => "sepa_bad_slash",
        }
    }
}

fn length_message(min: usize, max: usize, actual: usize) -> String {
    if min == max {
        format!("must have {min} characters, got {actual}")
    } else {
        format!("must have between {min} and {max} characters, got {actual}")
    }
}

/// Returns `input` without whitespace and in uppercase: the electronic form of IBANs,
/// BICs and creditor identifiers, which people write in groups and any case.
fn compact_upper(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Returns an error for the first character that is not an ASCII letter or digit.
fn ensure_alphanumeric(value: &str) -> Result<(), ValidationError> {
    match value.chars().find(|c| !c.is_ascii_alphanumeric()) {
        Some(ch) => Err(ValidationError::InvalidCharacter { ch }),
        None => Ok(()),
    }
}

/// Returns `value[range]`, or `""` out of bounds. Newtypes hold validated ASCII, so the
/// fallback never triggers; it only keeps accessors free of panicking paths.
fn slice(value: &str, range: Range<usize>) -> &str {
    value.get(range).unwrap_or("")
}

/// Declares a validated string newtype with `as_str`, `Display`, `FromStr`, serde as a
/// plain string (deserialising through the validator), and conversions.
macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $validate:path) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Returns the normalised value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Returns the normalised value, consuming `self`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::validate::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $validate(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::validate::ValidationError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                $validate(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}
use validated_string;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_distinct_snake_case() {
        let errors = [
            ValidationError::Empty,
            ValidationError::InvalidFormat { expected: "x" },
            ValidationError::InvalidLength {
                min: 1,
                max: 2,
                actual: 3,
            },
            ValidationError::InvalidCharacter { ch: '!' },
            ValidationError::IbanUnknownCountry {
                country: "XX".into(),
            },
            ValidationError::IbanBadLength {
                country: "FR".into(),
                expected: 27,
                actual: 26,
            },
            ValidationError::IbanBadChecksum,
            ValidationError::RibBadKey,
            ValidationError::BicBadLength { actual: 9 },
            ValidationError::BicUnknownCountry {
                country: "QQ".into(),
            },
            ValidationError::CreditorIdBadLength {
                country: "FR".into(),
                expected: 13,
                actual: 14,
            },
            ValidationError::CreditorIdBadChecksum,
            ValidationError::SirenBadChecksum,
            ValidationError::SiretBadChecksum,
            ValidationError::VatBadKey,
            ValidationError::SepaSlash,
        ];
        let reasons: Vec<_> = errors.iter().map(ValidationError::reason).collect();
        for (i, reason) in reasons.iter().enumerate() {
            assert!(
                reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{reason}"
            );
            assert!(!reasons[i + 1..].contains(reason), "duplicate {reason}");
        }
        for error in &errors {
            let message = error.to_string();
            assert!(!message.ends_with('.'), "{message}");
            assert_eq!(message.chars().next().map(char::is_uppercase), Some(false));
        }
    }

    #[test]
    fn length_messages_read_naturally() {
        let exact = ValidationError::InvalidLength {
            min: 9,
            max: 9,
            actual: 8,
        };
        assert_eq!(exact.to_string(), "must have 9 characters, got 8");
        let range = ValidationError::InvalidLength {
            min: 1,
            max: 35,
            actual: 36,
        };
        assert_eq!(
            range.to_string(),
            "must have between 1 and 35 characters, got 36"
        );
    }

    #[test]
    fn compacting_strips_all_whitespace_and_uppercases() {
        assert_eq!(compact_upper(" fr76 3000\t6\u{a0}x "), "FR7630006X");
        assert_eq!(compact_upper(""), "");
    }
}
