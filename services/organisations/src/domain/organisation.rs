//! Validation and normalisation of an organisation's fields, and the slug derived from
//! its name. Every problem is reported, each with the path of its field.

use crm_shared::money::Currency;
use crm_shared::validate::{is_iso_country_code, validate_creditor_id, validate_siren};

use super::OrganisationData;

const MAX_NAME: usize = 200;
const SLUG_MIN: usize = 3;
const SLUG_MAX: usize = 63;
/// Derived slugs stop here so that a uniqueness suffix still fits within [`SLUG_MAX`].
const DERIVED_SLUG_MAX: usize = 48;
const MAX_PREFIX: usize = 10;
const MAX_SETTINGS: usize = 50;
const MAX_SETTING_KEY: usize = 64;
const MAX_SETTING_VALUE: usize = 1000;
const MAX_TIME_ZONE: usize = 64;

/// Top-level areas of the IANA time zone database ("Area/City").
const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Etc",
    "Europe",
    "Indian",
    "Pacific",
];

/// Organisation fields that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrganisation {
    /// The normalised fields, defaults applied, slug filled in.
    pub data: OrganisationData,
    /// Whether the slug was derived from the name (and may take a suffix to be unique)
    /// rather than chosen by the caller (and refused when taken).
    pub slug_derived: bool,
}

/// Returns `data` normalised, with defaults for empty fields (country FR, currency EUR,
/// time zone Europe/Paris, invoice prefix F, slug from the name), or every violation,
/// with field paths under `prefix` ("organisation").
pub fn validate(
    mut data: OrganisationData,
    prefix: &str,
) -> Result<ValidOrganisation, Vec<(String, String)>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");

    data.name = data.name.trim().to_owned();
    data.legal_name = data.legal_name.trim().to_owned();
    if data.name.is_empty() {
        v.push((field("name"), "is required".into()));
    }
    for (name, value) in [("name", &data.name), ("legal_name", &data.legal_name)] {
        if value.chars().count() > MAX_NAME {
            v.push((
                field(name),
                format!("must be at most {MAX_NAME} characters"),
            ));
        }
        if value.chars().any(char::is_control) {
            v.push((field(name), "must not contain control characters".into()));
        }
    }

    data.slug = data.slug.trim().to_owned();
    let slug_derived = data.slug.is_empty();
    if slug_derived {
        data.slug = derive_slug(&data.name);
    } else if let Err(problem) = check_slug(&data.slug) {
        v.push((field("slug"), problem.into()));
    }

    if let Some(siren) = data.siren.take() {
        match validate_siren(&siren) {
            Ok(s) => data.siren = Some(s.into_string()),
            Err(e) => v.push((field("siren"), e.to_string())),
        }
    }

    data.country_code = default_upper(&data.country_code, "FR");
    if !is_iso_country_code(&data.country_code) {
        v.push((
            field("country_code"),
            "must be an ISO 3166-1 alpha-2 code".into(),
        ));
    }
    data.default_currency = default_upper(&data.default_currency, "EUR");
    if let Err(e) = Currency::from_code(&data.default_currency) {
        v.push((field("default_currency"), e.to_string()));
    }

    data.time_zone = data.time_zone.trim().to_owned();
    if data.time_zone.is_empty() {
        data.time_zone = "Europe/Paris".into();
    }
    if !is_time_zone_shaped(&data.time_zone) {
        v.push((
            field("time_zone"),
            "must be an IANA time zone such as Europe/Paris".into(),
        ));
    }

    if let Some(ics) = data.sepa_creditor_id.take() {
        match validate_creditor_id(&ics) {
            Ok(c) => data.sepa_creditor_id = Some(c.into_string()),
            Err(e) => v.push((field("sepa_creditor_id"), e.to_string())),
        }
    }

    data.invoice_prefix = data.invoice_prefix.trim().to_owned();
    if data.invoice_prefix.is_empty() {
        data.invoice_prefix = "F".into();
    }
    if data.invoice_prefix.chars().count() > MAX_PREFIX {
        v.push((
            field("invoice_prefix"),
            format!("must be at most {MAX_PREFIX} characters"),
        ));
    }
    if !data
        .invoice_prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '-'))
    {
        v.push((
            field("invoice_prefix"),
            "may hold letters, digits, '_', '/' and '-' only".into(),
        ));
    }

    if data.settings.len() > MAX_SETTINGS {
        v.push((
            field("settings"),
            format!("at most {MAX_SETTINGS} settings"),
        ));
    }
    for (key, value) in &data.settings {
        let path = format!("{prefix}.settings[{key}]");
        if key.is_empty()
            || key.chars().count() > MAX_SETTING_KEY
            || key.chars().any(char::is_control)
        {
            v.push((
                path.clone(),
                format!("keys are 1 to {MAX_SETTING_KEY} printable characters"),
            ));
        }
        if value.chars().count() > MAX_SETTING_VALUE {
            v.push((
                path,
                format!("values are at most {MAX_SETTING_VALUE} characters"),
            ));
        }
    }

    if v.is_empty() {
        Ok(ValidOrganisation { data, slug_derived })
    } else {
        Err(v)
    }
}

