//! The state machine of an invoice (domain-rules §5.5): DRAFT —issue→ ISSUED
//! —payments→ PARTIALLY_PAID → PAID; ISSUED/PARTIALLY_PAID —due date passed→ OVERDUE
//! (MarkOverdue); any unpaid state —write-off→ WRITTEN_OFF; credit notes covering
//! everything → CANCELLED_BY_CREDIT_NOTE. The money states are derived from the amounts
//! by [`settle`], so a returned or refunded payment reopens the balance by itself.

use super::{Kind, Status};

/// What a caller wants to do to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change a draft.
    Update,
    /// Delete a draft.
    Delete,
    /// Give it a number.
    Issue,
    /// Credit it.
    Credit,
    /// Record a payment.
    Pay,
    /// Write it off.
    WriteOff,
    /// Compute its late penalties.
    Penalties,
}

/// Returns why `action` is not allowed on a `kind` document in `status`, if it is not.
pub fn refusal(kind: Kind, status: Status, action: Action) -> Option<String> {
    use Status as S;
    let allowed = match (kind, action) {
        (Kind::CreditNote, _) => false,
        (Kind::Invoice, Action::Update | Action::Delete | Action::Issue) => status == S::Draft,
        (Kind::Invoice, Action::Credit) => {
            matches!(status, S::Issued | S::PartiallyPaid | S::Overdue | S::Paid)
        }
        (Kind::Invoice, Action::Pay | Action::Penalties) => status != S::Draft,
        (Kind::Invoice, Action::WriteOff) => {
            matches!(status, S::Issued | S::PartiallyPaid | S::Overdue)
        }
    };
    if allowed {
        return None;
    }
    Some(match (kind, action) {
        (Kind::CreditNote, _) => "a credit note is final: credit the invoice again instead".into(),
        (_, Action::Update | Action::Delete) => {
            format!(
                "only a draft can change or be deleted; this invoice is {}",
                status.as_str()
            )
        }
        (_, Action::Issue) => format!(
            "only a draft can be issued; this invoice is {}",
            status.as_str()
        ),
        (_, Action::Credit) => format!("a {} invoice cannot be credited", status.as_str()),
        (_, Action::Pay | Action::Penalties) => "a draft is not due: issue it first".into(),
        (_, Action::WriteOff) => format!("a {} invoice cannot be written off", status.as_str()),
    })
}

/// Returns the status of an issued invoice after its amounts changed: `total` incl. VAT,
/// `credited` by credit notes, `paid` net of reversals, and whether MarkOverdue already
/// marked it. A written-off invoice stays so unless paid in full; a cancelled one stays
/// cancelled (a payment on it is a credit balance to refund).
pub fn settle(
    current: Status,
    total: i64,
    credited: i64,
    paid: i64,
    marked_overdue: bool,
) -> Status {
    let settled = total > 0 && credited.saturating_add(paid) >= total;
    match current {
        Status::Draft | Status::CancelledByCreditNote => current,
        Status::WrittenOff if !settled => current,
        _ if total > 0 && credited >= total => Status::CancelledByCreditNote,
        _ if settled => Status::Paid,
        _ if marked_overdue => Status::Overdue,
        _ if paid > 0 => Status::PartiallyPaid,
        _ => Status::Issued,
    }
}

/// Returns whether MarkOverdue on `as_of` marks an invoice in `status` due on `due`
/// that was never marked before.
pub fn becomes_overdue(
    status: Status,
    due: chrono::NaiveDate,
    as_of: chrono::NaiveDate,
    marked: bool,
) -> bool {
    !marked && matches!(status, Status::Issued | Status::PartiallyPaid) && due < as_of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_states_follow_the_amounts() {
        use Status as S;
        assert_eq!(settle(S::Issued, 1000, 0, 0, false), S::Issued);
        assert_eq!(settle(S::Issued, 1000, 0, 400, false), S::PartiallyPaid);
        assert_eq!(settle(S::PartiallyPaid, 1000, 0, 1000, false), S::Paid);
        assert_eq!(settle(S::Issued, 1000, 0, 1500, false), S::Paid);
        // A partial credit note and a payment settle together.
        assert_eq!(settle(S::Issued, 1000, 300, 700, false), S::Paid);
        // Everything credited: cancelled, whatever was paid.
        assert_eq!(
            settle(S::PartiallyPaid, 1000, 1000, 200, false),
            S::CancelledByCreditNote
        );
        // A returned payment reopens: back to overdue when it had been marked.
        assert_eq!(settle(S::Paid, 1000, 0, 0, true), S::Overdue);
        assert_eq!(settle(S::Paid, 1000, 0, 0, false), S::Issued);
        assert_eq!(settle(S::Overdue, 1000, 0, 500, true), S::Overdue);
        // Written off stays so unless paid in full.
        assert_eq!(settle(S::WrittenOff, 1000, 0, 500, true), S::WrittenOff);
        assert_eq!(settle(S::WrittenOff, 1000, 0, 1000, true), S::Paid);
        assert_eq!(
            settle(S::CancelledByCreditNote, 1000, 1000, 0, false),
            S::CancelledByCreditNote
        );
        assert_eq!(settle(S::Draft, 1000, 0, 1000, false), S::Draft);
    }

    #[test]
    fn actions_need_their_states() {
        use Status as S;
        assert_eq!(refusal(Kind::Invoice, S::Draft, Action::Issue), None);
        assert!(refusal(Kind::Invoice, S::Issued, Action::Issue).is_some());
        assert!(refusal(Kind::Invoice, S::Issued, Action::Delete).is_some());
        assert!(refusal(Kind::Invoice, S::Paid, Action::Update).is_some());
        assert_eq!(refusal(Kind::Invoice, S::Paid, Action::Credit), None);
        assert!(refusal(Kind::Invoice, S::Draft, Action::Credit).is_some());
        assert!(refusal(Kind::Invoice, S::CancelledByCreditNote, Action::Credit).is_some());
        assert!(refusal(Kind::Invoice, S::WrittenOff, Action::Credit).is_some());
        assert_eq!(refusal(Kind::Invoice, S::Overdue, Action::WriteOff), None);
        assert!(refusal(Kind::Invoice, S::Paid, Action::WriteOff).is_some());
        assert!(refusal(Kind::Invoice, S::Draft, Action::Pay).is_some());
        assert_eq!(refusal(Kind::Invoice, S::WrittenOff, Action::Pay), None);
        assert!(refusal(Kind::CreditNote, S::Issued, Action::Credit).is_some());
        assert!(refusal(Kind::CreditNote, S::Issued, Action::Pay).is_some());
    }

    #[test]
    fn only_unmarked_unpaid_invoices_past_due_become_overdue() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().expect("date");
        let due = d("2026-03-31");
        assert!(becomes_overdue(Status::Issued, due, d("2026-04-01"), false));
        assert!(becomes_overdue(
            Status::PartiallyPaid,
            due,
            d("2026-04-01"),
            false
        ));
        assert!(!becomes_overdue(
            Status::Issued,
            due,
            d("2026-03-31"),
            false
        ));
        assert!(!becomes_overdue(Status::Issued, due, d("2026-04-01"), true));
        assert!(!becomes_overdue(Status::Paid, due, d("2026-04-01"), false));
        assert!(!becomes_overdue(
            Status::WrittenOff,
            due,
            d("2026-04-01"),
            false
        ));
    }
}
