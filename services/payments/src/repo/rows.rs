//! Rows to domain values and back.

use sea_orm::ActiveValue::Set;

use crate::domain::{
    Batch, BatchStatus, CreditorAccount, Instalment, InstalmentStatus, Mandate, MandateKind,
    MandateStatus, PainVersion, Payment, PaymentStatus, PendingAmendment, RejectionKind, Schedule,
    Scheme, Settings,
};
use crate::entity::{batch, creditor_account, instalment, mandate, payment, schedule, settings};

pub fn account(m: creditor_account::Model) -> CreditorAccount {
    CreditorAccount {
        id: m.id,
        organisation_id: m.organisation_id,
        name: m.name,
        creditor_id: m.creditor_id,
        iban: m.iban,
        bic: m.bic,
        created_at: m.created_at,
    }
}

pub fn settings(m: settings::Model) -> Settings {
    Settings {
        submission_lead_days: u32::try_from(m.submission_lead_days).unwrap_or(2),
        prenotification_days: u32::try_from(m.prenotification_days).unwrap_or(14),
        version: m.version,
    }
}

pub fn mandate(m: mandate::Model) -> Mandate {
    Mandate {
        id: m.id,
        organisation_id: m.organisation_id,
        creditor_account_id: m.creditor_account_id,
        creditor_id: m.creditor_id,
        reference: m.reference,
        client_id: m.client_id,
        debtor_name: m.debtor_name,
        iban_sealed: m.iban_sealed,
        iban_masked: m.iban_masked,
        bic: m.bic,
        signature_date: m.signature_date,
        kind: MandateKind::parse(&m.kind).unwrap_or(MandateKind::Recurrent),
        scheme: Scheme::parse(&m.scheme).unwrap_or(Scheme::Core),
        status: MandateStatus::parse(&m.status).unwrap_or(MandateStatus::Suspended),
        status_reason: m.status_reason,
        last_collection_date: m.last_collection_date,
        settled_since_reset: m.settled_since_reset,
        account_changed_at: m.account_changed_at,
        amendment: PendingAmendment {
            original_reference: m.amend_original_reference,
            original_iban_sealed: m.amend_original_iban_sealed,
            original_iban_masked: m.amend_original_iban_masked,
            same_mandate_new_account: m.amend_smnda,
            amended_at: m.amended_at,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// Returns the row of a mandate; `request_id` only matters on insert.
pub fn mandate_row(m: &Mandate, request_id: Option<uuid::Uuid>) -> mandate::ActiveModel {
    let a = &m.amendment;
    mandate::ActiveModel {
        id: Set(m.id),
        organisation_id: Set(m.organisation_id),
        creditor_account_id: Set(m.creditor_account_id),
        creditor_id: Set(m.creditor_id.clone()),
        reference: Set(m.reference.clone()),
        client_id: Set(m.client_id),
        debtor_name: Set(m.debtor_name.clone()),
        iban_sealed: Set(m.iban_sealed.clone()),
        iban_masked: Set(m.iban_masked.clone()),
        bic: Set(m.bic.clone()),
        signature_date: Set(m.signature_date),
        kind: Set(m.kind.as_str().to_owned()),
        scheme: Set(m.scheme.as_str().to_owned()),
        status: Set(m.status.as_str().to_owned()),
        status_reason: Set(m.status_reason.clone()),
        last_collection_date: Set(m.last_collection_date),
        settled_since_reset: Set(m.settled_since_reset),
        account_changed_at: Set(m.account_changed_at),
        amend_original_reference: Set(a.original_reference.clone()),
        amend_original_iban_sealed: Set(a.original_iban_sealed.clone()),
        amend_original_iban_masked: Set(a.original_iban_masked.clone()),
        amend_smnda: Set(a.same_mandate_new_account),
        amended_at: Set(a.amended_at),
        request_id: Set(request_id),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
        version: Set(m.version),
    }
}

pub fn schedule(m: schedule::Model) -> Schedule {
    Schedule {
        id: m.id,
        organisation_id: m.organisation_id,
        contract_id: m.contract_id,
        contract_number: m.contract_number,
        client_id: m.client_id,
        mandate_id: m.mandate_id,
        notified_on: m.notified_on,
        created_at: m.created_at,
    }
}

pub fn instalment(m: instalment::Model) -> Instalment {
    Instalment {
        id: m.id,
        schedule_id: m.schedule_id,
        sequence: m.sequence,
        due_date: m.due_date,
        period_start: m.period_start,
        period_end: m.period_end,
        amount_minor: m.amount_minor,
        currency: m.currency,
        amount_final: m.amount_final,
        last_of_contract: m.last_of_contract,
        invoice_id: m.invoice_id,
        invoice_number: m.invoice_number,
        status: InstalmentStatus::parse(&m.status).unwrap_or(InstalmentStatus::Planned),
    }
}

pub fn payment(m: payment::Model) -> Payment {
    Payment {
        id: m.id,
        organisation_id: m.organisation_id,
        instalment_id: m.instalment_id,
        schedule_id: m.schedule_id,
        contract_id: m.contract_id,
        client_id: m.client_id,
        invoice_id: m.invoice_id,
        mandate_id: m.mandate_id,
        creditor_account_id: m.creditor_account_id,
        previous_payment_id: m.previous_payment_id,
        attempt_number: m.attempt_number,
        amount_minor: m.amount_minor,
        currency: m.currency,
        collection_date: m.collection_date,
        status: PaymentStatus::parse(&m.status).unwrap_or(PaymentStatus::Scheduled),
        batch_id: m.batch_id,
        end_to_end_id: m.end_to_end_id,
        sequence_type: m
            .sequence_type
            .as_deref()
            .and_then(crm_sepa::SequenceType::from_code),
        reason_code: m.reason_code,
        rejection_kind: m.rejection_kind.as_deref().and_then(RejectionKind::parse),
        rejection_date: m.rejection_date,
        settlement_date: m.settlement_date,
        return_deadline: m.return_deadline,
        refund_date: m.refund_date,
        request_id: m.request_id,
        amendment: PendingAmendment {
            original_reference: m.amend_original_reference,
            original_iban_sealed: m.amend_original_iban_sealed,
            original_iban_masked: m.amend_original_iban_masked,
            same_mandate_new_account: m.amend_smnda,
            amended_at: None,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

pub fn payment_row(p: &Payment) -> payment::ActiveModel {
    let a = &p.amendment;
    payment::ActiveModel {
        id: Set(p.id),
        organisation_id: Set(p.organisation_id),
        instalment_id: Set(p.instalment_id),
        schedule_id: Set(p.schedule_id),
        contract_id: Set(p.contract_id),
        client_id: Set(p.client_id),
        invoice_id: Set(p.invoice_id),
        mandate_id: Set(p.mandate_id),
        creditor_account_id: Set(p.creditor_account_id),
        previous_payment_id: Set(p.previous_payment_id),
        attempt_number: Set(p.attempt_number),
        amount_minor: Set(p.amount_minor),
        currency: Set(p.currency.clone()),
        collection_date: Set(p.collection_date),
        status: Set(p.status.as_str().to_owned()),
        batch_id: Set(p.batch_id),
        end_to_end_id: Set(p.end_to_end_id.clone()),
        sequence_type: Set(p.sequence_type.map(|s| s.code().to_owned())),
        reason_code: Set(p.reason_code.clone()),
        rejection_kind: Set(p.rejection_kind.map(|k| k.as_str().to_owned())),
        rejection_date: Set(p.rejection_date),
        settlement_date: Set(p.settlement_date),
        return_deadline: Set(p.return_deadline),
        refund_date: Set(p.refund_date),
        request_id: Set(p.request_id),
        amend_original_reference: Set(a.original_reference.clone()),
        amend_original_iban_sealed: Set(a.original_iban_sealed.clone()),
        amend_original_iban_masked: Set(a.original_iban_masked.clone()),
        amend_smnda: Set(a.same_mandate_new_account),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    }
}

pub fn batch(m: batch::Model) -> Batch {
    Batch {
        id: m.id,
        organisation_id: m.organisation_id,
        creditor_account_id: m.creditor_account_id,
        collection_date: m.collection_date,
        status: BatchStatus::parse(&m.status).unwrap_or(BatchStatus::Prepared),
        message_id: m.message_id,
        transactions: m.transactions,
        control_sum_minor: m.control_sum_minor,
        currency: m.currency,
        version: m.pain_version.as_deref().and_then(PainVersion::parse),
        sha256: m.sha256,
        created_at: m.created_at,
        exported_at: m.exported_at,
    }
}
