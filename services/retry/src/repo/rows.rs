//! Rows to domain values and back.

use sea_orm::ActiveValue::Set;

use crate::domain::{
    Attempt, AttemptStatus, Chain, ChainState, Money, Policy, RetryableCode, StopReason,
    StoredPolicy,
};
use crate::entity::{attempt, chain, policy};
use crate::error::Error;

fn count(value: i32, what: &str) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::Corrupt(format!("{what} {value}")))
}

fn stored(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Returns the policy of a row.
pub fn policy_from_row(m: policy::Model) -> Result<StoredPolicy, Error> {
    let codes: Vec<RetryableCode> = serde_json::from_str(&m.retryable_codes)
        .map_err(|e| Error::Corrupt(format!("retryable_codes: {e}")))?;
    Ok(StoredPolicy {
        policy: Policy {
            retryable_codes: codes,
            max_retries: count(m.max_retries, "max_retries")?,
            window_days: count(m.window_days, "window_days")?,
            spacing_days: count(m.spacing_days, "spacing_days")?,
            align_to_pay_days: m.align_to_pay_days,
            submission_lead_days: count(m.submission_lead_days, "submission_lead_days")?,
        },
        version: m.version,
        updated_at: Some(m.updated_at),
        updated_by: m.updated_by,
    })
}

/// Returns the row of a policy of `organisation`.
pub fn policy_to_row(organisation: uuid::Uuid, p: &StoredPolicy) -> policy::ActiveModel {
    let codes = serde_json::to_string(&p.policy.retryable_codes).unwrap_or_else(|_| "[]".into());
    policy::ActiveModel {
        organisation_id: Set(organisation),
        retryable_codes: Set(codes),
        max_retries: Set(stored(p.policy.max_retries)),
        window_days: Set(stored(p.policy.window_days)),
        spacing_days: Set(stored(p.policy.spacing_days)),
        align_to_pay_days: Set(p.policy.align_to_pay_days),
        submission_lead_days: Set(stored(p.policy.submission_lead_days)),
        version: Set(p.version),
        updated_at: Set(p.updated_at.unwrap_or_else(super::now)),
        updated_by: Set(p.updated_by),
    }
}

/// Returns the chain of a row.
pub fn chain_from_row(m: chain::Model) -> Result<Chain, Error> {
    let state = ChainState::parse(&m.state)
        .ok_or_else(|| Error::Corrupt(format!("chain state {}", m.state)))?;
    let stop_reason = match m.stop_reason.as_deref() {
        Some(s) => {
            Some(StopReason::parse(s).ok_or_else(|| Error::Corrupt(format!("stop reason {s}")))?)
        }
        None => None,
    };
    Ok(Chain {
        id: m.id,
        organisation_id: m.organisation_id,
        root_payment_id: m.root_payment_id,
        current_payment_id: m.current_payment_id,
        instalment_id: m.instalment_id,
        invoice_id: m.invoice_id,
        mandate_id: m.mandate_id,
        client_id: m.client_id,
        contract_id: m.contract_id,
        amount: Money {
            currency_code: m.currency_code,
            amount_minor: m.amount_minor,
        },
        state,
        stop_reason,
        presentations: count(m.presentations, "presentations")?,
        last_reason_code: m.last_reason_code,
        first_rejection_date: m.first_rejection_date,
        last_failure_date: m.last_failure_date,
        window_end_date: m.window_end_date,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// Returns the row of a chain.
pub fn chain_to_row(c: &Chain) -> chain::ActiveModel {
    chain::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        root_payment_id: Set(c.root_payment_id),
        current_payment_id: Set(c.current_payment_id),
        instalment_id: Set(c.instalment_id),
        invoice_id: Set(c.invoice_id),
        mandate_id: Set(c.mandate_id),
        client_id: Set(c.client_id),
        contract_id: Set(c.contract_id),
        currency_code: Set(c.amount.currency_code.clone()),
        amount_minor: Set(c.amount.amount_minor),
        state: Set(c.state.as_str().to_owned()),
        stop_reason: Set(c.stop_reason.map(|r| r.as_str().to_owned())),
        presentations: Set(stored(c.presentations)),
        last_reason_code: Set(c.last_reason_code.clone()),
        first_rejection_date: Set(c.first_rejection_date),
        last_failure_date: Set(c.last_failure_date),
        window_end_date: Set(c.window_end_date),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

/// Returns the attempt of a row.
pub fn attempt_from_row(m: attempt::Model) -> Result<Attempt, Error> {
    let status = AttemptStatus::parse(&m.status)
        .ok_or_else(|| Error::Corrupt(format!("attempt status {}", m.status)))?;
    Ok(Attempt {
        id: m.id,
        organisation_id: m.organisation_id,
        chain_id: m.chain_id,
        attempt_number: count(m.attempt_number, "attempt_number")?,
        status,
        scheduled_date: m.scheduled_date,
        due_date: m.due_date,
        presented_payment_id: m.presented_payment_id,
        new_payment_id: m.new_payment_id,
        collection_date: m.collection_date,
        reason_code: m.reason_code,
        failure_reason_code: m.failure_reason_code,
        client_id: m.client_id,
        mandate_id: m.mandate_id,
        invoice_id: m.invoice_id,
        amount: Money {
            currency_code: m.currency_code,
            amount_minor: m.amount_minor,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Returns the row of an attempt.
pub fn attempt_to_row(a: &Attempt) -> attempt::ActiveModel {
    attempt::ActiveModel {
        id: Set(a.id),
        organisation_id: Set(a.organisation_id),
        chain_id: Set(a.chain_id),
        attempt_number: Set(stored(a.attempt_number)),
        status: Set(a.status.as_str().to_owned()),
        scheduled_date: Set(a.scheduled_date),
        due_date: Set(a.due_date),
        presented_payment_id: Set(a.presented_payment_id),
        new_payment_id: Set(a.new_payment_id),
        collection_date: Set(a.collection_date),
        reason_code: Set(a.reason_code.clone()),
        failure_reason_code: Set(a.failure_reason_code.clone()),
        client_id: Set(a.client_id),
        mandate_id: Set(a.mandate_id),
        invoice_id: Set(a.invoice_id),
        currency_code: Set(a.amount.currency_code.clone()),
        amount_minor: Set(a.amount.amount_minor),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
    }
}
