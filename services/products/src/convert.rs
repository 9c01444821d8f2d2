//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, dates, money, masks).

use chrono::NaiveDate;
use crm_proto::common::v1 as common;
use crm_proto::products::v1 as pb;
use crm_shared::Currency;

use crate::domain::{
    Draft, Frequency, Kind, PricePeriod, PricedProduct, ProductData, Status, VatCategory,
    validate_amount,
};

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, optional_uuid, timestamp, uuid_field,
};

/// Appends `more` to `v`, leaving out fields `v` already names: one problem per field is
/// enough, and a malformed enum would otherwise also be reported as missing.
pub fn merge(v: &mut Violations, more: Violations) {
    for (field, problem) in more {
        if !v.iter().any(|(f, _)| *f == field) {
            v.push((field, problem));
        }
    }
}

fn unknown(v: &mut Violations, field: &str, what: &str) {
    v.push((field.to_owned(), format!("is not a known {what}")));
}

/// Returns the kind of a proto value: `None` for unset, and for unknown values, which
/// are recorded in `v`.
pub fn kind_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Kind> {
    match pb::ProductKind::try_from(value) {
        Ok(pb::ProductKind::Unspecified) => None,
        Ok(pb::ProductKind::Subscription) => Some(Kind::Subscription),
        Ok(pb::ProductKind::OneOff) => Some(Kind::OneOff),
        Err(_) => {
            unknown(v, field, "product kind");
            None
        }
    }
}

fn frequency_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Frequency> {
    match pb::BillingFrequency::try_from(value) {
        Ok(pb::BillingFrequency::Unspecified) => None,
        Ok(pb::BillingFrequency::Monthly) => Some(Frequency::Monthly),
        Ok(pb::BillingFrequency::Quarterly) => Some(Frequency::Quarterly),
        Ok(pb::BillingFrequency::SemiAnnual) => Some(Frequency::SemiAnnual),
        Ok(pb::BillingFrequency::Annual) => Some(Frequency::Annual),
        Err(_) => {
            unknown(v, field, "billing frequency");
            None
        }
    }
}

fn vat_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<VatCategory> {
    match pb::VatCategory::try_from(value) {
        Ok(pb::VatCategory::Unspecified) => None,
        Ok(pb::VatCategory::Standard) => Some(VatCategory::Standard),
        Ok(pb::VatCategory::Intermediate) => Some(VatCategory::Intermediate),
        Ok(pb::VatCategory::Reduced) => Some(VatCategory::Reduced),
        Ok(pb::VatCategory::SuperReduced) => Some(VatCategory::SuperReduced),
        Ok(pb::VatCategory::Exempt) => Some(VatCategory::Exempt),
        Err(_) => {
            unknown(v, field, "VAT category");
            None
        }
    }
}

/// Returns the status of a proto value: `None` for unset, and for unknown values, which
/// are recorded in `v`.
pub fn status_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Status> {
    match pb::ProductStatus::try_from(value) {
        Ok(pb::ProductStatus::Unspecified) => None,
        Ok(pb::ProductStatus::Active) => Some(Status::Active),
        Ok(pb::ProductStatus::Archived) => Some(Status::Archived),
        Err(_) => {
            unknown(v, field, "product status");
            None
        }
    }
}

/// Returns the proto value of a kind.
pub fn kind_to_proto(k: Kind) -> pb::ProductKind {
    match k {
        Kind::Subscription => pb::ProductKind::Subscription,
        Kind::OneOff => pb::ProductKind::OneOff,
    }
}

/// Returns the proto value of a billing frequency (unspecified for none).
pub fn frequency_to_proto(f: Option<Frequency>) -> pb::BillingFrequency {
    match f {
        None => pb::BillingFrequency::Unspecified,
        Some(Frequency::Monthly) => pb::BillingFrequency::Monthly,
        Some(Frequency::Quarterly) => pb::BillingFrequency::Quarterly,
        Some(Frequency::SemiAnnual) => pb::BillingFrequency::SemiAnnual,
        Some(Frequency::Annual) => pb::BillingFrequency::Annual,
    }
}

fn vat_to_proto(c: VatCategory) -> pb::VatCategory {
    match c {
        VatCategory::Standard => pb::VatCategory::Standard,
        VatCategory::Intermediate => pb::VatCategory::Intermediate,
        VatCategory::Reduced => pb::VatCategory::Reduced,
        VatCategory::SuperReduced => pb::VatCategory::SuperReduced,
        VatCategory::Exempt => pb::VatCategory::Exempt,
    }
}

