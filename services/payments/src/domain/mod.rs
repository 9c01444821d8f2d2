//! The payments domain: what the service stores and the pure rules that govern it
//! (references, lapse, instalment plans, collection eligibility, reject and refund
//! windows). Nothing here does I/O.

use uuid::Uuid;

pub mod collect;
pub mod mandate;
mod model;
pub mod plan;
pub mod sealing;

pub use model::*;

/// Declares a closed set of values stored as lowercase text.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Returns the stored form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Returns the value of a stored form.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

text_enum!(
    /// Whether a mandate serves a series of collections or one.
    MandateKind {
        /// Recurrent collections.
        Recurrent = "recurrent",
        /// Exactly one collection.
        OneOff = "one_off",
    }
);

text_enum!(
    /// The direct debit scheme of a mandate.
    Scheme {
        /// SDD Core.
        Core = "core",
        /// SDD B2B: businesses only, no refund right.
        B2b = "b2b",
    }
);

text_enum!(
    /// Where a mandate stands (domain-rules 4.1).
    MandateStatus {
        /// Waiting for the debtor's signature.
        PendingSignature = "pending_signature",
        /// Usable.
        Active = "active",
        /// Temporarily not used.
        Suspended = "suspended",
        /// Revoked.
        Revoked = "revoked",
        /// Lapsed after 36 months without a collection.
        Expired = "expired",
        /// Failed on a reason code.
        Failed = "failed",
    }
);

impl MandateStatus {
    /// Returns whether the mandate can never be used again.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Revoked | Self::Expired | Self::Failed)
    }
}

text_enum!(
    /// Where an instalment stands.
    InstalmentStatus {
        /// Waiting for its collection.
        Planned = "planned",
        /// A payment for it is in a batch or with the bank.
        Submitted = "submitted",
        /// Collected.
        Paid = "paid",
        /// Its last payment failed.
        Rejected = "rejected",
        /// Cancelled.
        Cancelled = "cancelled",
        /// Collected, then refunded.
        Refunded = "refunded",
    }
);

text_enum!(
    /// Where a payment stands (domain-rules 4.6).
    PaymentStatus {
        /// A re-presentation waiting for its batch.
        Scheduled = "scheduled",
        /// In a batch not exported yet.
        Exported = "exported",
        /// In a pain.008 file.
        Submitted = "submitted",
        /// Settled.
        Settled = "settled",
        /// Rejected before the collection date.
        Rejected = "rejected",
        /// Returned after it.
        Returned = "returned",
        /// Refunded, authorised debit.
        RefundedMd06 = "refunded_md06",
        /// Refunded, unauthorised debit.
        RefundedMd01 = "refunded_md01",
    }
);

text_enum!(
    /// Where a batch stands.
    BatchStatus {
        /// Prepared, not exported.
        Prepared = "prepared",
        /// Its file was produced.
        Exported = "exported",
    }
);

text_enum!(
    /// Whether a failed debit was rejected before its collection date or returned after.
    RejectionKind {
        /// Before the collection date.
        Reject = "reject",
        /// From the collection date to the return deadline.
        Return = "return",
    }
);

text_enum!(
    /// A pain.008 version.
    PainVersion {
        /// pain.008.001.02.
        V02 = "002",
        /// pain.008.001.08.
        V08 = "008",
    }
);

impl PainVersion {
    /// Returns the writer's version.
    pub fn to_sepa(self) -> crm_sepa::Version {
        match self {
            Self::V02 => crm_sepa::Version::V02,
            Self::V08 => crm_sepa::Version::V08,
        }
    }
}

/// The collection settings of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// TARGET days between today and the earliest collection date.
    pub submission_lead_days: u32,
    /// Calendar days of pre-notification before a collection.
    pub prenotification_days: u32,
    /// Version (0 while the defaults apply).
    pub version: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            submission_lead_days: 2,
            prenotification_days: 14,
            version: 0,
        }
    }
}

/// Bounds of the settings.
pub const LEAD_DAYS: std::ops::RangeInclusive<u32> = 1..=10;
/// Bounds of the pre-notification period.
pub const PRENOTIFICATION_DAYS: std::ops::RangeInclusive<u32> = 0..=60;

/// Returns a new SEPA identifier (EndToEndId, MsgId): a letter then the 32 hex digits
/// of a UUIDv7, 33 characters, within the SEPA charset and Max35Text.
pub fn new_sepa_id(prefix: char) -> String {
    format!("{prefix}{}", Uuid::now_v7().simple()).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip() {
        for s in [
            PaymentStatus::Scheduled,
            PaymentStatus::Exported,
            PaymentStatus::Submitted,
            PaymentStatus::Settled,
            PaymentStatus::Rejected,
            PaymentStatus::Returned,
            PaymentStatus::RefundedMd06,
            PaymentStatus::RefundedMd01,
        ] {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(MandateStatus::parse("nope"), None);
    }

    #[test]
    fn sepa_ids_fit_max35_and_the_charset() {
        let id = new_sepa_id('E');
        assert_eq!(id.len(), 33);
        assert!(crm_shared::validate::check_sepa_identifier(&id, 35).is_ok());
        assert_ne!(id, new_sepa_id('E'));
    }
}
