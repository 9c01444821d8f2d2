//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, months, currencies, masks).

use crm_proto::commission::v1 as pb;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_shared::Currency;

use crate::domain::plan::{
    ClawbackMode, Plan, PlanDraft, PlanStatus, Rule, RuleDraft, Target, Upfront,
};
use crate::domain::statement::{Statement, StatementStatus, VAT_CATEGORY, VAT_EXEMPTION_REASON};
use crate::domain::{EntryStatus, Kind, Month, Source};
use crate::entity::entry;

pub use crm_kit::convert::{Violations, date_to_proto, optional_uuid, timestamp, uuid_field};

/// The fields UpdatePlan changes.
pub const PLAN_PATHS: [&str; 4] = ["name", "description", "is_default", "rules"];

fn money(currency: &str, amount_minor: i64) -> Option<common::Money> {
    Some(common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    })
}

fn id_text(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// Returns the month of a required "YYYY-MM" field, recording a violation.
pub fn month_field(text: &str, field: &str, v: &mut Violations) -> Option<Month> {
    let text = text.trim();
    if text.is_empty() {
        v.push((field.to_owned(), "is required".into()));
        return None;
    }
    optional_month(text, field, v)
}

/// Returns the month of an optional "YYYY-MM" field, recording a malformed one.
pub fn optional_month(text: &str, field: &str, v: &mut Violations) -> Option<Month> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let month = Month::parse(text);
    if month.is_none() {
        v.push((field.to_owned(), "must be a month written YYYY-MM".into()));
    }
    month
}

/// Returns the currency of a statement request: EUR when empty.
pub fn currency_field(text: &str, field: &str, v: &mut Violations) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return Some(Currency::EUR.code().to_owned());
    }
    match Currency::from_code(text) {
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

/// Returns whether `code` is a supported currency.
pub fn is_currency(code: &str) -> bool {
    Currency::from_code(code).is_ok()
}

/// Returns the kind of an optional filter, recording an unknown value.
pub fn kind_filter(value: i32, field: &str, v: &mut Violations) -> Option<Kind> {
    match ev::CommissionKind::try_from(value) {
        Ok(ev::CommissionKind::Unspecified) => None,
        Ok(ev::CommissionKind::Upfront) => Some(Kind::Upfront),
        Ok(ev::CommissionKind::Recurring) => Some(Kind::Recurring),
        Ok(ev::CommissionKind::Override) => Some(Kind::Override),
        Ok(ev::CommissionKind::Clawback) => Some(Kind::Clawback),
        Err(_) => {
            v.push((field.to_owned(), "is not a known commission kind".into()));
            None
        }
    }
}

/// Returns the proto value of a kind.
pub fn kind_to_proto(k: Kind) -> ev::CommissionKind {
    match k {
        Kind::Upfront => ev::CommissionKind::Upfront,
        Kind::Recurring => ev::CommissionKind::Recurring,
        Kind::Override => ev::CommissionKind::Override,
        Kind::Clawback => ev::CommissionKind::Clawback,
    }
}

/// Returns the proto value of a source.
pub fn source_to_proto(s: Source) -> ev::CommissionSource {
    match s {
        Source::Contract => ev::CommissionSource::Contract,
        Source::Payment => ev::CommissionSource::Payment,
    }
}

fn mode_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<ClawbackMode> {
    match pb::ClawbackMode::try_from(value) {
        Ok(pb::ClawbackMode::Unspecified) => None,
        Ok(pb::ClawbackMode::Full) => Some(ClawbackMode::Full),
        Ok(pb::ClawbackMode::Prorata) => Some(ClawbackMode::Prorata),
        Ok(pb::ClawbackMode::EarnedOnCash) => Some(ClawbackMode::EarnedOnCash),
        Err(_) => {
            v.push((field.to_owned(), "is not a known clawback mode".into()));
            None
        }
    }
}

fn mode_to_proto(m: ClawbackMode) -> pb::ClawbackMode {
    match m {
        ClawbackMode::Full => pb::ClawbackMode::Full,
        ClawbackMode::Prorata => pb::ClawbackMode::Prorata,
        ClawbackMode::EarnedOnCash => pb::ClawbackMode::EarnedOnCash,
    }
}

/// Returns the rules of a proto plan as drafts; malformed enums are recorded in `v`.
pub fn rules_from_proto(
    rules: &[pb::PlanRule],
    prefix: &str,
    v: &mut Violations,
) -> Vec<RuleDraft> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleDraft {
            product_id: r.product_id.clone(),
            category: r.category.clone(),
            upfront_bps: r.upfront_rate_basis_points,
            upfront_amount: r
                .upfront_amount
                .as_ref()
                .map(|m| (m.currency_code.clone(), m.amount_minor)),
            recurring_bps: r.recurring_rate_basis_points,
            overrides: r
                .overrides
                .iter()
                .map(|o| (o.level, o.rate_basis_points))
                .collect(),
            clawback_months: r.clawback_months,
            mode: mode_from_proto(
                r.clawback_mode,
                &format!("{prefix}.rules[{i}].clawback_mode"),
                v,
            ),
        })
        .collect()
}

