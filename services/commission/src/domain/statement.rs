//! Statements (bordereaux, domain-rules 8.3): per sales agent and month, the opening
//! balance carried from the previous statement when it closed negative, the earned
//! lines, the clawback lines, the closing balance and what is payable. A negative
//! balance is carried forward and offset against later commissions, never dropped.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::money::{Overflow, sum};
use super::{Kind, Month};

/// The VAT category of commissions on insurance, a referentiel key.
pub const VAT_CATEGORY: &str = "exempt";

/// The mention a statement carries: brokers' and intermediaries' commissions on
/// insurance operations are exempt, with no option to tax (domain-rules 3).
pub const VAT_EXEMPTION_REASON: &str = "Exonération de TVA, article 261 C 2° du CGI \
     (opérations d'assurance et prestations des courtiers et intermédiaires)";

/// Sums of one month's entries of a sales agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthSums {
    /// Upfront, recurring and override entries.
    pub earned: i64,
    /// Clawbacks (zero or negative).
    pub clawbacks: i64,
    /// Number of entries.
    pub count: i64,
}

impl MonthSums {
    /// Returns the sums of `entries` (kind, amount).
    pub fn of<I: IntoIterator<Item = (Kind, i64)>>(entries: I) -> Result<Self, Overflow> {
        let mut earned = Vec::new();
        let mut clawbacks = Vec::new();
        for (kind, amount) in entries {
            match kind {
                Kind::Clawback => clawbacks.push(amount),
                Kind::Upfront | Kind::Recurring | Kind::Override => earned.push(amount),
            }
        }
        let count = i64::try_from(earned.len() + clawbacks.len()).map_err(|_| Overflow)?;
        Ok(Self {
            earned: sum(earned)?,
            clawbacks: sum(clawbacks)?,
            count,
        })
    }
}

/// The balances of a statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// The previous closing balance when negative, else 0.
    pub opening: i64,
    /// Earned this month.
    pub earned: i64,
    /// Clawed back this month (zero or negative).
    pub clawbacks: i64,
    /// opening + earned + clawbacks.
    pub closing: i64,
    /// max(0, closing).
    pub payable: i64,
    /// Number of entries.
    pub count: i64,
}

/// Whether a statement can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementStatus {
    /// The month is open: computed from its entries so far.
    Open,
    /// Closed: immutable.
    Closed,
    /// Closed and paid.
    Paid,
}

impl StatementStatus {
    /// Returns the stored name (open statements are never stored).
    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Open => "open",
            StatementStatus::Closed => "closed",
            StatementStatus::Paid => "paid",
        }
    }

    /// Returns the status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closed" => Some(StatementStatus::Closed),
            "paid" => Some(StatementStatus::Paid),
            _ => None,
        }
    }
}

/// The statement of a sales agent for a month, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its id once closed.
    pub id: Option<Uuid>,
    /// The sales agent.
    pub commercial_id: Uuid,
    /// The month.
    pub period: Month,
    /// The currency.
    pub currency: String,
    /// Open, closed or paid.
    pub status: StatementStatus,
    /// The balances.
    pub totals: Totals,
    /// When the month was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Returns the statement following one that closed at `previous_closing`: a positive
/// previous balance was paid out, a negative one is carried.
pub fn totals(previous_closing: i64, month: MonthSums) -> Result<Totals, Overflow> {
    let opening = previous_closing.min(0);
    let closing = sum([opening, month.earned, month.clawbacks])?;
    Ok(Totals {
        opening,
        earned: month.earned,
        clawbacks: month.clawbacks,
        closing,
        payable: closing.max(0),
        count: month.count,
    })
}

/// Returns the closing balance after `months` (in order), starting from the closing
/// balance `closing` of the last closed statement: the previous closing of the month
/// that follows them.
pub fn carry(closing: i64, months: &[MonthSums]) -> Result<i64, Overflow> {
    months
        .iter()
        .try_fold(closing, |c, m| totals(c, *m).map(|t| t.closing))
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn month(earned: i64, clawbacks: i64) -> MonthSums {
        MonthSums {
            earned,
            clawbacks,
            count: 1,
        }
    }

    /// A clawback larger than the month's commissions leaves a negative balance that
    /// the next months offset before anything is paid again.
    #[test]
    fn a_negative_balance_is_carried_forward() {
        let jan = totals(0, month(100_00, -300_00)).expect("jan");
        assert_eq!((jan.opening, jan.closing, jan.payable), (0, -200_00, 0));
        let feb = totals(jan.closing, month(150_00, 0)).expect("feb");
        assert_eq!(
            (feb.opening, feb.closing, feb.payable),
            (-200_00, -50_00, 0)
        );
        let mar = totals(feb.closing, month(300_00, 0)).expect("mar");
        assert_eq!(
            (mar.opening, mar.closing, mar.payable),
            (-50_00, 250_00, 250_00)
        );
        let apr = totals(mar.closing, month(10_00, 0)).expect("apr");
        assert_eq!((apr.opening, apr.closing, apr.payable), (0, 10_00, 10_00));
        assert_eq!(
            carry(0, &[month(100_00, -300_00), month(150_00, 0)]),
            Ok(-50_00)
        );
        assert_eq!(carry(-10_00, &[]), Ok(-10_00));
    }

    #[test]
    fn sums_split_earned_and_clawbacks() {
        let s = MonthSums::of([
            (Kind::Upfront, 600_00),
            (Kind::Override, 60_00),
            (Kind::Recurring, 10_00),
            (Kind::Clawback, -400_00),
        ])
        .expect("sums");
        assert_eq!(
            s,
            MonthSums {
                earned: 670_00,
                clawbacks: -400_00,
                count: 4
            }
        );
        assert_eq!(
            MonthSums::of([(Kind::Upfront, i64::MAX), (Kind::Recurring, 1)]),
            Err(Overflow)
        );
    }

    proptest! {
        /// Nothing is dropped: over any run of months, what was paid plus the balance
        /// still owed equals the sum of every entry.
        #[test]
        fn balances_are_conserved(months in proptest::collection::vec((0..1_000_000_i64, -1_000_000..=0_i64), 0..24)) {
            let mut closing = 0;
            let mut paid = 0;
            let mut net = 0;
            for (earned, clawbacks) in months {
                let t = totals(closing, month(earned, clawbacks))?;
                prop_assert_eq!(t.closing, t.opening + t.earned + t.clawbacks);
                prop_assert!(t.payable >= 0 && t.payable >= t.closing && t.opening <= 0);
                paid += t.payable;
                net += earned + clawbacks;
                closing = t.closing;
            }
            prop_assert_eq!(net, paid + closing.min(0));
        }
    }
}
