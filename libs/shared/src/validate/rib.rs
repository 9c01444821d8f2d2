//! French RIB (relevé d'identité bancaire) and its key, the BBAN of FR and MC IBANs
//! `[RIB-PY]`.

use super::iban::{Iban, build_iban};
use super::{ValidationError, compact_upper, ensure_alphanumeric};

/// A French bank account: 5-digit bank code, 5-digit branch code (guichet),
/// 11-character account number and the 2-digit key (clé RIB).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rib {
    bank_code: String,
    branch_code: String,
    account_number: String,
    key: u8,
}

impl Rib {
    /// Returns the RIB for a bank code, branch code and account number, computing the
    /// key. Spaces are stripped and letters uppercased.
    pub fn new(
        bank_code: &str,
        branch_code: &str,
        account_number: &str,
    ) -> Result<Rib, ValidationError> {
        let bank_code = compact_upper(bank_code);
        let branch_code = compact_upper(branch_code);
        let account_number = compact_upper(account_number);
        let key = rib_key(&bank_code, &branch_code, &account_number)?;
        Ok(Rib {
            bank_code,
            branch_code,
            account_number,
            key,
        })
    }

    /// Returns the 5-digit bank code (code banque).
    pub fn bank_code(&self) -> &str {
        &self.bank_code
    }

    /// Returns the 5-digit branch code (code guichet).
    pub fn branch_code(&self) -> &str {
        &self.branch_code
    }

    /// Returns the 11-character account number.
    pub fn account_number(&self) -> &str {
        &self.account_number
    }

    /// Returns the RIB key, 1 to 97.
    pub fn key(&self) -> u8 {
        self.key
    }

    /// Returns the 23-character BBAN: bank, branch, account and 2-digit key.
    pub fn to_bban(&self) -> String {
        format!(
            "{}{}{}{:02}",
            self.bank_code, self.branch_code, self.account_number, self.key
        )
    }

    /// Returns the French IBAN for this account.
    pub fn to_iban(&self) -> Result<Iban, ValidationError> {
        build_iban("FR", &self.to_bban())
    }
}

/// Returns the RIB key for a bank code (5 digits), branch code (5 digits) and account
/// number (11 digits or uppercase letters):
/// `97 − ((89·bank + 15·branch + 3·account) mod 97)`.
///
/// Letters in the account stand for digits (A, J → 1; B, K, S → 2; … I, R, Z → 9).
/// Example: 30006 / 00001 / 12345678901 has key 89.
pub fn rib_key(
    bank_code: &str,
    branch_code: &str,
    account_number: &str,
) -> Result<u8, ValidationError> {
    let bank = numeric_field(bank_code, 5)?;
    let branch = numeric_field(branch_code, 5)?;
    if account_number.len() != 11 {
        return Err(ValidationError::InvalidLength {
            min: 11,
            max: 11,
            actual: account_number.chars().count(),
        });
    }
    ensure_alphanumeric(account_number)?;
    let mut account: u64 = 0;
    for byte in account_number.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'A'..=b'Z' => letter_digit(byte),
            // Lowercase letters: callers going through `Rib::new` never get here.
            _ => {
                return Err(ValidationError::InvalidCharacter {
                    ch: char::from(byte),
                });
            }
        };
        account = account * 10 + u64::from(digit);
    }
    // At most 89·99999 + 15·99999 + 3·99999999999, far below u64::MAX.
    let weighted = 89 * bank + 15 * branch + 3 * account;
    u8::try_from(97 - weighted % 97).map_err(|_| ValidationError::RibBadKey)
}

/// Returns the digit a letter stands for in a RIB account number. The letters run
/// A..I, J..R, S..Z against 1..9, with S starting at 2 (there is no letter for 1).
fn letter_digit(letter: u8) -> u8 {
    let index = letter - b'A';
    match index {
        0..=8 => index + 1,
        9..=17 => index - 8,
        _ => index - 16,
    }
}

/// Returns the value of a fixed-width all-digit field.
fn numeric_field(field: &str, width: usize) -> Result<u64, ValidationError> {
    if field.len() != width {
        return Err(ValidationError::InvalidLength {
            min: width,
            max: width,
            actual: field.chars().count(),
        });
    }
    let mut value = 0;
    for ch in field.chars() {
        let digit = ch
            .to_digit(10)
            .ok_or(ValidationError::InvalidCharacter { ch })?;
        value = value * 10 + u64::from(digit);
    }
    Ok(value)
}