/// Returns the proto value of a status.
pub fn status_to_proto(s: Status) -> pb::ProductStatus {
    match s {
        Status::Active => pb::ProductStatus::Active,
        Status::Archived => pb::ProductStatus::Archived,
    }
}

/// Returns the fields of a proto product as a draft for the domain's checks; malformed
/// enums are recorded in `v` (unset ones are the domain's to report).
pub fn draft_from_proto(p: &pb::Product, prefix: &str, v: &mut Violations) -> Draft {
    let field = |name: &str| format!("{prefix}.{name}");
    Draft {
        code: p.code.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        category: p.category.clone(),
        kind: kind_from_proto(p.kind, &field("kind"), v),
        frequency: frequency_from_proto(p.billing_frequency, &field("billing_frequency"), v),
        vat_category: vat_from_proto(p.vat_category, &field("vat_category"), v),
    }
}

/// Returns the currency of a product being created: EUR when unset.
pub fn currency_from_proto(code: &str, field: &str, v: &mut Violations) -> Option<String> {
    let code = code.trim();
    if code.is_empty() {
        return Some(Currency::EUR.code().to_owned());
    }
    match Currency::from_code(code) {
        Ok(c) => Some(c.code().to_owned()),
        Err(_) => {
            v.push((
                field.to_owned(),
                "must be a supported ISO 4217 code in capitals, for example EUR".into(),
            ));
            None
        }
    }
}

/// Returns the amount of a price in `currency`, recording in `v` a missing price, a
/// currency other than the product's and an amount out of range.
pub fn price_from_proto(
    m: Option<&common::Money>,
    field: &str,
    currency: Option<&str>,
    v: &mut Violations,
) -> Option<i64> {
    let Some(m) = m else {
        v.push((field.to_owned(), "is required".into()));
        return None;
    };
    let mut ok = currency.is_none_or(|c| check_currency(m, field, c, v));
    if let Some(problem) = validate_amount(m.amount_minor) {
        v.push((format!("{field}.amount_minor"), problem));
        ok = false;
    }
    ok.then_some(m.amount_minor)
}

/// Returns whether the price `m` is in `currency`, recording a violation when not.
pub fn check_currency(m: &common::Money, field: &str, currency: &str, v: &mut Violations) -> bool {
    if m.currency_code == currency {
        return true;
    }
    v.push((
        format!("{field}.currency_code"),
        format!("must be the product's currency {currency}"),
    ));
    false
}

/// Returns the date of an optional proto date, recording a missing or invalid one.
pub fn required_date(
    d: Option<&common::Date>,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    match d {
        Some(d) => date_from_proto(d, field, v),
        None => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
    }
}

/// Returns the proto form of a price period.
pub fn price_to_proto(p: PricePeriod) -> pb::PricePeriod {
    pb::PricePeriod {
        id: p.id.to_string(),
        product_id: p.product_id.to_string(),
        price: Some(common::Money {
            currency_code: p.currency,
            amount_minor: p.amount_minor,
        }),
        valid_from: Some(date_to_proto(p.valid_from)),
        valid_to: p.valid_to.map(date_to_proto),
        create_time: Some(timestamp(p.created_at)),
    }
}

/// Returns the proto form of a product and its current price.
pub fn product_to_proto(p: PricedProduct) -> pb::Product {
    let PricedProduct {
        product,
        current_price,
    } = p;
    let d = product.data;
    pb::Product {
        id: product.id.to_string(),
        code: d.code,
        name: d.name,
        description: d.description,
        category: d.category,
        kind: kind_to_proto(d.kind) as i32,
        billing_frequency: frequency_to_proto(d.frequency) as i32,
        vat_category: vat_to_proto(d.vat_category) as i32,
        status: status_to_proto(product.status) as i32,
        currency_code: product.currency,
        current_price: current_price.map(price_to_proto),
        create_time: Some(timestamp(product.created_at)),
        update_time: Some(timestamp(product.updated_at)),
        version: product.version,
    }
}

/// Fields UpdateProduct may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "code",
    "name",
    "description",
    "category",
    "kind",
    "billing_frequency",
    "vat_category",
];

