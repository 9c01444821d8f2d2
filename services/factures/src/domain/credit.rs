//! Credit notes (domain-rules §5.4): an issued invoice is never changed; a credit note
//! credits part of it or everything left. Each credited category takes the invoice's
//! rate for it; the credited base of a category may not exceed what the invoice billed
//! in it minus earlier credit notes. The VAT of a credit note is computed like an
//! invoice's (summed base, half up), except for the credit note that exhausts a
//! category: it credits exactly the VAT left in it, so an invoice and its credit notes
//! always net to zero to the cent.

use super::vat::vat_of;
use super::{CategoryCredit, Line, Period, Totals, VatCategory, VatSubtotal};

/// What is left to credit in one category of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Category.
    pub category: VatCategory,
    /// The invoice's rate for it.
    pub rate_bps: i32,
    /// Base left.
    pub base: i64,
    /// VAT left.
    pub vat: i64,
}

/// A credit note ready to be numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Its lines, with the invoice's rates.
    pub lines: Vec<Line>,
    /// Its VAT per category.
    pub subtotals: Vec<VatSubtotal>,
    /// Its totals (positive amounts).
    pub totals: Totals,
    /// What the invoice will have credited per category once it is issued.
    pub credited_after: Vec<CategoryCredit>,
    /// Whether nothing will be left to credit: the invoice is cancelled.
    pub cancels: bool,
}

/// Returns what is left to credit per category of an invoice with `subtotals`, given
/// what earlier credit notes `credited`.
pub fn remaining(subtotals: &[VatSubtotal], credited: &[CategoryCredit]) -> Vec<Remaining> {
    subtotals
        .iter()
        .map(|s| {
            let done = credited.iter().find(|c| c.category == s.category);
            Remaining {
                category: s.category,
                rate_bps: s.rate_bps,
                base: s.base - done.map_or(0, |c| c.base),
                vat: s.vat - done.map_or(0, |c| c.vat),
            }
        })
        .collect()
}

/// Returns the credit note of everything left: the invoice's own lines when nothing was
/// credited yet, otherwise one line per category with the base left. `None` when
/// nothing is left.
pub fn full(
    invoice_lines: &[Line],
    subtotals: &[VatSubtotal],
    credited: &[CategoryCredit],
) -> Option<Plan> {
    let left = remaining(subtotals, credited);
    if left.iter().all(|r| r.base <= 0 && r.vat <= 0) {
        return None;
    }
    let lines = if credited.iter().all(|c| c.base == 0 && c.vat == 0) {
        invoice_lines.to_vec()
    } else {
        left.iter()
            .filter(|r| r.base > 0)
            .map(|r| Line {
                label: format!("Solde restant (TVA {})", r.category.key()),
                quantity: 1,
                unit_price: r.base,
                vat_category: r.category,
                vat_rate_bps: r.rate_bps,
                service_period: None,
                product_id: None,
            })
            .collect()
    };
    plan(lines, &left, credited).ok()
}