fn default_upper(value: &str, default: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        default.to_owned()
    } else {
        value.to_uppercase()
    }
}

/// Returns why `slug` is not a valid slug, if it is not.
fn check_slug(slug: &str) -> Result<(), &'static str> {
    if !(SLUG_MIN..=SLUG_MAX).contains(&slug.chars().count()) {
        return Err("must be 3 to 63 characters");
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may hold lowercase letters, digits and '-' only");
    }
    if slug.starts_with('-') || slug.ends_with('-') {
        return Err("must not start or end with '-'");
    }
    Ok(())
}

/// Returns whether `tz` has the shape of an IANA zone: "UTC", or a known area followed
/// by one or two segments ("Europe/Paris", "America/Argentina/Buenos_Aires"). The zone
/// database itself is not consulted.
fn is_time_zone_shaped(tz: &str) -> bool {
    if tz == "UTC" {
        return true;
    }
    let parts: Vec<&str> = tz.split('/').collect();
    tz.len() <= MAX_TIME_ZONE
        && (2..=3).contains(&parts.len())
        && TZ_AREAS.contains(&parts[0])
        && parts[1..].iter().all(|p| {
            p.starts_with(|c: char| c.is_ascii_uppercase())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// Returns the ASCII spelling of a lowercase accented Latin letter, if it has one.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Returns a slug for `name`: accents folded to ASCII, letters and digits kept in
/// lowercase, every run of anything else turned into one '-', at most 48 characters,
/// and at least 3 (short or empty results are prefixed with "org").
pub fn derive_slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    };
    for c in name.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(ascii) => ascii.chars().for_each(|a| push(a, &mut out)),
            None => push(c, &mut out),
        }
    }
    out.truncate(DERIVED_SLUG_MAX);
    let out = out.trim_end_matches('-');
    match out.len() {
        0 => "org".to_owned(),
        n if n < SLUG_MIN => format!("org-{out}"),
        _ => out.to_owned(),
    }
}

