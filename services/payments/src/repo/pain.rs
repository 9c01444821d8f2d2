//! A batch as the pain.008 writer takes it: debtor IBANs opened from the vault, names
//! and remittance text transliterated and cut to their fields, amendments spelt out.

use std::collections::HashMap;

use uuid::Uuid;

use crate::domain::sealing::Vault;
use chrono::NaiveDate;

use crate::domain::{Batch, CreditorAccount, Payment, Scheme};
use crate::error::Error;

/// What a transaction takes from its mandate.
#[derive(Debug, Clone)]
pub struct Debtor {
    /// The mandate's reference (UMR).
    pub reference: String,
    /// The debtor's name.
    pub name: String,
    /// The debtor's IBAN, sealed.
    pub iban_sealed: String,
    /// The debtor's BIC.
    pub bic: Option<String>,
    /// The mandate's signature date.
    pub signature_date: Option<NaiveDate>,
    /// CORE or B2B.
    pub scheme: Scheme,
}

/// Returns the writer's batch of `b`'s `payments`, their debtors by mandate id, with
/// `remittance` giving each payment's text.
pub fn sepa_batch(
    vault: &Vault,
    b: &Batch,
    account: &CreditorAccount,
    payments: &[Payment],
    debtors: &HashMap<Uuid, Debtor>,
    remittance: impl Fn(&Payment) -> Option<String>,
) -> Result<crm_sepa::Batch, Error> {
    let org = b.organisation_id;
    let mut transactions = Vec::with_capacity(payments.len());
    for p in payments {
        let m = debtors
            .get(&p.mandate_id)
            .ok_or_else(|| Error::not_found("mandate", p.mandate_id))?;
        let Some(signed_on) = m.signature_date else {
            return Err(Error::FailedPrecondition(format!(
                "mandate {} has no signature date",
                m.reference
            )));
        };
        let Some(sequence) = p.sequence_type else {
            return Err(Error::FailedPrecondition(format!(
                "payment {} has no sequence type",
                p.id
            )));
        };
        let a = &p.amendment;
        let amendment = if a.is_empty() {
            None
        } else {
            let original_iban = match &a.original_iban_sealed {
                Some(sealed) => Some(vault.open(sealed, org, p.mandate_id)?),
                None => None,
            };
            Some(crm_sepa::Amendment {
                original_mandate_id: a.original_reference.clone(),
                original_creditor_id: None,
                original_debtor_iban: original_iban,
                same_mandate_new_account: a.same_mandate_new_account,
            })
        };
        transactions.push(crm_sepa::Transaction {
            end_to_end_id: p.end_to_end_id.clone(),
            amount_minor: p.amount_minor,
            mandate_id: m.reference.clone(),
            mandate_signed_on: signed_on,
            amendment,
            debtor_name: crm_sepa::fit_text(&m.name, crm_sepa::MAX_NAME_CHARS),
            debtor_iban: vault.open(&m.iban_sealed, org, p.mandate_id)?,
            debtor_bic: m.bic.clone(),
            remittance: crm_sepa::fit_text(
                &remittance(p).unwrap_or_default(),
                crm_sepa::MAX_REMITTANCE_CHARS,
            ),
            sequence,
            collection_date: b.collection_date,
            instrument: match m.scheme {
                Scheme::Core => crm_sepa::LocalInstrument::Core,
                Scheme::B2b => crm_sepa::LocalInstrument::B2b,
            },
        });
    }
    let name = crm_sepa::fit_text(&account.name, crm_sepa::MAX_NAME_CHARS);
    Ok(crm_sepa::Batch {
        message_id: b.message_id.clone(),
        created_at: crate::repo::now(),
        initiating_party: name.clone(),
        creditor: crm_sepa::Creditor {
            name,
            iban: account.iban.clone(),
            bic: account.bic.clone(),
            creditor_id: account.creditor_id.clone(),
        },
        transactions,
    })
}
