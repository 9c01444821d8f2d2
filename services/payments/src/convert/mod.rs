//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, dates, money, pages). The
//! resources' encodings are in [`resources`].

use chrono::NaiveDate;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use uuid::Uuid;

use crate::domain::{
    BatchStatus, InstalmentStatus, MandateKind, MandateStatus, PainVersion, PaymentStatus, Scheme,
};
use crate::error::Error;

mod resources;

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, optional_uuid, timestamp, uuid_field,
};
pub use resources::*;

/// Returns `Ok(())` when nothing was recorded, otherwise INVALID_ARGUMENT listing all.
pub fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the id in `text`, or INVALID_ARGUMENT naming `field`.
pub fn id_of(text: &str, field: &str) -> Result<Uuid, Error> {
    let mut v = Violations::new();
    uuid_field(text, field, &mut v).ok_or(Error::InvalidArgument(v))
}

/// Returns the date of a required field, recording a missing or invalid one.
pub fn required_date(
    d: Option<&common::Date>,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    match d {
        Some(d) => date_from_proto(d, field, v),
        None => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
    }
}

/// Returns the amount of a SEPA amount field: EUR, 0.01 to 999 999 999.99.
pub fn sepa_amount(m: Option<&common::Money>, field: &str, v: &mut Violations) -> Option<i64> {
    let Some(m) = m else {
        v.push((field.to_owned(), "is required".into()));
        return None;
    };
    let mut ok = true;
    if m.currency_code != "EUR" {
        v.push((
            format!("{field}.currency_code"),
            "must be EUR, the only SEPA currency".into(),
        ));
        ok = false;
    }
    if !(crm_sepa::MIN_AMOUNT_MINOR..=crm_sepa::MAX_AMOUNT_MINOR).contains(&m.amount_minor) {
        v.push((
            format!("{field}.amount_minor"),
            "must be between 1 and 99999999999 (0.01 to 999999999.99 EUR)".into(),
        ));
        ok = false;
    }
    ok.then_some(m.amount_minor)
}

