//! SEPA text fields: the restricted Latin character set and the slash rule for
//! references `[EPC-CHARSET]` `[EPC-SLASH]`.

use super::ValidationError;

/// Punctuation in the basic SEPA character set, besides letters, digits and space.
const SEPA_PUNCTUATION: &str = "/-?:().,'+";

/// Returns true if `c` is in the SEPA basic character set:
/// `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space.
pub fn is_sepa_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || SEPA_PUNCTUATION.contains(c)
}

/// Returns true if every character of `s` is in the SEPA basic character set (true for
/// the empty string). Text with other characters must be transliterated or rejected
/// before it goes into a pain.008 file.
pub fn is_sepa_charset(s: &str) -> bool {
    s.chars().all(is_sepa_char)
}

/// Checks a free-text field such as `Nm` (70 under EPC rules) or `Ustrd` (140): 1 to
/// `max_len` characters, all in the SEPA character set.
pub fn check_sepa_text(s: &str, max_len: usize) -> Result<(), ValidationError> {
    if s.is_empty() {
        return Err(ValidationError::Empty);
    }
    if let Some(ch) = s.chars().find(|c| !is_sepa_char(*c)) {
        return Err(ValidationError::InvalidCharacter { ch });
    }
    // All characters are ASCII now, so bytes and characters agree.
    if s.len() > max_len {
        return Err(ValidationError::InvalidLength {
            min: 1,
            max: max_len,
            actual: s.len(),
        });
    }
    Ok(())
}

/// Checks a reference or identifier (`MsgId`, `PmtInfId`, `EndToEndId`, `MndtId`,
/// usually `max_len` 35): the [`check_sepa_text`] rules, plus no leading or trailing
/// `/` and no `//` anywhere, which banks reject because slashes delimit structured
/// references.
pub fn check_sepa_identifier(s: &str, max_len: usize) -> Result<(), ValidationError> {
    check_sepa_text(s, max_len)?;
    if s.starts_with('/') || s.ends_with('/') || s.contains("//") {
        return Err(ValidationError::SepaSlash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset() {
        assert!(is_sepa_charset(
            "Facture 2026/01 (acompte) - M. Dupont, ref: A+B?'."
        ));
        assert!(is_sepa_charset("abcXYZ0189"));
        assert!(is_sepa_charset(""));
        for bad in [
            "é", "Müller", "a_b", "a&b", "a\"b", "50%", "a;b", "a\tb", "a!b", "€", "a@b", "a*b",
        ] {
            assert!(!is_sepa_charset(bad), "{bad}");
        }
        for c in "/-?:().,'+ ".chars() {
            assert!(is_sepa_char(c), "{c:?}");
        }
    }

    #[test]
    fn identifiers_reject_bad_slashes() {
        assert_eq!(check_sepa_identifier("MNDT/2026/001", 35), Ok(()));
        for bad in ["/MNDT001", "MNDT001/", "MNDT//001", "/", "//"] {
            assert_eq!(
                check_sepa_identifier(bad, 35),
                Err(ValidationError::SepaSlash),
                "{bad}"
            );
        }
        // Free text may contain slashes anywhere.
        assert_eq!(check_sepa_text("/a//b/", 140), Ok(()));
    }

    #[test]
    fn identifiers_enforce_length_and_charset() {
        let max = "A".repeat(35);
        assert_eq!(check_sepa_identifier(&max, 35), Ok(()));
        assert_eq!(
            check_sepa_identifier(&format!("{max}A"), 35),
            Err(ValidationError::InvalidLength {
                min: 1,
                max: 35,
                actual: 36
            })
        );
        assert_eq!(check_sepa_identifier("", 35), Err(ValidationError::Empty));
        assert_eq!(
            check_sepa_identifier("MNDT_001", 35),
            Err(ValidationError::InvalidCharacter { ch: '_' })
        );
        assert_eq!(
            check_sepa_text("Société", 70),
            Err(ValidationError::InvalidCharacter { ch: 'é' })
        );
        assert_eq!(check_sepa_text(&"x".repeat(70), 70), Ok(()));
        assert!(check_sepa_text(&"x".repeat(71), 70).is_err());
    }
}
