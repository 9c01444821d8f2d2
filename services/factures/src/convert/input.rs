//! Requests to domain inputs, with every malformed field recorded: the fields of a draft
//! (create, and update with its field mask) and the lines of drafts and credit notes.

use chrono::NaiveDate;
use crm_proto::common::v1 as common;
use crm_proto::factures::v1 as pb;
use uuid::Uuid;

use super::{Violations, date_from_proto, optional_uuid, uuid_field};
use crate::domain::{Line, MAX_LINES, MAX_QUANTITY, MAX_TEXT, MAX_UNIT_PRICE, Period, VatCategory};

/// Currency of a draft that names none.
pub const DEFAULT_CURRENCY: &str = "EUR";

/// The fields of a draft as parsed; the references are kept even when other fields are
/// wrong, so that their checks in other services are reported with everything else.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    /// The client, when well formed.
    pub client_id: Option<Uuid>,
    /// The contract, when given and well formed.
    pub contract_id: Option<Uuid>,
    /// The currency.
    pub currency: String,
    /// The well-formed lines.
    pub lines: Vec<Line>,
    /// The service period.
    pub service_period: Option<Period>,
}

/// Returns the currency of `code` ("EUR" when empty), recording a violation when the
/// platform does not know it.
pub fn currency(code: &str, field: &str, v: &mut Violations) -> String {
    let code = code.trim();
    if code.is_empty() {
        return DEFAULT_CURRENCY.to_owned();
    }
    if crm_shared::Currency::from_code(code).is_err() {
        v.push((field.to_owned(), "is not a supported ISO 4217 code".into()));
    }
    code.to_owned()
}

/// Returns a period of two optional dates: both or neither, the end not before the
/// start.
pub fn period(
    start: Option<&common::Date>,
    end: Option<&common::Date>,
    prefix: &str,
    v: &mut Violations,
) -> Option<Period> {
    let f = |name: &str| format!("{prefix}{name}");
    match (start, end) {
        (None, None) => None,
        (Some(_), None) => {
            v.push((
                f("service_period_end"),
                "is required with service_period_start".into(),
            ));
            None
        }
        (None, Some(_)) => {
            v.push((
                f("service_period_start"),
                "is required with service_period_end".into(),
            ));
            None
        }
        (Some(s), Some(e)) => {
            let s = date_from_proto(s, &f("service_period_start"), v);
            let e = date_from_proto(e, &f("service_period_end"), v);
            match (s, e) {
                (Some(start), Some(end)) if end < start => {
                    v.push((
                        f("service_period_end"),
                        "must not be before the start".into(),
                    ));
                    None
                }
                (Some(start), Some(end)) => Some(Period { start, end }),
                _ => None,
            }
        }
    }
}

