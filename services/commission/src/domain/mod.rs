//! The commission rules, free of I/O: plans and their validation ([`plan`]), the terms
//! a contract is signed under ([`terms`]), the formulas ([`formula`]), the derivation of
//! entries from the stored facts ([`derive`]) and statements ([`statement`]). Amounts
//! are integer minor units; every rounding is half away from zero ([`money`]).

use std::fmt;

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

pub mod derive;
pub mod facts;
pub mod formula;
pub mod money;
pub mod plan;
pub mod statement;
pub mod terms;

/// A statement period: one calendar month, written "YYYY-MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Returns the month `month` (1 to 12) of `year` (1900 to 9999).
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// Returns the month of `date`.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Returns the month written "YYYY-MM", `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        if !year
            .bytes()
            .chain(month.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Self::new(year.parse().ok()?, month.parse().ok()?)
    }

    /// Returns the first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Returns the last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// Returns the month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Returns the period an entry of an event dated `event` goes to: the event's month, or
/// the month after the last closed one when the event's month is closed.
pub fn landing_period(event: Month, closed_through: Option<Month>) -> Month {
    match closed_through {
        Some(closed) if event <= closed => closed.next(),
        _ => event,
    }
}

/// The kind of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Upfront (précompte) on the first-year premium, at signature.
    Upfront,
    /// Recurring, on a payment received.
    Recurring,
    /// A manager's override on a subordinate's commission.
    Override,
    /// A clawback of an earlier entry (negative).
    Clawback,
}

impl Kind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Upfront => "upfront",
            Kind::Recurring => "recurring",
            Kind::Override => "override",
            Kind::Clawback => "clawback",
        }
    }

    /// Returns the kind of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Kind::Upfront,
            Kind::Recurring,
            Kind::Override,
            Kind::Clawback,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What an entry is earned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    /// The contract (signature, termination).
    Contract,
    /// A payment (received, refunded or returned).
    Payment,
}

impl Source {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Contract => "contract",
            Source::Payment => "payment",
        }
    }

    /// Returns the source of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Source::Contract, Source::Payment]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryStatus {
    /// In an open month.
    Pending,
    /// On a closed statement.
    Validated,
    /// Its statement was paid.
    Paid,
    /// Withdrawn by a recomputation.
    Cancelled,
}

impl EntryStatus {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "pending",
            EntryStatus::Validated => "validated",
            EntryStatus::Paid => "paid",
            EntryStatus::Cancelled => "cancelled",
        }
    }

    /// Returns the status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            EntryStatus::Pending,
            EntryStatus::Validated,
            EntryStatus::Paid,
            EntryStatus::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Why a contract ended, as far as clawbacks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cause {
    /// Cooling-off renunciation: the whole advance, whatever the window.
    Renunciation,
    /// The term ended: the contract did not fall, nothing is clawed back.
    EndOfTerm,
    /// Unpaid premium, client cancellation or any other cause: per the rule's mode,
    /// inside its window.
    Lapse,
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn m(text: &str) -> Month {
        Month::parse(text).expect("month")
    }

    #[test]
    fn months_parse_print_and_bound() {
        assert_eq!(m("2026-03").to_string(), "2026-03");
        for bad in [
            "2026-3",
            "2026-13",
            "2026-00",
            "26-03",
            "2026/03",
            "abcd-ef",
            "",
            "2026-03-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(
            m("2026-02").last_day(),
            NaiveDate::from_ymd_opt(2026, 2, 28).expect("d")
        );
        assert_eq!(
            m("2024-02").last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).expect("d")
        );
        assert_eq!(m("2026-12").next(), m("2027-01"));
        assert_eq!(
            m("2026-12").last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).expect("d")
        );
        assert!(m("2026-12") < m("2027-01"));
        assert_eq!(
            Month::of(NaiveDate::from_ymd_opt(2026, 7, 31).expect("d")),
            m("2026-07")
        );
    }

    #[test]
    fn late_events_land_after_the_last_closed_month() {
        assert_eq!(landing_period(m("2026-03"), None), m("2026-03"));
        assert_eq!(
            landing_period(m("2026-03"), Some(m("2026-02"))),
            m("2026-03")
        );
        assert_eq!(
            landing_period(m("2026-03"), Some(m("2026-03"))),
            m("2026-04")
        );
        assert_eq!(
            landing_period(m("2025-11"), Some(m("2026-03"))),
            m("2026-04")
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for k in [
            Kind::Upfront,
            Kind::Recurring,
            Kind::Override,
            Kind::Clawback,
        ] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in [Source::Contract, Source::Payment] {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        for s in [
            EntryStatus::Pending,
            EntryStatus::Validated,
            EntryStatus::Paid,
            EntryStatus::Cancelled,
        ] {
            assert_eq!(EntryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Kind::parse("bonus"), None);
    }
}
