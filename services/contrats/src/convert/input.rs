//! Requests to domain inputs, with every malformed field recorded: the terms of a draft
//! (create and update, with its field mask) and an amendment.

use chrono::NaiveDate;
use crm_proto::contrats::v1 as pb;
use uuid::Uuid;

use super::{Violations, date_from_proto, payment_method, sales_channel, uuid_field};
use crate::domain::validate::{self, Draft};
use crate::domain::{LineRequest, PaymentMethod, SalesChannel};

/// The terms of a draft as parsed: the references are kept even when other fields are
/// wrong, so that their checks in other services are reported with everything else.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    /// The client, when well formed.
    pub client_id: Option<Uuid>,
    /// The sales agent, when well formed.
    pub commercial_id: Option<Uuid>,
    /// The well-formed lines.
    pub lines: Vec<LineRequest>,
    start_date: Option<NaiveDate>,
    term_months: i32,
    tacit_renewal: bool,
    billing_day: i32,
    payment_method: Option<PaymentMethod>,
    mandate_reference: Option<String>,
    sales_channel: Option<SalesChannel>,
}

impl DraftInput {
    /// Returns the draft when every field parsed (the caller checks the violations).
    pub fn complete(self) -> Option<Draft> {
        Some(Draft {
            client_id: self.client_id?,
            commercial_id: self.commercial_id?,
            lines: self.lines,
            start_date: self.start_date?,
            term_months: self.term_months,
            tacit_renewal: self.tacit_renewal,
            billing_day: self.billing_day,
            payment_method: self.payment_method?,
            mandate_reference: self.mandate_reference,
            sales_channel: self.sales_channel?,
        })
    }
}

/// Returns the terms of `p` (fields under `prefix`), recording every violation.
pub fn draft(p: &pb::Contract, prefix: &str, v: &mut Violations) -> DraftInput {
    let f = |name: &str| format!("{prefix}.{name}");
    let client_id = uuid_field(&p.client_id, &f("client_id"), v);
    let commercial_id = uuid_field(&p.commercial_id, &f("commercial_id"), v);
    let raw: Vec<(Option<Uuid>, i32)> = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let field = format!("{prefix}.lines[{i}].product_id");
            (uuid_field(&l.product_id, &field, v), l.quantity)
        })
        .collect();
    let lines = validate::lines(&raw, &f("lines"), v);
    let start_date = match &p.start_date {
        Some(d) => date_from_proto(d, &f("start_date"), v),
        None => {
            v.push((f("start_date"), "is required".into()));
            None
        }
    };
    validate::term_months(p.term_months, &f("term_months"), v);
    validate::billing_day(p.billing_day, &f("billing_day"), v);
    let method = payment_method(p.payment_method, &f("payment_method"), v);
    let mandate_reference =
        validate::mandate_reference(&p.mandate_reference, method, &f("mandate_reference"), v);
    DraftInput {
        client_id,
        commercial_id,
        lines,
        start_date,
        term_months: p.term_months,
        tacit_renewal: p.tacit_renewal,
        billing_day: p.billing_day,
        payment_method: method,
        mandate_reference,
        sales_channel: sales_channel(p.sales_channel, &f("sales_channel"), v),
    }
}

/// Fields UpdateContract may change, as update-mask paths.
pub const UPDATABLE: &[&str] = &[
    "client_id",
    "commercial_id",
    "lines",
    "start_date",
    "term_months",
    "tacit_renewal",
    "billing_day",
    "payment_method",
    "mandate_reference",
    "sales_channel",
];

/// Returns the mask paths of every updatable field set in `p`, for an update without a
/// mask.
pub fn implicit_mask(p: &pb::Contract) -> Vec<String> {
    let set = [
        !p.client_id.is_empty(),
        !p.commercial_id.is_empty(),
        !p.lines.is_empty(),
        p.start_date.is_some(),
        p.term_months != 0,
        p.tacit_renewal,
        p.billing_day != 0,
        p.payment_method != 0,
        !p.mandate_reference.is_empty(),
        p.sales_channel != 0,
    ];
    UPDATABLE
        .iter()
        .zip(set)
        .filter(|(_, set)| *set)
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// Copies the fields named by `paths` from `incoming` onto `target`, recording paths
/// that name no updatable field.
pub fn apply_mask(
    target: &mut pb::Contract,
    incoming: &pb::Contract,
    paths: &[String],
    v: &mut Violations,
) {
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "client_id" => target.client_id = incoming.client_id.clone(),
            "commercial_id" => target.commercial_id = incoming.commercial_id.clone(),
            "lines" => target.lines = incoming.lines.clone(),
            "start_date" => target.start_date = incoming.start_date,
            "term_months" => target.term_months = incoming.term_months,
            "tacit_renewal" => target.tacit_renewal = incoming.tacit_renewal,
            "billing_day" => target.billing_day = incoming.billing_day,
            "payment_method" => target.payment_method = incoming.payment_method,
            "mandate_reference" => target.mandate_reference = incoming.mandate_reference.clone(),
            "sales_channel" => target.sales_channel = incoming.sales_channel,
            _ => v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field that can be updated"),
            )),
        }
    }
}

/// Fields an amendment may change, as mask paths.
pub const AMENDABLE: &[&str] = &[
    "lines",
    "billing_day",
    "payment_method",
    "mandate_reference",
];

