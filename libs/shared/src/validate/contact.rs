//! E-mail addresses and E.164 phone numbers, checked pragmatically: what a mail or SMS
//! provider will accept, not the full RFC grammar.

use super::{ValidationError, validated_string};

/// Longest address that fits in SMTP's 256-octet path with its angle brackets.
const EMAIL_MAX_LEN: usize = 254;
/// Longest local part (RFC 5321).
const LOCAL_MAX_LEN: usize = 64;
/// Longest DNS label.
const LABEL_MAX_LEN: usize = 63;
/// Punctuation allowed in an unquoted local part (RFC 5322 `atext`), besides `.`.
const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
/// E.164 digits after the `+`: a country code and a subscriber number.
const PHONE_MIN_DIGITS: usize = 8;
/// E.164 caps numbers at 15 digits.
const PHONE_MAX_DIGITS: usize = 15;

validated_string!(
    /// A valid e-mail address with its domain lowercased; the local part keeps its
    /// case because some servers treat it as case-sensitive.
    #[derive(Debug)]
    Email,
    validate_email
);

validated_string!(
    /// A valid E.164 phone number: `+` then 8 to 15 digits, the first not 0.
    #[derive(Debug)]
    PhoneNumber,
    validate_e164
);

impl Email {
    /// Returns the part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// Returns the lowercased domain.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

/// Returns the normalised address if `input` is a plausible e-mail address.
///
/// Surrounding whitespace is trimmed (pasted addresses often carry some); inside, the
/// rules are: exactly one `@`; a local part of 1 to 64 characters made of letters,
/// digits and ``!#$%&'*+/=?^_`{|}~-`` with single dots between them; a domain of at
/// least two dot-separated labels of letters, digits and hyphens, none starting or
/// ending with a hyphen, the last containing a letter (so an IP address is refused);
/// at most 254 characters in all. Quoted local parts, IP literals and non-ASCII
/// addresses are refused: few real customers have them and many providers reject them.
pub fn validate_email(input: &str) -> Result<Email, ValidationError> {
    let address = input.trim();
    if address.is_empty() {
        return Err(ValidationError::Empty);
    }
    if let Some(ch) = address.chars().find(|c| c.is_whitespace()) {
        return Err(ValidationError::InvalidCharacter { ch });
    }
    let (local, domain) = match address.split_once('@') {
        Some((local, domain)) if !domain.contains('@') => (local, domain),
        _ => {
            return Err(ValidationError::InvalidFormat {
                expected: "exactly one @",
            });
        }
    };
    if address.len() > EMAIL_MAX_LEN {
        return Err(ValidationError::InvalidLength {
            min: 3,
            max: EMAIL_MAX_LEN,
            actual: address.chars().count(),
        });
    }
    check_local_part(local)?;
    let domain = domain.to_ascii_lowercase();
    check_domain(&domain)?;
    Ok(Email(format!("{local}@{domain}")))
}

fn check_local_part(local: &str) -> Result<(), ValidationError> {
    if local.is_empty() || local.len() > LOCAL_MAX_LEN {
        return Err(ValidationError::InvalidFormat {
            expected: "1 to 64 characters before the @",
        });
    }
    if let Some(ch) = local
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '.' && !LOCAL_SPECIALS.contains(*c))
    {
        return Err(ValidationError::InvalidCharacter { ch });
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(ValidationError::InvalidFormat {
            expected: "no leading, trailing or double dot before the @",
        });
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), ValidationError> {
    let labels: Vec<&str> = domain.split('.').collect();
    let well_formed = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= LABEL_MAX_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    if well_formed {
        Ok(())
    } else {
        Err(ValidationError::InvalidFormat {
            expected: "a domain such as example.com after the @",
        })
    }
}

/// Returns the number if `input` is already in strict E.164 form: `+`, then 8 to 15
/// digits, the first from 1 to 9. No separators are tolerated; see [`normalise_phone`].
pub fn validate_e164(input: &str) -> Result<PhoneNumber, ValidationError> {
    if input.is_empty() {
        return Err(ValidationError::Empty);
    }
    let digits = input
        .strip_prefix('+')
        .ok_or(ValidationError::InvalidFormat {
            expected: "+ followed by the country code and number",
        })?;
    if let Some(ch) = digits.chars().find(|c| !c.is_ascii_digit()) {
        return Err(ValidationError::InvalidCharacter { ch });
    }
    if digits.starts_with('0') {
        return Err(ValidationError::InvalidFormat {
            expected: "a country code that does not start with 0",
        });
    }
    if !(PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits.len()) {
        return Err(ValidationError::InvalidLength {
            min: PHONE_MIN_DIGITS,
            max: PHONE_MAX_DIGITS,
            actual: digits.len(),
        });
    }
    Ok(PhoneNumber(input.to_owned()))
}

/// Returns the E.164 number for a phone number written with separators, such as
/// `+33 6 12-34.56.78` or `+1 (555) 123-4567`.
///
/// Whitespace, dots, dashes and parentheses are removed, then [`validate_e164`]
/// applies. A `(0)` is removed entirely first: in `+33 (0)6 12 34 56 78` it marks the
/// national trunk prefix, which is not dialled after a country code. National numbers
/// (`06 12 34 56 78`) are refused, since the country cannot be guessed here.
pub fn normalise_phone(input: &str) -> Result<PhoneNumber, ValidationError> {
    let without_trunk = input.replace("(0)", "");
    let compact: String = without_trunk
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')'))
        .collect();
    validate_e164(&compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_emails() {
        let cases = [
            ("John.Doe@Example.COM", "John.Doe@example.com"),
            ("  a@b.fr ", "a@b.fr"),
            (
                "first+tag@sub.domain-x.co.uk",
                "first+tag@sub.domain-x.co.uk",
            ),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("x@a1.io", "x@a1.io"),
            ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                validate_email(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        let email = validate_email("Jean.Dupont@Mairie.FR").unwrap();
        assert_eq!(email.local_part(), "Jean.Dupont");
        assert_eq!(email.domain(), "mairie.fr");
    }

    #[test]
    fn rejects_bad_emails() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("plainaddress", "invalid_format"),
            ("a@@b.com", "invalid_format"),
            ("a@b@c.com", "invalid_format"),
            ("@b.com", "invalid_format"),
            ("a@b", "invalid_format"),
            ("a@.com", "invalid_format"),
            ("a@b..com", "invalid_format"),
            ("a@b.com.", "invalid_format"),
            ("a@-b.com", "invalid_format"),
            ("a@b-.com", "invalid_format"),
            ("a@b_c.com", "invalid_format"),
            ("a@192.168.1.1", "invalid_format"),
            (".a@b.com", "invalid_format"),
            ("a.@b.com", "invalid_format"),
            ("a..b@c.com", "invalid_format"),
            ("a b@c.com", "invalid_character"),
            ("a@b .com", "invalid_character"),
            ("a\"b@c.com", "invalid_character"),
            ("a,b@c.com", "invalid_character"),
            ("jérôme@example.fr", "invalid_character"),
            ("a@exämple.fr", "invalid_format"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                validate_email(input).map_err(|e| e.reason()),
                Err(reason),
                "{input}"
            );
        }
    }

    #[test]
    fn email_length_limits() {
        let local64 = "a".repeat(64);
        assert!(validate_email(&format!("{local64}@example.com")).is_ok());
        let local65 = "a".repeat(65);
        assert_eq!(
            validate_email(&format!("{local65}@example.com")).map_err(|e| e.reason()),
            Err("invalid_format")
        );
        let label63 = "b".repeat(63);
        assert!(validate_email(&format!("a@{label63}.com")).is_ok());
        let label64 = "b".repeat(64);
        assert!(validate_email(&format!("a@{label64}.com")).is_err());
        // "ab@" + 4 labels of 61 + 4 dots + "com" = 254 characters, the maximum.
        let domain = format!("{0}.{0}.{0}.{0}.com", "c".repeat(61));
        let at_limit = format!("ab@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert!(validate_email(&at_limit).is_ok());
        let over = format!("abc@{domain}");
        assert_eq!(
            validate_email(&over),
            Err(ValidationError::InvalidLength {
                min: 3,
                max: 254,
                actual: 255
            })
        );
    }

    #[test]
    fn strict_e164() {
        for ok in [
            "+33612345678",
            "+12345678",
            "+123456789012345",
            "+447911123456",
        ] {
            assert_eq!(
                validate_e164(ok).map(String::from),
                Ok(ok.to_owned()),
                "{ok}"
            );
        }
        let cases = [
            ("", "empty"),
            ("33612345678", "invalid_format"),
            ("0612345678", "invalid_format"),
            ("+0612345678", "invalid_format"),
            ("+1234567", "invalid_length"),
            ("+1234567890123456", "invalid_length"),
            ("+33 612345678", "invalid_character"),
            ("+33-612345678", "invalid_character"),
            ("++33612345678", "invalid_character"),
            ("+", "invalid_length"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                validate_e164(input).map_err(|e| e.reason()),
                Err(reason),
                "{input:?}"
            );
        }
    }

    #[test]
    fn normalises_separators() {
        let cases = [
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33 (0)6 12-34.56.78", "+33612345678"),
            ("+1 (555) 123-4567", "+15551234567"),
            ("+44.20.7946.0958", "+442079460958"),
            ("\t+49 30 123456 ", "+4930123456"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalise_phone(input).map(String::from),
                Ok(expected.to_owned()),
                "{input}"
            );
        }
        assert_eq!(
            normalise_phone("06 12 34 56 78").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(
            normalise_phone("+33 6 12 34 56 7x").map_err(|e| e.reason()),
            Err("invalid_character")
        );
        assert_eq!(normalise_phone(" - "), Err(ValidationError::Empty));
    }
}
