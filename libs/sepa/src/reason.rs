//! SEPA Direct Debit R-transaction reason codes and what each one means for us
//! (domain-rules §6.1).
//!
//! This is the platform's one table of reason codes: `referentiel` serves it,
//! `payments` reads it when a reject or return arrives, `retry` decides from it.
//! Meanings follow the EPC guidance as relayed by PSPs `[EPC-RC]`; retryability is a
//! design choice after GoCardless Success+, which re-presents only AM04 and, once and
//! for a few countries, MS03 `[GC-SUCCESS]`. The grouped technical row of the spec
//! (BE05 / FF01 / FF05 / RR01–RR04 / RC01) is one row per code.
//!
//! Changing a row changes what `referentiel` must serve: its seed comes from here, and
//! its tests pin the table's fingerprint so that a change comes with a migration there.

use self::ReasonClass::{Dispute, Hard, Soft, Technical};

/// How a reason code is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonClass {
    /// The debtor may pay later: the collection may be re-presented.
    Soft,
    /// The account or the mandate cannot be used as is: no automatic retry.
    Hard,
    /// The creditor's data is wrong: fix it and resubmit; the client is not at fault.
    Technical,
    /// The debtor disputes the collection.
    Dispute,
}

impl ReasonClass {
    /// Every class.
    pub const ALL: [ReasonClass; 4] = [
        ReasonClass::Soft,
        ReasonClass::Hard,
        ReasonClass::Technical,
        ReasonClass::Dispute,
    ];

    /// Returns the stable lowercase key (`"soft"`, `"hard"`, `"technical"`,
    /// `"dispute"`), as stored and sent in events.
    pub fn key(self) -> &'static str {
        match self {
            ReasonClass::Soft => "soft",
            ReasonClass::Hard => "hard",
            ReasonClass::Technical => "technical",
            ReasonClass::Dispute => "dispute",
        }
    }

    /// Returns the class of a key, or `None`.
    pub fn parse(key: &str) -> Option<ReasonClass> {
        ReasonClass::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// One reason code and its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReasonCode {
    /// The ISO 20022 code, four uppercase characters.
    pub code: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// How it is handled.
    pub class: ReasonClass,
    /// What to do about it.
    pub action: &'static str,
    /// Whether the collection may be re-presented automatically.
    pub retryable: bool,
    /// Whether it may be re-presented only once, then treated as hard (MS03).
    pub retry_once: bool,
    /// Debtor account countries for which the retry applies; empty for every country.
    pub retry_countries: &'static [&'static str],
    /// Whether the mandate moves to FAILED (MD01, AC01, AC04, AC06, AG01, MD07).
    pub fails_mandate: bool,
    /// Whether every collection and dunning of the debtor stops (MD07, debtor
    /// deceased: the estate is handled by hand).
    pub stops_collections: bool,
}

impl ReasonCode {
    /// Returns the most automatic re-presentations the code itself allows: 1 for a
    /// retry-once code, 0 when only the tenant's retry policy limits them.
    pub fn retry_limit(&self) -> u32 {
        u32::from(self.retry_once)
    }

    /// Returns true if a collection on an account of `iban_country` (two letters, as in
    /// the IBAN) may be re-presented after this code.
    pub fn retryable_for(&self, iban_country: &str) -> bool {
        self.retryable
            && (self.retry_countries.is_empty() || self.retry_countries.contains(&iban_country))
    }

    const fn new(
        code: &'static str,
        meaning: &'static str,
        class: ReasonClass,
        action: &'static str,
    ) -> ReasonCode {
        ReasonCode {
            code,
            meaning,
            class,
            action,
            retryable: false,
            retry_once: false,
            retry_countries: &[],
            fails_mandate: false,
            stops_collections: false,
        }
    }

    const fn retried(self) -> ReasonCode {
        ReasonCode {
            retryable: true,
            ..self
        }
    }

    const fn retried_once_in(self, countries: &'static [&'static str]) -> ReasonCode {
        ReasonCode {
            retryable: true,
            retry_once: true,
            retry_countries: countries,
            ..self
        }
    }

    const fn failing_mandate(self) -> ReasonCode {
        ReasonCode {
            fails_mandate: true,
            ..self
        }
    }

    const fn stopping_collections(self) -> ReasonCode {
        ReasonCode {
            stops_collections: true,
            ..self
        }
    }
}