/// An amendment as parsed: each change is `Some` when the mask names it.
#[derive(Debug, Clone, Default)]
pub struct AmendInput {
    /// First day it applies.
    pub effective_date: Option<NaiveDate>,
    /// The new lines.
    pub lines: Option<Vec<LineRequest>>,
    /// The new billing day.
    pub billing_day: Option<i32>,
    /// The new payment method.
    pub payment_method: Option<PaymentMethod>,
    /// The new mandate reference (`Some(None)`: none).
    pub mandate_reference: Option<Option<String>>,
    /// Why.
    pub reason: String,
    /// The mask paths, in the order of [`AMENDABLE`].
    pub changed: Vec<String>,
}

/// Returns the amendment of `r`, recording every violation. Whether a mandate reference
/// fits the resulting payment method depends on the contract and is checked later.
pub fn amendment(r: &pb::AmendContractRequest, v: &mut Violations) -> AmendInput {
    let paths: Vec<String> = match &r.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => {
            let set = [
                !r.lines.is_empty(),
                r.billing_day != 0,
                r.payment_method != 0,
                !r.mandate_reference.is_empty(),
            ];
            AMENDABLE
                .iter()
                .zip(set)
                .filter(|(_, set)| *set)
                .map(|(name, _)| (*name).to_owned())
                .collect()
        }
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no change".into()));
    }
    for (i, path) in paths.iter().enumerate() {
        if !AMENDABLE.contains(&path.as_str()) {
            v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field an amendment can change"),
            ));
        }
    }
    let named = |name: &str| paths.iter().any(|p| p == name);
    let effective_date = match &r.effective_date {
        Some(d) => date_from_proto(d, "effective_date", v),
        None => {
            v.push(("effective_date".into(), "is required".into()));
            None
        }
    };
    let lines = named("lines").then(|| {
        let raw: Vec<(Option<Uuid>, i32)> = r
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let field = format!("lines[{i}].product_id");
                (uuid_field(&l.product_id, &field, v), l.quantity)
            })
            .collect();
        validate::lines(&raw, "lines", v)
    });
    let billing_day = named("billing_day").then(|| {
        validate::billing_day(r.billing_day, "billing_day", v);
        r.billing_day
    });
    let method = if named("payment_method") {
        payment_method(r.payment_method, "payment_method", v).map(Some)
    } else {
        Some(None)
    };
    let mandate_reference = named("mandate_reference")
        .then(|| validate::mandate_reference(&r.mandate_reference, None, "mandate_reference", v));
    AmendInput {
        effective_date,
        lines,
        billing_day,
        payment_method: method.flatten(),
        mandate_reference,
        reason: validate::text(&r.reason, validate::MAX_TEXT, false, "reason", v),
        changed: AMENDABLE
            .iter()
            .filter(|name| named(name))
            .map(|name| (*name).to_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::common::v1::Date;

    #[test]
    fn masks_copy_named_fields_only() {
        let mut target = pb::Contract {
            term_months: 12,
            billing_day: 5,
            ..Default::default()
        };
        let incoming = pb::Contract {
            term_months: 24,
            billing_day: 10,
            ..Default::default()
        };
        let mut v = Violations::new();
        apply_mask(
            &mut target,
            &incoming,
            &["term_months".into(), "number".into(), "status".into()],
            &mut v,
        );
        assert_eq!(target.term_months, 24);
        assert_eq!(target.billing_day, 5);
        let fields: Vec<&str> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[1]", "update_mask.paths[2]"]);
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Contract {
            billing_day: 3,
            tacit_renewal: true,
            ..Default::default()
        };
        assert_eq!(implicit_mask(&p), ["tacit_renewal", "billing_day"]);
    }

    #[test]
    fn a_draft_reports_every_bad_field_and_keeps_good_references() {
        let client = Uuid::now_v7();
        let p = pb::Contract {
            client_id: client.to_string(),
            commercial_id: "nope".into(),
            lines: vec![pb::ContractLine {
                product_id: String::new(),
                quantity: 0,
                ..Default::default()
            }],
            start_date: Some(Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            term_months: 0,
            billing_day: 31,
            payment_method: 0,
            mandate_reference: "//".into(),
            sales_channel: 9,
            ..Default::default()
        };
        let mut v = Violations::new();
        let input = draft(&p, "contract", &mut v);
        assert_eq!(input.client_id, Some(client));
        let fields: Vec<&str> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "contract.commercial_id",
                "contract.lines[0].product_id",
                "contract.lines[0].quantity",
                "contract.start_date",
                "contract.term_months",
                "contract.billing_day",
                "contract.payment_method",
                "contract.mandate_reference",
                "contract.sales_channel",
            ]
        );
        assert!(input.complete().is_none());
    }

    #[test]
    fn an_amendment_needs_a_change_and_a_date() {
        let mut v = Violations::new();
        let a = amendment(&pb::AmendContractRequest::default(), &mut v);
        let fields: Vec<&str> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask", "effective_date"]);
        assert!(a.changed.is_empty());
        let mut v = Violations::new();
        let a = amendment(
            &pb::AmendContractRequest {
                effective_date: Some(Date {
                    year: 2026,
                    month: 6,
                    day: 1,
                }),
                billing_day: 12,
                mandate_reference: "RUM-2".into(),
                ..Default::default()
            },
            &mut v,
        );
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(a.changed, ["billing_day", "mandate_reference"]);
        assert_eq!(a.billing_day, Some(12));
        assert_eq!(a.mandate_reference, Some(Some("RUM-2".into())));
        assert_eq!(a.payment_method, None);
    }
}