/// Returns a required, trimmed text of at most [`MAX_TEXT`] characters.
pub fn text(text: &str, field: &str, v: &mut Violations) -> String {
    let text = text.trim();
    if text.is_empty() {
        v.push((field.to_owned(), "is required".into()));
    } else if text.chars().count() > MAX_TEXT {
        v.push((
            field.to_owned(),
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    text.to_owned()
}

/// Returns the well-formed lines of `lines` (fields under `prefix`, for example
/// "invoice.lines"), recording every violation; at least one line is required. Their
/// prices must be in `currency` when it is known (an empty code means that currency).
pub fn lines(
    lines: &[pb::InvoiceLine],
    currency: Option<&str>,
    prefix: &str,
    v: &mut Violations,
) -> Vec<Line> {
    if lines.is_empty() {
        v.push((prefix.to_owned(), "at least one line is required".into()));
    }
    if lines.len() > MAX_LINES {
        v.push((prefix.to_owned(), format!("at most {MAX_LINES} lines")));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let f = |name: &str| format!("{prefix}[{i}].{name}");
        let before = v.len();
        let label = text(&l.label, &f("label"), v);
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            v.push((
                f("quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let unit_price = match &l.unit_price {
            None => {
                v.push((f("unit_price"), "is required".into()));
                0
            }
            Some(m) => {
                if !(0..=MAX_UNIT_PRICE).contains(&m.amount_minor) {
                    v.push((
                        f("unit_price.amount_minor"),
                        format!("must be between 0 and {MAX_UNIT_PRICE}"),
                    ));
                }
                let code = m.currency_code.trim();
                if let Some(currency) = currency
                    && !code.is_empty()
                    && code != currency
                {
                    v.push((
                        f("unit_price.currency_code"),
                        format!("must be {currency}, the document's currency"),
                    ));
                }
                m.amount_minor
            }
        };
        let category = VatCategory::parse(l.vat_category.trim());
        if category.is_none() {
            let problem = if l.vat_category.trim().is_empty() {
                "is required".to_owned()
            } else {
                "must be standard, intermediate, reduced, super_reduced or exempt".to_owned()
            };
            v.push((f("vat_category"), problem));
        }
        let service_period = period(
            l.service_period_start.as_ref(),
            l.service_period_end.as_ref(),
            &format!("{prefix}[{i}]."),
            v,
        );
        let product_id = optional_uuid(&l.product_id, &f("product_id"), v);
        if let (Some(vat_category), true) = (category, v.len() == before) {
            out.push(Line {
                label,
                quantity: l.quantity,
                unit_price,
                vat_category,
                vat_rate_bps: 0,
                service_period,
                product_id,
            });
        }
    }
    out
}

/// Records a violation at `field` when the well-formed lines bill nothing.
pub fn positive_total(lines: &[Line], field: &str, v: &mut Violations) {
    if !lines.is_empty() && lines.iter().map(Line::net).sum::<i64>() <= 0 {
        v.push((
            field.to_owned(),
            "the lines must bill a positive amount".into(),
        ));
    }
}

/// Returns the fields of a draft `p` (under "invoice."), recording every violation.
pub fn draft(p: &pb::Invoice, v: &mut Violations) -> DraftInput {
    let before = v.len();
    let currency = currency(&p.currency_code, "invoice.currency_code", v);
    // The lines' prices are compared with the currency only when it is a real one.
    let known = (v.len() == before).then_some(currency.as_str());
    let parsed = lines(&p.lines, known, "invoice.lines", v);
    positive_total(&parsed, "invoice.lines", v);
    DraftInput {
        client_id: uuid_field(&p.client_id, "invoice.client_id", v),
        contract_id: optional_uuid(&p.contract_id, "invoice.contract_id", v),
        service_period: period(
            p.service_period_start.as_ref(),
            p.service_period_end.as_ref(),
            "invoice.",
            v,
        ),
        currency,
        lines: parsed,
    }
}

/// Fields UpdateDraftInvoice may change, as update-mask paths.
pub const UPDATABLE: &[&str] = &[
    "client_id",
    "contract_id",
    "currency_code",
    "lines",
    "service_period_start",
    "service_period_end",
];

/// Returns the mask paths of every updatable field set in `p`, for an update without a
/// mask.
pub fn implicit_mask(p: &pb::Invoice) -> Vec<String> {
    let set = [
        !p.client_id.is_empty(),
        !p.contract_id.is_empty(),
        !p.currency_code.is_empty(),
        !p.lines.is_empty(),
        p.service_period_start.is_some(),
        p.service_period_end.is_some(),
    ];
    UPDATABLE
        .iter()
        .zip(set)
        .filter(|(_, s)| *s)
        .map(|(p, _)| (*p).to_owned())
        .collect()
}

/// Copies the fields named by `paths` from `incoming` into `target`, recording unknown
/// paths.
pub fn apply_mask(
    target: &mut pb::Invoice,
    incoming: &pb::Invoice,
    paths: &[String],
    v: &mut Violations,
) {
    for path in paths {
        match path.as_str() {
            "client_id" => target.client_id = incoming.client_id.clone(),
            "contract_id" => target.contract_id = incoming.contract_id.clone(),
            "currency_code" => target.currency_code = incoming.currency_code.clone(),
            "lines" => target.lines = incoming.lines.clone(),
            "service_period_start" => target.service_period_start = incoming.service_period_start,
            "service_period_end" => target.service_period_end = incoming.service_period_end,
            other => v.push((
                "update_mask".into(),
                format!("{other:?} is not a field UpdateDraftInvoice changes"),
            )),
        }
    }
}

/// Returns a required date.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount_minor: i64) -> Option<common::Money> {
        Some(common::Money {
            currency_code: "EUR".into(),
            amount_minor,
        })
    }

    #[test]
    fn every_line_problem_is_reported() {
        let bad = vec![
            pb::InvoiceLine {
                label: " ".into(),
                quantity: 0,
                unit_price: eur(-1),
                vat_category: "normal".into(),
                ..Default::default()
            },
            pb::InvoiceLine {
                label: "x".repeat(MAX_TEXT + 1),
                quantity: 1,
                unit_price: None,
                vat_category: String::new(),
                product_id: "nope".into(),
                ..Default::default()
            },
            pb::InvoiceLine {
                label: "ok".into(),
                quantity: 1,
                unit_price: Some(common::Money {
                    currency_code: "USD".into(),
                    amount_minor: 10,
                }),
                vat_category: "standard".into(),
                service_period_start: Some(common::Date {
                    year: 2026,
                    month: 1,
                    day: 1,
                }),
                ..Default::default()
            },
        ];
        let mut v = Violations::new();
        let out = lines(&bad, Some("EUR"), "lines", &mut v);
        assert!(out.is_empty());
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[0].label",
                "lines[0].quantity",
                "lines[0].unit_price.amount_minor",
                "lines[0].vat_category",
                "lines[1].label",
                "lines[1].unit_price",
                "lines[1].vat_category",
                "lines[1].product_id",
                "lines[2].unit_price.currency_code",
                "lines[2].service_period_end",
            ]
        );
    }

    #[test]
    fn a_draft_needs_a_client_lines_and_a_positive_total() {
        let mut v = Violations::new();
        let parsed = draft(
            &pb::Invoice {
                currency_code: "XXX".into(),
                lines: vec![pb::InvoiceLine {
                    label: "Gratuit".into(),
                    quantity: 1,
                    unit_price: Some(common::Money {
                        currency_code: String::new(),
                        amount_minor: 0,
                    }),
                    vat_category: "exempt".into(),
                    ..Default::default()
                }],
                service_period_start: Some(common::Date {
                    year: 2026,
                    month: 2,
                    day: 1,
                }),
                service_period_end: Some(common::Date {
                    year: 2026,
                    month: 1,
                    day: 1,
                }),
                ..Default::default()
            },
            &mut v,
        );
        assert_eq!(parsed.lines.len(), 1);
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "invoice.currency_code",
                "invoice.lines",
                "invoice.client_id",
                "invoice.service_period_end",
            ]
        );
    }

    #[test]
    fn masks_name_known_fields() {
        let incoming = pb::Invoice {
            contract_id: "c".into(),
            lines: vec![pb::InvoiceLine::default()],
            ..Default::default()
        };
        assert_eq!(implicit_mask(&incoming), ["contract_id", "lines"]);
        let mut target = pb::Invoice::default();
        let mut v = Violations::new();
        apply_mask(
            &mut target,
            &incoming,
            &["lines".into(), "number".into()],
            &mut v,
        );
        assert_eq!(target.lines.len(), 1);
        assert_eq!(v.len(), 1);
    }
}
