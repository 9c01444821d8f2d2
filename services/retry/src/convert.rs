//! Protobuf messages to domain values and back, recording a field violation for each
//! malformed input so a request's mistakes are reported together.

use chrono::NaiveDate;
use crm_kit::convert::{date_to_proto, timestamp};
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::retry::v1 as pb;

use crate::domain::{
    Attempt, AttemptStatus, Chain, ChainState, ChainView, Money, Policy, ReasonClass,
    RetryableCode, StopReason, StoredPolicy,
};

pub use crm_kit::convert::{Violations, optional_uuid, uuid_field};

/// The fields of a policy an update may name.
pub const POLICY_PATHS: [&str; 6] = [
    "retryable_codes",
    "max_retries",
    "window_days",
    "spacing_days",
    "align_to_pay_days",
    "submission_lead_days",
];

/// Returns the date of an event's `crm.common.v1.Date`, `None` when unset or invalid.
pub fn date_from_event(d: &common::Date) -> Option<NaiveDate> {
    let month = u32::try_from(d.month).ok()?;
    let day = u32::try_from(d.day).ok()?;
    NaiveDate::from_ymd_opt(d.year, month, day)
}

/// Returns the class of an event's reason class, `None` when unspecified.
pub fn reason_class_from_event(value: i32) -> Option<ReasonClass> {
    match ev::ReasonClass::try_from(value).ok()? {
        ev::ReasonClass::Unspecified => None,
        ev::ReasonClass::Soft => Some(ReasonClass::Soft),
        ev::ReasonClass::Hard => Some(ReasonClass::Hard),
        ev::ReasonClass::Technical => Some(ReasonClass::Technical),
        ev::ReasonClass::Dispute => Some(ReasonClass::Dispute),
    }
}

fn count(value: i32, field: &str, fallback: u32, v: &mut Violations) -> u32 {
    u32::try_from(value).unwrap_or_else(|_| {
        v.push((field.to_owned(), "must not be negative".into()));
        fallback
    })
}

/// Returns the policy a request describes, codes trimmed and uppercased, recording
/// negative numbers under `prefix`. Range and code rules are the domain's
/// (`domain::policy::validate`).
pub fn policy_from_proto(p: &pb::Policy, prefix: &str, v: &mut Violations) -> Policy {
    let defaults = Policy::default();
    let field = |name: &str| format!("{prefix}.{name}");
    let retryable_codes = p
        .retryable_codes
        .iter()
        .enumerate()
        .map(|(i, c)| RetryableCode {
            code: c.code.trim().to_ascii_uppercase(),
            max_retries: count(
                c.max_retries,
                &format!("{prefix}.retryable_codes[{i}].max_retries"),
                0,
                v,
            ),
        })
        .collect();
    Policy {
        retryable_codes,
        max_retries: count(
            p.max_retries,
            &field("max_retries"),
            defaults.max_retries,
            v,
        ),
        window_days: count(
            p.window_days,
            &field("window_days"),
            defaults.window_days,
            v,
        ),
        spacing_days: count(
            p.spacing_days,
            &field("spacing_days"),
            defaults.spacing_days,
            v,
        ),
        align_to_pay_days: p.align_to_pay_days,
        submission_lead_days: count(
            p.submission_lead_days,
            &field("submission_lead_days"),
            defaults.submission_lead_days,
            v,
        ),
    }
}

/// Returns the paths of the fields set in `p` (an update without a mask).
pub fn implicit_mask(p: &pb::Policy) -> Vec<String> {
    let set = [
        !p.retryable_codes.is_empty(),
        p.max_retries != 0,
        p.window_days != 0,
        p.spacing_days != 0,
        p.align_to_pay_days,
        p.submission_lead_days != 0,
    ];
    POLICY_PATHS
        .iter()
        .zip(set)
        .filter(|(_, set)| *set)
        .map(|(path, _)| (*path).to_owned())
        .collect()
}

/// Records a violation for each path that names no changeable field.
pub fn check_paths(paths: &[String], v: &mut Violations) {
    for path in paths {
        let problem = match path.as_str() {
            p if POLICY_PATHS.contains(&p) => continue,
            "version" | "update_time" | "update_user_id" => "is output only",
            _ => "is not a field of the policy",
        };
        v.push(("update_mask".into(), format!("{path} {problem}")));
    }
}

