//! IBAN validation, check-digit computation and masking `[IBAN-SPEC]`.

use std::fmt;

use super::checksum::{mod97, mod97_check_digits};
use super::rib::validate_fr_bban;
use super::{ValidationError, compact_upper, ensure_alphanumeric, slice, validated_string};

/// IBAN length per SEPA country, from the SWIFT IBAN registry v101 as bundled by
/// python-stdnum `[STDNUM-IBAN]`. Sorted by country code.
const SEPA_IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
];

/// Countries whose BBAN is a French RIB with its own key (Monaco uses the French
/// banking system).
const RIB_COUNTRIES: &[&str] = &["FR", "MC"];

validated_string!(
    /// A valid IBAN of a SEPA country, in electronic form: uppercase, no spaces.
    ///
    /// `Debug` masks it like [`mask_iban`], since IBANs are personal data that tend to
    /// end up in logs through `?value` fields.
    Iban,
    validate_iban
);

impl Iban {
    /// Returns the two-letter country code.
    pub fn country(&self) -> &str {
        slice(&self.0, 0..2)
    }

    /// Returns the two check digits.
    pub fn check_digits(&self) -> &str {
        slice(&self.0, 2..4)
    }

    /// Returns the national account number (BBAN), everything after the check digits.
    pub fn bban(&self) -> &str {
        slice(&self.0, 4..self.0.len())
    }

    /// Returns the print form, in groups of four: `FR76 3000 6000 0112 3456 7890 189`.
    pub fn to_print_format(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// Returns the IBAN with everything but country, check digits and the last four
    /// characters replaced by `*`.
    pub fn masked(&self) -> String {
        mask_iban(&self.0)
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iban").field(&self.masked()).finish()
    }
}

/// Returns the IBAN length for a SEPA country code, or `None` for other codes.
pub fn iban_length(country: &str) -> Option<usize> {
    SEPA_IBAN_LENGTHS
        .binary_search_by(|(code, _)| code.cmp(&country))
        .ok()
        .and_then(|i| SEPA_IBAN_LENGTHS.get(i))
        .map(|(_, length)| *length)
}

/// Returns the SEPA countries with their IBAN length, sorted by country code.
pub fn sepa_iban_countries() -> &'static [(&'static str, usize)] {
    SEPA_IBAN_LENGTHS
}

/// Returns the normalised IBAN if `input` is a valid IBAN of a SEPA country.
///
/// Spaces are stripped and letters uppercased first, so `fr76 3000 6000 ...` is
/// accepted. Checks the country, its IBAN length, the MOD 97-10 check digits and, for
/// France and Monaco, the RIB key inside the BBAN: a real French account always has a
/// correct key, and checking it catches errors the IBAN checksum was recomputed over.
pub fn validate_iban(input: &str) -> Result<Iban, ValidationError> {
    let iban = compact_upper(input);
    if iban.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&iban)?;
    let country = slice(&iban, 0..2);
    let check = slice(&iban, 2..4);
    if iban.len() < 4
        || !country.bytes().all(|b| b.is_ascii_uppercase())
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ValidationError::InvalidFormat {
            expected: "a country code, two check digits and the account number",
        });
    }
    let expected = iban_length(country).ok_or_else(|| ValidationError::IbanUnknownCountry {
        country: country.to_owned(),
    })?;
    if iban.len() != expected {
        return Err(ValidationError::IbanBadLength {
            country: country.to_owned(),
            expected,
            actual: iban.len(),
        });
    }
    let bban = slice(&iban, 4..iban.len());
    if mod97(&[bban, country, check]) != Some(1) {
        return Err(ValidationError::IbanBadChecksum);
    }
    if RIB_COUNTRIES.contains(&country) {
        validate_fr_bban(bban)?;
    }
    Ok(Iban(iban))
}

/// Returns the two IBAN check digits for a country code and BBAN (format them with
/// `{:02}`): `98 − mod97(BBAN + CC + "00")`.
///
/// Spaces are stripped and letters uppercased; the country need not be a SEPA one, so
/// this also serves for building test data. Use [`build_iban`] to get a checked IBAN.
pub fn iban_check_digits(country: &str, bban: &str) -> Result<u8, ValidationError> {
    let country = compact_upper(country);
    let bban = compact_upper(bban);
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ValidationError::InvalidFormat {
            expected: "a two-letter country code",
        });
    }
    if bban.is_empty() {
        return Err(ValidationError::Empty);
    }
    ensure_alphanumeric(&bban)?;
    mod97_check_digits(&bban, &country).ok_or(ValidationError::InvalidFormat {
        expected: "letters and digits",
    })
}

