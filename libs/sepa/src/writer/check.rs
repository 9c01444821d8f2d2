//! Checks every field of a batch and returns it in the form written: identifiers as
//! given, IBANs, BICs and the creditor identifier normalised, texts transliterated.
//! Every problem is collected; nothing stops at the first.

use std::collections::HashMap;

use chrono::NaiveDate;
use crm_shared::validate::{
    ValidationError, check_sepa_identifier, is_pain_008_001_02_bic, is_pain_008_001_08_bicfi,
    validate_bic, validate_creditor_id, validate_iban,
};
use crm_shared::{Currency, Money};

use super::{
    MAX_AMOUNT_MINOR, MAX_ID_CHARS, MAX_NAME_CHARS, MAX_REMITTANCE_CHARS, MIN_AMOUNT_MINOR,
};
use crate::error::{Problem, SepaError};
use crate::model::{Batch, LocalInstrument, SequenceType, Transaction, Version};
use crate::text::transliterate;

/// Largest control sum in cents: `DecimalNumber` has at most 18 digits in all.
const MAX_CONTROL_SUM_MINOR: i128 = 999_999_999_999_999_999;

/// A batch whose every field passed.
pub(super) struct Checked<'a> {
    pub message_id: &'a str,
    pub created_at: String,
    pub initiating_party: String,
    pub creditor_name: String,
    pub creditor_iban: String,
    pub creditor_bic: Option<String>,
    pub creditor_id: String,
    pub transactions: Vec<CheckedTransaction<'a>>,
    pub control_sum_minor: i64,
}

/// A transaction whose every field passed.
pub(super) struct CheckedTransaction<'a> {
    pub end_to_end_id: &'a str,
    pub amount_minor: i64,
    pub mandate_id: &'a str,
    pub mandate_signed_on: NaiveDate,
    pub amendment: Option<CheckedAmendment<'a>>,
    pub debtor_name: String,
    pub debtor_iban: String,
    pub debtor_bic: Option<String>,
    pub remittance: String,
    pub sequence: SequenceType,
    pub collection_date: NaiveDate,
    pub instrument: LocalInstrument,
}

/// Original values of an amended mandate, checked.
pub(super) struct CheckedAmendment<'a> {
    pub original_mandate_id: Option<&'a str>,
    pub original_creditor_id: Option<String>,
    pub original_debtor_iban: Option<String>,
    pub same_mandate_new_account: bool,
}

/// Where a field sits in the batch, turned into a path only when a problem is found.
#[derive(Clone, Copy)]
enum At {
    Batch,
    Creditor,
    Transaction(usize),
    Amendment(usize),
}

impl At {
    fn path(self, name: &str) -> String {
        match self {
            At::Batch => name.to_owned(),
            At::Creditor => format!("creditor.{name}"),
            At::Transaction(i) => format!("transactions[{i}].{name}"),
            At::Amendment(i) => format!("transactions[{i}].amendment.{name}"),
        }
    }
}

