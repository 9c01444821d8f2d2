//! Collection rules: pre-notification, the sequence type of a collection, whether an
//! R-transaction is a reject or a return, and the refund windows (domain-rules 4.2,
//! 4.3, 4.6).

use chrono::{Days, NaiveDate};

use super::{Mandate, MandateKind, PaymentStatus, RejectionKind, Scheme};

/// Returns whether an instalment notified on `notified_on` was pre-notified at least
/// `days` calendar days before `collection_date`.
pub fn prenotified(notified_on: NaiveDate, collection_date: NaiveDate, days: u32) -> bool {
    notified_on
        .checked_add_days(Days::new(u64::from(days)))
        .is_some_and(|d| d <= collection_date)
}

/// Returns the sequence type of the next collection on `m` (FNAL only for the
/// contract's last instalment).
pub fn sequence_of(m: &Mandate, last_of_contract: bool) -> crm_sepa::SequenceType {
    let kind = match m.kind {
        MandateKind::Recurrent => crm_sepa::MandateKind::Recurrent,
        MandateKind::OneOff => crm_sepa::MandateKind::OneOff,
    };
    crm_sepa::sequence_type(
        kind,
        u32::try_from(m.settled_since_reset).unwrap_or(0),
        last_of_contract,
    )
}

/// Returns the return deadline of a collection settled (or due) on `d`: D+5 TARGET days.
pub fn return_deadline(d: NaiveDate) -> NaiveDate {
    crm_sepa::timeline::return_deadline(d)
}

/// Returns what an R-transaction dated `date` makes of a SUBMITTED or SETTLED payment
/// due on `collection_date`: a reject before that date, a return from it to
/// `deadline`, and a refusal after (a refund is RefundPayment's).
pub fn rejection_kind(
    status: PaymentStatus,
    collection_date: NaiveDate,
    deadline: NaiveDate,
    date: NaiveDate,
) -> Result<RejectionKind, String> {
    match status {
        PaymentStatus::Submitted | PaymentStatus::Settled => {}
        other => {
            return Err(format!(
                "a {} payment cannot be rejected or returned",
                other.as_str().replace('_', " ")
            ));
        }
    }
    if date < collection_date {
        if status == PaymentStatus::Settled {
            return Err(format!(
                "the payment settled; a reject must be dated on or after its collection date {collection_date}"
            ));
        }
        return Ok(RejectionKind::Reject);
    }
    if date <= deadline {
        return Ok(RejectionKind::Return);
    }
    Err(format!(
        "the return deadline {deadline} has passed; a later refund is recorded with RefundPayment"
    ))
}

/// Returns the status after a debtor's refund `code` dated `refund_date` of a payment
/// settled on `settlement`, or why it is refused: MD06 within 8 weeks (Core only, B2B
/// has no refund right), MD01 within 13 months.
pub fn refund_status(
    code: &str,
    scheme: Scheme,
    settlement: NaiveDate,
    refund_date: NaiveDate,
) -> Result<PaymentStatus, String> {
    if refund_date < settlement {
        return Err(format!(
            "the refund date is before the settlement date {settlement}"
        ));
    }
    match code {
        "MD06" => {
            if scheme == Scheme::B2b {
                return Err("B2B debits carry no refund right (MD06)".into());
            }
            let deadline = crm_sepa::timeline::refund_deadline_authorised(settlement);
            if refund_date > deadline {
                return Err(format!(
                    "an authorised debit is refundable until {deadline} (8 weeks after settlement)"
                ));
            }
            Ok(PaymentStatus::RefundedMd06)
        }
        "MD01" => {
            let deadline = crm_sepa::timeline::refund_deadline_unauthorised(settlement);
            if refund_date > deadline {
                return Err(format!(
                    "an unauthorised debit is refundable until {deadline} (13 months after settlement)"
                ));
            }
            Ok(PaymentStatus::RefundedMd01)
        }
        other => Err(format!(
            "{other} is not a refund reason code (MD06 or MD01)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn prenotification_counts_calendar_days() {
        assert!(prenotified(date(2026, 3, 1), date(2026, 3, 15), 14));
        assert!(!prenotified(date(2026, 3, 2), date(2026, 3, 15), 14));
        assert!(prenotified(date(2026, 3, 15), date(2026, 3, 15), 0));
    }

    #[test]
    fn rejects_come_before_the_collection_date_and_returns_after() {
        let due = date(2026, 3, 16);
        let deadline = return_deadline(due);
        assert_eq!(deadline, date(2026, 3, 23));
        let s = PaymentStatus::Submitted;
        assert_eq!(
            rejection_kind(s, due, deadline, date(2026, 3, 13)),
            Ok(RejectionKind::Reject)
        );
        assert_eq!(
            rejection_kind(s, due, deadline, due),
            Ok(RejectionKind::Return)
        );
        assert_eq!(
            rejection_kind(s, due, deadline, deadline),
            Ok(RejectionKind::Return)
        );
        assert!(rejection_kind(s, due, deadline, date(2026, 3, 24)).is_err());
        assert!(rejection_kind(PaymentStatus::Settled, due, deadline, date(2026, 3, 13)).is_err());
        assert!(rejection_kind(PaymentStatus::Exported, due, deadline, due).is_err());
        assert!(rejection_kind(PaymentStatus::Rejected, due, deadline, due).is_err());
    }

    #[test]
    fn refund_windows() {
        let settled = date(2026, 3, 16);
        assert_eq!(
            refund_status("MD06", Scheme::Core, settled, date(2026, 5, 11)),
            Ok(PaymentStatus::RefundedMd06)
        );
        assert!(refund_status("MD06", Scheme::Core, settled, date(2026, 5, 12)).is_err());
        assert!(refund_status("MD06", Scheme::B2b, settled, date(2026, 3, 20)).is_err());
        assert_eq!(
            refund_status("MD01", Scheme::B2b, settled, date(2027, 4, 16)),
            Ok(PaymentStatus::RefundedMd01)
        );
        assert!(refund_status("MD01", Scheme::Core, settled, date(2027, 4, 17)).is_err());
        assert!(refund_status("MD01", Scheme::Core, settled, date(2026, 3, 15)).is_err());
        assert!(refund_status("AM04", Scheme::Core, settled, settled).is_err());
    }
}
