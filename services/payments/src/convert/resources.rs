//! The domain's resources as protobuf messages. IBANs of debtors only ever leave masked.

use crm_proto::common::v1 as common;
use crm_proto::payments::v1 as pb;

use super::{
    batch_status_to_proto, date_to_proto, instalment_status_to_proto, kind_to_proto,
    mandate_status_to_proto, payment_status_to_proto, scheme_to_proto, sequence_to_proto,
    timestamp, version_to_proto,
};
use crate::domain::{
    Batch, CreditorAccount, Instalment, Mandate, Payment, RejectionKind, ScheduleView, Settings,
};

fn money(amount_minor: i64, currency: &str) -> Option<common::Money> {
    Some(common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    })
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Returns the proto of a creditor account.
pub fn account_to_proto(a: &CreditorAccount) -> pb::CreditorAccount {
    pb::CreditorAccount {
        id: a.id.to_string(),
        name: a.name.clone(),
        creditor_identifier: a.creditor_id.clone(),
        iban: a.iban.clone(),
        bic: opt(a.bic.as_ref()),
        create_time: Some(timestamp(a.created_at)),
    }
}

/// Returns the proto of the settings.
pub fn settings_to_proto(s: &Settings) -> pb::PaymentSettings {
    pb::PaymentSettings {
        submission_lead_days: i32::try_from(s.submission_lead_days).unwrap_or(i32::MAX),
        prenotification_days: i32::try_from(s.prenotification_days).unwrap_or(i32::MAX),
        version: s.version,
    }
}

/// Returns the proto of a mandate (IBAN masked).
pub fn mandate_to_proto(m: &Mandate) -> pb::Mandate {
    let a = &m.amendment;
    pb::Mandate {
        id: m.id.to_string(),
        creditor_account_id: m.creditor_account_id.to_string(),
        reference: m.reference.clone(),
        client_id: m.client_id.to_string(),
        debtor_name: m.debtor_name.clone(),
        iban_masked: m.iban_masked.clone(),
        bic: opt(m.bic.as_ref()),
        signature_date: m.signature_date.map(date_to_proto),
        r#type: kind_to_proto(m.kind) as i32,
        scheme: scheme_to_proto(m.scheme) as i32,
        status: mandate_status_to_proto(m.status) as i32,
        status_reason_code: opt(m.status_reason.as_ref()),
        last_collection_date: m.last_collection_date.map(date_to_proto),
        pending_amendment: (!a.is_empty()).then(|| pb::MandateAmendment {
            original_reference: opt(a.original_reference.as_ref()),
            original_iban_masked: opt(a.original_iban_masked.as_ref()),
            same_mandate_new_account: a.same_mandate_new_account,
            amend_time: a.amended_at.map(timestamp),
        }),
        create_time: Some(timestamp(m.created_at)),
        update_time: Some(timestamp(m.updated_at)),
        version: m.version,
    }
}

/// Returns the proto of an instalment.
pub fn instalment_to_proto(i: &Instalment) -> pb::Instalment {
    pb::Instalment {
        id: i.id.to_string(),
        sequence: i.sequence,
        due_date: Some(date_to_proto(i.due_date)),
        amount: money(i.amount_minor, &i.currency),
        status: instalment_status_to_proto(i.status) as i32,
        invoice_id: opt(i.invoice_id),
        invoice_number: opt(i.invoice_number.as_ref()),
        amount_final: i.amount_final,
        period_start: Some(date_to_proto(i.period_start)),
        period_end: Some(date_to_proto(i.period_end)),
    }
}

/// Returns the proto of a schedule with its instalments.
pub fn schedule_to_proto(v: &ScheduleView) -> pb::Schedule {
    let s = &v.schedule;
    pb::Schedule {
        id: s.id.to_string(),
        contract_id: s.contract_id.to_string(),
        contract_number: s.contract_number.clone(),
        client_id: s.client_id.to_string(),
        mandate_id: s.mandate_id.to_string(),
        notified_on: Some(date_to_proto(s.notified_on)),
        instalments: v.instalments.iter().map(instalment_to_proto).collect(),
        create_time: Some(timestamp(s.created_at)),
    }
}

/// Returns the proto of a payment.
pub fn payment_to_proto(p: &Payment) -> pb::Payment {
    use crm_proto::events::v1::RejectionKind as K;
    pb::Payment {
        id: p.id.to_string(),
        previous_payment_id: opt(p.previous_payment_id),
        attempt_number: p.attempt_number,
        amount: money(p.amount_minor, &p.currency),
        collection_date: Some(date_to_proto(p.collection_date)),
        status: payment_status_to_proto(p.status) as i32,
        instalment_id: p.instalment_id.to_string(),
        schedule_id: p.schedule_id.to_string(),
        contract_id: p.contract_id.to_string(),
        client_id: p.client_id.to_string(),
        invoice_id: opt(p.invoice_id),
        mandate_id: p.mandate_id.to_string(),
        creditor_account_id: p.creditor_account_id.to_string(),
        batch_id: opt(p.batch_id),
        end_to_end_id: p.end_to_end_id.clone(),
        sequence_type: sequence_to_proto(p.sequence_type) as i32,
        reason_code: opt(p.reason_code.as_ref()),
        rejection_kind: match p.rejection_kind {
            None => K::Unspecified,
            Some(RejectionKind::Reject) => K::Reject,
            Some(RejectionKind::Return) => K::Return,
        } as i32,
        rejection_date: p.rejection_date.map(date_to_proto),
        settlement_date: p.settlement_date.map(date_to_proto),
        return_deadline: p.return_deadline.map(date_to_proto),
        refund_date: p.refund_date.map(date_to_proto),
        create_time: Some(timestamp(p.created_at)),
        update_time: Some(timestamp(p.updated_at)),
    }
}

/// Returns the proto of a batch.
pub fn batch_to_proto(b: &Batch) -> pb::Batch {
    pb::Batch {
        id: b.id.to_string(),
        creditor_account_id: b.creditor_account_id.to_string(),
        collection_date: Some(date_to_proto(b.collection_date)),
        status: batch_status_to_proto(b.status) as i32,
        message_id: b.message_id.clone(),
        number_of_transactions: b.transactions,
        control_sum: money(b.control_sum_minor, &b.currency),
        version: version_to_proto(b.version) as i32,
        sha256: opt(b.sha256.as_ref()),
        create_time: Some(timestamp(b.created_at)),
        export_time: b.exported_at.map(timestamp),
    }
}