/// Checks `batch` for `version`; returns it ready to write, or every problem.
pub(super) fn check(batch: &Batch, version: Version) -> Result<Checked<'_>, SepaError> {
    let mut c = Checker {
        problems: Vec::new(),
        version,
    };
    let message_id = c.identifier(At::Batch, "message_id", &batch.message_id);
    let initiating_party = c.text(
        At::Batch,
        "initiating_party",
        &batch.initiating_party,
        MAX_NAME_CHARS,
        true,
    );
    let creditor = &batch.creditor;
    let creditor_name = c.text(At::Creditor, "name", &creditor.name, MAX_NAME_CHARS, true);
    let creditor_iban = c.iban(At::Creditor, "iban", &creditor.iban);
    let creditor_bic = c.bic(At::Creditor, "bic", creditor.bic.as_deref());
    let creditor_id = c.creditor_id(At::Creditor, "creditor_id", &creditor.creditor_id);

    if batch.transactions.is_empty() {
        c.report(
            At::Batch,
            "transactions",
            "must hold at least one transaction",
        );
    }
    let created_on = batch.created_at.date_naive();
    let mut end_to_end_ids: HashMap<&str, usize> = HashMap::new();
    let mut first_collections: HashMap<&str, usize> = HashMap::new();
    let mut control_sum: i128 = 0;
    let mut transactions = Vec::with_capacity(batch.transactions.len());
    for (i, tx) in batch.transactions.iter().enumerate() {
        let at = At::Transaction(i);
        let checked = c.transaction(i, tx, created_on, &creditor_id);
        if let Some(first) = end_to_end_ids.insert(&tx.end_to_end_id, i) {
            c.report(
                at,
                "end_to_end_id",
                format!("duplicates transactions[{first}].end_to_end_id"),
            );
        }
        if tx.sequence == SequenceType::Frst
            && let Some(first) = first_collections.insert(&tx.mandate_id, i)
        {
            c.report(
                at,
                "sequence",
                format!(
                    "mandate already has a FRST collection in this batch \
                     (transactions[{first}]); two FRST are rejected as duplicates (AM05)"
                ),
            );
        }
        // Out-of-range amounts are reported on their own; they do not count here.
        if (MIN_AMOUNT_MINOR..=MAX_AMOUNT_MINOR).contains(&tx.amount_minor) {
            control_sum += i128::from(tx.amount_minor);
        }
        transactions.push(checked);
    }
    if control_sum > MAX_CONTROL_SUM_MINOR {
        c.report(
            At::Batch,
            "transactions",
            "the control sum exceeds the 18 digits pain.008 allows: split the batch",
        );
    }
    if !c.problems.is_empty() {
        return Err(SepaError {
            problems: c.problems,
        });
    }
    Ok(Checked {
        message_id,
        created_at: batch.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        initiating_party,
        creditor_name,
        creditor_iban,
        creditor_bic,
        creditor_id,
        transactions,
        control_sum_minor: i64::try_from(control_sum).unwrap_or(i64::MAX),
    })
}

struct Checker {
    problems: Vec<Problem>,
    version: Version,
}

impl Checker {
    fn report(&mut self, at: At, name: &str, description: impl Into<String>) {
        self.problems.push(Problem::new(at.path(name), description));
    }

