//! Validation and normalisation of a product's fields and prices. Every problem is
//! reported, each with the path of its field, so the caller can fix them all at once.

use chrono::NaiveDate;

use super::{Frequency, Kind, ProductData, VatCategory};

/// Field violations: (path, description).
pub type Violations = Vec<(String, String)>;

const MAX_CODE: usize = 64;
const MAX_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 4000;
const MAX_CATEGORY: usize = 100;
/// Largest price in minor units: 999 999 999.99 EUR, the largest SEPA amount, so any
/// price can be collected and a quantity times a price stays far from overflowing.
pub const MAX_PRICE_MINOR: i64 = 99_999_999_999;

/// A product's fields as a caller sent them, before checks. The enums are `None` when
/// the caller left them unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Kind.
    pub kind: Option<Kind>,
    /// Billing frequency.
    pub frequency: Option<Frequency>,
    /// VAT category.
    pub vat_category: Option<VatCategory>,
}

/// Returns the problem with a product code, if any: 1 to 64 ASCII letters, digits,
/// ".", "-" or "_", starting with a letter or digit (codes travel in contract lines,
/// invoices and file names).
pub fn validate_code(code: &str) -> Option<String> {
    if code.is_empty() {
        return Some("is required".into());
    }
    if code.len() > MAX_CODE {
        return Some(format!("must be at most {MAX_CODE} characters"));
    }
    let mut chars = code.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !first_ok || !rest_ok {
        return Some(
            "must be letters, digits, '.', '-' or '_', starting with a letter or digit".into(),
        );
    }
    None
}

fn check_text(v: &mut Violations, field: String, text: &str, max: usize, multiline: bool) {
    if text.chars().count() > max {
        v.push((field.clone(), format!("must be at most {max} characters")));
    }
    let bad = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'));
    if text.chars().any(bad) {
        v.push((field, "must not contain control characters".into()));
    }
}

/// Returns `draft` normalised (trimmed) as product fields, or every violation found,
/// with field paths under `prefix` ("product").
pub fn validate(draft: Draft, prefix: &str) -> Result<ProductData, Violations> {
    let mut v = Violations::new();
    let field = |name: &str| format!("{prefix}.{name}");
    let code = draft.code.trim().to_owned();
    let name = draft.name.trim().to_owned();
    let description = draft.description.trim().to_owned();
    let category = draft.category.trim().to_owned();

    if let Some(problem) = validate_code(&code) {
        v.push((field("code"), problem));
    }
    if name.is_empty() {
        v.push((field("name"), "is required".into()));
    }
    check_text(&mut v, field("name"), &name, MAX_NAME, false);
    check_text(
        &mut v,
        field("description"),
        &description,
        MAX_DESCRIPTION,
        true,
    );
    check_text(&mut v, field("category"), &category, MAX_CATEGORY, false);
    match (draft.kind, draft.frequency) {
        (None, _) => v.push((field("kind"), "is required".into())),
        (Some(Kind::Subscription), None) => v.push((
            field("billing_frequency"),
            "is required for a subscription".into(),
        )),
        (Some(Kind::OneOff), Some(_)) => v.push((
            field("billing_frequency"),
            "must be unset for a one-off product".into(),
        )),
        _ => {}
    }
    if draft.vat_category.is_none() {
        v.push((field("vat_category"), "is required".into()));
    }
    match (draft.kind, draft.vat_category) {
        (Some(kind), Some(vat_category)) if v.is_empty() => Ok(ProductData {
            code,
            name,
            description,
            category,
            kind,
            frequency: draft.frequency,
            vat_category,
        }),
        _ => Err(v),
    }
}

/// Returns the problem with a price amount in minor units, if any.
pub fn validate_amount(amount_minor: i64) -> Option<String> {
    if !(0..=MAX_PRICE_MINOR).contains(&amount_minor) {
        return Some(format!(
            "must be between 0 and {MAX_PRICE_MINOR} minor units"
        ));
    }
    None
}

/// Returns the problem with a price's first day, if any: years 1900 to 9999, so that
/// the day before always exists and dates sort as text on every backend.
pub fn validate_valid_from(date: NaiveDate) -> Option<String> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31);
    match (first, last) {
        (Some(first), Some(last)) if (first..=last).contains(&date) => None,
        _ => Some("must be between 1900-01-01 and 9999-12-31".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            code: " PREV-01 ".into(),
            name: " Prévoyance ".into(),
            description: "Ligne 1\nLigne 2".into(),
            category: "prevoyance".into(),
            kind: Some(Kind::Subscription),
            frequency: Some(Frequency::Monthly),
            vat_category: Some(VatCategory::Exempt),
        }
    }

    fn fields(v: &Violations) -> Vec<&str> {
        v.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn a_valid_draft_is_trimmed() {
        let data = validate(draft(), "product").expect("valid");
        assert_eq!(data.code, "PREV-01");
        assert_eq!(data.name, "Prévoyance");
        assert_eq!(data.description, "Ligne 1\nLigne 2");
    }

    #[test]
    fn every_problem_is_reported() {
        let bad = Draft {
            code: "-bad code".into(),
            name: "  ".into(),
            description: "x".repeat(MAX_DESCRIPTION + 1),
            category: "a\u{7}b".into(),
            kind: None,
            frequency: Some(Frequency::Annual),
            vat_category: None,
        };
        let v = validate(bad, "product").expect_err("invalid");
        assert_eq!(
            fields(&v),
            [
                "product.code",
                "product.name",
                "product.description",
                "product.category",
                "product.kind",
                "product.vat_category"
            ]
        );
    }

    #[test]
    fn frequency_follows_the_kind() {
        let mut d = draft();
        d.frequency = None;
        let v = validate(d, "product").expect_err("subscription");
        assert_eq!(fields(&v), ["product.billing_frequency"]);
        let mut d = draft();
        d.kind = Some(Kind::OneOff);
        let v = validate(d.clone(), "product").expect_err("one-off");
        assert_eq!(fields(&v), ["product.billing_frequency"]);
        d.frequency = None;
        assert!(validate(d, "product").is_ok());
    }

    #[test]
    fn codes() {
        for ok in ["A", "prev-01", "X.Y_Z", &"a".repeat(64)] {
            assert_eq!(validate_code(ok), None, "{ok}");
        }
        for bad in ["", "-a", "a b", "é", &"a".repeat(65), "a/b"] {
            assert!(validate_code(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn amounts_and_dates() {
        assert_eq!(validate_amount(0), None);
        assert_eq!(validate_amount(MAX_PRICE_MINOR), None);
        assert!(validate_amount(-1).is_some());
        assert!(validate_amount(MAX_PRICE_MINOR + 1).is_some());
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(validate_valid_from(d(1900, 1, 1)), None);
        assert!(validate_valid_from(d(1899, 12, 31)).is_some());
        assert!(validate_valid_from(d(10000, 1, 1)).is_some());
    }
}