/// The action shared by the technical codes of the creditor's file.
const OPS_FIX: &str = "Ops alert. Fix and resubmit; the client is not at fault";

/// Every code, sorted by code.
static CODES: [ReasonCode; 23] = [
    ReasonCode::new(
        "AC01",
        "Account identifier incorrect (IBAN/BIC wrong, or account not in EUR)",
        Hard,
        "Get a new IBAN → mandate amendment, then retry",
    )
    .failing_mandate(),
    ReasonCode::new(
        "AC04",
        "Account closed",
        Hard,
        "Mandate FAILED; new IBAN required",
    )
    .failing_mandate(),
    ReasonCode::new(
        "AC06",
        "Account blocked (by the bank or by the debtor for SDD)",
        Hard,
        "New IBAN or another payment means",
    )
    .failing_mandate(),
    ReasonCode::new(
        "AG01",
        "Transaction forbidden on this account type (e.g. savings)",
        Hard,
        "New IBAN",
    )
    .failing_mandate(),
    ReasonCode::new(
        "AG02",
        "Invalid operation code / wrong SeqTp",
        Technical,
        "Fix the data (SeqTp/UMR), then resubmit",
    ),
    ReasonCode::new(
        "AM04",
        "Insufficient funds",
        Soft,
        "Auto-retry and notify the client",
    )
    .retried(),
    ReasonCode::new(
        "AM05",
        "Duplicate collection",
        Hard,
        "Investigate; never retry blindly",
    ),
    ReasonCode::new("BE05", "Creditor identifier incorrect", Technical, OPS_FIX),
    ReasonCode::new(
        "FF01",
        "File format or operation code invalid",
        Technical,
        OPS_FIX,
    ),
    ReasonCode::new("FF05", "Direct debit type incorrect", Technical, OPS_FIX),
    ReasonCode::new("FRAD", "Fraud", Hard, "Block; manual handling"),
    ReasonCode::new(
        "MD01",
        "No valid mandate (revoked, expired, never existed) or unauthorised refund ≤ 13 months",
        Hard,
        "New mandate needed; mandate FAILED",
    )
    .failing_mandate(),
    ReasonCode::new(
        "MD02",
        "Mandate data missing or incorrect",
        Technical,
        "Fix the mandate data, then resubmit",
    ),
    ReasonCode::new(
        "MD06",
        "Refund requested by debtor (≤ 8 weeks)",
        Dispute,
        "No retry. Reopen the balance; dunning starts at the \"dispute\" step",
    ),
    ReasonCode::new(
        "MD07",
        "Debtor deceased",
        Hard,
        "Stop all collections and dunning; manual handling (estate)",
    )
    .failing_mandate()
    .stopping_collections(),
    ReasonCode::new(
        "MS02",
        "Reason not specified (customer), usually a refusal by the debtor",
        Hard,
        "No auto-retry. Contact the client; the dispute goes to dunning",
    ),
    ReasonCode::new(
        "MS03",
        "Reason not specified (agent). Can mask AM04/AC04 where data-protection law applies",
        Soft,
        "Retry once, then treat as hard",
    )
    .retried_once_in(&["AT", "BE", "DE", "LU", "SK"]),
    ReasonCode::new("RC01", "Bank identifier (BIC) invalid", Technical, OPS_FIX),
    ReasonCode::new(
        "RR01",
        "Regulatory reason: debtor account or identification missing",
        Technical,
        OPS_FIX,
    ),
    ReasonCode::new(
        "RR02",
        "Regulatory reason: debtor name or address missing",
        Technical,
        OPS_FIX,
    ),
    ReasonCode::new(
        "RR03",
        "Regulatory reason: creditor name or address missing",
        Technical,
        OPS_FIX,
    ),
    ReasonCode::new("RR04", "Regulatory reason", Technical, OPS_FIX),
    ReasonCode::new(
        "SL01",
        "Debtor bank specific service: creditor blocked or amount/frequency limit set by the debtor",
        Hard,
        "Contact the client to lift the block",
    ),
];