/// Returns the IBAN made of `country`, its computed check digits and `bban`, after
/// checking it like [`validate_iban`].
pub fn build_iban(country: &str, bban: &str) -> Result<Iban, ValidationError> {
    let check = iban_check_digits(country, bban)?;
    validate_iban(&format!("{country}{check:02}{bban}"))
}

/// Returns `input` (any text, valid or not) normalised and masked for display and
/// logs: country and check digits, then `*`, then the last four characters, as in
/// `FR76*******************0189`. Inputs of 8 characters or fewer are fully masked.
pub fn mask_iban(input: &str) -> String {
    let chars: Vec<char> = compact_upper(input).chars().collect();
    let len = chars.len();
    if len <= 8 {
        return "*".repeat(len);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= len - 4 { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Published example IBANs, one per country where a well-known one exists.
    const VALID: &[&str] = &[
        "FR7630006000011234567890189",
        "FR1420041010050500013M02606",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "CH9300762011623852957",
        "AT611904300234573201",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "LU280019400644750000",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S",
        "PL61109010140000071219812874",
        "PT50000201231234567890154",
        "FI2112345600000785",
        "DK5000400440116243",
        "SE4550000000058398257466",
        "IE29AIBK93115212345678",
        "MC5811222000010123456789030",
    ];

    #[test]
    fn accepts_published_examples() {
        for iban in VALID {
            let parsed = validate_iban(iban);
            assert_eq!(parsed.as_ref().map(Iban::as_str), Ok(*iban), "{iban}");
        }
    }

    #[test]
    fn normalises_lowercase_with_spaces() {
        let iban = validate_iban(" fr76 3000 6000 0112 3456 7890 189 ").unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.country(), "FR");
        assert_eq!(iban.check_digits(), "76");
        assert_eq!(iban.bban(), "30006000011234567890189");
        assert_eq!(iban.to_print_format(), "FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(
            validate_iban("gb82 west 1234 5698 7654 32").map(String::from),
            Ok("GB82WEST12345698765432".to_owned())
        );
    }

    #[test]
    fn rejects_wrong_length_per_country() {
        let cases = [
            ("FR763000600001123456789018", "FR", 27, 26),
            ("FR76300060000112345678901890", "FR", 27, 28),
            ("DE8937040044053201300", "DE", 22, 21),
            ("NO938601111794", "NO", 15, 14),
            ("MT84MALT011000012345MTLCAST001", "MT", 31, 30),
            ("BE685390075470341", "BE", 16, 17),
        ];
        for (iban, country, expected, actual) in cases {
            assert_eq!(
                validate_iban(iban),
                Err(ValidationError::IbanBadLength {
                    country: country.to_owned(),
                    expected,
                    actual
                }),
                "{iban}"
            );
        }
    }

    #[test]
    fn rejects_bad_checksums() {
        for iban in [
            "FR7730006000011234567890189",
            "FR7630006000011234567890198",
            "DE89370400440532013001",
            "GB82WEST12345698765423",
            "NL91ABNA0417164301",
        ] {
            assert_eq!(
                validate_iban(iban),
                Err(ValidationError::IbanBadChecksum),
                "{iban}"
            );
        }
    }

    #[test]
    fn rejects_unknown_countries_and_bad_shapes() {
        assert_eq!(
            validate_iban("US12345678901234567890"),
            Err(ValidationError::IbanUnknownCountry {
                country: "US".into()
            })
        );
        assert_eq!(
            validate_iban("XX00123"),
            Err(ValidationError::IbanUnknownCountry {
                country: "XX".into()
            })
        );
        assert_eq!(validate_iban("   "), Err(ValidationError::Empty));
        assert_eq!(
            validate_iban("FR76-3000"),
            Err(ValidationError::InvalidCharacter { ch: '-' })
        );
        assert_eq!(
            validate_iban("FRÉ6"),
            Err(ValidationError::InvalidCharacter { ch: 'É' })
        );
        for bad in [
            "F",
            "FR7",
            "7630006000011234567890189",
            "FRA630006000011234567890189",
        ] {
            assert_eq!(
                validate_iban(bad).map_err(|e| e.reason()),
                Err("invalid_format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn french_iban_with_a_wrong_rib_key_is_rejected() {
        // Same bank, branch and account as the RIB example with key 88 instead of 89,
        // and IBAN check digits recomputed so that only the RIB key is wrong.
        let check = iban_check_digits("FR", "30006000011234567890188").unwrap();
        let iban = format!("FR{check:02}30006000011234567890188");
        assert_eq!(validate_iban(&iban), Err(ValidationError::RibBadKey));
        assert_eq!(
            build_iban("MC", "30006000011234567890188"),
            Err(ValidationError::RibBadKey)
        );
    }

    #[test]
    fn computes_check_digits() {
        assert_eq!(iban_check_digits("FR", "30006000011234567890189"), Ok(76));
        assert_eq!(
            iban_check_digits("fr", "3000 6000 0112 3456 7890 189"),
            Ok(76)
        );
        assert_eq!(iban_check_digits("GB", "WEST12345698765432"), Ok(82));
        assert_eq!(iban_check_digits("DE", "370400440532013000"), Ok(89));
        assert_eq!(iban_check_digits("NO", "86011117947"), Ok(93));
        assert_eq!(
            iban_check_digits("F1", "123").map_err(|e| e.reason()),
            Err("invalid_format")
        );
        assert_eq!(iban_check_digits("FR", ""), Err(ValidationError::Empty));
        assert_eq!(
            build_iban("FR", "30006000011234567890189").map(String::from),
            Ok("FR7630006000011234567890189".to_owned())
        );
        assert_eq!(
            build_iban("US", "1234"),
            Err(ValidationError::IbanUnknownCountry {
                country: "US".into()
            })
        );
    }

    #[test]
    fn lengths_match_the_spec_table() {
        assert_eq!(SEPA_IBAN_LENGTHS.len(), 37);
        assert!(SEPA_IBAN_LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(iban_length("FR"), Some(27));
        assert_eq!(iban_length("MC"), Some(27));
        assert_eq!(iban_length("MT"), Some(31));
        assert_eq!(iban_length("NO"), Some(15));
        assert_eq!(iban_length("AD"), Some(24));
        assert_eq!(iban_length("VA"), Some(22));
        assert_eq!(iban_length("US"), None);
        assert_eq!(iban_length("fr"), None);
        assert_eq!(sepa_iban_countries().len(), 37);
    }

    #[test]
    fn masks_all_but_country_check_and_last_four() {
        assert_eq!(
            mask_iban("FR7630006000011234567890189"),
            "FR76*******************0189"
        );
        assert_eq!(
            mask_iban("fr76 3000 6000 0112 3456 7890 189"),
            "FR76*******************0189"
        );
        assert_eq!(mask_iban("NO9386011117947"), "NO93*******7947");
        assert_eq!(mask_iban("FR761234"), "********");
        assert_eq!(mask_iban(""), "");
        let iban = validate_iban("DE89370400440532013000").unwrap();
        assert_eq!(iban.masked(), "DE89**************3000");
        assert_eq!(format!("{iban:?}"), "Iban(\"DE89**************3000\")");
    }

    #[test]
    fn parses_through_from_str_and_try_from() {
        assert_eq!(
            "de89 3704 0044 0532 0130 00"
                .parse::<Iban>()
                .map(String::from),
            Ok("DE89370400440532013000".to_owned())
        );
        assert_eq!(
            Iban::try_from("DE89370400440532013001".to_owned()),
            Err(ValidationError::IbanBadChecksum)
        );
    }

    /// A SEPA country other than FR and MC (whose BBAN carries a RIB key) and a random
    /// BBAN of the right length in the IBAN character set.
    fn country_and_bban() -> impl Strategy<Value = (&'static str, String)> {
        let countries: Vec<_> = SEPA_IBAN_LENGTHS
            .iter()
            .filter(|(c, _)| !RIB_COUNTRIES.contains(c))
            .copied()
            .collect();
        proptest::sample::select(countries).prop_flat_map(|(country, length)| {
            proptest::collection::vec("[0-9A-Z]", length - 4)
                .prop_map(move |chars| (country, chars.concat()))
        })
    }

    proptest! {
        #[test]
        fn computed_check_digits_give_a_valid_iban((country, bban) in country_and_bban()) {
            let iban = build_iban(country, &bban);
            prop_assert!(iban.is_ok(), "{country} {bban}: {iban:?}");
        }

        #[test]
        fn changing_one_digit_breaks_the_checksum(
            (country, bban) in country_and_bban(),
            position in any::<proptest::sample::Index>(),
            delta in 1_u8..10,
        ) {
            let iban = build_iban(country, &bban).unwrap().into_string();
            let digits: Vec<usize> = iban
                .bytes()
                .enumerate()
                .filter(|(i, b)| *i >= 2 && b.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            let at = digits[position.index(digits.len())];
            let mut bytes = iban.into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(validate_iban(&changed), Err(ValidationError::IbanBadChecksum));
        }

        #[test]
        fn french_ibans_from_random_ribs_validate(
            bank in 0_u32..100_000,
            branch in 0_u32..100_000,
            account in "[0-9A-Z]{11}",
        ) {
            let rib = crate::validate::Rib::new(&format!("{bank:05}"), &format!("{branch:05}"), &account).unwrap();
            let iban = rib.to_iban().unwrap();
            prop_assert_eq!(validate_iban(iban.as_str()), Ok(iban.clone()));
            prop_assert_eq!(validate_fr_bban(iban.bban()).map(|r| r.to_bban()), Ok(rib.to_bban()));
        }
    }
}
