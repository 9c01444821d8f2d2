//! The pain.008 writer (domain-rules §4.5): check the batch, group its transactions
//! into `PmtInf` blocks, write the XML.

mod check;
mod xml;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::error::SepaError;
use crate::model::{Batch, Document, LocalInstrument, PaymentInfoSummary, SequenceType, Version};
use check::{Checked, check};

/// Smallest `InstdAmt`, in cents (0.01 EUR) `[XMLD-AMT]`.
pub const MIN_AMOUNT_MINOR: i64 = 1;
/// Largest `InstdAmt`, in cents (999 999 999.99 EUR) `[XMLD-AMT]`.
pub const MAX_AMOUNT_MINOR: i64 = 99_999_999_999;
/// Longest name (`Nm`) under EPC rules, although the XSD allows 140.
pub const MAX_NAME_CHARS: usize = 70;
/// Longest unstructured remittance text (`Ustrd`).
pub const MAX_REMITTANCE_CHARS: usize = 140;
/// Longest identifier or reference (`Max35Text`).
const MAX_ID_CHARS: usize = 35;

/// Returns the pain.008 message of `batch` in `version`, or every problem found.
///
/// What is checked (each problem names its field, e.g. `transactions[2].debtor_iban`):
/// - identifiers (`message_id`, `end_to_end_id`, `mandate_id`, `original_mandate_id`):
///   1 to 35 characters of the SEPA set, no leading or trailing `/`, no `//`; they are
///   written as given, never converted;
/// - names (≤ 70) and remittance text (≤ 140, may be empty) after [`crate::transliterate`];
/// - IBANs, BICs (and the version's BIC pattern) and creditor identifiers, which are
///   written in their normalised form;
/// - amounts from 1 to 99 999 999 999 cents, EUR; a control sum of at most 18 digits;
/// - end-to-end ids unique in the batch, at most one FRST per mandate;
/// - RPRE only in .08; mandate signed no later than the collection date and the
///   message creation date; collection date after the creation date;
/// - an amendment gives at least one original value, each different from the current.
///
/// The message has one `PmtInf` per (collection date, instrument, sequence type), the
/// creditor account and ICS being the batch's: blocks are ordered by that key and
/// transactions by end-to-end id inside a block, so the same batch always gives the
/// same bytes whatever the order of its transactions. `PmtInfId` is the message id
/// followed by `-001`, `-002`, ... (the message id is cut when both exceed 35
/// characters). Agents without a BIC are written `Othr/Id = NOTPROVIDED`; charges are
/// `SLEV`; the creditor identifier carries `SchmeNm/Prtry = SEPA`.
pub fn write_pain008(batch: &Batch, version: Version) -> Result<Document, SepaError> {
    let checked = check(batch, version)?;
    let groups = group(&checked);
    let xml = xml::render(&checked, &groups, version);
    let payment_infos = groups
        .iter()
        .map(|g| PaymentInfoSummary {
            id: g.id.clone(),
            sequence: g.sequence,
            collection_date: g.collection_date,
            instrument: g.instrument,
            number_of_transactions: g.members.len() as u64,
            control_sum_minor: g.control_sum_minor,
            end_to_end_ids: g
                .members
                .iter()
                .filter_map(|i| checked.transactions.get(*i))
                .map(|tx| tx.end_to_end_id.to_owned())
                .collect(),
        })
        .collect();
    Ok(Document {
        xml,
        message_id: checked.message_id.to_owned(),
        number_of_transactions: checked.transactions.len() as u64,
        control_sum_minor: checked.control_sum_minor,
        payment_infos,
    })
}

/// Checks `batch` as [`write_pain008`] does, without writing anything.
pub fn validate_batch(batch: &Batch, version: Version) -> Result<(), SepaError> {
    check(batch, version).map(|_| ())
}

/// One `PmtInf` block: the shared key and the positions of its transactions.
struct Group {
    id: String,
    collection_date: NaiveDate,
    instrument: LocalInstrument,
    sequence: SequenceType,
    members: Vec<usize>,
    control_sum_minor: i64,
}

/// Partitions the transactions by (collection date, instrument, sequence type), in
/// that order, each block sorted by end-to-end id (unique in a checked batch).
fn group(checked: &Checked<'_>) -> Vec<Group> {
    let mut blocks: BTreeMap<(NaiveDate, LocalInstrument, SequenceType), Vec<usize>> =
        BTreeMap::new();
    for (i, tx) in checked.transactions.iter().enumerate() {
        blocks
            .entry((tx.collection_date, tx.instrument, tx.sequence))
            .or_default()
            .push(i);
    }
    blocks
        .into_iter()
        .enumerate()
        .map(
            |(n, ((collection_date, instrument, sequence), mut members))| {
                members.sort_by_key(|i| checked.transactions.get(*i).map(|tx| tx.end_to_end_id));
                let control_sum_minor = members
                    .iter()
                    .filter_map(|i| checked.transactions.get(*i))
                    .map(|tx| tx.amount_minor)
                    .sum();
                Group {
                    id: payment_info_id(checked.message_id, n + 1),
                    collection_date,
                    instrument,
                    sequence,
                    members,
                    control_sum_minor,
                }
            },
        )
        .collect()
}

/// Returns `PmtInfId` number `n`: the message id, cut to leave room, then `-` and `n`
/// on at least three digits. The message id is a checked identifier (ASCII, no `//`,
/// no leading `/`), so the result is one too.
fn payment_info_id(message_id: &str, n: usize) -> String {
    let suffix = format!("-{n:03}");
    let room = MAX_ID_CHARS.saturating_sub(suffix.len());
    let prefix = message_id.get(..room).unwrap_or(message_id);
    format!("{prefix}{suffix}")
}

#[cfg(test)]
mod tests;
