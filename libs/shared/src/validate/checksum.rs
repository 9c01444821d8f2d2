//! Check-digit algorithms shared by several identifiers.

/// Returns the ISO 7064 MOD 97-10 remainder of the concatenated `parts`, reading
/// digits as themselves and uppercase letters as 10 (A) to 35 (Z), or `None` if
/// another character appears.
///
/// Works digit by digit on a remainder below 97 instead of parsing a big integer: a
/// 34-character IBAN expands to more digits than any machine integer holds
/// `[GO-MOD97]`.
pub(crate) fn mod97(parts: &[&str]) -> Option<u32> {
    let mut remainder: u32 = 0;
    for byte in parts.iter().flat_map(|part| part.bytes()) {
        remainder = match byte {
            b'0'..=b'9' => (remainder * 10 + u32::from(byte - b'0')) % 97,
            b'A'..=b'Z' => (remainder * 100 + u32::from(byte - b'A') + 10) % 97,
            _ => return None,
        };
    }
    Some(remainder)
}

/// Returns the two MOD 97-10 check digits for `body` followed by `country`, the rule
/// shared by IBAN and the SEPA creditor identifier: `98 − mod97(body + CC + "00")`.
pub(crate) fn mod97_check_digits(body: &str, country: &str) -> Option<u8> {
    let remainder = mod97(&[body, country, "00"])?;
    u8::try_from(98 - remainder).ok()
}

/// Returns true if `digits` (ASCII digits only) passes the Luhn check.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let mut sum: u32 = 0;
    for (position, byte) in digits.bytes().rev().enumerate() {
        if !byte.is_ascii_digit() {
            return false;
        }
        let digit = u32::from(byte - b'0');
        sum += if position % 2 == 1 {
            // Doubling 5..9 gives two digits, whose sum is the double minus 9.
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            digit
        };
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod97_maps_letters_to_two_digits() {
        // "A" reads as 10, "Z" as 35.
        assert_eq!(mod97(&["A"]), Some(10));
        assert_eq!(mod97(&["Z"]), Some(35));
        assert_eq!(mod97(&["97"]), Some(0));
        assert_eq!(mod97(&["1", "00"]), Some(3));
        // 3214282912345698765432161182 is the rearranged GB82WEST12345698765432.
        assert_eq!(mod97(&["WEST12345698765432", "GB82"]), Some(1));
        assert_eq!(mod97(&["12a"]), None);
        assert_eq!(mod97(&["1-2"]), None);
        assert_eq!(mod97(&[]), Some(0));
    }

    #[test]
    fn mod97_check_digits_make_the_remainder_one() {
        assert_eq!(mod97_check_digits("WEST12345698765432", "GB"), Some(82));
        assert_eq!(mod97_check_digits("123456", "FR"), Some(72));
    }

    #[test]
    fn luhn_examples() {
        assert!(luhn_valid("732829320"));
        assert!(!luhn_valid("732829321"));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("0"));
        assert!(!luhn_valid("12x"));
    }
}