/// Returns the row of `code` (exact, uppercase), or `None` for a code outside the table.
pub fn lookup(code: &str) -> Option<&'static ReasonCode> {
    CODES
        .binary_search_by(|row| row.code.cmp(code))
        .ok()
        .and_then(|index| CODES.get(index))
}

/// Returns every code, sorted by code.
pub fn all() -> &'static [ReasonCode] {
    &CODES
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn codes(filter: impl Fn(&ReasonCode) -> bool) -> BTreeSet<&'static str> {
        all().iter().filter(|r| filter(r)).map(|r| r.code).collect()
    }

    #[test]
    fn the_table_holds_every_code_of_the_spec_sorted() {
        let expected = [
            "AC01", "AC04", "AC06", "AG01", "AG02", "AM04", "AM05", "BE05", "FF01", "FF05", "FRAD",
            "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04",
            "SL01",
        ];
        let listed: Vec<&str> = all().iter().map(|r| r.code).collect();
        assert_eq!(listed, expected);
        for row in all() {
            assert_eq!(row.code.len(), 4);
            assert!(
                row.code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
            assert!(
                !row.meaning.is_empty() && !row.action.is_empty(),
                "{}",
                row.code
            );
            assert_eq!(lookup(row.code), Some(row));
        }
    }

    #[test]
    fn classes_follow_the_spec() {
        assert_eq!(
            codes(|r| r.class == ReasonClass::Soft),
            BTreeSet::from(["AM04", "MS03"])
        );
        assert_eq!(
            codes(|r| r.class == ReasonClass::Dispute),
            BTreeSet::from(["MD06"])
        );
        assert_eq!(
            codes(|r| r.class == ReasonClass::Technical),
            BTreeSet::from([
                "AG02", "BE05", "FF01", "FF05", "MD02", "RC01", "RR01", "RR02", "RR03", "RR04"
            ])
        );
        assert_eq!(
            codes(|r| r.class == ReasonClass::Hard),
            BTreeSet::from([
                "AC01", "AC04", "AC06", "AG01", "AM05", "FRAD", "MD01", "MD07", "MS02", "SL01"
            ])
        );
    }

    #[test]
    fn only_am04_and_ms03_are_retried_ms03_once_in_five_countries() {
        assert_eq!(codes(|r| r.retryable), BTreeSet::from(["AM04", "MS03"]));
        assert_eq!(codes(|r| r.retry_once), BTreeSet::from(["MS03"]));
        let ms03 = lookup("MS03").unwrap();
        assert_eq!(ms03.retry_limit(), 1);
        assert_eq!(ms03.retry_countries, ["AT", "BE", "DE", "LU", "SK"]);
        assert!(ms03.retryable_for("DE") && !ms03.retryable_for("FR"));
        let am04 = lookup("AM04").unwrap();
        assert_eq!(am04.retry_limit(), 0);
        assert!(am04.retryable_for("FR") && am04.retryable_for("DE"));
        assert!(!lookup("MS02").unwrap().retryable_for("FR"));
        for row in all() {
            // Retry-once rows are retryable; only retried rows restrict countries.
            assert!(!row.retry_once || row.retryable, "{}", row.code);
            assert!(
                row.retry_countries.is_empty() || row.retryable,
                "{}",
                row.code
            );
            assert_eq!(
                row.retryable,
                row.class == ReasonClass::Soft,
                "{}",
                row.code
            );
        }
    }

    #[test]
    fn mandate_failing_and_stopping_codes() {
        assert_eq!(
            codes(|r| r.fails_mandate),
            BTreeSet::from(["AC01", "AC04", "AC06", "AG01", "MD01", "MD07"])
        );
        assert_eq!(codes(|r| r.stops_collections), BTreeSet::from(["MD07"]));
    }

    #[test]
    fn lookup_is_exact() {
        assert_eq!(
            lookup("AM04").map(|r| r.meaning),
            Some("Insufficient funds")
        );
        assert_eq!(lookup("am04"), None);
        assert_eq!(lookup("ZZ99"), None);
        assert_eq!(lookup(""), None);
    }

    #[test]
    fn class_keys_round_trip() {
        for class in ReasonClass::ALL {
            assert_eq!(ReasonClass::parse(class.key()), Some(class));
        }
        assert_eq!(ReasonClass::parse("Soft"), None);
    }
}
