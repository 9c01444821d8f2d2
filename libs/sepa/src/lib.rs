//! SEPA Direct Debit (Core and B2B) as pure rules, and the pain.008 writer.
//!
//! Nothing here does I/O or reads a clock: the payments service hands in plain values
//! and gets back dates, decisions and XML. What the crate knows, after
//! `shared/spec/domain-rules.md`:
//! - [`write_pain008`]: a [`Batch`] of collections becomes a pain.008.001.02 (default)
//!   or .001.08 document, grouped into one `PmtInf` per sequence type, collection date
//!   and local instrument, after every field was checked (§0.1, §0.4, §4.1, §4.4, §4.5);
//!   every problem is reported at once in a [`SepaError`];
//! - [`transliterate`]: free text converted to the SEPA character set (§0.4);
//! - [`sequence_type`]: FRST, RCUR, FNAL or OOFF for the next collection (§4.2);
//! - [`timeline`]: collection, settlement, return, refund and lapse dates on the TARGET
//!   calendar (§4.3);
//! - [`reason`]: the R-transaction reason codes and what each one means for retries and
//!   the mandate (§6.1).
//!
//! Amounts are EUR cents (`i64`), formatted through [`crm_shared::Money`]; IBANs, BICs
//! and creditor identifiers are checked with [`crm_shared::validate`]; business days
//! come from [`crm_shared::calendar`].

#![warn(missing_docs)]
// Tests assert on known-good values; a panic there is the failure report.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod error;
mod model;
pub mod reason;
mod sequence;
mod text;
pub mod timeline;
mod writer;

#[cfg(any(test, feature = "testsuite"))]
pub mod testing;

pub use error::{Problem, SepaError};
pub use model::{
    Amendment, Batch, Creditor, Document, LocalInstrument, MandateKind, PaymentInfoSummary,
    SequenceType, Transaction, Version,
};
pub use sequence::sequence_type;
pub use text::{fit_text, transliterate};
pub use writer::{
    MAX_AMOUNT_MINOR, MAX_NAME_CHARS, MAX_REMITTANCE_CHARS, MIN_AMOUNT_MINOR, validate_batch,
    write_pain008,
};
