//! BIC (ISO 9362 business identifier code) `[STDNUM-BIC]`.

use super::country::is_iso_country_code;
use super::{ValidationError, compact_upper, ensure_alphanumeric, slice, validated_string};

validated_string!(
    /// A valid BIC, uppercase without spaces: 8 characters, or 11 with a branch code.
    #[derive(Debug)]
    Bic,
    validate_bic
);

impl Bic {
    /// Returns the 4-character institution (bank) code.
    pub fn institution(&self) -> &str {
        slice(&self.0, 0..4)
    }

    /// Returns the 2-letter ISO 3166 country code.
    pub fn country(&self) -> &str {
        slice(&self.0, 4..6)
    }

    /// Returns the 2-character location code.
    pub fn location(&self) -> &str {
        slice(&self.0, 6..8)
    }

    /// Returns the 3-character branch code, if the BIC has 11 characters.
    pub fn branch(&self) -> Option<&str> {
        self.0.get(8..11)
    }
}

/// Returns the normalised BIC if `input` is a valid ISO 9362 BIC:
/// `^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$` where characters 5 and 6 are an ISO
/// 3166 country code. Spaces are stripped and letters uppercased first.
pub fn validate_bic(input: &str) -> Result<Bic, ValidationError> {
    let bic = compact_upper(input);
    if bic.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&bic)?;
    if bic.len() != 8 && bic.len() != 11 {
        return Err(ValidationError::BicBadLength { actual: bic.len() });
    }
    if !slice(&bic, 0..6).bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ValidationError::InvalidFormat {
            expected: "a 4-letter institution code then a 2-letter country code",
        });
    }
    let country = slice(&bic, 4..6);
    if !is_iso_country_code(country) {
        return Err(ValidationError::BicUnknownCountry {
            country: country.to_owned(),
        });
    }
    Ok(Bic(bic))
}

/// Returns true if `bic` matches the pain.008.001.02 `BICIdentifier` pattern
/// `[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?` `[XSD-008-02]`, as written (no
/// normalisation). Stricter than ISO 9362: the XSD excludes location codes starting
/// with 0 or 1 and the second location character `O`.
pub fn is_pain_008_001_02_bic(bic: &str) -> bool {
    let bytes = bic.as_bytes();
    if bytes.len() != 8 && bytes.len() != 11 {
        return false;
    }
    bytes.iter().take(6).all(u8::is_ascii_uppercase)
        && bytes
            .get(6)
            .is_some_and(|b| b.is_ascii_uppercase() || (b'2'..=b'9').contains(b))
        && bytes
            .get(7)
            .is_some_and(|b| (b.is_ascii_uppercase() && *b != b'O') || b.is_ascii_digit())
        && bytes.iter().skip(8).all(is_upper_alnum)
}

/// Returns true if `bic` matches the pain.008.001.08 `BICFIDec2014Identifier` pattern
/// `[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?` `[XSD-008-08]`, as written.
pub fn is_pain_008_001_08_bicfi(bic: &str) -> bool {
    let bytes = bic.as_bytes();
    (bytes.len() == 8 || bytes.len() == 11)
        && bytes.iter().enumerate().all(|(i, b)| {
            if (4..6).contains(&i) {
                b.is_ascii_uppercase()
            } else {
                is_upper_alnum(b)
            }
        })
}

fn is_upper_alnum(b: &u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_valid_bics() {
        let cases = [
            ("AGRIFRPP882", "AGRIFRPP882"),
            ("AGRIFRPP", "AGRIFRPP"),
            ("agriFRPP", "AGRIFRPP"),
            ("ABNA BE 2A", "ABNABE2A"),
            ("DEUTDEFF500", "DEUTDEFF500"),
            ("BNPAFRPPXXX", "BNPAFRPPXXX"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                validate_bic(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        let bic = validate_bic("AGRIFRPP882").unwrap();
        assert_eq!(
            (
                bic.institution(),
                bic.country(),
                bic.location(),
                bic.branch()
            ),
            ("AGRI", "FR", "PP", Some("882"))
        );
        assert_eq!(validate_bic("DEUTDEFF").unwrap().branch(), None);
    }

    #[test]
    fn rejects_bad_lengths_shapes_and_countries() {
        assert_eq!(
            validate_bic("AGRIFRPP8"),
            Err(ValidationError::BicBadLength { actual: 9 })
        );
        assert_eq!(
            validate_bic("AGRIFRP"),
            Err(ValidationError::BicBadLength { actual: 7 })
        );
        assert_eq!(
            validate_bic("AGRIFRPP88212"),
            Err(ValidationError::BicBadLength { actual: 13 })
        );
        assert_eq!(
            validate_bic("AGRIF2PP").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(
            validate_bic("1GRIFRPP").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(
            validate_bic("AGRIQQPP"),
            Err(ValidationError::BicUnknownCountry {
                country: "QQ".into()
            })
        );
        assert_eq!(
            validate_bic("AGRIUKPP"),
            Err(ValidationError::BicUnknownCountry {
                country: "UK".into()
            })
        );
        assert_eq!(
            validate_bic("AGRI-FRPP"),
            Err(ValidationError::InvalidCharacter { ch: '-' })
        );
        assert_eq!(validate_bic(""), Err(ValidationError::Empty));
    }

    #[test]
    fn pain_008_001_02_pattern() {
        for ok in [
            "DEUTDEFF",
            "DEUTDEFF500",
            "AGRIFRPP882",
            "ABNABE2A",
            "BNPAFRPPXXX",
            "AAAAAA2Z",
        ] {
            assert!(is_pain_008_001_02_bic(ok), "{ok}");
        }
        for bad in [
            "DEUTDE1F", // location may not start with 0 or 1
            "DEUTDE0F",
            "DEUTDEFO",   // second location character may not be O
            "DEUT1EFF",   // digit in the country code
            "1EUTDEFF",   // digit in the institution code
            "deutdeff",   // lowercase
            "DEUTDEFF50", // 10 characters
            "DEUTDEFF5000",
            "DEUT DEFF",
            "",
        ] {
            assert!(!is_pain_008_001_02_bic(bad), "{bad}");
        }
    }

    #[test]
    fn pain_008_001_08_pattern() {
        for ok in [
            "DEUTDEFF",
            "1234DEFF",
            "DEUTDE1F",
            "DEUTDEFO",
            "DEUTDEFF500",
        ] {
            assert!(is_pain_008_001_08_bicfi(ok), "{ok}");
        }
        for bad in ["DEUT1EFF", "DEUTdeFF", "DEUTDEF", "DEUTDEFF5", ""] {
            assert!(!is_pain_008_001_08_bicfi(bad), "{bad}");
        }
        assert!(!is_pain_008_001_02_bic("1234DEFF"));
    }
}
