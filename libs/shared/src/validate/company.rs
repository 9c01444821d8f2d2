//! French company identifiers: SIREN, SIRET and the intra-EU VAT number
//! `[STDNUM-SIREN]` `[STDNUM-SIRET]` `[STDNUM-TVA]`.

use super::checksum::luhn_valid;
use super::{ValidationError, slice, validated_string};

/// SIREN prefix of La Poste, whose establishments do not follow the Luhn rule.
const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office, the one La Poste SIRET that does follow the Luhn rule.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";
/// Characters allowed in a new-style VAT key: digits and letters except I and O.
const VAT_KEY_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

validated_string!(
    /// A valid SIREN: the 9-digit identifier of a French company.
    #[derive(Debug)]
    Siren,
    validate_siren
);

validated_string!(
    /// A valid SIRET: 14 digits, the SIREN followed by a 5-digit establishment number (NIC).
    #[derive(Debug)]
    Siret,
    validate_siret
);

validated_string!(
    /// A valid French VAT number, `FR` + 2-character key + SIREN, without spaces.
    #[derive(Debug)]
    FrVatNumber,
    validate_fr_vat
);

impl Siret {
    /// Returns the SIREN of the company owning the establishment.
    pub fn siren(&self) -> Siren {
        Siren(slice(&self.0, 0..9).to_owned())
    }

    /// Returns the 5-digit establishment number (NIC).
    pub fn nic(&self) -> &str {
        slice(&self.0, 9..14)
    }
}

impl FrVatNumber {
    /// Returns the 2-character key (two digits, or new-style with a letter).
    pub fn key(&self) -> &str {
        slice(&self.0, 2..4)
    }

    /// Returns the SIREN, or `None` for a Monaco number (`000` prefix), which carries
    /// an identifier that is not a SIREN.
    pub fn siren(&self) -> Option<Siren> {
        let digits = slice(&self.0, 4..13);
        validate_siren(digits)
            .ok()
            .filter(|_| !digits.starts_with("000"))
    }
}

/// Returns `input` without whitespace and dots, the separators people put in SIREN
/// and SIRET numbers (`732 829 320`, `329.338.883`).
fn compact_digits(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect()
}

/// Returns `value` if it is exactly `length` ASCII digits.
fn ensure_digits(value: &str, length: usize) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::InvalidFormat {
            expected: "digits only",
        });
    }
    if value.len() != length {
        return Err(ValidationError::InvalidLength {
            min: length,
            max: length,
            actual: value.len(),
        });
    }
    Ok(())
}

/// Returns the normalised SIREN if `input` is 9 digits passing the Luhn check. Spaces
/// and dots are stripped first.
pub fn validate_siren(input: &str) -> Result<Siren, ValidationError> {
    let siren = compact_digits(input);
    ensure_digits(&siren, 9)?;
    if !luhn_valid(&siren) {
        return Err(ValidationError::SirenBadChecksum);
    }
    Ok(Siren(siren))
}

/// Returns the normalised SIRET if `input` is 14 digits passing the Luhn check whose
/// first 9 digits are a valid SIREN. Spaces and dots are stripped first.
///
/// La Poste establishments (`356000000…`) use "sum of digits divisible by 5" instead,
/// except the head office `35600000000048`, which passes the Luhn check.
pub fn validate_siret(input: &str) -> Result<Siret, ValidationError> {
    let siret = compact_digits(input);
    ensure_digits(&siret, 14)?;
    let checksum_ok = if siret.starts_with(LA_POSTE_SIREN) && siret != LA_POSTE_HEAD_OFFICE {
        let digit_sum: u32 = siret.bytes().map(|b| u32::from(b - b'0')).sum();
        digit_sum.is_multiple_of(5)
    } else {
        luhn_valid(&siret)
    };
    if !checksum_ok {
        return Err(ValidationError::SiretBadChecksum);
    }
    validate_siren(slice(&siret, 0..9))?;
    Ok(Siret(siret))
}

/// Returns the numeric VAT key of a SIREN: `(SIREN·100 + 12) mod 97`.
pub fn fr_vat_key(siren: &Siren) -> u8 {
    let number: u64 = siren
        .as_str()
        .bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    // The remainder is below 97, so it always fits.
    u8::try_from((number * 100 + 12) % 97).unwrap_or(0)
}