/// Returns the RIB if `bban` is a valid 23-character French BBAN
/// (`5n bank + 5n branch + 11c account + 2n key`) whose key matches.
pub fn validate_fr_bban(bban: &str) -> Result<Rib, ValidationError> {
    let bban = compact_upper(bban);
    if bban.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&bban)?;
    if bban.len() != 23 {
        return Err(ValidationError::InvalidLength {
            min: 23,
            max: 23,
            actual: bban.len(),
        });
    }
    let field = |range: std::ops::Range<usize>| bban.get(range).unwrap_or("");
    let (bank, branch, account, key) = (field(0..5), field(5..10), field(10..21), field(21..23));
    let shape_error = ValidationError::InvalidFormat {
        expected: "5-digit bank, 5-digit branch, 11-character account, 2-digit key",
    };
    // Checked before parsing because `u8::from_str` would also accept "+9".
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape_error);
    }
    let given_key: u8 = key.parse().map_err(|_| shape_error.clone())?;
    let rib = Rib::new(bank, branch, account).map_err(|_| shape_error)?;
    if rib.key != given_key {
        return Err(ValidationError::RibBadKey);
    }
    Ok(rib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_key_and_iban() {
        assert_eq!(rib_key("30006", "00001", "12345678901"), Ok(89));
        let rib = Rib::new("30006", "00001", "12345678901").unwrap();
        assert_eq!(rib.key(), 89);
        assert_eq!(rib.bank_code(), "30006");
        assert_eq!(rib.branch_code(), "00001");
        assert_eq!(rib.account_number(), "12345678901");
        assert_eq!(rib.to_bban(), "30006000011234567890189");
        let iban = rib.to_iban().unwrap();
        assert_eq!(iban.to_print_format(), "FR76 3000 6000 0112 3456 7890 189");
    }

    #[test]
    fn letters_in_the_account_map_to_digits() {
        // FR14 2004 1010 0505 0001 3M02 606: account 0500013M026 reads as 05000134026.
        assert_eq!(rib_key("20041", "01005", "0500013M026"), Ok(6));
        assert_eq!(rib_key("20041", "01005", "05000134026"), Ok(6));
        assert_eq!(
            rib_key("20041", "01005", "0500013m026").map_err(|e| e.reason()),
            Err("invalid_character")
        );
        let expected = [
            (b'A', 1),
            (b'B', 2),
            (b'C', 3),
            (b'D', 4),
            (b'E', 5),
            (b'F', 6),
            (b'G', 7),
            (b'H', 8),
            (b'I', 9),
            (b'J', 1),
            (b'K', 2),
            (b'L', 3),
            (b'M', 4),
            (b'N', 5),
            (b'O', 6),
            (b'P', 7),
            (b'Q', 8),
            (b'R', 9),
            (b'S', 2),
            (b'T', 3),
            (b'U', 4),
            (b'V', 5),
            (b'W', 6),
            (b'X', 7),
            (b'Y', 8),
            (b'Z', 9),
        ];
        for (letter, digit) in expected {
            assert_eq!(letter_digit(letter), digit, "{}", char::from(letter));
        }
    }

    #[test]
    fn validates_bbans() {
        let rib = validate_fr_bban("30006 00001 12345678901 89").unwrap();
        assert_eq!(rib.key(), 89);
        assert_eq!(
            validate_fr_bban("20041010050500013m02606").map(|r| r.key()),
            Ok(6)
        );
        assert_eq!(
            validate_fr_bban("30006000011234567890188"),
            Err(ValidationError::RibBadKey)
        );
        assert_eq!(
            validate_fr_bban("30006000011234567890190"),
            Err(ValidationError::RibBadKey)
        );
        assert_eq!(
            validate_fr_bban("3000600001123456789018"),
            Err(ValidationError::InvalidLength {
                min: 23,
                max: 23,
                actual: 22
            })
        );
        assert_eq!(validate_fr_bban(""), Err(ValidationError::Empty));
        for bad in [
            "3000A000011234567890189",
            "300060000112345678901A9",
            "300060000112345678901+9",
        ] {
            assert!(validate_fr_bban(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_fr_bban("3000A000011234567890189").map_err(|e| e.reason()),
            Err("invalid_format")
        );
    }

    #[test]
    fn rejects_bad_field_shapes() {
        assert_eq!(
            rib_key("3000", "00001", "12345678901"),
            Err(ValidationError::InvalidLength {
                min: 5,
                max: 5,
                actual: 4
            })
        );
        assert_eq!(
            rib_key("30006", "0000X", "12345678901"),
            Err(ValidationError::InvalidCharacter { ch: 'X' })
        );
        assert_eq!(
            rib_key("30006", "00001", "1234567890"),
            Err(ValidationError::InvalidLength {
                min: 11,
                max: 11,
                actual: 10
            })
        );
        assert_eq!(
            rib_key("30006", "00001", "1234567890-"),
            Err(ValidationError::InvalidCharacter { ch: '-' })
        );
    }
}
