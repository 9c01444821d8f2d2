//! The events the retry service publishes (retry.scheduled, retry.exhausted), written
//! into its outbox in the transaction of the change they describe, and the event types
//! it consumes.

use crm_events::NewEvent;
use crm_kit::convert::{date_to_proto, timestamp};
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::domain::{Attempt, Chain, Money, StopReason};

/// payment.rejected: opens or continues a chain.
pub const PAYMENT_REJECTED: &str = "payment.rejected";
/// payment.received: closes a chain whose presentation was paid.
pub const PAYMENT_RECEIVED: &str = "payment.received";
/// mandate.revoked: stops the chains of the mandate.
pub const MANDATE_REVOKED: &str = "mandate.revoked";
/// credit_note.issued: stops the chains of the invoice.
pub const CREDIT_NOTE_ISSUED: &str = "credit_note.issued";
/// invoice.paid: stops the chains of an invoice paid otherwise.
pub const INVOICE_PAID: &str = "invoice.paid";

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request or of the event that caused it.
    pub traceparent: Option<String>,
}

fn text(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

fn money(m: &Money) -> common::Money {
    common::Money {
        currency_code: m.currency_code.clone(),
        amount_minor: m.amount_minor,
    }
}

/// Returns the reason retry.exhausted carries for `reason`: every code that may not be
/// retried (hard, technical, dispute, MD07, a code outside the policy, MS03 a second
/// time) is FINAL_CODE, a mandate no longer active MANDATE_INACTIVE; the precise reason
/// is the chain's `stop_reason` (GetChain).
pub fn exhaustion_reason(reason: StopReason) -> ev::RetryExhaustionReason {
    use ev::RetryExhaustionReason as R;
    match reason {
        StopReason::MaxRetries => R::MaxAttempts,
        StopReason::WindowElapsed => R::WindowElapsed,
        StopReason::HardCode
        | StopReason::TechnicalCode
        | StopReason::Dispute
        | StopReason::DebtorDeceased
        | StopReason::CodeNotRetried
        | StopReason::CodeLimitReached => R::FinalCode,
        StopReason::MandateInactive => R::MandateInactive,
        StopReason::InvoiceCredited | StopReason::InvoicePaid | StopReason::Cancelled => {
            R::Unspecified
        }
    }
}

/// Returns `retry.scheduled` for the new attempt `a` of `c`.
pub fn scheduled(c: &Chain, a: &Attempt, actor: &Actor) -> NewEvent {
    let message = ev::RetryScheduled {
        meta: Some(ev::EventMeta {
            organisation_id: c.organisation_id.to_string(),
            aggregate_id: a.id.to_string(),
            aggregate_version: 1,
            occur_time: Some(timestamp(a.created_at)),
            actor_user_id: text(actor.user_id),
        }),
        attempt_id: a.id.to_string(),
        payment_id: a.presented_payment_id.to_string(),
        invoice_id: text(c.invoice_id),
        mandate_id: text(c.mandate_id),
        client_id: text(c.client_id),
        attempt_number: i32::try_from(a.attempt_number).unwrap_or(i32::MAX),
        scheduled_date: Some(date_to_proto(a.scheduled_date)),
        amount: Some(money(&a.amount)),
        reason_code: a.reason_code.clone(),
    };
    NewEvent {
        event_type: "retry.scheduled",
        organisation_id: c.organisation_id,
        aggregate_id: a.id.to_string(),
        aggregate_version: 1,
        payload: message.encode_to_vec(),
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns `retry.exhausted` for the chain `c`, stopped for `reason`. The aggregate is
/// the payment given up on (the chain's latest); its version is the chain's.
pub fn exhausted(c: &Chain, reason: StopReason, actor: &Actor) -> NewEvent {
    let message = ev::RetryExhausted {
        meta: Some(ev::EventMeta {
            organisation_id: c.organisation_id.to_string(),
            aggregate_id: c.current_payment_id.to_string(),
            aggregate_version: c.version,
            occur_time: Some(timestamp(c.updated_at)),
            actor_user_id: text(actor.user_id),
        }),
        payment_id: c.current_payment_id.to_string(),
        invoice_id: text(c.invoice_id),
        mandate_id: text(c.mandate_id),
        client_id: text(c.client_id),
        contract_id: text(c.contract_id),
        attempts: i32::try_from(c.presentations).unwrap_or(i32::MAX),
        last_reason_code: c.last_reason_code.clone(),
        reason: exhaustion_reason(reason) as i32,
        amount: Some(money(&c.amount)),
    };
    NewEvent {
        event_type: "retry.exhausted",
        organisation_id: c.organisation_id,
        aggregate_id: c.current_payment_id.to_string(),
        aggregate_version: c.version,
        payload: message.encode_to_vec(),
        traceparent: actor.traceparent.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handed_over_reason_has_a_catalogue_reason() {
        for reason in StopReason::ALL {
            let mapped = exhaustion_reason(reason);
            assert_eq!(
                reason.hands_over(),
                mapped != ev::RetryExhaustionReason::Unspecified,
                "{reason:?}"
            );
        }
    }
}
