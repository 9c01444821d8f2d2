//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (codes, enums in range, dates, masks, page tokens).

use chrono::NaiveDate;
use crm_proto::common::v1 as common;
use crm_proto::referentiel::v1 as pb;
use crm_shared::Rate;

use crate::domain::lists::{self, Change};
use crate::domain::page::{self, Cursor};
use crate::domain::rates::{self, EcbAnswer};
use crate::domain::{
    Civility, Country, Currency, LegalForm, LegalInterestRate, ListValue, ReasonClass, ReasonCode,
    VatCategory, VatRate,
};

pub use crm_kit::convert::{Violations, date_from_proto, date_to_proto, timestamp};

/// Returns `Err(InvalidArgument)` with every violation, or `Ok` when there are none.
pub fn check(v: Violations) -> Result<(), crate::Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::InvalidArgument(v))
    }
}

/// Returns `code` when it is an ISO 3166-1 alpha-2 code (uppercase), recording a
/// violation otherwise.
pub fn country_code(code: &str, field: &str, v: &mut Violations) -> Option<String> {
    if code.is_empty() {
        v.push((field.to_owned(), "is required".into()));
        return None;
    }
    if !crm_shared::validate::is_iso_country_code(code) {
        v.push((
            field.to_owned(),
            "must be an uppercase ISO 3166-1 alpha-2 code".into(),
        ));
        return None;
    }
    Some(code.to_owned())
}

/// Returns the country filter: `None` when empty.
pub fn optional_country_code(code: &str, field: &str, v: &mut Violations) -> Option<String> {
    if code.is_empty() {
        None
    } else {
        country_code(code, field, v)
    }
}

/// Returns the VAT category of a proto value; `None` (with a violation when `required`
/// or out of range) otherwise.
pub fn vat_category(
    value: i32,
    field: &str,
    required: bool,
    v: &mut Violations,
) -> Option<VatCategory> {
    let category = match pb::VatCategory::try_from(value) {
        Ok(pb::VatCategory::Unspecified) => {
            if required {
                v.push((field.to_owned(), "is required".into()));
            }
            return None;
        }
        Ok(pb::VatCategory::Standard) => VatCategory::Standard,
        Ok(pb::VatCategory::Intermediate) => VatCategory::Intermediate,
        Ok(pb::VatCategory::Reduced) => VatCategory::Reduced,
        Ok(pb::VatCategory::SuperReduced) => VatCategory::SuperReduced,
        Ok(pb::VatCategory::Exempt) => VatCategory::Exempt,
        Err(_) => {
            v.push((field.to_owned(), "is not a known VAT category".into()));
            return None;
        }
    };
    Some(category)
}

fn vat_category_to_proto(c: VatCategory) -> pb::VatCategory {
    match c {
        VatCategory::Standard => pb::VatCategory::Standard,
        VatCategory::Intermediate => pb::VatCategory::Intermediate,
        VatCategory::Reduced => pb::VatCategory::Reduced,
        VatCategory::SuperReduced => pb::VatCategory::SuperReduced,
        VatCategory::Exempt => pb::VatCategory::Exempt,
    }
}

/// Returns the class filter of a proto value: `None` for unspecified, a violation when
/// out of range.
pub fn reason_class(value: i32, field: &str, v: &mut Violations) -> Option<ReasonClass> {
    match pb::ReasonClass::try_from(value) {
        Ok(pb::ReasonClass::Unspecified) => None,
        Ok(pb::ReasonClass::Soft) => Some(ReasonClass::Soft),
        Ok(pb::ReasonClass::Hard) => Some(ReasonClass::Hard),
        Ok(pb::ReasonClass::Technical) => Some(ReasonClass::Technical),
        Ok(pb::ReasonClass::Dispute) => Some(ReasonClass::Dispute),
        Err(_) => {
            v.push((field.to_owned(), "is not a known reason class".into()));
            None
        }
    }
}

fn reason_class_to_proto(c: ReasonClass) -> pb::ReasonClass {
    match c {
        ReasonClass::Soft => pb::ReasonClass::Soft,
        ReasonClass::Hard => pb::ReasonClass::Hard,
        ReasonClass::Technical => pb::ReasonClass::Technical,
        ReasonClass::Dispute => pb::ReasonClass::Dispute,
    }
}

/// Checks a SEPA reason code's form: four uppercase letters or digits.
pub fn reason_code(code: &str, field: &str, v: &mut Violations) {
    if code.is_empty() {
        v.push((field.to_owned(), "is required".into()));
    } else if code.len() != 4
        || !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        v.push((
            field.to_owned(),
            "must be four uppercase letters or digits".into(),
        ));
    }
}