/// Returns the credit note of `lines` (their categories and amounts as asked, rates
/// ignored), or every problem as (field, description).
pub fn partial(
    lines: &[Line],
    subtotals: &[VatSubtotal],
    credited: &[CategoryCredit],
) -> Result<Plan, Vec<(String, String)>> {
    let left = remaining(subtotals, credited);
    let mut problems = Vec::new();
    let mut rated = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match left.iter().find(|r| r.category == line.vat_category) {
            Some(r) => rated.push(Line {
                vat_rate_bps: r.rate_bps,
                ..line.clone()
            }),
            None => problems.push((
                format!("lines[{i}].vat_category"),
                "the invoice bills nothing in this category".into(),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    plan(rated, &left, credited)
}

/// Returns the plan of rated `lines` against what is `left`, checking no category goes
/// beyond it.
fn plan(
    lines: Vec<Line>,
    left: &[Remaining],
    credited: &[CategoryCredit],
) -> Result<Plan, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut subtotals = Vec::new();
    let mut totals = Totals::default();
    for r in left {
        let base: i64 = lines
            .iter()
            .filter(|l| l.vat_category == r.category)
            .map(Line::net)
            .sum();
        if base == 0 && !lines.iter().any(|l| l.vat_category == r.category) {
            continue;
        }
        if base > r.base {
            problems.push((
                "lines".to_owned(),
                format!(
                    "credits {base} of category {} where {} is left to credit",
                    r.category.key(),
                    r.base
                ),
            ));
            continue;
        }
        let vat = if base == r.base {
            r.vat
        } else {
            vat_of(base, r.rate_bps).unwrap_or(r.vat).min(r.vat)
        };
        totals.excl_vat += base;
        totals.vat += vat;
        subtotals.push(VatSubtotal {
            category: r.category,
            rate_bps: r.rate_bps,
            base,
            vat,
        });
    }
    if problems.is_empty() && totals.excl_vat <= 0 {
        problems.push((
            "lines".into(),
            "a credit note credits a positive amount".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    totals.incl_vat = totals.excl_vat + totals.vat;
    let credited_after: Vec<CategoryCredit> = left
        .iter()
        .map(|r| {
            let before = credited.iter().find(|c| c.category == r.category);
            let now = subtotals.iter().find(|s| s.category == r.category);
            CategoryCredit {
                category: r.category,
                base: before.map_or(0, |c| c.base) + now.map_or(0, |s| s.base),
                vat: before.map_or(0, |c| c.vat) + now.map_or(0, |s| s.vat),
            }
        })
        .collect();
    let cancels = left.iter().all(|r| {
        let now = subtotals.iter().find(|s| s.category == r.category);
        r.base - now.map_or(0, |s| s.base) <= 0
    });
    Ok(Plan {
        lines,
        subtotals,
        totals,
        credited_after,
        cancels,
    })
}

/// Returns the part of a period line's net that falls after `last_day` (the contract's
/// last day), prorated by days (days after it ÷ days of the period, rounded half up),
/// and those days; `None` when the line bills no period or none of it is after.
pub fn prorata(line: &Line, last_day: chrono::NaiveDate) -> Option<(i64, Period)> {
    let period = line.service_period?;
    if last_day >= period.end {
        return None;
    }
    let start = if last_day < period.start {
        period.start
    } else {
        last_day.succ_opt()?
    };
    let unused = Period {
        start,
        end: period.end,
    };
    let amount = super::rounding::scale_half_up(
        line.net(),
        i128::from(unused.days()),
        i128::from(period.days()),
    )?;
    (amount > 0).then_some((amount, unused))
}

/// Returns the lines crediting the unused part of `invoice_lines` after `last_day`,
/// each capped so that no category goes beyond what is left to credit.
pub fn termination_lines(
    invoice_lines: &[Line],
    last_day: chrono::NaiveDate,
    left: &[Remaining],
) -> Vec<Line> {
    let mut room: Vec<(VatCategory, i64)> = left.iter().map(|r| (r.category, r.base)).collect();
    let mut out = Vec::new();
    for line in invoice_lines {
        let Some((amount, unused)) = prorata(line, last_day) else {
            continue;
        };
        let Some((_, space)) = room.iter_mut().find(|(c, _)| *c == line.vat_category) else {
            continue;
        };
        let amount = amount.min(*space);
        if amount <= 0 {
            continue;
        }
        *space -= amount;
        out.push(Line {
            label: format!(
                "Prorata non couru du {} au {} : {}",
                super::issue::french_date(unused.start),
                super::issue::french_date(unused.end),
                line.label
            ),
            quantity: 1,
            unit_price: amount,
            vat_category: line.vat_category,
            vat_rate_bps: line.vat_rate_bps,
            service_period: Some(unused),
            product_id: line.product_id,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vat::summarise;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn line(category: VatCategory, rate: i32, quantity: i32, unit: i64) -> Line {
        Line {
            label: "Prime".into(),
            quantity,
            unit_price: unit,
            vat_category: category,
            vat_rate_bps: rate,
            service_period: None,
            product_id: None,
        }
    }

    fn invoice() -> (Vec<Line>, Vec<VatSubtotal>) {
        let lines = vec![
            line(VatCategory::Standard, 2000, 3, 1_001),
            line(VatCategory::Exempt, 0, 1, 4_990),
        ];
        let (subtotals, _) = summarise(&lines).expect("fits");
        (lines, subtotals)
    }

    #[test]
    fn a_full_credit_note_copies_the_invoice_and_cancels_it() {
        let (lines, subtotals) = invoice();
        let plan = full(&lines, &subtotals, &[]).expect("something to credit");
        assert_eq!(plan.lines, lines);
        assert_eq!(plan.totals.excl_vat, 3_003 + 4_990);
        // 30.03 × 20 % = 6.006 → 6.01.
        assert_eq!(plan.totals.vat, 601);
        assert!(plan.cancels);
        assert!(full(&lines, &subtotals, &plan.credited_after).is_none());
    }

    #[test]
    fn partial_credit_notes_then_the_rest_net_to_zero() {
        let (lines, subtotals) = invoice();
        // Three credits of 0.01 EUR at 20 %: each VAT 0.002 → 0.00.
        let mut credited = Vec::new();
        for _ in 0..3 {
            let plan = partial(
                &[line(VatCategory::Standard, 0, 1, 1)],
                &subtotals,
                &credited,
            )
            .expect("fits");
            assert!(!plan.cancels);
            assert_eq!(plan.lines[0].vat_rate_bps, 2000);
            credited = plan.credited_after;
        }
        let rest = full(&lines, &subtotals, &credited).expect("rest");
        assert!(rest.cancels);
        // The last one takes exactly what is left: 6.01 of VAT, 30.00 and 49.90 of base.
        assert_eq!(rest.totals.vat, 601);
        assert_eq!(rest.totals.excl_vat, 3_000 + 4_990);
        assert_eq!(rest.lines.len(), 2);
    }

    #[test]
    fn partial_credit_notes_stay_within_the_invoice() {
        let (_, subtotals) = invoice();
        let too_much = partial(&[line(VatCategory::Standard, 0, 1, 3_004)], &subtotals, &[])
            .expect_err("too much");
        assert_eq!(too_much[0].0, "lines");
        let wrong =
            partial(&[line(VatCategory::Reduced, 0, 1, 1)], &subtotals, &[]).expect_err("category");
        assert_eq!(wrong[0].0, "lines[0].vat_category");
        let zero =
            partial(&[line(VatCategory::Exempt, 0, 1, 0)], &subtotals, &[]).expect_err("zero");
        assert_eq!(zero[0].0, "lines");
    }

    #[test]
    fn termination_credits_the_days_after_the_last_one() {
        let mut monthly = line(VatCategory::Exempt, 0, 1, 3_100);
        monthly.service_period = Some(Period {
            start: d("2030-01-01"),
            end: d("2030-01-31"),
        });
        // Ended on the 10th: 21 of 31 days unused, 31.00 × 21/31 = 21.00.
        let (amount, unused) = prorata(&monthly, d("2030-01-10")).expect("unused days");
        assert_eq!(amount, 2_100);
        assert_eq!(unused.start, d("2030-01-11"));
        // 49.90 × 21/31 = 33.803… → 33.80; 10.00 × 1/31 = 0.3225… → 0.32.
        monthly.unit_price = 4_990;
        assert_eq!(prorata(&monthly, d("2030-01-10")).map(|p| p.0), Some(3_380));
        monthly.unit_price = 1_000;
        assert_eq!(prorata(&monthly, d("2030-01-30")).map(|p| p.0), Some(32));
        // Ended on the last day or after: nothing unused; before the start: all of it.
        assert_eq!(prorata(&monthly, d("2030-01-31")), None);
        assert_eq!(prorata(&monthly, d("2029-12-31")).map(|p| p.0), Some(1_000));
        assert_eq!(
            prorata(&line(VatCategory::Exempt, 0, 1, 1), d("2030-01-01")),
            None
        );
    }

    #[test]
    fn termination_lines_respect_what_is_left() {
        let mut monthly = line(VatCategory::Exempt, 0, 1, 3_100);
        monthly.service_period = Some(Period {
            start: d("2030-01-01"),
            end: d("2030-01-31"),
        });
        let left = [Remaining {
            category: VatCategory::Exempt,
            rate_bps: 0,
            base: 1_500,
            vat: 0,
        }];
        let lines = termination_lines(&[monthly], d("2030-01-10"), &left);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].unit_price, 1_500);
        assert!(
            lines[0]
                .label
                .starts_with("Prorata non couru du 11/01/2030 au 31/01/2030")
        );
    }

    proptest! {
        /// However an invoice is credited in pieces, the last credit note leaves exactly
        /// zero base and zero VAT in every category.
        #[test]
        fn credits_never_exceed_the_invoice(
            units in prop::collection::vec(1i64..5_000, 1..6),
            cuts in prop::collection::vec(1i64..800, 0..8),
        ) {
            let lines: Vec<Line> = units.iter().map(|u| line(VatCategory::Standard, 2000, 1, *u)).collect();
            let (subtotals, totals) = summarise(&lines).expect("fits");
            let mut credited: Vec<CategoryCredit> = Vec::new();
            let mut credited_incl = 0;
            for cut in cuts {
                let left = remaining(&subtotals, &credited);
                if left[0].base <= cut { break; }
                let plan = partial(&[line(VatCategory::Standard, 0, 1, cut)], &subtotals, &credited)
                    .expect("within the invoice");
                prop_assert!(plan.totals.vat <= left[0].vat);
                credited_incl += plan.totals.incl_vat;
                credited = plan.credited_after;
            }
            let rest = full(&lines, &subtotals, &credited).expect("something left");
            prop_assert!(rest.cancels);
            credited_incl += rest.totals.incl_vat;
            prop_assert_eq!(credited_incl, totals.incl_vat);
            let end = remaining(&subtotals, &rest.credited_after);
            prop_assert!(end.iter().all(|r| r.base == 0 && r.vat == 0));
        }
    }
}
