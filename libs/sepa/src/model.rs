//! The values the writer takes and returns, and the scheme's code lists.

use chrono::{DateTime, NaiveDate, Utc};

/// The pain.008 message version written.
///
/// `.001.02` is the long-standing EPC version every SEPA bank accepts, and our default
/// (domain-rules §4.5 DESIGN); `.001.08` is offered per tenant or bank. They differ in
/// the agent tag (`BIC` vs `BICFI`) and `.08` adds the `RPRE` sequence type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// pain.008.001.02.
    #[default]
    V02,
    /// pain.008.001.08.
    V08,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 2] = [Version::V02, Version::V08];

    /// Returns the message identifier, `"pain.008.001.02"` or `"pain.008.001.08"`.
    pub fn message_name(self) -> &'static str {
        match self {
            Version::V02 => "pain.008.001.02",
            Version::V08 => "pain.008.001.08",
        }
    }

    /// Returns the XML namespace of the version's `Document`.
    pub fn namespace(self) -> &'static str {
        match self {
            Version::V02 => "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02",
            Version::V08 => "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08",
        }
    }

    /// Returns the version named `"pain.008.001.02"` / `"pain.008.001.08"`, or `None`.
    pub fn from_message_name(name: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.message_name() == name)
    }
}

/// The sequence type of a collection (`SeqTp`), domain-rules §4.2.
///
/// The derived order (FRST, RCUR, FNAL, OOFF, RPRE) is the order of `PmtInf` blocks
/// sharing a collection date and instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SequenceType {
    /// First collection of a recurrent mandate (or the first after an account change).
    Frst,
    /// A following collection of a recurrent mandate.
    Rcur,
    /// The last collection of a recurrent mandate; the mandate ends with it.
    Fnal,
    /// The only collection of a one-off mandate.
    Ooff,
    /// Re-presentment of a collection that was returned (`SequenceType3Code`, `.08` only).
    Rpre,
}

impl SequenceType {
    /// Every sequence type, in [`Ord`] order.
    pub const ALL: [SequenceType; 5] = [
        SequenceType::Frst,
        SequenceType::Rcur,
        SequenceType::Fnal,
        SequenceType::Ooff,
        SequenceType::Rpre,
    ];

    /// Returns the ISO code written in `SeqTp`: `"FRST"`, `"RCUR"`, `"FNAL"`, `"OOFF"`
    /// or `"RPRE"`.
    pub fn code(self) -> &'static str {
        match self {
            SequenceType::Frst => "FRST",
            SequenceType::Rcur => "RCUR",
            SequenceType::Fnal => "FNAL",
            SequenceType::Ooff => "OOFF",
            SequenceType::Rpre => "RPRE",
        }
    }

    /// Returns the sequence type of an ISO code (uppercase), or `None`.
    pub fn from_code(code: &str) -> Option<SequenceType> {
        SequenceType::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Returns true if `version` can carry this sequence type: `RPRE` only exists from
    /// pain.008.001.08 on.
    pub fn is_allowed_in(self, version: Version) -> bool {
        self != SequenceType::Rpre || version == Version::V08
    }
}

/// The SEPA scheme of a mandate, written in `LclInstrm/Cd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocalInstrument {
    /// SDD Core: consumers and businesses, with the 8-week no-questions refund right.
    Core,
    /// SDD B2B: businesses only, no refund right.
    B2b,
}

impl LocalInstrument {
    /// Both instruments, in [`Ord`] order.
    pub const ALL: [LocalInstrument; 2] = [LocalInstrument::Core, LocalInstrument::B2b];

    /// Returns the code written in `LclInstrm/Cd`: `"CORE"` or `"B2B"`.
    pub fn code(self) -> &'static str {
        match self {
            LocalInstrument::Core => "CORE",
            LocalInstrument::B2b => "B2B",
        }
    }

    /// Returns the instrument of a code, or `None`. `"COR1"`, the retired accelerated
    /// Core variant, is read as Core as banks do (domain-rules §4.1).
    pub fn from_code(code: &str) -> Option<LocalInstrument> {
        match code {
            "CORE" | "COR1" => Some(LocalInstrument::Core),
            "B2B" => Some(LocalInstrument::B2b),
            _ => None,
        }
    }
}

/// Whether a mandate allows a series of collections or exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MandateKind {
    /// A recurrent mandate: FRST, then RCUR, possibly ending with FNAL.
    Recurrent,
    /// A one-off mandate: a single OOFF collection.
    OneOff,
}