/// Returns the mask paths of every updatable field set in `p`, for an update without a
/// mask.
pub fn implicit_mask(p: &pb::Product) -> Vec<String> {
    [
        (!p.code.is_empty(), "code"),
        (!p.name.is_empty(), "name"),
        (!p.description.is_empty(), "description"),
        (!p.category.is_empty(), "category"),
        (p.kind != 0, "kind"),
        (p.billing_frequency != 0, "billing_frequency"),
        (p.vat_category != 0, "vat_category"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

/// Copies the fields named by `paths` from `incoming` onto the fields of `target`.
/// Unknown and immutable paths are recorded in `v`.
pub fn apply_mask(target: &mut Draft, incoming: &Draft, paths: &[String], v: &mut Violations) {
    for (i, path) in paths.iter().enumerate() {
        let problem = match path.as_str() {
            "code" => {
                target.code = incoming.code.clone();
                continue;
            }
            "name" => {
                target.name = incoming.name.clone();
                continue;
            }
            "description" => {
                target.description = incoming.description.clone();
                continue;
            }
            "category" => {
                target.category = incoming.category.clone();
                continue;
            }
            "kind" => {
                target.kind = incoming.kind;
                continue;
            }
            "billing_frequency" => {
                target.frequency = incoming.frequency;
                continue;
            }
            "vat_category" => {
                target.vat_category = incoming.vat_category;
                continue;
            }
            "status" => "use ArchiveProduct to archive a product".to_owned(),
            "currency_code" => "the currency is fixed at creation".to_owned(),
            "current_price" => "use SetPrice to change the price".to_owned(),
            other => format!(
                "{other:?} is not a field that can be updated (one of {})",
                UPDATABLE.join(", ")
            ),
        };
        v.push((format!("update_mask.paths[{i}]"), problem));
    }
}

/// Returns the draft form of stored product fields, the base an update applies to.
pub fn draft_of(d: &ProductData) -> Draft {
    Draft {
        code: d.code.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        category: d.category.clone(),
        kind: Some(d.kind),
        frequency: d.frequency,
        vat_category: Some(d.vat_category),
    }
}

/// Returns the paths of the fields that differ between `before` and `after`.
pub fn changed_paths(before: &ProductData, after: &ProductData) -> Vec<String> {
    [
        (before.code != after.code, "code"),
        (before.name != after.name, "name"),
        (before.description != after.description, "description"),
        (before.category != after.category, "category"),
        (before.kind != after.kind, "kind"),
        (before.frequency != after.frequency, "billing_frequency"),
        (before.vat_category != after.vat_category, "vat_category"),
    ]
    .into_iter()
    .filter(|(changed, _)| *changed)
    .map(|(_, name)| name.to_owned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_copy_named_fields_and_name_the_rest() {
        let mut target = Draft {
            name: "Old".into(),
            code: "A".into(),
            ..Default::default()
        };
        let incoming = Draft {
            name: "New".into(),
            code: "B".into(),
            kind: Some(Kind::OneOff),
            ..Default::default()
        };
        let mut v = Violations::new();
        let paths = ["name", "kind", "status", "currency_code", "id"].map(String::from);
        apply_mask(&mut target, &incoming, &paths, &mut v);
        assert_eq!(target.name, "New");
        assert_eq!(target.code, "A");
        assert_eq!(target.kind, Some(Kind::OneOff));
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "update_mask.paths[2]",
                "update_mask.paths[3]",
                "update_mask.paths[4]"
            ]
        );
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Product {
            name: "x".into(),
            vat_category: pb::VatCategory::Exempt as i32,
            status: pb::ProductStatus::Archived as i32,
            ..Default::default()
        };
        assert_eq!(implicit_mask(&p), ["name", "vat_category"]);
    }

    #[test]
    fn prices_need_the_product_currency_and_a_range() {
        let mut v = Violations::new();
        let m = common::Money {
            currency_code: "USD".into(),
            amount_minor: -5,
        };
        assert_eq!(
            price_from_proto(Some(&m), "price", Some("EUR"), &mut v),
            None
        );
        assert_eq!(price_from_proto(None, "initial_price", None, &mut v), None);
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["price.currency_code", "price.amount_minor", "initial_price"]
        );
        let mut v = Violations::new();
        assert_eq!(currency_from_proto("", "c", &mut v), Some("EUR".into()));
        assert_eq!(currency_from_proto("eur", "c", &mut v), None);
        assert_eq!(currency_from_proto("XXX", "c", &mut v), None);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn merging_keeps_one_problem_per_field() {
        let mut v = vec![("product.kind".to_owned(), "is not a known kind".to_owned())];
        merge(
            &mut v,
            vec![
                ("product.kind".into(), "is required".into()),
                ("product.name".into(), "is required".into()),
            ],
        );
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1, "is not a known kind");
    }
}