/// Returns the page size and the position after which a page starts, recording
/// malformed values in `v`.
pub fn page(
    page_size: i32,
    token: &str,
    fingerprint: u64,
    v: &mut Violations,
) -> (u64, Option<Uuid>) {
    let size = crm_db::page_size(page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = crm_db::PageToken::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten();
    (size, after.map(|t| t.after))
}

/// Returns the token of the page after the one ending at `last`, empty on the last.
pub fn next_token(more: bool, last: Option<Uuid>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some(after)) => crm_db::PageToken {
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

fn unknown(v: &mut Violations, field: &str, what: &str) {
    v.push((field.to_owned(), format!("is not a known {what}")));
}

/// Returns a mandate type: `None` for unset (recorded when `required`) and unknown.
pub fn kind_from_proto(
    value: i32,
    field: &str,
    required: bool,
    v: &mut Violations,
) -> Option<MandateKind> {
    match ev::MandateType::try_from(value) {
        Ok(ev::MandateType::Recurrent) => Some(MandateKind::Recurrent),
        Ok(ev::MandateType::OneOff) => Some(MandateKind::OneOff),
        Ok(ev::MandateType::Unspecified) => {
            if required {
                v.push((field.to_owned(), "is required".into()));
            }
            None
        }
        Err(_) => {
            unknown(v, field, "mandate type");
            None
        }
    }
}

/// Returns a scheme: `None` for unset (recorded) and unknown.
pub fn scheme_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Scheme> {
    match ev::MandateScheme::try_from(value) {
        Ok(ev::MandateScheme::Core) => Some(Scheme::Core),
        Ok(ev::MandateScheme::B2b) => Some(Scheme::B2b),
        Ok(ev::MandateScheme::Unspecified) => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
        Err(_) => {
            unknown(v, field, "mandate scheme");
            None
        }
    }
}

/// Returns a mandate status filter: `None` for unset and unknown (recorded).
pub fn mandate_status_from_proto(
    value: i32,
    field: &str,
    v: &mut Violations,
) -> Option<MandateStatus> {
    use ev::MandateStatus as P;
    match P::try_from(value) {
        Ok(P::Unspecified) => None,
        Ok(P::PendingSignature) => Some(MandateStatus::PendingSignature),
        Ok(P::Active) => Some(MandateStatus::Active),
        Ok(P::Suspended) => Some(MandateStatus::Suspended),
        Ok(P::Revoked) => Some(MandateStatus::Revoked),
        Ok(P::Expired) => Some(MandateStatus::Expired),
        Ok(P::Failed) => Some(MandateStatus::Failed),
        Err(_) => {
            unknown(v, field, "mandate status");
            None
        }
    }
}

/// Returns a payment status filter: `None` for unset and unknown (recorded).
pub fn payment_status_from_proto(
    value: i32,
    field: &str,
    v: &mut Violations,
) -> Option<PaymentStatus> {
    use pb::PaymentStatus as P;
    match P::try_from(value) {
        Ok(P::Unspecified) => None,
        Ok(P::Scheduled) => Some(PaymentStatus::Scheduled),
        Ok(P::Exported) => Some(PaymentStatus::Exported),
        Ok(P::Submitted) => Some(PaymentStatus::Submitted),
        Ok(P::Settled) => Some(PaymentStatus::Settled),
        Ok(P::Rejected) => Some(PaymentStatus::Rejected),
        Ok(P::Returned) => Some(PaymentStatus::Returned),
        Ok(P::RefundedMd06) => Some(PaymentStatus::RefundedMd06),
        Ok(P::RefundedMd01) => Some(PaymentStatus::RefundedMd01),
        Err(_) => {
            unknown(v, field, "payment status");
            None
        }
    }
}

/// Returns a batch status filter: `None` for unset and unknown (recorded).
pub fn batch_status_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<BatchStatus> {
    match pb::BatchStatus::try_from(value) {
        Ok(pb::BatchStatus::Unspecified) => None,
        Ok(pb::BatchStatus::Prepared) => Some(BatchStatus::Prepared),
        Ok(pb::BatchStatus::Exported) => Some(BatchStatus::Exported),
        Err(_) => {
            unknown(v, field, "batch status");
            None
        }
    }
}

/// Returns a pain.008 version: .02 when unset, `None` for unknown (recorded).
pub fn version_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<PainVersion> {
    match pb::PainVersion::try_from(value) {
        Ok(pb::PainVersion::Unspecified | pb::PainVersion::V02) => Some(PainVersion::V02),
        Ok(pb::PainVersion::V08) => Some(PainVersion::V08),
        Err(_) => {
            unknown(v, field, "pain.008 version");
            None
        }
    }
}

/// Returns the proto value of a mandate type.
pub fn kind_to_proto(k: MandateKind) -> ev::MandateType {
    match k {
        MandateKind::Recurrent => ev::MandateType::Recurrent,
        MandateKind::OneOff => ev::MandateType::OneOff,
    }
}

/// Returns the proto value of a scheme.
pub fn scheme_to_proto(s: Scheme) -> ev::MandateScheme {
    match s {
        Scheme::Core => ev::MandateScheme::Core,
        Scheme::B2b => ev::MandateScheme::B2b,
    }
}

/// Returns the proto value of a mandate status.
pub fn mandate_status_to_proto(s: MandateStatus) -> ev::MandateStatus {
    use ev::MandateStatus as P;
    match s {
        MandateStatus::PendingSignature => P::PendingSignature,
        MandateStatus::Active => P::Active,
        MandateStatus::Suspended => P::Suspended,
        MandateStatus::Revoked => P::Revoked,
        MandateStatus::Expired => P::Expired,
        MandateStatus::Failed => P::Failed,
    }
}

/// Returns the proto value of a sequence type (unspecified before batching).
pub fn sequence_to_proto(s: Option<crm_sepa::SequenceType>) -> ev::SequenceType {
    use crm_sepa::SequenceType as S;
    match s {
        None => ev::SequenceType::Unspecified,
        Some(S::Frst) => ev::SequenceType::Frst,
        Some(S::Rcur) => ev::SequenceType::Rcur,
        Some(S::Fnal) => ev::SequenceType::Fnal,
        Some(S::Ooff) => ev::SequenceType::Ooff,
        Some(S::Rpre) => ev::SequenceType::Rpre,
    }
}

/// Returns the proto value of a payment status.
pub fn payment_status_to_proto(s: PaymentStatus) -> pb::PaymentStatus {
    use pb::PaymentStatus as P;
    match s {
        PaymentStatus::Scheduled => P::Scheduled,
        PaymentStatus::Exported => P::Exported,
        PaymentStatus::Submitted => P::Submitted,
        PaymentStatus::Settled => P::Settled,
        PaymentStatus::Rejected => P::Rejected,
        PaymentStatus::Returned => P::Returned,
        PaymentStatus::RefundedMd06 => P::RefundedMd06,
        PaymentStatus::RefundedMd01 => P::RefundedMd01,
    }
}

/// Returns the proto value of an instalment status.
pub fn instalment_status_to_proto(s: InstalmentStatus) -> pb::InstalmentStatus {
    use pb::InstalmentStatus as P;
    match s {
        InstalmentStatus::Planned => P::Planned,
        InstalmentStatus::Submitted => P::Submitted,
        InstalmentStatus::Paid => P::Paid,
        InstalmentStatus::Rejected => P::Rejected,
        InstalmentStatus::Cancelled => P::Cancelled,
        InstalmentStatus::Refunded => P::Refunded,
    }
}

/// Returns the proto value of a pain.008 version.
pub fn version_to_proto(v: Option<PainVersion>) -> pb::PainVersion {
    match v {
        None => pb::PainVersion::Unspecified,
        Some(PainVersion::V02) => pb::PainVersion::V02,
        Some(PainVersion::V08) => pb::PainVersion::V08,
    }
}

/// Returns the proto value of a batch status.
pub fn batch_status_to_proto(s: BatchStatus) -> pb::BatchStatus {
    match s {
        BatchStatus::Prepared => pb::BatchStatus::Prepared,
        BatchStatus::Exported => pb::BatchStatus::Exported,
    }
}