/// The collecting creditor: one account and one SEPA creditor identifier per batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditor {
    /// Creditor name (`Cdtr/Nm`), transliterated, at most 70 characters.
    pub name: String,
    /// Account credited, an IBAN in any common spelling (spaces and case are fixed).
    pub iban: String,
    /// BIC of the creditor's bank; `None` writes `NOTPROVIDED`.
    pub bic: Option<String>,
    /// SEPA creditor identifier (ICS, AT-02).
    pub creditor_id: String,
}

/// What changed on a mandate since the previous collection (`AmdmntInfDtls`,
/// domain-rules §4.4). Sent on the next collection only; each field holds the
/// *original* value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amendment {
    /// The former mandate reference, when the UMR changed.
    pub original_mandate_id: Option<String>,
    /// The former creditor identifier, when the ICS changed.
    pub original_creditor_id: Option<String>,
    /// The former debtor IBAN, when the account changed within the same bank.
    pub original_debtor_iban: Option<String>,
    /// The debtor moved to an account at another bank: `OrgnlDbtrAgt` carries `SMNDA`
    /// ("same mandate, new debtor account").
    pub same_mandate_new_account: bool,
}

impl Amendment {
    /// Returns true if the amendment records at least one change.
    pub fn has_changes(&self) -> bool {
        self.original_mandate_id.is_some()
            || self.original_creditor_id.is_some()
            || self.original_debtor_iban.is_some()
            || self.same_mandate_new_account
    }
}

/// One collection (`DrctDbtTxInf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Creditor's reference of this collection attempt (new for each re-presentation),
    /// echoed in R-messages; unique in the batch.
    pub end_to_end_id: String,
    /// Amount in EUR cents, 1 to 99 999 999 999.
    pub amount_minor: i64,
    /// Unique mandate reference (UMR).
    pub mandate_id: String,
    /// Date the debtor signed the mandate.
    pub mandate_signed_on: NaiveDate,
    /// Changes to the mandate since the previous collection, if any.
    pub amendment: Option<Amendment>,
    /// Debtor name, transliterated, at most 70 characters.
    pub debtor_name: String,
    /// Debtor IBAN, in any common spelling.
    pub debtor_iban: String,
    /// BIC of the debtor's bank; `None` writes `NOTPROVIDED`.
    pub debtor_bic: Option<String>,
    /// Unstructured remittance information (`Ustrd`), transliterated, at most 140
    /// characters; empty leaves `RmtInf` out.
    pub remittance: String,
    /// Sequence type (see [`crate::sequence_type`]).
    pub sequence: SequenceType,
    /// Requested collection date (`ReqdColltnDt`).
    pub collection_date: NaiveDate,
    /// SEPA scheme of the mandate.
    pub instrument: LocalInstrument,
}

/// A pain.008 message to write: one creditor, any number of collections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Message identifier (`MsgId`), unique per creditor.
    pub message_id: String,
    /// Creation instant (`CreDtTm`), written in UTC to the second.
    pub created_at: DateTime<Utc>,
    /// Name of the party sending the file (`InitgPty/Nm`), at most 70 characters.
    pub initiating_party: String,
    /// The creditor collecting every transaction.
    pub creditor: Creditor,
    /// The collections, in any order.
    pub transactions: Vec<Transaction>,
}

/// A written pain.008 message with its control figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The XML, UTF-8, starting with the XML declaration.
    pub xml: String,
    /// `GrpHdr/MsgId`.
    pub message_id: String,
    /// `GrpHdr/NbOfTxs`: every transaction of the message.
    pub number_of_transactions: u64,
    /// `GrpHdr/CtrlSum` in cents: the sum of every amount.
    pub control_sum_minor: i64,
    /// The `PmtInf` blocks, in document order.
    pub payment_infos: Vec<PaymentInfoSummary>,
}

/// One `PmtInf` block of a written message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInfoSummary {
    /// `PmtInfId`.
    pub id: String,
    /// `PmtTpInf/SeqTp` shared by its transactions.
    pub sequence: SequenceType,
    /// `ReqdColltnDt` shared by its transactions.
    pub collection_date: NaiveDate,
    /// `PmtTpInf/LclInstrm/Cd` shared by its transactions.
    pub instrument: LocalInstrument,
    /// `NbOfTxs` of the block.
    pub number_of_transactions: u64,
    /// `CtrlSum` of the block, in cents.
    pub control_sum_minor: i64,
    /// End-to-end ids of its transactions, in document order.
    pub end_to_end_ids: Vec<String>,
}
