//! The events the factures service publishes, written into its outbox in the transaction
//! of the change they describe: invoice.issued, invoice.paid, invoice.overdue,
//! invoice.cancelled and credit_note.issued.

use crm_events::NewEvent;
use crm_proto::clients::v1::ClientKind as PbClientKind;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{date_to_proto, money, timestamp};
use crate::domain::{ClientKind, Invoice, VatSubtotal};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request or event that caused it.
    pub traceparent: Option<String>,
}

fn meta(i: &Invoice, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: i.organisation_id.to_string(),
        aggregate_id: i.id.to_string(),
        aggregate_version: i.version,
        occur_time: Some(timestamp(i.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn new_event(event_type: &'static str, i: &Invoice, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: i.organisation_id,
        aggregate_id: i.id.to_string(),
        aggregate_version: i.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

fn opt_id(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

/// Returns the proto value of a client kind.
pub fn client_kind(k: Option<ClientKind>) -> i32 {
    match k {
        None => PbClientKind::Unspecified as i32,
        Some(ClientKind::Person) => PbClientKind::Person as i32,
        Some(ClientKind::Company) => PbClientKind::Company as i32,
    }
}

fn vat_amounts(currency: &str, subtotals: &[VatSubtotal]) -> Vec<ev::VatAmount> {
    subtotals
        .iter()
        .map(|s| ev::VatAmount {
            vat_category: s.category.key().to_owned(),
            rate_basis_points: s.rate_bps,
            taxable_amount: Some(money(currency, s.base)),
            vat_amount: Some(money(currency, s.vat)),
            exemption_reason: s.category.exemption_reason().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Returns `invoice.issued`; `i` is issued.
pub fn issued(i: &Invoice, actor: &Actor) -> Option<NewEvent> {
    let is = i.issued.as_ref()?;
    let c = &i.currency;
    let message = ev::InvoiceIssued {
        meta: Some(meta(i, actor)),
        invoice_id: i.id.to_string(),
        number: is.number.clone(),
        client_id: i.client_id.to_string(),
        client_kind: client_kind(Some(is.buyer.kind)),
        client_name: is.buyer.name.clone(),
        contract_id: opt_id(i.contract_id),
        issue_date: Some(date_to_proto(is.issue_date)),
        due_date: Some(date_to_proto(is.due_date)),
        service_period_start: i.service_period.map(|p| date_to_proto(p.start)),
        service_period_end: i.service_period.map(|p| date_to_proto(p.end)),
        total_excl_vat: Some(money(c, is.totals.excl_vat)),
        vat_amounts: vat_amounts(c, &is.subtotals),
        total_vat: Some(money(c, is.totals.vat)),
        total_incl_vat: Some(money(c, is.totals.incl_vat)),
        document_id: String::new(),
    };
    Some(new_event(
        "invoice.issued",
        i,
        actor,
        message.encode_to_vec(),
    ))
}

/// Returns `invoice.paid`: `i` became paid, completed by `payment` (none when a credit
/// note settled the rest).
pub fn paid(i: &Invoice, payment: Option<Uuid>, actor: &Actor) -> NewEvent {
    let c = &i.currency;
    let message = ev::InvoicePaid {
        meta: Some(meta(i, actor)),
        invoice_id: i.id.to_string(),
        number: i.number().to_owned(),
        client_id: i.client_id.to_string(),
        contract_id: opt_id(i.contract_id),
        total_incl_vat: Some(money(c, i.total_incl_vat())),
        amount_paid: Some(money(c, i.amount_paid)),
        payment_id: opt_id(payment),
    };
    new_event("invoice.paid", i, actor, message.encode_to_vec())
}

/// Returns `invoice.overdue`; `i` was just marked overdue.
pub fn overdue(i: &Invoice, actor: &Actor) -> Option<NewEvent> {
    let is = i.issued.as_ref()?;
    let c = &i.currency;
    let message = ev::InvoiceOverdue {
        meta: Some(meta(i, actor)),
        invoice_id: i.id.to_string(),
        number: is.number.clone(),
        client_id: i.client_id.to_string(),
        client_kind: client_kind(Some(is.buyer.kind)),
        contract_id: opt_id(i.contract_id),
        due_date: Some(date_to_proto(is.due_date)),
        total_incl_vat: Some(money(c, is.totals.incl_vat)),
        amount_due: Some(money(c, i.amount_due())),
    };
    Some(new_event(
        "invoice.overdue",
        i,
        actor,
        message.encode_to_vec(),
    ))
}

/// Returns `invoice.cancelled`: `credit_note` cancelled `i`.
pub fn cancelled(i: &Invoice, credit_note: &Invoice, actor: &Actor) -> NewEvent {
    let message = ev::InvoiceCancelled {
        meta: Some(meta(i, actor)),
        invoice_id: i.id.to_string(),
        number: i.number().to_owned(),
        client_id: i.client_id.to_string(),
        contract_id: opt_id(i.contract_id),
        credit_note_id: credit_note.id.to_string(),
        credit_note_number: credit_note.number().to_owned(),
    };
    new_event("invoice.cancelled", i, actor, message.encode_to_vec())
}

/// Returns `credit_note.issued` for `credit_note` against `invoice`.
pub fn credit_note_issued(
    credit_note: &Invoice,
    invoice: &Invoice,
    cancels: bool,
    actor: &Actor,
) -> Option<NewEvent> {
    let is = credit_note.issued.as_ref()?;
    let c = &credit_note.currency;
    let message = ev::CreditNoteIssued {
        meta: Some(meta(credit_note, actor)),
        credit_note_id: credit_note.id.to_string(),
        number: is.number.clone(),
        invoice_id: invoice.id.to_string(),
        invoice_number: invoice.number().to_owned(),
        client_id: credit_note.client_id.to_string(),
        contract_id: opt_id(credit_note.contract_id),
        issue_date: Some(date_to_proto(is.issue_date)),
        total_excl_vat: Some(money(c, is.totals.excl_vat)),
        vat_amounts: vat_amounts(c, &is.subtotals),
        total_vat: Some(money(c, is.totals.vat)),
        total_incl_vat: Some(money(c, is.totals.incl_vat)),
        reason: credit_note
            .credit_of
            .as_ref()
            .map(|o| o.reason.clone())
            .unwrap_or_default(),
        cancels_invoice: cancels,
        document_id: String::new(),
    };
    Some(new_event(
        "credit_note.issued",
        credit_note,
        actor,
        message.encode_to_vec(),
    ))
}
