//! The events the payments service publishes, written into its outbox in the
//! transaction of the change they describe: mandate.created, mandate.revoked (revoked,
//! expired or failed), schedule.created, payment.submitted, payment.received,
//! payment.rejected and payment.refunded.

use chrono::{DateTime, Utc};
use crm_events::NewEvent;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{
    date_to_proto, kind_to_proto, mandate_status_to_proto, scheme_to_proto, sequence_to_proto,
    timestamp,
};
use crate::domain::{Mandate, Payment, RejectionKind, ScheduleView};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request or event.
    pub traceparent: Option<String>,
}

fn meta(
    org: Uuid,
    aggregate: Uuid,
    version: i64,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Option<ev::EventMeta> {
    Some(ev::EventMeta {
        organisation_id: org.to_string(),
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
        occur_time: Some(timestamp(at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    })
}

fn event(
    event_type: &'static str,
    org: Uuid,
    aggregate: Uuid,
    version: i64,
    actor: &Actor,
    payload: Vec<u8>,
) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: org,
        aggregate_id: aggregate.to_string(),
        aggregate_version: version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

fn money(amount_minor: i64, currency: &str) -> Option<common::Money> {
    Some(common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    })
}

fn opt(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

/// Returns `mandate.created`.
pub fn mandate_created(m: &Mandate, actor: &Actor) -> NewEvent {
    let message = ev::MandateCreated {
        meta: meta(m.organisation_id, m.id, m.version, m.updated_at, actor),
        mandate_id: m.id.to_string(),
        reference: m.reference.clone(),
        client_id: m.client_id.to_string(),
        debtor_name: m.debtor_name.clone(),
        iban_masked: m.iban_masked.clone(),
        bic: m.bic.clone().unwrap_or_default(),
        signature_date: m.signature_date.map(date_to_proto),
        r#type: kind_to_proto(m.kind) as i32,
        scheme: scheme_to_proto(m.scheme) as i32,
        status: mandate_status_to_proto(m.status) as i32,
    };
    let payload = message.encode_to_vec();
    event(
        "mandate.created",
        m.organisation_id,
        m.id,
        m.version,
        actor,
        payload,
    )
}

/// Returns `mandate.revoked` for a mandate now REVOKED, EXPIRED or FAILED.
pub fn mandate_revoked(m: &Mandate, actor: &Actor) -> NewEvent {
    let message = ev::MandateRevoked {
        meta: meta(m.organisation_id, m.id, m.version, m.updated_at, actor),
        mandate_id: m.id.to_string(),
        reference: m.reference.clone(),
        client_id: m.client_id.to_string(),
        status: mandate_status_to_proto(m.status) as i32,
        reason_code: m.status_reason.clone().unwrap_or_default(),
    };
    let payload = message.encode_to_vec();
    event(
        "mandate.revoked",
        m.organisation_id,
        m.id,
        m.version,
        actor,
        payload,
    )
}

/// Returns `schedule.created`.
pub fn schedule_created(view: &ScheduleView, actor: &Actor) -> NewEvent {
    let s = &view.schedule;
    let message = ev::ScheduleCreated {
        meta: meta(s.organisation_id, s.id, 1, s.created_at, actor),
        schedule_id: s.id.to_string(),
        contract_id: s.contract_id.to_string(),
        client_id: s.client_id.to_string(),
        mandate_id: s.mandate_id.to_string(),
        instalments: view
            .instalments
            .iter()
            .map(|i| ev::Instalment {
                instalment_id: i.id.to_string(),
                due_date: Some(date_to_proto(i.due_date)),
                amount: money(i.amount_minor, &i.currency),
                invoice_id: opt(i.invoice_id),
            })
            .collect(),
    };
    let payload = message.encode_to_vec();
    event(
        "schedule.created",
        s.organisation_id,
        s.id,
        1,
        actor,
        payload,
    )
}

fn payment_event(
    event_type: &'static str,
    p: &Payment,
    actor: &Actor,
    payload: Vec<u8>,
) -> NewEvent {
    event(
        event_type,
        p.organisation_id,
        p.id,
        p.version,
        actor,
        payload,
    )
}

/// Returns `payment.submitted`.
pub fn payment_submitted(p: &Payment, actor: &Actor) -> NewEvent {
    let message = ev::PaymentSubmitted {
        meta: meta(p.organisation_id, p.id, p.version, p.updated_at, actor),
        payment_id: p.id.to_string(),
        instalment_id: p.instalment_id.to_string(),
        invoice_id: opt(p.invoice_id),
        mandate_id: p.mandate_id.to_string(),
        client_id: p.client_id.to_string(),
        contract_id: p.contract_id.to_string(),
        amount: money(p.amount_minor, &p.currency),
        method: ev::PaymentMethod::Sepa as i32,
        collection_date: Some(date_to_proto(p.collection_date)),
        sequence_type: sequence_to_proto(p.sequence_type) as i32,
        end_to_end_id: p.end_to_end_id.clone(),
        attempt_number: p.attempt_number,
    };
    payment_event("payment.submitted", p, actor, message.encode_to_vec())
}

/// Returns `payment.received`.
pub fn payment_received(p: &Payment, actor: &Actor) -> NewEvent {
    let message = ev::PaymentReceived {
        meta: meta(p.organisation_id, p.id, p.version, p.updated_at, actor),
        payment_id: p.id.to_string(),
        instalment_id: p.instalment_id.to_string(),
        invoice_id: opt(p.invoice_id),
        mandate_id: p.mandate_id.to_string(),
        client_id: p.client_id.to_string(),
        contract_id: p.contract_id.to_string(),
        amount: money(p.amount_minor, &p.currency),
        method: ev::PaymentMethod::Sepa as i32,
        settlement_date: p.settlement_date.map(date_to_proto),
        return_deadline: p.return_deadline.map(date_to_proto),
        attempt_number: p.attempt_number,
    };
    payment_event("payment.received", p, actor, message.encode_to_vec())
}

/// Returns the class of a reason code for events.
pub fn reason_class(code: &str) -> ev::ReasonClass {
    use crm_sepa::reason::ReasonClass as C;
    match crm_sepa::reason::lookup(code).map(|r| r.class) {
        Some(C::Soft) => ev::ReasonClass::Soft,
        Some(C::Hard) => ev::ReasonClass::Hard,
        Some(C::Technical) => ev::ReasonClass::Technical,
        Some(C::Dispute) => ev::ReasonClass::Dispute,
        None => ev::ReasonClass::Unspecified,
    }
}

/// Returns `payment.rejected` for a payment now REJECTED or RETURNED.
pub fn payment_rejected(p: &Payment, debtor_country: &str, actor: &Actor) -> NewEvent {
    let code = p.reason_code.clone().unwrap_or_default();
    let message = ev::PaymentRejected {
        meta: meta(p.organisation_id, p.id, p.version, p.updated_at, actor),
        payment_id: p.id.to_string(),
        instalment_id: p.instalment_id.to_string(),
        invoice_id: opt(p.invoice_id),
        mandate_id: p.mandate_id.to_string(),
        client_id: p.client_id.to_string(),
        contract_id: p.contract_id.to_string(),
        amount: money(p.amount_minor, &p.currency),
        reason_class: reason_class(&code) as i32,
        reason_code: code,
        kind: match p.rejection_kind {
            Some(RejectionKind::Reject) => ev::RejectionKind::Reject,
            Some(RejectionKind::Return) => ev::RejectionKind::Return,
            None => ev::RejectionKind::Unspecified,
        } as i32,
        attempt_number: p.attempt_number,
        collection_date: Some(date_to_proto(p.collection_date)),
        rejection_date: p.rejection_date.map(date_to_proto),
        debtor_country: debtor_country.to_owned(),
    };
    payment_event("payment.rejected", p, actor, message.encode_to_vec())
}

/// Returns `payment.refunded`.
pub fn payment_refunded(p: &Payment, actor: &Actor) -> NewEvent {
    let message = ev::PaymentRefunded {
        meta: meta(p.organisation_id, p.id, p.version, p.updated_at, actor),
        payment_id: p.id.to_string(),
        invoice_id: opt(p.invoice_id),
        mandate_id: p.mandate_id.to_string(),
        client_id: p.client_id.to_string(),
        contract_id: p.contract_id.to_string(),
        amount: money(p.amount_minor, &p.currency),
        reason_code: p.reason_code.clone().unwrap_or_default(),
        refund_date: p.refund_date.map(date_to_proto),
    };
    payment_event("payment.refunded", p, actor, message.encode_to_vec())
}
