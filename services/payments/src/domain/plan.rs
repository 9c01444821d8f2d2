//! The instalment plan of a signed contract: one instalment per billing period of the
//! term, due on the contract's billing day (clamped to the month's length) on or after
//! the period's first day, for Σ quantity × unit price of the lines billed then.
//!
//! Lines billed at different frequencies fall on their own periods; instalments that
//! share a due date are merged. A one-off line (no frequency) is billed once, with the
//! first instalment. A term of 0 months (open-ended) is planned over 12 months.
//!
//! VAT: premiums are VAT-exempt insurance (domain-rules 3). A line whose VAT category is
//! not "exempt" makes its instalments wait for their invoice: the planned amount
//! excludes VAT and `amount_final` is false until invoice.issued sets the invoice's
//! total including VAT, so the VAT is computed once, by the invoice.

use chrono::{Datelike as _, Months, NaiveDate};

/// How often a line is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnual,
    /// Every year.
    Annual,
}

impl Frequency {
    /// Returns the length of a period in months.
    pub fn months(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Quarterly => 3,
            Self::SemiAnnual => 6,
            Self::Annual => 12,
        }
    }
}

/// A line of the contract, as contract.signed gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Units.
    pub quantity: i64,
    /// Unit price excluding VAT, minor units.
    pub unit_price_minor: i64,
    /// Currency of the price.
    pub currency: String,
    /// Billing frequency; `None` for a one-off line.
    pub frequency: Option<Frequency>,
    /// Whether the line is VAT-exempt.
    pub exempt: bool,
}

/// The contract terms the plan follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// First day of the contract.
    pub start: NaiveDate,
    /// Term in months; 0 for open-ended.
    pub term_months: u32,
    /// Day of the month collections fall on (1 to 31; clamped to each month).
    pub billing_day: u32,
    /// Whether it renews tacitly (then its last instalment is not FNAL).
    pub tacit_renewal: bool,
}

/// One planned instalment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Due date.
    pub due_date: NaiveDate,
    /// First day paid for.
    pub period_start: NaiveDate,
    /// Last day paid for.
    pub period_end: NaiveDate,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// False when a taxable line waits for its invoice.
    pub amount_final: bool,
    /// The contract's last collection (the term ends, no tacit renewal).
    pub last_of_contract: bool,
}

/// Months an open-ended contract is planned over.
pub const OPEN_ENDED_MONTHS: u32 = 12;
/// Most instalments a plan may have (ten years of monthly collections).
pub const MAX_INSTALMENTS: usize = 120;

/// Returns `billing_day` of the month of `d`, clamped to that month's length.
pub fn day_in_month(d: NaiveDate, billing_day: u32) -> Option<NaiveDate> {
    let first = d.with_day(1)?;
    let next = first.checked_add_months(Months::new(1))?;
    let length = next.signed_duration_since(first).num_days() as u32;
    first.with_day(billing_day.clamp(1, length))
}

/// Returns the first date on or after `from` that falls on the billing day.
pub fn due_on_or_after(from: NaiveDate, billing_day: u32) -> Option<NaiveDate> {
    let this_month = day_in_month(from, billing_day)?;
    if this_month >= from {
        return Some(this_month);
    }
    day_in_month(
        from.with_day(1)?.checked_add_months(Months::new(1))?,
        billing_day,
    )
}