/// Returns a required date, recording a violation when missing or invalid.
pub fn required_date(
    date: Option<&common::Date>,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    match date {
        None => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
        Some(d) => date_from_proto(d, field, v),
    }
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Rows per page.
    pub size: usize,
    /// Where to continue, when not the first page.
    pub after: Option<Cursor>,
    /// The filters' fingerprint, carried by the next page's token.
    pub filters: u64,
}

/// Returns the page request of `page_size` and `page_token` under `filters` (the
/// request's filter fields as text), recording violations.
pub fn page_request(
    page_size: i32,
    page_token: &str,
    filters: &[&str],
    (default, max): (usize, usize),
    v: &mut Violations,
) -> PageRequest {
    let fingerprint = crm_db::page::fingerprint(filters);
    let size = page::size(page_size, default, max).unwrap_or_else(|e| {
        v.push(("page_size".into(), e.into()));
        default
    });
    let after = Cursor::decode(page_token, fingerprint).unwrap_or_else(|e| {
        v.push(("page_token".into(), e.into()));
        None
    });
    PageRequest {
        size,
        after,
        filters: fingerprint,
    }
}

/// Returns the token of the page after the row with `key` (and `position`).
pub fn next_token(key: Option<String>, position: i64, filters: u64) -> String {
    key.map(|key| {
        Cursor {
            key,
            position,
            filters,
        }
        .encode()
    })
    .unwrap_or_default()
}

/// Cuts the page `page` asks for out of `rows` (sorted by `key`) and converts it, with
/// the next page's token.
pub fn paged<T, P>(
    rows: Vec<T>,
    key: impl Fn(&T) -> String,
    page: &PageRequest,
    to_proto: impl Fn(T) -> P,
) -> (Vec<P>, String) {
    let after = page.after.as_ref().map(|c| c.key.as_str());
    let (rows, next) = page::cut(rows, key, after, page.size);
    let token = next_token(next, 0, page.filters);
    (rows.into_iter().map(to_proto).collect(), token)
}

/// Returns the exact proto form of a rate in basis points.
pub fn percentage(bps: i32) -> pb::Percentage {
    pb::Percentage {
        basis_points: bps,
        percent: Rate::from_bps(bps).format_percent(),
    }
}

/// Returns the proto form of a country.
pub fn country_to_proto(c: Country) -> pb::Country {
    pb::Country {
        code: c.code,
        name: c.name,
        name_fr: c.name_fr,
        sepa: c.sepa,
        eu_member: c.eu_member,
        iban_length: c.iban_length.unwrap_or(0),
    }
}

/// Returns the proto form of a currency.
pub fn currency_to_proto(c: Currency) -> pb::Currency {
    pb::Currency {
        code: c.code,
        numeric_code: c.numeric_code,
        name: c.name,
        minor_units: c.minor_units,
    }
}

/// Returns the proto form of a VAT rate.
pub fn vat_rate_to_proto(r: VatRate) -> pb::VatRate {
    pb::VatRate {
        country_code: r.country_code,
        category: vat_category_to_proto(r.category) as i32,
        category_key: r.category.key().to_owned(),
        rate: Some(percentage(r.rate_bps)),
        valid_from: Some(date_to_proto(r.valid_from)),
        valid_to: r.valid_to.map(date_to_proto),
        description: r.description,
    }
}

/// Returns the proto form of a reason code.
pub fn reason_code_to_proto(r: ReasonCode) -> pb::ReasonCode {
    pb::ReasonCode {
        code: r.code,
        meaning: r.meaning,
        reason_class: reason_class_to_proto(r.class) as i32,
        action: r.action,
        retryable: r.retryable,
        retry_limit: r.retry_limit,
        retry_countries: r.retry_countries,
        fails_mandate: r.fails_mandate,
    }
}

/// Returns the proto form of a legal interest period.
pub fn legal_interest_to_proto(r: LegalInterestRate) -> pb::LegalInterestRate {
    pb::LegalInterestRate {
        country_code: r.country_code,
        valid_from: Some(date_to_proto(r.valid_from)),
        valid_to: Some(date_to_proto(r.valid_to)),
        individual_rate: Some(percentage(r.individual_bps)),
        other_rate: Some(percentage(r.other_bps)),
        min_contractual_penalty_rate: Some(percentage(rates::min_contractual_penalty_bps(
            r.other_bps,
        ))),
    }
}

/// Returns the proto form of an ECB answer.
pub fn ecb_to_proto(a: EcbAnswer) -> pb::EcbRate {
    pb::EcbRate {
        rate: Some(percentage(a.rate_bps)),
        valid_from: Some(date_to_proto(a.valid_from)),
        valid_to: a.valid_to.map(date_to_proto),
        penalty_reference_rate: a.reference_bps.map(percentage),
        default_late_penalty_rate: a.default_penalty_bps().map(percentage),
        half_year_start: Some(date_to_proto(a.half_year_start)),
    }
}