/// Returns the French VAT number of a company, with the numeric key.
pub fn fr_vat_from_siren(siren: &Siren) -> FrVatNumber {
    FrVatNumber(format!("FR{:02}{}", fr_vat_key(siren), siren.as_str()))
}

/// Returns the normalised VAT number (`FR` + key + SIREN) if `input` is a valid French
/// VAT number, with or without the `FR` prefix. Spaces, dots and dashes are stripped
/// and letters uppercased first.
///
/// Numeric keys must equal [`fr_vat_key`]. New-style keys containing a letter (never
/// I or O) follow python-stdnum's check. Monaco numbers (`000` after the key) carry an
/// identifier that is not a SIREN, so only the key is checked for them.
pub fn validate_fr_vat(input: &str) -> Result<FrVatNumber, ValidationError> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let number = compact.strip_prefix("FR").unwrap_or(&compact);
    if number.is_empty() {
        return Err(ValidationError::Empty);
    }
    let key = number.get(0..2).unwrap_or("");
    let digits = number.get(2..).unwrap_or("");
    if key.len() != 2
        || !key.chars().all(|c| VAT_KEY_ALPHABET.contains(c))
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ValidationError::InvalidFormat {
            expected: "FR, a 2-character key and the 9-digit siren",
        });
    }
    if number.len() != 11 {
        // Counted with the prefix, as the number is usually written.
        return Err(ValidationError::InvalidLength {
            min: 13,
            max: 13,
            actual: number.len() + 2,
        });
    }
    if !digits.starts_with("000") {
        validate_siren(digits)?;
    }
    let siren_value: u64 = digits.parse().map_err(|_| ValidationError::InvalidFormat {
        expected: "FR, a 2-character key and the 9-digit siren",
    })?;
    let key_ok = if key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse::<u64>()
            .is_ok_and(|numeric| numeric == (siren_value * 100 + 12) % 97)
    } else {
        new_style_key_ok(key, siren_value)
    };
    if !key_ok {
        return Err(ValidationError::VatBadKey);
    }
    Ok(FrVatNumber(format!("FR{number}")))
}