/// Returns a proto plan as a draft for the domain's checks.
pub fn plan_draft(p: &pb::Plan, prefix: &str, v: &mut Violations) -> PlanDraft {
    PlanDraft {
        name: p.name.clone(),
        description: p.description.clone(),
        is_default: p.is_default,
        rules: rules_from_proto(&p.rules, prefix, v),
    }
}

/// Returns a stored rule as a draft, to be checked again with the fields an update
/// leaves as they are.
pub fn rule_to_draft(r: &Rule) -> RuleDraft {
    let (product_id, category) = match &r.target {
        Target::Product(id) => (id.to_string(), String::new()),
        Target::Category(c) => (String::new(), c.clone()),
    };
    let (upfront_bps, upfront_amount) = match &r.upfront {
        Upfront::None => (0, None),
        Upfront::Rate(bps) => (*bps, None),
        Upfront::Amount {
            currency,
            amount_minor,
        } => (0, Some((currency.clone(), *amount_minor))),
    };
    RuleDraft {
        product_id,
        category,
        upfront_bps,
        upfront_amount,
        recurring_bps: r.recurring_bps,
        overrides: r.overrides.iter().map(|o| (o.level, o.bps)).collect(),
        clawback_months: r.clawback_months,
        mode: Some(r.mode),
    }
}

/// Returns the mask of an update without one: every field the input sets.
pub fn implicit_mask(p: &pb::Plan) -> Vec<String> {
    let mut paths = Vec::new();
    if !p.name.is_empty() {
        paths.push("name".to_owned());
    }
    if !p.description.is_empty() {
        paths.push("description".to_owned());
    }
    if p.is_default {
        paths.push("is_default".to_owned());
    }
    if !p.rules.is_empty() {
        paths.push("rules".to_owned());
    }
    paths
}

fn rule_to_proto(r: &Rule) -> pb::PlanRule {
    let d = rule_to_draft(r);
    pb::PlanRule {
        product_id: d.product_id,
        category: d.category,
        upfront_rate_basis_points: d.upfront_bps,
        upfront_amount: d
            .upfront_amount
            .map(|(currency_code, amount_minor)| common::Money {
                currency_code,
                amount_minor,
            }),
        recurring_rate_basis_points: d.recurring_bps,
        overrides: r
            .overrides
            .iter()
            .map(|o| pb::OverrideRate {
                level: o.level,
                rate_basis_points: o.bps,
            })
            .collect(),
        clawback_months: r.clawback_months,
        clawback_mode: mode_to_proto(r.mode) as i32,
    }
}