/// Returns `base` with `-suffix` appended, shortened so the result is a valid slug.
pub fn slug_with_suffix(base: &str, suffix: &str) -> String {
    let room = SLUG_MAX.saturating_sub(suffix.len() + 1);
    let head: String = base.chars().take(room).collect();
    format!("{}-{suffix}", head.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn acme() -> OrganisationData {
        OrganisationData {
            name: "  Acme Assurances  ".into(),
            ..OrganisationData::default()
        }
    }

    fn fields(err: Vec<(String, String)>) -> Vec<String> {
        err.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn defaults_fill_empty_fields() {
        let ok = validate(acme(), "organisation").expect("valid");
        assert!(ok.slug_derived);
        let d = ok.data;
        assert_eq!(d.name, "Acme Assurances");
        assert_eq!(d.slug, "acme-assurances");
        assert_eq!(d.country_code, "FR");
        assert_eq!(d.default_currency, "EUR");
        assert_eq!(d.time_zone, "Europe/Paris");
        assert_eq!(d.invoice_prefix, "F");
    }

    #[test]
    fn given_fields_are_normalised() {
        let data = OrganisationData {
            slug: "acme-42".into(),
            siren: Some("732 829 320".into()),
            country_code: "be".into(),
            default_currency: "chf".into(),
            time_zone: "America/Argentina/Buenos_Aires".into(),
            sepa_creditor_id: Some("fr72zzz123456".into()),
            invoice_prefix: "FA-2026/".into(),
            ..acme()
        };
        let ok = validate(data, "organisation").expect("valid");
        assert!(!ok.slug_derived);
        assert_eq!(ok.data.slug, "acme-42");
        assert_eq!(ok.data.siren.as_deref(), Some("732829320"));
        assert_eq!(ok.data.country_code, "BE");
        assert_eq!(ok.data.default_currency, "CHF");
        assert_eq!(ok.data.sepa_creditor_id.as_deref(), Some("FR72ZZZ123456"));
    }

    #[test]
    fn every_violation_is_reported() {
        let data = OrganisationData {
            name: "x".repeat(201),
            slug: "-Bad_Slug".into(),
            legal_name: "l".repeat(201),
            siren: Some("123456789".into()),
            country_code: "XX".into(),
            default_currency: "ZZZ".into(),
            time_zone: "Paris".into(),
            sepa_creditor_id: Some("FR07ZZZ519993".into()),
            invoice_prefix: "WAY TOO LONG PREFIX".into(),
            settings: BTreeMap::from([(String::new(), "v".into())]),
        };
        let err = fields(validate(data, "organisation").expect_err("invalid"));
        assert_eq!(
            err,
            [
                "organisation.name",
                "organisation.legal_name",
                "organisation.slug",
                "organisation.siren",
                "organisation.country_code",
                "organisation.default_currency",
                "organisation.time_zone",
                "organisation.sepa_creditor_id",
                "organisation.invoice_prefix",
                "organisation.invoice_prefix",
                "organisation.settings[]",
            ]
        );
    }

    #[test]
    fn a_name_is_required_and_settings_are_bounded() {
        let mut data = OrganisationData {
            name: "   ".into(),
            ..OrganisationData::default()
        };
        data.settings = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        data.settings.insert("long".into(), "v".repeat(1001));
        let err = fields(validate(data, "org").expect_err("invalid"));
        assert_eq!(err, ["org.name", "org.settings", "org.settings[long]"]);
    }

    #[test]
    fn slugs_are_checked() {
        assert!(check_slug("abc").is_ok());
        assert!(check_slug("a-1-b").is_ok());
        assert!(check_slug("ab").is_err());
        assert!(check_slug(&"a".repeat(64)).is_err());
        assert!(check_slug(&"a".repeat(63)).is_ok());
        assert!(check_slug("Abc").is_err());
        assert!(check_slug("ab_c").is_err());
        assert!(check_slug("abc-").is_err());
        assert!(check_slug("-abc").is_err());
    }

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(derive_slug("Société Générale"), "societe-generale");
        assert_eq!(
            derive_slug("  L'Œuvre & Fils -- Paris  "),
            "l-oeuvre-fils-paris"
        );
        assert_eq!(derive_slug("Straße 42"), "strasse-42");
        assert_eq!(derive_slug("AB"), "org-ab");
        assert_eq!(derive_slug("日本"), "org");
        assert_eq!(derive_slug(""), "org");
        let long = derive_slug(&"word ".repeat(40));
        assert!(long.len() <= DERIVED_SLUG_MAX);
        assert!(check_slug(&long).is_ok());
        for name in ["Société Générale", "AB", "日本", "a - b"] {
            assert!(check_slug(&derive_slug(name)).is_ok(), "{name}");
        }
    }

    #[test]
    fn suffixes_keep_slugs_valid() {
        assert_eq!(slug_with_suffix("acme", "1a2b3c"), "acme-1a2b3c");
        let long = slug_with_suffix(&"a".repeat(63), "1a2b3c");
        assert_eq!(long.len(), 63);
        assert!(check_slug(&long).is_ok());
        let dashed = slug_with_suffix(&format!("{}-b", "a".repeat(55)), "1a2b3c");
        assert!(check_slug(&dashed).is_ok());
    }

    #[test]
    fn time_zones_need_the_area_city_shape() {
        for tz in ["Europe/Paris", "UTC", "Etc/GMT+5", "America/Port-au-Prince"] {
            assert!(is_time_zone_shaped(tz), "{tz}");
        }
        for tz in [
            "Paris",
            "Europe/",
            "Mars/Olympus",
            "europe/paris",
            "Europe/Paris/X/Y",
        ] {
            assert!(!is_time_zone_shaped(tz), "{tz}");
        }
    }
}
