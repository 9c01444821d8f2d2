//! Mandate rules: the reference (UMR) and name checks, the lapse after 36 months
//! without a collection, the status transitions, and the amendment the next collection
//! carries after an IBAN or reference change (domain-rules 4.1, 4.4).

use chrono::{DateTime, NaiveDate, Utc};

use super::{Mandate, MandateStatus, PendingAmendment};

/// Longest debtor name kept (the writer transliterates and cuts it to 70 in the file).
pub const MAX_DEBTOR_NAME: usize = 140;

/// Returns the reference if it is a valid UMR: 1 to 35 SEPA characters, no leading or
/// trailing `/`, no `//`.
pub fn check_reference(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is required".into());
    }
    crm_shared::validate::check_sepa_identifier(text, 35)
        .map(|()| text.to_owned())
        .map_err(|e| {
            format!(
                "must be 1 to 35 SEPA characters without a leading, trailing or double slash: {e}"
            )
        })
}

/// Returns the debtor name if it has 1 to 140 characters.
pub fn check_debtor_name(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is required".into());
    }
    if text.chars().count() > MAX_DEBTOR_NAME {
        return Err(format!("must be at most {MAX_DEBTOR_NAME} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}

/// Returns whether the mandate may no longer be used on `on`: an ACTIVE or SUSPENDED
/// mandate with no collection for 36 months (since its signature when never used).
pub fn is_lapsed(m: &Mandate, on: NaiveDate) -> bool {
    matches!(m.status, MandateStatus::Active | MandateStatus::Suspended)
        && m.signature_date.is_some_and(|signed| {
            crm_sepa::timeline::mandate_lapsed(m.last_collection_date, signed, on)
        })
}

/// A status change asked of a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The debtor signed.
    Activate,
    /// Pause collections.
    Suspend,
    /// Resume collections.
    Resume,
    /// Revoke for good.
    Revoke,
    /// Change the IBAN or the reference.
    Amend,
}

/// Returns the status after `t`, or why the mandate's status does not allow it.
pub fn apply(status: MandateStatus, t: Transition) -> Result<MandateStatus, String> {
    use MandateStatus as S;
    let next = match (t, status) {
        (Transition::Activate, S::PendingSignature) => S::Active,
        (Transition::Suspend, S::Active) => S::Suspended,
        (Transition::Resume, S::Suspended) => S::Active,
        (Transition::Revoke, s) if !s.is_closed() => S::Revoked,
        (Transition::Amend, s @ (S::Active | S::Suspended)) => s,
        (t, s) => {
            return Err(format!(
                "a {} mandate cannot be {}",
                s.as_str().replace('_', " "),
                match t {
                    Transition::Activate => "activated",
                    Transition::Suspend => "suspended",
                    Transition::Resume => "resumed",
                    Transition::Revoke => "revoked",
                    Transition::Amend => "amended",
                }
            ));
        }
    };
    Ok(next)
}

/// Length of the national bank code at the start of the BBAN, for the countries where
/// it is known; elsewhere the first four characters are compared.
fn bank_code_len(country: &str) -> usize {
    match country {
        "FR" | "MC" | "AT" | "CH" | "LI" => 5,
        "DE" => 8,
        "BE" | "LU" | "LT" => 3,
        "IT" | "SM" => 6,
        _ => 4,
    }
}

/// Returns whether a change from `old` to `new` (valid, normalised IBANs) stays at the
/// same bank: same BIC institution when both BICs are known, otherwise same country and
/// national bank code. At the same bank the amendment names the original IBAN; at
/// another bank it says SMNDA (domain-rules 4.4).
pub fn same_bank(old: &str, new: &str, old_bic: Option<&str>, new_bic: Option<&str>) -> bool {
    if let (Some(a), Some(b)) = (old_bic, new_bic) {
        return a.get(..8) == b.get(..8);
    }
    let (Some(old_country), Some(new_country)) = (old.get(..2), new.get(..2)) else {
        return false;
    };
    if old_country != new_country {
        return false;
    }
    let end = 4 + bank_code_len(old_country);
    old.get(4..end).is_some() && old.get(4..end) == new.get(4..end)
}

/// What an amendment changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The reference before, when it changes.
    pub old_reference: Option<String>,
    /// The IBAN before (sealed and masked) and whether the new one is at the same bank,
    /// when it changes.
    pub old_iban: Option<(String, String, bool)>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Returns the pending amendment after `change`, folded into `pending` (not sent yet):
/// the bank only ever needs the values it last saw, so earlier originals win.
pub fn fold_amendment(pending: &PendingAmendment, change: &Change) -> PendingAmendment {
    let mut next = pending.clone();
    if next.original_reference.is_none() {
        next.original_reference = change.old_reference.clone();
    }
    if let Some((sealed, masked, same_bank)) = &change.old_iban
        && next.original_iban_masked.is_none()
    {
        next.original_iban_masked = Some(masked.clone());
        if *same_bank {
            next.original_iban_sealed = Some(sealed.clone());
        } else {
            next.same_mandate_new_account = true;
        }
    }
    next.amended_at = Some(change.at);
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_the_sepa_identifier_rules() {
        assert_eq!(
            check_reference(" UMR-2026/0001 "),
            Ok("UMR-2026/0001".into())
        );
        assert!(check_reference(&"A".repeat(35)).is_ok());
        for bad in [
            "",
            "   ",
            "UMR//1",
            "/UMR1",
            "UMR1/",
            "UMR_1",
            "UMRé",
            &"A".repeat(36),
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(check_debtor_name("Émile Zola").is_ok());
        assert!(check_debtor_name("").is_err());
        assert!(check_debtor_name(&"x".repeat(141)).is_err());
        assert!(check_debtor_name("a\u{7}b").is_err());
    }

    #[test]
    fn transitions_follow_the_state_machine() {
        use MandateStatus as S;
        assert_eq!(
            apply(S::PendingSignature, Transition::Activate),
            Ok(S::Active)
        );
        assert_eq!(apply(S::Active, Transition::Suspend), Ok(S::Suspended));
        assert_eq!(apply(S::Suspended, Transition::Resume), Ok(S::Active));
        assert_eq!(apply(S::Suspended, Transition::Revoke), Ok(S::Revoked));
        assert_eq!(apply(S::Active, Transition::Amend), Ok(S::Active));
        for closed in [S::Revoked, S::Expired, S::Failed] {
            for t in [
                Transition::Activate,
                Transition::Suspend,
                Transition::Resume,
                Transition::Revoke,
                Transition::Amend,
            ] {
                assert!(apply(closed, t).is_err(), "{closed:?} {t:?}");
            }
        }
        assert!(apply(S::Active, Transition::Activate).is_err());
        assert!(apply(S::PendingSignature, Transition::Amend).is_err());
    }

    #[test]
    fn same_bank_compares_bics_or_bank_codes() {
        let a = "FR7630006000011234567890189";
        let same = "FR7630006000019876543210113";
        let other = "FR1420041010050500013M02606";
        assert!(same_bank(a, same, None, None));
        assert!(!same_bank(a, other, None, None));
        assert!(same_bank(a, other, Some("AGRIFRPP"), Some("AGRIFRPPXXX")));
        assert!(!same_bank(a, same, Some("AGRIFRPP"), Some("BNPAFRPP")));
        assert!(!same_bank(a, "DE89370400440532013000", None, None));
    }

    #[test]
    fn amendments_keep_the_first_originals_until_sent() {
        let at = Utc::now();
        let first = fold_amendment(
            &PendingAmendment::default(),
            &Change {
                old_reference: Some("UMR-1".into()),
                old_iban: Some(("sealed-1".into(), "FR76 ****".into(), true)),
                at,
            },
        );
        assert_eq!(first.original_reference.as_deref(), Some("UMR-1"));
        assert_eq!(first.original_iban_sealed.as_deref(), Some("sealed-1"));
        assert!(!first.same_mandate_new_account);
        let second = fold_amendment(
            &first,
            &Change {
                old_reference: Some("UMR-2".into()),
                old_iban: Some(("sealed-2".into(), "FR14 ****".into(), false)),
                at,
            },
        );
        assert_eq!(second.original_reference.as_deref(), Some("UMR-1"));
        assert_eq!(second.original_iban_sealed.as_deref(), Some("sealed-1"));
        let smnda = fold_amendment(
            &PendingAmendment::default(),
            &Change {
                old_reference: None,
                old_iban: Some(("s".into(), "m".into(), false)),
                at,
            },
        );
        assert!(smnda.same_mandate_new_account && smnda.original_iban_sealed.is_none());
        assert!(!smnda.is_empty());
    }
}
