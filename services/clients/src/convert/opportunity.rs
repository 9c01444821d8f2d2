//! Opportunities: proto ↔ domain, stages, money, and update masks.

use crm_proto::clients::v1 as pb;
use crm_proto::common::v1 as common;

use super::{Violations, date_from_proto, date_to_proto, optional_uuid, timestamp};
use crate::domain::opportunity::{Amount, Opportunity, OpportunityData, Stage};

/// Returns the stage of a proto value (`None` for unspecified or unknown).
pub fn stage_from_proto(value: i32) -> Option<Stage> {
    match pb::OpportunityStage::try_from(value).ok()? {
        pb::OpportunityStage::New => Some(Stage::New),
        pb::OpportunityStage::Qualified => Some(Stage::Qualified),
        pb::OpportunityStage::Proposal => Some(Stage::Proposal),
        pb::OpportunityStage::Negotiation => Some(Stage::Negotiation),
        pb::OpportunityStage::Won => Some(Stage::Won),
        pb::OpportunityStage::Lost => Some(Stage::Lost),
        pb::OpportunityStage::Unspecified => None,
    }
}

fn stage_to_proto(s: Stage) -> pb::OpportunityStage {
    match s {
        Stage::New => pb::OpportunityStage::New,
        Stage::Qualified => pb::OpportunityStage::Qualified,
        Stage::Proposal => pb::OpportunityStage::Proposal,
        Stage::Negotiation => pb::OpportunityStage::Negotiation,
        Stage::Won => pb::OpportunityStage::Won,
        Stage::Lost => pb::OpportunityStage::Lost,
    }
}

/// Returns the amount of a proto Money (checked by the domain).
pub fn amount_from_proto(m: Option<&common::Money>) -> Option<Amount> {
    m.map(|m| Amount {
        currency_code: m.currency_code.clone(),
        amount_minor: m.amount_minor,
    })
}

fn amount_to_proto(a: &Amount) -> common::Money {
    common::Money {
        currency_code: a.currency_code.clone(),
        amount_minor: a.amount_minor,
    }
}

/// Returns the proto form of an opportunity.
pub fn opportunity_to_proto(o: &Opportunity) -> pb::Opportunity {
    let id = |i: Option<uuid::Uuid>| i.map(|i| i.to_string()).unwrap_or_default();
    pb::Opportunity {
        id: o.id.to_string(),
        client_id: o.client_id.to_string(),
        commercial_id: id(o.data.commercial_id),
        product_id: id(o.data.product_id),
        product_interest: o.data.product_interest.clone(),
        amount: o.data.amount.as_ref().map(amount_to_proto),
        stage: stage_to_proto(o.stage) as i32,
        probability: Some(o.probability()),
        expected_close_date: o.data.expected_close_date.map(date_to_proto),
        lost_reason: o.lost_reason.clone(),
        close_time: o.closed_at.map(timestamp),
        create_time: Some(timestamp(o.created_at)),
        update_time: Some(timestamp(o.updated_at)),
        version: o.version,
    }
}

/// Returns the fields of a proto opportunity (before the domain's checks), recording
/// malformed ids and dates under `prefix`.
pub fn opportunity_data_from_proto(
    p: &pb::Opportunity,
    prefix: &str,
    v: &mut Violations,
) -> OpportunityData {
    let field = |name: &str| format!("{prefix}.{name}");
    OpportunityData {
        commercial_id: optional_uuid(&p.commercial_id, &field("commercial_id"), v),
        product_id: optional_uuid(&p.product_id, &field("product_id"), v),
        product_interest: p.product_interest.clone(),
        amount: amount_from_proto(p.amount.as_ref()),
        probability: p.probability,
        expected_close_date: p
            .expected_close_date
            .as_ref()
            .and_then(|d| date_from_proto(d, &field("expected_close_date"), v)),
    }
}

/// Returns the mask paths of every field set in `p`, for an update without a mask.
pub fn opportunity_implicit_mask(p: &pb::Opportunity) -> Vec<String> {
    [
        (!p.commercial_id.is_empty(), "commercial_id"),
        (!p.product_id.is_empty(), "product_id"),
        (!p.product_interest.is_empty(), "product_interest"),
        (p.amount.is_some(), "amount"),
        (p.probability.is_some(), "probability"),
        (p.expected_close_date.is_some(), "expected_close_date"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

/// Returns `current` with the fields named by `paths` taken from `incoming`. Unknown or
/// immutable paths, and malformed values, are recorded in `v`.
pub fn apply_opportunity_mask(
    current: &OpportunityData,
    incoming: &pb::Opportunity,
    paths: &[String],
    v: &mut Violations,
) -> OpportunityData {
    let mut out = current.clone();
    for (i, path) in paths.iter().enumerate() {
        let field = format!("opportunity.{path}");
        match path.as_str() {
            "commercial_id" => {
                out.commercial_id = optional_uuid(&incoming.commercial_id, &field, v)
            }
            "product_id" => out.product_id = optional_uuid(&incoming.product_id, &field, v),
            "product_interest" => out.product_interest.clone_from(&incoming.product_interest),
            "amount" => out.amount = amount_from_proto(incoming.amount.as_ref()),
            "probability" => out.probability = incoming.probability,
            "expected_close_date" => {
                out.expected_close_date = incoming
                    .expected_close_date
                    .as_ref()
                    .and_then(|d| date_from_proto(d, &field, v));
            }
            "stage" | "lost_reason" => v.push((
                format!("update_mask.paths[{i}]"),
                "the stage changes through MoveOpportunityStage, MarkWon and MarkLost".into(),
            )),
            _ => v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field that can be updated"),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_and_masks_refuse_the_stage() {
        for s in [Stage::New, Stage::Won, Stage::Lost] {
            assert_eq!(stage_from_proto(stage_to_proto(s) as i32), Some(s));
        }
        assert_eq!(stage_from_proto(0), None);
        assert_eq!(stage_from_proto(42), None);
        let incoming = pb::Opportunity {
            product_interest: "Fibre".into(),
            probability: Some(40),
            product_id: "nope".into(),
            ..Default::default()
        };
        let mut v = Vec::new();
        let out = apply_opportunity_mask(
            &OpportunityData::default(),
            &incoming,
            &[
                "product_interest".into(),
                "probability".into(),
                "stage".into(),
                "product_id".into(),
            ],
            &mut v,
        );
        assert_eq!(out.product_interest, "Fibre");
        assert_eq!(out.probability, Some(40));
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[2]", "opportunity.product_id"]);
        assert_eq!(
            opportunity_implicit_mask(&incoming),
            ["product_id", "product_interest", "probability"]
        );
    }
}
