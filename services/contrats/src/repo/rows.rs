//! Rows of `contracts` to contracts and back. A row this service did not write (an
//! unknown status, unreadable JSON) is an error, never a silent default.

use sea_orm::ActiveValue::Set;
use sea_orm::DbErr;
use uuid::Uuid;

use crate::domain::{
    ClientKind, Contract, PaymentMethod, SalesChannel, Signature, Status, Suspension, Termination,
    TerminationCause, Terms,
};
use crate::entity::contract;

fn corrupt(id: Uuid, what: &str) -> DbErr {
    DbErr::Custom(format!("contract {id}: unreadable {what}"))
}

fn parse<T>(id: Uuid, what: &str, text: &str, f: fn(&str) -> Option<T>) -> Result<T, DbErr> {
    f(text).ok_or_else(|| corrupt(id, what))
}

/// Returns the contract of a row.
pub fn to_domain(m: contract::Model) -> Result<Contract, DbErr> {
    let id = m.id;
    let signature = match (m.signature_date, m.signer_name, m.client_kind) {
        (Some(date), Some(signer_name), Some(kind)) => Some(Signature {
            date,
            signer_name,
            client_kind: parse(id, "client kind", &kind, ClientKind::parse)?,
        }),
        _ => None,
    };
    let suspension = match (m.suspension_date, m.suspension_reason) {
        (Some(date), Some(reason)) => Some(Suspension {
            date,
            reason,
            dunning_case_id: m.dunning_case_id,
        }),
        _ => None,
    };
    let termination = match (m.termination_date, m.termination_cause) {
        (Some(date), Some(cause)) => Some(Termination {
            date,
            cause: parse(id, "termination cause", &cause, TerminationCause::parse)?,
            reason: m.termination_reason.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Contract {
        id,
        organisation_id: m.organisation_id,
        number: m.number,
        terms: Terms {
            client_id: m.client_id,
            commercial_id: m.commercial_id,
            lines: serde_json::from_str(&m.lines).map_err(|_| corrupt(id, "lines"))?,
            start_date: m.start_date,
            term_months: m.term_months,
            tacit_renewal: m.tacit_renewal,
            billing_day: m.billing_day,
            payment_method: parse(
                id,
                "payment method",
                &m.payment_method,
                PaymentMethod::parse,
            )?,
            mandate_reference: m.mandate_reference,
            sales_channel: parse(id, "sales channel", &m.sales_channel, SalesChannel::parse)?,
        },
        status: parse(id, "status", &m.status, Status::parse)?,
        signature,
        suspension,
        termination,
        cancellation_reason: m.cancellation_reason,
        amendments: serde_json::from_str(&m.amendments).map_err(|_| corrupt(id, "amendments"))?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// Returns the row of a contract (`request_id` only on creation).
pub fn to_active(c: &Contract, request_id: Option<Uuid>) -> Result<contract::ActiveModel, DbErr> {
    let t = &c.terms;
    let json = |e: serde_json::Error| DbErr::Custom(format!("contract {}: {e}", c.id));
    Ok(contract::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        number: Set(c.number.clone()),
        client_id: Set(t.client_id),
        commercial_id: Set(t.commercial_id),
        lines: Set(serde_json::to_string(&t.lines).map_err(json)?),
        start_date: Set(t.start_date),
        term_months: Set(t.term_months),
        tacit_renewal: Set(t.tacit_renewal),
        billing_day: Set(t.billing_day),
        payment_method: Set(t.payment_method.as_str().to_owned()),
        mandate_reference: Set(t.mandate_reference.clone()),
        sales_channel: Set(t.sales_channel.as_str().to_owned()),
        status: Set(c.status.as_str().to_owned()),
        signature_date: Set(c.signature.as_ref().map(|s| s.date)),
        signer_name: Set(c.signature.as_ref().map(|s| s.signer_name.clone())),
        client_kind: Set(c
            .signature
            .as_ref()
            .map(|s| s.client_kind.as_str().to_owned())),
        suspension_date: Set(c.suspension.as_ref().map(|s| s.date)),
        suspension_reason: Set(c.suspension.as_ref().map(|s| s.reason.clone())),
        dunning_case_id: Set(c.suspension.as_ref().and_then(|s| s.dunning_case_id)),
        termination_date: Set(c.termination.as_ref().map(|t| t.date)),
        termination_cause: Set(c.termination.as_ref().map(|t| t.cause.as_str().to_owned())),
        termination_reason: Set(c.termination.as_ref().map(|t| t.reason.clone())),
        cancellation_reason: Set(c.cancellation_reason.clone()),
        amendments: Set(serde_json::to_string(&c.amendments).map_err(json)?),
        request_id: Set(request_id),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    })
}