    fn transaction<'a>(
        &mut self,
        i: usize,
        tx: &'a Transaction,
        created_on: NaiveDate,
        creditor_id: &str,
    ) -> CheckedTransaction<'a> {
        let at = At::Transaction(i);
        let end_to_end_id = self.identifier(at, "end_to_end_id", &tx.end_to_end_id);
        if !Money::new(tx.amount_minor, Currency::EUR).is_valid_sepa_amount() {
            self.report(
                at,
                "amount_minor",
                format!(
                    "must be between 1 and {MAX_AMOUNT_MINOR} cents \
                     (0.01 to 999999999.99 EUR), got {}",
                    tx.amount_minor
                ),
            );
        }
        let mandate_id = self.identifier(at, "mandate_id", &tx.mandate_id);
        if tx.mandate_signed_on > tx.collection_date {
            self.report(
                at,
                "mandate_signed_on",
                "must not be after the collection date",
            );
        } else if tx.mandate_signed_on > created_on {
            self.report(
                at,
                "mandate_signed_on",
                "must not be after the message creation date",
            );
        }
        if tx.collection_date <= created_on {
            self.report(
                at,
                "collection_date",
                "must be after the message creation date: the collection must reach \
                 the debtor bank by D-1",
            );
        }
        if !tx.sequence.is_allowed_in(self.version) {
            self.report(
                at,
                "sequence",
                format!(
                    "{} is not allowed in {}",
                    tx.sequence.code(),
                    self.version.message_name()
                ),
            );
        }
        let debtor_name = self.text(at, "debtor_name", &tx.debtor_name, MAX_NAME_CHARS, true);
        let debtor_iban = self.iban(at, "debtor_iban", &tx.debtor_iban);
        let debtor_bic = self.bic(at, "debtor_bic", tx.debtor_bic.as_deref());
        let remittance = self.text(
            at,
            "remittance",
            &tx.remittance,
            MAX_REMITTANCE_CHARS,
            false,
        );
        let amendment = tx.amendment.as_ref().map(|amendment| {
            let at = At::Amendment(i);
            if !amendment.has_changes() {
                self.report(
                    At::Transaction(i),
                    "amendment",
                    "must give at least one original value or same_mandate_new_account",
                );
            }
            let original_mandate_id = amendment.original_mandate_id.as_deref().map(|id| {
                let id = self.identifier(at, "original_mandate_id", id);
                if id == tx.mandate_id {
                    self.report(at, "original_mandate_id", "equals the current mandate id");
                }
                id
            });
            let original_creditor_id = amendment.original_creditor_id.as_deref().map(|id| {
                let id = self.creditor_id(at, "original_creditor_id", id);
                if !id.is_empty() && id == creditor_id {
                    self.report(
                        at,
                        "original_creditor_id",
                        "equals the current creditor identifier",
                    );
                }
                id
            });
            let original_debtor_iban = amendment.original_debtor_iban.as_deref().map(|iban| {
                let iban = self.iban(at, "original_debtor_iban", iban);
                if !iban.is_empty() && iban == debtor_iban {
                    self.report(at, "original_debtor_iban", "equals the current debtor iban");
                }
                iban
            });
            CheckedAmendment {
                original_mandate_id,
                original_creditor_id,
                original_debtor_iban,
                same_mandate_new_account: amendment.same_mandate_new_account,
            }
        });
        CheckedTransaction {
            end_to_end_id,
            amount_minor: tx.amount_minor,
            mandate_id,
            mandate_signed_on: tx.mandate_signed_on,
            amendment,
            debtor_name,
            debtor_iban,
            debtor_bic,
            remittance,
            sequence: tx.sequence,
            collection_date: tx.collection_date,
            instrument: tx.instrument,
        }
    }

    /// A reference or identifier: kept as given, so it must already be in the SEPA
    /// character set, 1 to 35 characters, without a leading or trailing `/` or `//`.
    fn identifier<'a>(&mut self, at: At, name: &str, value: &'a str) -> &'a str {
        if let Err(error) = check_sepa_identifier(value, MAX_ID_CHARS) {
            self.report(at, name, describe(&error));
        }
        value
    }

    /// Free text: transliterated, then 1 (when `required`) to `max` characters.
    fn text(&mut self, at: At, name: &str, value: &str, max: usize, required: bool) -> String {
        let text = transliterate(value);
        if text.is_empty() && required {
            let description = if value.trim().is_empty() {
                "is required".to_owned()
            } else {
                "has nothing left once converted to the sepa character set".to_owned()
            };
            self.report(at, name, description);
        } else if text.len() > max {
            self.report(
                at,
                name,
                format!(
                    "must have at most {max} characters once converted to the sepa \
                     character set, got {}",
                    text.len()
                ),
            );
        }
        text
    }

    fn iban(&mut self, at: At, name: &str, value: &str) -> String {
        match validate_iban(value) {
            Ok(iban) => iban.into_string(),
            Err(error) => {
                self.report(at, name, describe(&error));
                String::new()
            }
        }
    }

    /// A BIC, which must also match the version's pattern (`BIC` in .02 is stricter
    /// than ISO 9362, `BICFI` in .08 allows digits in the institution code).
    fn bic(&mut self, at: At, name: &str, value: Option<&str>) -> Option<String> {
        let bic = match validate_bic(value?) {
            Ok(bic) => bic.into_string(),
            Err(error) => {
                self.report(at, name, describe(&error));
                return None;
            }
        };
        let accepted = match self.version {
            Version::V02 => is_pain_008_001_02_bic(&bic),
            Version::V08 => is_pain_008_001_08_bicfi(&bic),
        };
        if !accepted {
            self.report(
                at,
                name,
                format!("is not a bic {} accepts", self.version.message_name()),
            );
        }
        Some(bic)
    }

    fn creditor_id(&mut self, at: At, name: &str, value: &str) -> String {
        match validate_creditor_id(value) {
            Ok(id) => id.into_string(),
            Err(error) => {
                self.report(at, name, describe(&error));
                String::new()
            }
        }
    }
}

fn describe(error: &ValidationError) -> String {
    match error {
        ValidationError::Empty => "is required".to_owned(),
        other => other.to_string(),
    }
}