/// Checks a new-style key (at least one letter) against the SIREN, as python-stdnum's
/// `stdnum.fr.tva` does; the spec only says such keys exist.
fn new_style_key_ok(key: &str, siren: u64) -> bool {
    let index = |c: char| VAT_KEY_ALPHABET.find(c).map(|i| i as u64);
    let mut chars = key.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return false;
    };
    let (Some(i1), Some(i2)) = (index(first), index(second)) else {
        return false;
    };
    // Keys starting with a digit and keys starting with a letter are numbered in two
    // separate ranges; both counts are non-negative because one character is a letter.
    let check = if first.is_ascii_digit() {
        (i1 * 24 + i2).checked_sub(10)
    } else {
        (i1 * 34 + i2).checked_sub(100)
    };
    check.is_some_and(|check| (siren + 1 + check / 11) % 11 == check % 11)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siren_luhn() {
        assert_eq!(
            validate_siren("732829320").map(String::from),
            Ok("732829320".to_owned())
        );
        assert_eq!(
            validate_siren("732 829 320").map(String::from),
            Ok("732829320".to_owned())
        );
        assert_eq!(
            validate_siren("356000000").map(String::from),
            Ok("356000000".to_owned())
        );
        assert_eq!(
            validate_siren("732829321"),
            Err(ValidationError::SirenBadChecksum)
        );
        assert_eq!(
            validate_siren("73282932"),
            Err(ValidationError::InvalidLength {
                min: 9,
                max: 9,
                actual: 8
            })
        );
        assert_eq!(
            validate_siren("7328293200"),
            Err(ValidationError::InvalidLength {
                min: 9,
                max: 9,
                actual: 10
            })
        );
        assert_eq!(
            validate_siren("73282932A").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(validate_siren(" "), Err(ValidationError::Empty));
    }

    #[test]
    fn siret_luhn_and_siren_prefix() {
        let siret = validate_siret("732 829 320 00074").unwrap();
        assert_eq!(siret.as_str(), "73282932000074");
        assert_eq!(siret.siren().as_str(), "732829320");
        assert_eq!(siret.nic(), "00074");
        assert_eq!(
            validate_siret("329.338.88300153").map(String::from),
            Ok("32933888300153".to_owned())
        );
        assert_eq!(
            validate_siret("73282932000079"),
            Err(ValidationError::SiretBadChecksum)
        );
        // Passes the Luhn check as 14 digits, but 732829321 is not a valid SIREN.
        assert!(luhn_valid("73282932100015"));
        assert_eq!(
            validate_siret("73282932100015"),
            Err(ValidationError::SirenBadChecksum)
        );
        assert_eq!(
            validate_siret("7328293200007"),
            Err(ValidationError::InvalidLength {
                min: 14,
                max: 14,
                actual: 13
            })
        );
    }

    #[test]
    fn la_poste_exception() {
        // The head office goes through the ordinary Luhn rule.
        assert!(luhn_valid(LA_POSTE_HEAD_OFFICE));
        assert_eq!(
            validate_siret("35600000000048").map(String::from),
            Ok("35600000000048".to_owned())
        );
        // Other La Poste establishments: digit sum divisible by 5, Luhn not required.
        assert!(!luhn_valid("35600000049837"));
        assert_eq!(
            validate_siret("35600000049837").map(String::from),
            Ok("35600000049837".to_owned())
        );
        assert_eq!(
            validate_siret("356 000 000 09075").map(String::from),
            Ok("35600000009075".to_owned())
        );
        assert_eq!(
            validate_siret("35600000049838"),
            Err(ValidationError::SiretBadChecksum)
        );
        // A head-office look-alike with a wrong last digit fails the digit-sum rule.
        assert_eq!(
            validate_siret("35600000000049"),
            Err(ValidationError::SiretBadChecksum)
        );
    }

    #[test]
    fn vat_numeric_keys() {
        let siren = validate_siren("732829320").unwrap();
        assert_eq!(fr_vat_key(&siren), 44);
        assert_eq!(fr_vat_from_siren(&siren).as_str(), "FR44732829320");
        let cases = [
            ("FR44732829320", "FR44732829320"),
            ("Fr 40 303 265 045", "FR40303265045"),
            ("23 334 175 221", "FR23334175221"),
            ("23334175221", "FR23334175221"),
            ("fr-23.334.175.221", "FR23334175221"),
            // Monaco: no SIREN behind the key.
            ("FR 53 0000 04605", "FR53000004605"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                validate_fr_vat(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        let vat = validate_fr_vat("FR40303265045").unwrap();
        assert_eq!(vat.key(), "40");
        assert_eq!(vat.siren().map(String::from), Some("303265045".to_owned()));
        assert_eq!(validate_fr_vat("FR53000004605").unwrap().siren(), None);
        // python-stdnum rejects this one: 323140391 is not a valid SIREN.
        assert_eq!(
            validate_fr_vat("84 323 140 391"),
            Err(ValidationError::SirenBadChecksum)
        );
        assert_eq!(
            validate_fr_vat("FR45732829320"),
            Err(ValidationError::VatBadKey)
        );
    }

    #[test]
    fn vat_new_style_keys() {
        assert_eq!(
            validate_fr_vat("K7399859412").map(String::from),
            Ok("FRK7399859412".to_owned())
        );
        assert_eq!(
            validate_fr_vat("4Z123456782").map(String::from),
            Ok("FR4Z123456782".to_owned())
        );
        assert_eq!(
            validate_fr_vat("K8399859412"),
            Err(ValidationError::VatBadKey)
        );
        // I and O are not key characters.
        assert_eq!(
            validate_fr_vat("IO334175221").map_err(|e| e.reason()),
            Err("invalid_format")
        );
    }

    #[test]
    fn vat_shape_errors() {
        assert_eq!(validate_fr_vat("FR"), Err(ValidationError::Empty));
        assert_eq!(
            validate_fr_vat("FR4473282932"),
            Err(ValidationError::InvalidLength {
                min: 13,
                max: 13,
                actual: 12
            })
        );
        assert_eq!(
            validate_fr_vat("FR44 7328 2932 X").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        // Key right for the digits, but the SIREN itself fails Luhn.
        assert_eq!(
            validate_fr_vat("FR47732829321"),
            Err(ValidationError::SirenBadChecksum)
        );
    }
}
