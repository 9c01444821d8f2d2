//! The events the contrats service publishes, written into its outbox in the transaction
//! of the change they describe. Every field of each message is filled.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{
    client_kind_to_proto, date_to_proto, lines_to_event, payment_method_value, sales_channel_value,
    termination_cause_to_proto, timestamp,
};
use crate::domain::{Amendment, Contract};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(c: &Contract, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: c.organisation_id.to_string(),
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        occur_time: Some(timestamp(c.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn new_event(event_type: &'static str, c: &Contract, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: c.organisation_id,
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns `contract.created`.
pub fn created(c: &Contract, actor: &Actor) -> NewEvent {
    let t = &c.terms;
    let message = ev::ContractCreated {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        number: c.number.clone(),
        client_id: t.client_id.to_string(),
        commercial_id: t.commercial_id.to_string(),
        lines: lines_to_event(&t.lines),
        start_date: Some(date_to_proto(t.start_date)),
        term_months: t.term_months,
        tacit_renewal: t.tacit_renewal,
        billing_day: t.billing_day,
        payment_method: payment_method_value(t.payment_method),
        sales_channel: sales_channel_value(t.sales_channel),
    };
    new_event("contract.created", c, actor, message.encode_to_vec())
}

/// Returns `contract.signed`; `c` is signed.
pub fn signed(c: &Contract, actor: &Actor) -> Option<NewEvent> {
    let t = &c.terms;
    let s = c.signature.as_ref()?;
    let message = ev::ContractSigned {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        number: c.number.clone(),
        client_id: t.client_id.to_string(),
        client_kind: client_kind_to_proto(s.client_kind) as i32,
        commercial_id: t.commercial_id.to_string(),
        lines: lines_to_event(&t.lines),
        signature_date: Some(date_to_proto(s.date)),
        signer_name: s.signer_name.clone(),
        start_date: Some(date_to_proto(t.start_date)),
        term_months: t.term_months,
        tacit_renewal: t.tacit_renewal,
        billing_day: t.billing_day,
        payment_method: payment_method_value(t.payment_method),
        mandate_reference: t.mandate_reference.clone().unwrap_or_default(),
        sales_channel: sales_channel_value(t.sales_channel),
    };
    Some(new_event(
        "contract.signed",
        c,
        actor,
        message.encode_to_vec(),
    ))
}

/// Returns `contract.suspended`; `c` is suspended.
pub fn suspended(c: &Contract, actor: &Actor) -> Option<NewEvent> {
    let s = c.suspension.as_ref()?;
    let message = ev::ContractSuspended {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        client_id: c.terms.client_id.to_string(),
        effective_date: Some(date_to_proto(s.date)),
        reason: s.reason.clone(),
        dunning_case_id: s.dunning_case_id.map(|d| d.to_string()).unwrap_or_default(),
    };
    Some(new_event(
        "contract.suspended",
        c,
        actor,
        message.encode_to_vec(),
    ))
}

/// Returns `contract.resumed`, active again from `from`.
pub fn resumed(c: &Contract, from: chrono::NaiveDate, actor: &Actor) -> NewEvent {
    let message = ev::ContractResumed {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        client_id: c.terms.client_id.to_string(),
        effective_date: Some(date_to_proto(from)),
    };
    new_event("contract.resumed", c, actor, message.encode_to_vec())
}

/// Returns `contract.terminated`; `c` is terminated.
pub fn terminated(c: &Contract, actor: &Actor) -> Option<NewEvent> {
    let end = c.termination.as_ref()?;
    let message = ev::ContractTerminated {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        number: c.number.clone(),
        client_id: c.terms.client_id.to_string(),
        commercial_id: c.terms.commercial_id.to_string(),
        signature_date: c.signature.as_ref().map(|s| date_to_proto(s.date)),
        termination_date: Some(date_to_proto(end.date)),
        cause: termination_cause_to_proto(end.cause) as i32,
        reason: end.reason.clone(),
    };
    Some(new_event(
        "contract.terminated",
        c,
        actor,
        message.encode_to_vec(),
    ))
}

/// Returns `contract.cancelled`.
pub fn cancelled(c: &Contract, actor: &Actor) -> NewEvent {
    let message = ev::ContractCancelled {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        number: c.number.clone(),
        client_id: c.terms.client_id.to_string(),
        reason: c.cancellation_reason.clone().unwrap_or_default(),
    };
    new_event("contract.cancelled", c, actor, message.encode_to_vec())
}

/// Returns `contract.amended` for the amendment `a` of `c`.
pub fn amended(c: &Contract, a: &Amendment, actor: &Actor) -> NewEvent {
    let message = ev::ContractAmended {
        meta: Some(meta(c, actor)),
        contract_id: c.id.to_string(),
        client_id: c.terms.client_id.to_string(),
        amendment_id: a.id.to_string(),
        effective_date: Some(date_to_proto(a.effective_date)),
        lines: lines_to_event(&a.lines),
        billing_day: a.billing_day,
        payment_method: payment_method_value(a.payment_method),
        mandate_reference: a.mandate_reference.clone().unwrap_or_default(),
    };
    new_event("contract.amended", c, actor, message.encode_to_vec())
}
