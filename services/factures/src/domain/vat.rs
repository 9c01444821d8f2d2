//! VAT and totals (domain-rules §5.3, EN 16931): the VAT of a category is computed once
//! on the summed base of its lines and rounded half up to the minor unit (BR-CO-17),
//! never line by line; the totals follow BR-CO-10 (sum of line nets), BR-CO-13 (no
//! document allowances or charges here, so total excl. VAT = sum of lines), BR-CO-14
//! (total VAT = sum of the categories' VAT) and BR-CO-15 (incl. = excl. + VAT). A
//! line's own VAT is shown for information only.

use super::rounding::scale_half_up;
use super::{Line, Totals, VatCategory, VatSubtotal};

/// Basis points in 100 %.
pub const BPS_PER_UNIT: i128 = 10_000;

/// Returns the VAT of `base` at `rate_bps`, rounded half up; `None` if it overflows.
pub fn vat_of(base: i64, rate_bps: i32) -> Option<i64> {
    scale_half_up(base, i128::from(rate_bps), BPS_PER_UNIT)
}

/// Returns the VAT of a line alone, for information (the invoice does not add these).
pub fn line_vat(line: &Line) -> i64 {
    vat_of(line.net(), line.vat_rate_bps).unwrap_or(0)
}

/// Returns the subtotals of `lines` per category and rate (in category order, then
/// rate), each with its VAT computed on the summed base, and the totals; `None` if an
/// amount overflows.
pub fn summarise(lines: &[Line]) -> Option<(Vec<VatSubtotal>, Totals)> {
    let mut groups: Vec<(VatCategory, i32, i128)> = Vec::new();
    for line in lines {
        let net = i128::from(line.quantity).checked_mul(i128::from(line.unit_price))?;
        match groups
            .iter_mut()
            .find(|(c, r, _)| *c == line.vat_category && *r == line.vat_rate_bps)
        {
            Some((_, _, base)) => *base = base.checked_add(net)?,
            None => groups.push((line.vat_category, line.vat_rate_bps, net)),
        }
    }
    groups.sort_by_key(|(c, r, _)| (*c, *r));
    let mut subtotals = Vec::with_capacity(groups.len());
    let mut totals = Totals::default();
    for (category, rate_bps, base) in groups {
        let base = i64::try_from(base).ok()?;
        let vat = vat_of(base, rate_bps)?;
        totals.excl_vat = totals.excl_vat.checked_add(base)?;
        totals.vat = totals.vat.checked_add(vat)?;
        subtotals.push(VatSubtotal {
            category,
            rate_bps,
            base,
            vat,
        });
    }
    totals.incl_vat = totals.excl_vat.checked_add(totals.vat)?;
    Some((subtotals, totals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(category: VatCategory, rate: i32, quantity: i32, unit: i64) -> Line {
        Line {
            label: "x".into(),
            quantity,
            unit_price: unit,
            vat_category: category,
            vat_rate_bps: rate,
            service_period: None,
            product_id: None,
        }
    }

    #[test]
    fn vat_is_computed_on_the_summed_base_not_per_line() {
        // Three lines of 0.03 EUR at 20 %: each line's VAT is 0.006 → 0.01 (0.03 in all),
        // where the summed base 0.09 gives 0.018 → 0.02.
        let lines: Vec<Line> = (0..3)
            .map(|_| line(VatCategory::Standard, 2000, 1, 3))
            .collect();
        let per_line: i64 = lines.iter().map(line_vat).sum();
        let (subtotals, totals) = summarise(&lines).expect("fits");
        assert_eq!(per_line, 3);
        assert_eq!(totals.vat, 2);
        assert_eq!(subtotals.len(), 1);
        assert_eq!(subtotals[0].base, 9);
        assert_eq!(totals.incl_vat, 11);
    }

    #[test]
    fn reduced_rate_halves_round_up() {
        // 5.5 % of 1.00 EUR is 0.055 → 0.06; of 0.90 it is 0.0495 → 0.05.
        assert_eq!(vat_of(100, 550), Some(6));
        assert_eq!(vat_of(90, 550), Some(5));
        // 2.1 % of 0.50 is 0.0105 → 0.01; 10 % of 0.05 is 0.005 → 0.01.
        assert_eq!(vat_of(50, 210), Some(1));
        assert_eq!(vat_of(5, 1000), Some(1));
        assert_eq!(vat_of(4, 1000), Some(0));
    }

    #[test]
    fn categories_are_separate_and_ordered() {
        let lines = vec![
            line(VatCategory::Exempt, 0, 2, 4_990),
            line(VatCategory::Standard, 2000, 1, 1_001),
            line(VatCategory::Reduced, 550, 3, 333),
            line(VatCategory::Standard, 2000, 1, 1_001),
        ];
        let (subtotals, totals) = summarise(&lines).expect("fits");
        let keys: Vec<_> = subtotals.iter().map(|s| s.category).collect();
        assert_eq!(
            keys,
            [
                VatCategory::Standard,
                VatCategory::Reduced,
                VatCategory::Exempt
            ]
        );
        // 20.02 × 20 % = 4.004 → 4.00; 9.99 × 5.5 % = 0.54945 → 0.55; exempt 0.
        assert_eq!(subtotals[0].base, 2_002);
        assert_eq!(subtotals[0].vat, 400);
        assert_eq!(subtotals[1].vat, 55);
        assert_eq!(subtotals[2].vat, 0);
        assert_eq!(totals.excl_vat, 2_002 + 999 + 9_980);
        assert_eq!(totals.vat, 455);
        assert_eq!(totals.incl_vat, totals.excl_vat + 455);
    }

    #[test]
    fn overflow_is_refused() {
        let lines = vec![line(VatCategory::Standard, 2000, i32::MAX, i64::MAX)];
        assert_eq!(summarise(&lines), None);
    }

    fn any_category() -> impl Strategy<Value = (VatCategory, i32)> {
        prop_oneof![
            Just((VatCategory::Standard, 2000)),
            Just((VatCategory::Intermediate, 1000)),
            Just((VatCategory::Reduced, 550)),
            Just((VatCategory::SuperReduced, 210)),
            Just((VatCategory::Exempt, 0)),
        ]
    }

    proptest! {
        /// BR-CO-10/14/15 and BR-CO-17 hold for any set of lines.
        #[test]
        fn totals_follow_en16931(
            raw in prop::collection::vec((any_category(), 1i32..1_000, 0i64..10_000_000), 1..60)
        ) {
            let lines: Vec<Line> = raw
                .iter()
                .map(|((c, r), q, u)| line(*c, *r, *q, *u))
                .collect();
            let (subtotals, totals) = summarise(&lines).expect("fits");
            // BR-CO-10/13: the total excl. VAT is the sum of the line nets.
            prop_assert_eq!(totals.excl_vat, lines.iter().map(Line::net).sum::<i64>());
            // Each category once; its base is the sum of its lines.
            for s in &subtotals {
                let base: i64 = lines
                    .iter()
                    .filter(|l| l.vat_category == s.category)
                    .map(Line::net)
                    .sum();
                prop_assert_eq!(s.base, base);
                // BR-CO-17: within half a minor unit of the exact value, ties up.
                let exact = i128::from(s.base) * i128::from(s.rate_bps);
                let diff = i128::from(s.vat) * BPS_PER_UNIT - exact;
                prop_assert!(diff.abs() * 2 <= BPS_PER_UNIT);
                if diff.abs() * 2 == BPS_PER_UNIT {
                    prop_assert!(diff > 0);
                }
            }
            // BR-CO-14 and BR-CO-15.
            prop_assert_eq!(totals.vat, subtotals.iter().map(|s| s.vat).sum::<i64>());
            prop_assert_eq!(totals.incl_vat, totals.excl_vat + totals.vat);
        }

        /// Rounding per line then summing may differ from the summed base by at most
        /// half a minor unit per line: the reason the rule computes on the sum.
        #[test]
        fn per_line_rounding_drifts_at_most_half_a_unit_per_line(
            units in prop::collection::vec(1i64..200, 1..40)
        ) {
            let lines: Vec<Line> = units
                .iter()
                .map(|u| line(VatCategory::Standard, 2000, 1, *u))
                .collect();
            let per_line: i64 = lines.iter().map(line_vat).sum();
            let (_, totals) = summarise(&lines).expect("fits");
            let drift = i128::from((per_line - totals.vat).abs()) * 2;
            prop_assert!(drift <= lines.len() as i128 + 1);
        }
    }
}