/// Returns the plan of a contract, or why none can be made.
pub fn plan(lines: &[Line], terms: &Terms) -> Result<Vec<Planned>, String> {
    if lines.is_empty() {
        return Err("the contract has no lines".into());
    }
    if !(1..=31).contains(&terms.billing_day) {
        return Err(format!(
            "billing day {} is not a day of the month",
            terms.billing_day
        ));
    }
    if let Some(line) = lines.iter().find(|l| l.currency != "EUR") {
        return Err(format!("SEPA collects EUR only, not {}", line.currency));
    }
    if let Some(line) = lines
        .iter()
        .find(|l| l.quantity <= 0 || l.unit_price_minor < 0)
    {
        return Err(format!(
            "a line has quantity {} and unit price {}",
            line.quantity, line.unit_price_minor
        ));
    }
    let term = if terms.term_months == 0 {
        OPEN_ENDED_MONTHS
    } else {
        terms.term_months
    };
    let overflow = || "the contract's dates are out of range".to_owned();
    let end = terms
        .start
        .checked_add_months(Months::new(term))
        .ok_or_else(overflow)?;
    let last_day = end.pred_opt().ok_or_else(overflow)?;
    // (due date, period start, period end, amount, every line exempt)
    let mut slots: Vec<(NaiveDate, NaiveDate, NaiveDate, i128, bool)> = Vec::new();
    let mut add = |due, from, to, amount: i128, exempt| match slots.iter_mut().find(|s| s.0 == due)
    {
        Some(slot) => {
            slot.1 = slot.1.min(from);
            slot.2 = slot.2.max(to);
            slot.3 += amount;
            slot.4 &= exempt;
        }
        None => slots.push((due, from, to, amount, exempt)),
    };
    let first_due = due_on_or_after(terms.start, terms.billing_day).ok_or_else(overflow)?;
    for line in lines {
        let amount = i128::from(line.quantity) * i128::from(line.unit_price_minor);
        let Some(frequency) = line.frequency else {
            add(first_due, terms.start, last_day, amount, line.exempt);
            continue;
        };
        let step = frequency.months();
        let mut k = 0;
        while k * step < term {
            let from = terms
                .start
                .checked_add_months(Months::new(k * step))
                .ok_or_else(overflow)?;
            let to = terms
                .start
                .checked_add_months(Months::new((k + 1) * step))
                .and_then(|d| d.pred_opt())
                .ok_or_else(overflow)?
                .min(last_day);
            let due = due_on_or_after(from, terms.billing_day).ok_or_else(overflow)?;
            add(due, from, to, amount, line.exempt);
            k += 1;
        }
    }
    if slots.len() > MAX_INSTALMENTS {
        return Err(format!(
            "the plan would have {} instalments, more than {MAX_INSTALMENTS}",
            slots.len()
        ));
    }
    slots.sort_by_key(|s| s.0);
    let count = slots.len();
    slots
        .into_iter()
        .enumerate()
        .map(
            |(i, (due_date, period_start, period_end, amount, exempt))| {
                let amount_minor = i64::try_from(amount)
                    .map_err(|_| "an instalment's amount is out of range".to_owned())?;
                Ok(Planned {
                    due_date,
                    period_start,
                    period_end,
                    amount_minor,
                    amount_final: exempt,
                    last_of_contract: i + 1 == count && !terms.tacit_renewal,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn line(quantity: i64, price: i64, frequency: Option<Frequency>, exempt: bool) -> Line {
        Line {
            quantity,
            unit_price_minor: price,
            currency: "EUR".into(),
            frequency,
            exempt,
        }
    }

    fn terms(start: NaiveDate, months: u32, day: u32) -> Terms {
        Terms {
            start,
            term_months: months,
            billing_day: day,
            tacit_renewal: false,
        }
    }

    #[test]
    fn a_monthly_year_has_twelve_instalments_on_the_billing_day() {
        let p = plan(
            &[line(2, 1_250, Some(Frequency::Monthly), true)],
            &terms(date(2026, 1, 15), 12, 5),
        )
        .expect("plan");
        assert_eq!(p.len(), 12);
        assert_eq!(p[0].due_date, date(2026, 2, 5));
        assert_eq!(p[0].period_start, date(2026, 1, 15));
        assert_eq!(p[0].period_end, date(2026, 2, 14));
        assert_eq!(p[11].due_date, date(2027, 1, 5));
        assert_eq!(p[11].period_end, date(2027, 1, 14));
        assert!(p.iter().all(|i| i.amount_minor == 2_500 && i.amount_final));
        assert!(p[11].last_of_contract && !p[10].last_of_contract);
    }

    #[test]
    fn billing_days_are_clamped_to_short_months() {
        let p = plan(
            &[line(1, 100, Some(Frequency::Monthly), true)],
            &terms(date(2026, 1, 31), 3, 31),
        )
        .expect("plan");
        let due: Vec<_> = p.iter().map(|i| i.due_date).collect();
        assert_eq!(
            due,
            [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
        );
        assert_eq!(day_in_month(date(2028, 2, 1), 30), Some(date(2028, 2, 29)));
    }

    #[test]
    fn frequencies_mix_and_share_due_dates() {
        let p = plan(
            &[
                line(1, 1_000, Some(Frequency::Monthly), true),
                line(1, 3_000, Some(Frequency::Quarterly), true),
                line(1, 500, None, true),
            ],
            &terms(date(2026, 3, 1), 6, 10),
        )
        .expect("plan");
        assert_eq!(p.len(), 6);
        let amounts: Vec<_> = p.iter().map(|i| i.amount_minor).collect();
        assert_eq!(amounts, [4_500, 1_000, 1_000, 4_000, 1_000, 1_000]);
    }

    #[test]
    fn annual_quarterly_and_open_ended_terms() {
        let annual = plan(
            &[line(1, 12_000, Some(Frequency::Annual), true)],
            &terms(date(2026, 1, 1), 24, 1),
        )
        .expect("plan");
        assert_eq!(annual.len(), 2);
        let quarterly = plan(
            &[line(1, 3_000, Some(Frequency::Quarterly), true)],
            &terms(date(2026, 1, 1), 12, 1),
        )
        .expect("plan");
        assert_eq!(quarterly.len(), 4);
        let open = plan(
            &[line(1, 100, Some(Frequency::Monthly), true)],
            &Terms {
                tacit_renewal: true,
                ..terms(date(2026, 1, 1), 0, 1)
            },
        )
        .expect("plan");
        assert_eq!(open.len(), 12);
        assert!(!open[11].last_of_contract);
    }

    #[test]
    fn a_taxable_line_leaves_its_instalments_waiting_for_the_invoice() {
        let p = plan(
            &[
                line(1, 1_000, Some(Frequency::Monthly), true),
                line(1, 200, Some(Frequency::Quarterly), false),
            ],
            &terms(date(2026, 1, 1), 3, 1),
        )
        .expect("plan");
        let finals: Vec<_> = p.iter().map(|i| i.amount_final).collect();
        assert_eq!(finals, [false, true, true]);
    }

    #[test]
    fn unusable_contracts_are_refused() {
        let t = terms(date(2026, 1, 1), 12, 1);
        assert!(plan(&[], &t).is_err());
        let mut usd = line(1, 100, None, true);
        usd.currency = "USD".into();
        assert!(plan(&[usd], &t).is_err());
        assert!(plan(&[line(0, 100, None, true)], &t).is_err());
        assert!(plan(&[line(1, 100, None, true)], &terms(date(2026, 1, 1), 12, 0)).is_err());
        assert!(
            plan(
                &[line(1, 100, Some(Frequency::Monthly), true)],
                &terms(date(2026, 1, 1), 121, 1)
            )
            .is_err()
        );
        assert!(plan(&[line(i64::from(i32::MAX), i64::MAX, None, true)], &t).is_err());
    }

    proptest! {
        /// The plan's total is Σ quantity × price × periods, whatever the frequencies,
        /// and due dates increase strictly and fall on or after their period's start.
        #[test]
        fn totals_add_up(
            start_day in 1u32..=28,
            billing_day in 1u32..=31,
            months in 1u32..=36,
            prices in proptest::collection::vec((1i64..100, 0i64..100_000, 0usize..5), 1..5),
        ) {
            let frequencies = [None, Some(Frequency::Monthly), Some(Frequency::Quarterly),
                Some(Frequency::SemiAnnual), Some(Frequency::Annual)];
            let lines: Vec<Line> = prices
                .iter()
                .map(|(q, p, f)| line(*q, *p, frequencies[*f], true))
                .collect();
            let p = plan(&lines, &terms(date(2026, 1, start_day), months, billing_day)).expect("plan");
            let expected: i128 = lines.iter().map(|l| {
                let periods = l.frequency.map_or(1, |f| months.div_ceil(f.months()));
                i128::from(l.quantity) * i128::from(l.unit_price_minor) * i128::from(periods)
            }).sum();
            let total: i128 = p.iter().map(|i| i128::from(i.amount_minor)).sum();
            prop_assert_eq!(total, expected);
            for pair in p.windows(2) {
                prop_assert!(pair[0].due_date < pair[1].due_date);
            }
            for i in &p {
                prop_assert!(i.due_date >= i.period_start);
                prop_assert!(i.period_start <= i.period_end);
            }
        }
    }
}
