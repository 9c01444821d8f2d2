//! SEPA creditor identifier (ICS, AT-02) `[STDNUM-AT02]` `[BDF-ICS]`.

use super::checksum::{mod97, mod97_check_digits};
use super::{ValidationError, compact_upper, ensure_alphanumeric, slice, validated_string};

/// Shortest identifier: country, check digits, business code, one national character.
const MIN_LEN: usize = 8;
/// `Max35Text` in pain.008.
const MAX_LEN: usize = 35;
/// Identifier lengths fixed by national schemes. France: `FRkkZZZnnnnnn`, issued by
/// Banque de France through the creditor's bank.
const FIXED_LENGTHS: &[(&str, usize)] = &[("FR", 13)];

validated_string!(
    /// A valid SEPA creditor identifier (ICS, AT-02), uppercase without spaces:
    /// country, 2 check digits, 3-character business code (`ZZZ` if none), national id.
    #[derive(Debug)]
    CreditorId,
    validate_creditor_id
);

impl CreditorId {
    /// Returns the two-letter country code.
    pub fn country(&self) -> &str {
        slice(&self.0, 0..2)
    }

    /// Returns the two check digits.
    pub fn check_digits(&self) -> &str {
        slice(&self.0, 2..4)
    }

    /// Returns the 3-character creditor business code, `ZZZ` when none is used. It is
    /// left out of the checksum, so creditors can vary it freely.
    pub fn business_code(&self) -> &str {
        slice(&self.0, 4..7)
    }

    /// Returns the national identifier, everything after the business code.
    pub fn national_id(&self) -> &str {
        slice(&self.0, 7..self.0.len())
    }
}

/// Returns the normalised identifier if `input` is a valid SEPA creditor identifier.
///
/// Spaces are stripped and letters uppercased first. The check drops the business code
/// (positions 5–7) and requires `mod97(national id + CC + check digits) == 1`. French
/// identifiers must have exactly 13 characters; others 8 to 35.
pub fn validate_creditor_id(input: &str) -> Result<CreditorId, ValidationError> {
    let id = compact_upper(input);
    if id.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&id)?;
    let country = slice(&id, 0..2);
    let check = slice(&id, 2..4);
    if id.len() < 4
        || !country.bytes().all(|b| b.is_ascii_uppercase())
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ValidationError::InvalidFormat {
            expected: "a country code, two check digits, a business code and a national id",
        });
    }
    if let Some((_, expected)) = FIXED_LENGTHS.iter().find(|(c, _)| *c == country) {
        if id.len() != *expected {
            return Err(ValidationError::CreditorIdBadLength {
                country: country.to_owned(),
                expected: *expected,
                actual: id.len(),
            });
        }
    } else if !(MIN_LEN..=MAX_LEN).contains(&id.len()) {
        return Err(ValidationError::InvalidLength {
            min: MIN_LEN,
            max: MAX_LEN,
            actual: id.len(),
        });
    }
    let national_id = slice(&id, 7..id.len());
    if mod97(&[national_id, country, check]) != Some(1) {
        return Err(ValidationError::CreditorIdBadChecksum);
    }
    Ok(CreditorId(id))
}

/// Returns the two check digits of a creditor identifier (format them with `{:02}`)
/// for a country code and national id: `98 − mod97(national id + CC + "00")`.
pub fn creditor_id_check_digits(country: &str, national_id: &str) -> Result<u8, ValidationError> {
    let country = compact_upper(country);
    let national_id = compact_upper(national_id);
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ValidationError::InvalidFormat {
            expected: "a two-letter country code",
        });
    }
    if national_id.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&national_id)?;
    mod97_check_digits(&national_id, &country).ok_or(ValidationError::InvalidFormat {
        expected: "letters and digits",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        assert_eq!(
            validate_creditor_id("FR72ZZZ123456").map(String::from),
            Ok("FR72ZZZ123456".to_owned())
        );
        // Published in a README, but its check digits are wrong.
        assert_eq!(
            validate_creditor_id("FR07ZZZ519993"),
            Err(ValidationError::CreditorIdBadChecksum)
        );
        assert_eq!(creditor_id_check_digits("FR", "123456"), Ok(72));
    }

    #[test]
    fn other_countries_and_business_codes() {
        for valid in ["ES23ZZZ47690558N", "ES2300047690558N", "DE98ZZZ09999999999"] {
            assert_eq!(
                validate_creditor_id(valid).map(String::from),
                Ok(valid.to_owned())
            );
        }
        let id = validate_creditor_id("es 23 zzz 47690558n").unwrap();
        assert_eq!(id.as_str(), "ES23ZZZ47690558N");
        assert_eq!(
            (
                id.country(),
                id.check_digits(),
                id.business_code(),
                id.national_id()
            ),
            ("ES", "23", "ZZZ", "47690558N")
        );
        // The business code is outside the checksum.
        assert!(validate_creditor_id("FR72ABC123456").is_ok());
        assert_eq!(creditor_id_check_digits("ES", "47690558N"), Ok(23));
        assert_eq!(creditor_id_check_digits("de", "09999999999"), Ok(98));
    }

    #[test]
    fn french_identifiers_have_13_characters() {
        for (id, actual) in [("FR72ZZZ1234567", 14), ("FR72ZZZ12345", 12)] {
            assert_eq!(
                validate_creditor_id(id),
                Err(ValidationError::CreditorIdBadLength {
                    country: "FR".into(),
                    expected: 13,
                    actual
                })
            );
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(validate_creditor_id(""), Err(ValidationError::Empty));
        assert_eq!(
            validate_creditor_id("FR72-ZZZ-123456"),
            Err(ValidationError::InvalidCharacter { ch: '-' })
        );
        for bad in ["F", "1R72ZZZ123456", "FRA2ZZZ123456"] {
            assert_eq!(
                validate_creditor_id(bad).map_err(|e| e.reason()),
                Err("invalid_format"),
                "{bad}"
            );
        }
        assert_eq!(
            validate_creditor_id("DE98ZZZ"),
            Err(ValidationError::InvalidLength {
                min: 8,
                max: 35,
                actual: 7
            })
        );
        let long = format!("DE00ZZZ{}", "1".repeat(29));
        assert_eq!(
            validate_creditor_id(&long).map_err(|e| e.reason()),
            Err("invalid_length")
        );
        assert_eq!(
            validate_creditor_id("DE97ZZZ09999999999"),
            Err(ValidationError::CreditorIdBadChecksum)
        );
        assert_eq!(
            creditor_id_check_digits("F", "1").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(
            creditor_id_check_digits("FR", " "),
            Err(ValidationError::Empty)
        );
    }
}