/// Returns `current` with the fields named in `paths` taken from `incoming`.
pub fn apply_mask(current: &Policy, incoming: &Policy, paths: &[String]) -> Policy {
    let mut next = current.clone();
    for path in paths {
        match path.as_str() {
            "retryable_codes" => next.retryable_codes = incoming.retryable_codes.clone(),
            "max_retries" => next.max_retries = incoming.max_retries,
            "window_days" => next.window_days = incoming.window_days,
            "spacing_days" => next.spacing_days = incoming.spacing_days,
            "align_to_pay_days" => next.align_to_pay_days = incoming.align_to_pay_days,
            "submission_lead_days" => next.submission_lead_days = incoming.submission_lead_days,
            _ => {}
        }
    }
    next
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn text(id: Option<uuid::Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

fn money(m: &Money) -> common::Money {
    common::Money {
        currency_code: m.currency_code.clone(),
        amount_minor: m.amount_minor,
    }
}

/// Returns the proto form of a stored policy.
pub fn policy_to_proto(p: &StoredPolicy) -> pb::Policy {
    pb::Policy {
        retryable_codes: p
            .policy
            .retryable_codes
            .iter()
            .map(|c| pb::RetryableCode {
                code: c.code.clone(),
                max_retries: int(c.max_retries),
            })
            .collect(),
        max_retries: int(p.policy.max_retries),
        window_days: int(p.policy.window_days),
        spacing_days: int(p.policy.spacing_days),
        align_to_pay_days: p.policy.align_to_pay_days,
        submission_lead_days: int(p.policy.submission_lead_days),
        version: p.version,
        update_time: p.updated_at.map(timestamp),
        update_user_id: text(p.updated_by),
    }
}

/// Returns the proto value of a chain state.
pub fn chain_state_to_proto(s: ChainState) -> pb::ChainState {
    match s {
        ChainState::Waiting => pb::ChainState::Waiting,
        ChainState::Scheduled => pb::ChainState::Scheduled,
        ChainState::InFlight => pb::ChainState::InFlight,
        ChainState::Succeeded => pb::ChainState::Succeeded,
        ChainState::Exhausted => pb::ChainState::Exhausted,
        ChainState::Aborted => pb::ChainState::Aborted,
    }
}

/// Returns the chain state a filter names: `None` for no filter, recording a violation
/// for an unknown value.
pub fn chain_state_filter(value: i32, field: &str, v: &mut Violations) -> Option<ChainState> {
    match pb::ChainState::try_from(value) {
        Ok(pb::ChainState::Unspecified) => None,
        Ok(pb::ChainState::Waiting) => Some(ChainState::Waiting),
        Ok(pb::ChainState::Scheduled) => Some(ChainState::Scheduled),
        Ok(pb::ChainState::InFlight) => Some(ChainState::InFlight),
        Ok(pb::ChainState::Succeeded) => Some(ChainState::Succeeded),
        Ok(pb::ChainState::Exhausted) => Some(ChainState::Exhausted),
        Ok(pb::ChainState::Aborted) => Some(ChainState::Aborted),
        Err(_) => {
            v.push((field.to_owned(), "is not a known chain state".into()));
            None
        }
    }
}

/// Returns the proto value of an attempt status.
pub fn attempt_status_to_proto(s: AttemptStatus) -> pb::AttemptStatus {
    match s {
        AttemptStatus::Scheduled => pb::AttemptStatus::Scheduled,
        AttemptStatus::InFlight => pb::AttemptStatus::InFlight,
        AttemptStatus::Succeeded => pb::AttemptStatus::Succeeded,
        AttemptStatus::Failed => pb::AttemptStatus::Failed,
        AttemptStatus::Aborted => pb::AttemptStatus::Aborted,
    }
}

/// Returns the attempt status a filter names: `None` for no filter, recording a
/// violation for an unknown value.
pub fn attempt_status_filter(value: i32, field: &str, v: &mut Violations) -> Option<AttemptStatus> {
    match pb::AttemptStatus::try_from(value) {
        Ok(pb::AttemptStatus::Unspecified) => None,
        Ok(pb::AttemptStatus::Scheduled) => Some(AttemptStatus::Scheduled),
        Ok(pb::AttemptStatus::InFlight) => Some(AttemptStatus::InFlight),
        Ok(pb::AttemptStatus::Succeeded) => Some(AttemptStatus::Succeeded),
        Ok(pb::AttemptStatus::Failed) => Some(AttemptStatus::Failed),
        Ok(pb::AttemptStatus::Aborted) => Some(AttemptStatus::Aborted),
        Err(_) => {
            v.push((field.to_owned(), "is not a known attempt status".into()));
            None
        }
    }
}

/// Returns the proto value of a stop reason.
pub fn stop_reason_to_proto(r: Option<StopReason>) -> pb::StopReason {
    match r {
        None => pb::StopReason::Unspecified,
        Some(StopReason::HardCode) => pb::StopReason::HardCode,
        Some(StopReason::TechnicalCode) => pb::StopReason::TechnicalCode,
        Some(StopReason::Dispute) => pb::StopReason::Dispute,
        Some(StopReason::DebtorDeceased) => pb::StopReason::DebtorDeceased,
        Some(StopReason::CodeNotRetried) => pb::StopReason::CodeNotRetried,
        Some(StopReason::CodeLimitReached) => pb::StopReason::CodeLimitReached,
        Some(StopReason::MaxRetries) => pb::StopReason::MaxRetries,
        Some(StopReason::WindowElapsed) => pb::StopReason::WindowElapsed,
        Some(StopReason::MandateInactive) => pb::StopReason::MandateInactive,
        Some(StopReason::InvoiceCredited) => pb::StopReason::InvoiceCredited,
        Some(StopReason::InvoicePaid) => pb::StopReason::InvoicePaid,
        Some(StopReason::Cancelled) => pb::StopReason::Cancelled,
    }
}

/// Returns the proto form of an attempt.
pub fn attempt_to_proto(a: &Attempt) -> pb::Attempt {
    pb::Attempt {
        id: a.id.to_string(),
        chain_id: a.chain_id.to_string(),
        attempt_number: int(a.attempt_number),
        status: attempt_status_to_proto(a.status) as i32,
        scheduled_date: Some(date_to_proto(a.scheduled_date)),
        due_date: Some(date_to_proto(a.due_date)),
        presented_payment_id: a.presented_payment_id.to_string(),
        new_payment_id: text(a.new_payment_id),
        collection_date: a.collection_date.map(date_to_proto),
        reason_code: a.reason_code.clone(),
        failure_reason_code: a.failure_reason_code.clone().unwrap_or_default(),
        client_id: text(a.client_id),
        mandate_id: text(a.mandate_id),
        invoice_id: text(a.invoice_id),
        amount: Some(money(&a.amount)),
        create_time: Some(timestamp(a.created_at)),
        update_time: Some(timestamp(a.updated_at)),
    }
}

/// Returns the proto form of a chain with its attempts.
pub fn chain_to_proto(view: &ChainView) -> pb::Chain {
    let c: &Chain = &view.chain;
    pb::Chain {
        id: c.id.to_string(),
        payment_id: c.root_payment_id.to_string(),
        current_payment_id: c.current_payment_id.to_string(),
        instalment_id: text(c.instalment_id),
        invoice_id: text(c.invoice_id),
        mandate_id: text(c.mandate_id),
        client_id: text(c.client_id),
        contract_id: text(c.contract_id),
        amount: Some(money(&c.amount)),
        state: chain_state_to_proto(c.state) as i32,
        stop_reason: stop_reason_to_proto(c.stop_reason) as i32,
        presentations: int(c.presentations),
        last_reason_code: c.last_reason_code.clone(),
        first_rejection_date: Some(date_to_proto(c.first_rejection_date)),
        last_failure_date: Some(date_to_proto(c.last_failure_date)),
        window_end_date: Some(date_to_proto(c.window_end_date)),
        attempts: view.attempts.iter().map(attempt_to_proto).collect(),
        version: c.version,
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
    }
}