/// Returns the proto of a plan.
pub fn plan_to_proto(p: &Plan) -> pb::Plan {
    pb::Plan {
        id: p.id.to_string(),
        name: p.data.name.clone(),
        description: p.data.description.clone(),
        is_default: p.data.is_default,
        status: match p.status {
            PlanStatus::Active => pb::PlanStatus::Active,
            PlanStatus::Archived => pb::PlanStatus::Archived,
        } as i32,
        rules: p.data.rules.iter().map(rule_to_proto).collect(),
        create_time: Some(timestamp(p.created_at)),
        update_time: Some(timestamp(p.updated_at)),
        version: p.version,
    }
}

/// Returns the proto of a stored entry.
pub fn entry_to_proto(e: &entry::Model) -> pb::Entry {
    let status = match EntryStatus::parse(&e.status) {
        Some(EntryStatus::Pending) => pb::EntryStatus::Pending,
        Some(EntryStatus::Validated) => pb::EntryStatus::Validated,
        Some(EntryStatus::Paid) => pb::EntryStatus::Paid,
        Some(EntryStatus::Cancelled) => pb::EntryStatus::Cancelled,
        None => pb::EntryStatus::Unspecified,
    };
    pb::Entry {
        id: e.id.to_string(),
        commercial_id: e.commercial_id.to_string(),
        source: Source::parse(&e.source).map_or(0, |s| source_to_proto(s) as i32),
        kind: Kind::parse(&e.kind).map_or(0, |k| kind_to_proto(k) as i32),
        contract_id: e.contract_id.to_string(),
        payment_id: id_text(e.payment_id),
        base_amount: money(&e.currency, e.base_amount),
        rate_basis_points: e.rate_bps,
        amount: money(&e.currency, e.amount),
        period: e.period.clone(),
        status: status as i32,
        event_date: Some(date_to_proto(e.event_date)),
        trigger: e.trigger_type.clone(),
        trigger_event_id: e.trigger_event_id.to_string(),
        source_commercial_id: id_text(e.source_commercial_id),
        override_level: e.override_level,
        original_entry_id: id_text(e.original_entry_id),
        parent_entry_id: id_text(e.parent_entry_id),
        create_time: Some(timestamp(e.created_at)),
        update_time: Some(timestamp(e.updated_at)),
    }
}

/// Returns the proto of a statement.
pub fn statement_to_proto(s: &Statement) -> pb::Statement {
    let c = &s.currency;
    let t = &s.totals;
    pb::Statement {
        id: id_text(s.id),
        commercial_id: s.commercial_id.to_string(),
        period: s.period.to_string(),
        period_start: Some(date_to_proto(s.period.first_day())),
        period_end: Some(date_to_proto(s.period.last_day())),
        status: match s.status {
            StatementStatus::Open => pb::StatementStatus::Open,
            StatementStatus::Closed => pb::StatementStatus::Closed,
            StatementStatus::Paid => pb::StatementStatus::Paid,
        } as i32,
        opening_balance: money(c, t.opening),
        earned: money(c, t.earned),
        clawbacks: money(c, t.clawbacks),
        closing_balance: money(c, t.closing),
        payable: money(c, t.payable),
        entry_count: i32::try_from(t.count).unwrap_or(i32::MAX),
        vat_category: VAT_CATEGORY.to_owned(),
        vat_exemption_reason: VAT_EXEMPTION_REASON.to_owned(),
        close_time: s.closed_at.map(timestamp),
        pay_time: s.paid_at.map(timestamp),
    }
}

/// Returns the page size and the position after which a page starts, recording
/// malformed values in `v`.
pub fn page(
    page_size: i32,
    token: &str,
    fingerprint: u64,
    v: &mut Violations,
) -> (u64, Option<uuid::Uuid>) {
    let size = crm_db::page_size(page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = crm_db::PageToken::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten();
    (size, after.map(|t| t.after))
}

/// Returns the token of the page after `last`, empty when no page follows.
pub fn next_token(more: bool, last: Option<uuid::Uuid>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some(after)) => crm_db::PageToken {
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}