/// Returns the proto form of a civility.
pub fn civility_to_proto(c: Civility) -> pb::Civility {
    pb::Civility {
        code: c.code,
        label: c.label,
        abbreviation: c.abbreviation,
        position: c.position,
    }
}

/// Returns the proto form of a legal form.
pub fn legal_form_to_proto(f: LegalForm) -> pb::LegalForm {
    pb::LegalForm {
        country_code: f.country_code,
        code: f.code,
        name: f.name,
        insee_code: f.insee_code,
        legal_person: f.legal_person,
    }
}

/// Returns the proto form of a list value.
pub fn value_to_proto(value: ListValue) -> pb::Value {
    pb::Value {
        code: value.code,
        label: value.label,
        position: value.position,
        active: value.active,
        version: value.version,
        create_time: Some(timestamp(value.created_at)),
        update_time: Some(timestamp(value.updated_at)),
    }
}

/// Checks a list key, recording a violation at `field`.
pub fn list_key(key: &str, field: &str, v: &mut Violations) {
    if let Err(e) = lists::check_list_key(key) {
        v.push((field.to_owned(), e.into()));
    }
}

/// Checks a value code, recording a violation at `field`.
pub fn value_code(code: &str, field: &str, v: &mut Violations) {
    if let Err(e) = lists::check_code(code) {
        v.push((field.to_owned(), e.into()));
    }
}

/// Fields UpsertValue may set, as mask paths.
const SETTABLE: &[&str] = &["label", "position", "active"];

/// Returns the change an UpsertValue asks for: the fields named by `mask` (or, without
/// one, every field with a non-default value), each checked. Records every violation.
pub fn change_from_proto(
    value: &pb::Value,
    mask: Option<&prost_types::FieldMask>,
    v: &mut Violations,
) -> Change {
    let paths: Vec<String> = match mask {
        Some(m) if !m.paths.is_empty() => m.paths.clone(),
        _ => {
            let mut implicit = Vec::new();
            if !value.label.is_empty() {
                implicit.push("label".to_owned());
            }
            if value.position != 0 {
                implicit.push("position".to_owned());
            }
            if value.active {
                implicit.push("active".to_owned());
            }
            implicit
        }
    };
    let mut change = Change::default();
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "label" => match lists::check_label(&value.label) {
                Ok(label) => change.label = Some(label),
                Err(e) => v.push(("value.label".into(), e.into())),
            },
            "position" => match lists::check_position(value.position) {
                Ok(()) => change.position = Some(value.position),
                Err(e) => v.push(("value.position".into(), e.into())),
            },
            "active" => change.active = Some(value.active),
            other => v.push((
                format!("update_mask.paths[{i}]"),
                format!("{other:?} is not one of {SETTABLE:?}"),
            )),
        }
    }
    if value.version < 0 {
        v.push(("value.version".into(), "must not be negative".into()));
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact() {
        assert_eq!(percentage(550).percent, "5.5");
        assert_eq!(percentage(2000).percent, "20");
        assert_eq!(percentage(1960).percent, "19.6");
        assert_eq!(percentage(215).percent, "2.15");
        assert_eq!(percentage(5).percent, "0.05");
        assert_eq!(percentage(0).percent, "0");
    }

    #[test]
    fn codes_and_enums_are_checked() {
        let mut v = Violations::new();
        assert_eq!(country_code("FR", "a", &mut v), Some("FR".into()));
        assert_eq!(country_code("fr", "b", &mut v), None);
        assert_eq!(country_code("ZZ", "c", &mut v), None);
        assert_eq!(country_code("", "d", &mut v), None);
        assert_eq!(optional_country_code("", "e", &mut v), None);
        assert_eq!(vat_category(0, "f", false, &mut v), None);
        assert_eq!(vat_category(0, "g", true, &mut v), None);
        assert_eq!(vat_category(42, "h", false, &mut v), None);
        assert_eq!(reason_class(9, "i", &mut v), None);
        reason_code("am04", "j", &mut v);
        reason_code("AM04", "k", &mut v);
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["b", "c", "d", "g", "h", "i", "j"]);
    }

    #[test]
    fn masks_name_the_fields_to_set() {
        let value = pb::Value {
            code: "web".into(),
            label: " Site web ".into(),
            position: 0,
            active: false,
            ..Default::default()
        };
        let mut v = Violations::new();
        let change = change_from_proto(&value, None, &mut v);
        assert!(v.is_empty());
        assert_eq!(change.label.as_deref(), Some("Site web"));
        assert_eq!((change.position, change.active), (None, None));
        let mask = prost_types::FieldMask {
            paths: vec!["active".into(), "code".into(), "position".into()],
        };
        let change = change_from_proto(&value, Some(&mask), &mut v);
        assert_eq!((change.active, change.position), (Some(false), Some(0)));
        assert_eq!(change.label, None);
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[1]"]);
    }
}
