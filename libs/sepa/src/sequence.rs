//! Which sequence type the next collection of a mandate carries (domain-rules §4.2).

use crate::model::{MandateKind, SequenceType};

/// Returns the sequence type of the next collection on a mandate.
///
/// - A one-off mandate always collects `OOFF`.
/// - A recurrent mandate collects `FRST` until one collection has settled since the
///   mandate was created or since the debtor's account last changed
///   (`settled_since_first_or_account_change` counts those), then `RCUR`. FRST has
///   been optional since the 2016 Core rulebook, but it is still the safe choice, and
///   the only one after an account change.
/// - `FNAL` is used only when `last_of_contract` says the contract really ends with
///   this collection and a collection has already settled; a final collection that is
///   also the first stays `FRST`, so a mandate is never closed by accident.
pub fn sequence_type(
    kind: MandateKind,
    settled_since_first_or_account_change: u32,
    last_of_contract: bool,
) -> SequenceType {
    match kind {
        MandateKind::OneOff => SequenceType::Ooff,
        MandateKind::Recurrent if settled_since_first_or_account_change == 0 => SequenceType::Frst,
        MandateKind::Recurrent if last_of_contract => SequenceType::Fnal,
        MandateKind::Recurrent => SequenceType::Rcur,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_off_mandates_always_collect_ooff() {
        for settled in [0, 1, 7] {
            for last in [false, true] {
                assert_eq!(
                    sequence_type(MandateKind::OneOff, settled, last),
                    SequenceType::Ooff
                );
            }
        }
    }

    #[test]
    fn recurrent_mandates_collect_frst_until_one_settled() {
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 0, false),
            SequenceType::Frst
        );
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 1, false),
            SequenceType::Rcur
        );
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 40, false),
            SequenceType::Rcur
        );
    }

    #[test]
    fn an_account_change_restarts_the_count() {
        // The caller counts settled collections since the IBAN change: none yet.
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 0, false),
            SequenceType::Frst
        );
    }

    #[test]
    fn fnal_only_ends_a_contract_after_a_settled_collection() {
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 3, true),
            SequenceType::Fnal
        );
        assert_eq!(
            sequence_type(MandateKind::Recurrent, 0, true),
            SequenceType::Frst
        );
    }
}
