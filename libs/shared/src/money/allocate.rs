//! Splitting an amount into parts that add up to it exactly.

use super::{Money, MoneyError};

impl Money {
    /// Returns the amount split into parts proportional to `weights`, adding up to
    /// exactly the original amount.
    ///
    /// Each part first gets its share rounded towards zero; the cents left over go one
    /// by one to the parts with the largest dropped fraction (ties to the earlier
    /// part), the largest-remainder method. A part with weight 0 always gets 0, and a
    /// negative amount is split like its opposite, then negated, so signs agree.
    pub fn allocate(self, weights: &[u64]) -> Result<Vec<Money>, MoneyError> {
        if weights.is_empty() {
            return Err(MoneyError::NoParts);
        }
        let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if total_weight == 0 {
            return Err(MoneyError::ZeroWeights);
        }
        // |amount| ≤ 2^63 and weight < 2^64, so every product fits in a u128.
        let magnitude = u128::from(self.amount_minor.unsigned_abs());
        let mut shares = Vec::with_capacity(weights.len());
        let mut remainders = Vec::with_capacity(weights.len());
        for (index, weight) in weights.iter().enumerate() {
            let product = magnitude * u128::from(*weight);
            shares.push(product / total_weight);
            remainders.push((product % total_weight, index));
        }
        let allocated: u128 = shares.iter().sum();
        // Fewer leftover units than parts with a non-zero remainder, so only parts
        // that were actually rounded down receive one.
        let leftover = usize::try_from(magnitude - allocated).map_err(|_| MoneyError::Overflow)?;
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, index) in remainders.iter().take(leftover) {
            if let Some(share) = shares.get_mut(index) {
                *share += 1;
            }
        }
        shares
            .into_iter()
            .map(|share| {
                let share = i128::try_from(share).map_err(|_| MoneyError::Overflow)?;
                let signed = if self.amount_minor < 0 { -share } else { share };
                i64::try_from(signed)
                    .map(|amount| Money::new(amount, self.currency))
                    .map_err(|_| MoneyError::Overflow)
            })
            .collect()
    }

    /// Returns the amount split into `parts` equal parts that differ by at most one
    /// minor unit, the larger ones first: 1.00 in 3 is 0.34, 0.33, 0.33.
    pub fn split(self, parts: usize) -> Result<Vec<Money>, MoneyError> {
        self.allocate(&vec![1; parts])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    fn amounts(parts: &[Money]) -> Vec<i64> {
        parts.iter().map(|m| m.amount_minor).collect()
    }

    fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::EUR)
    }

    #[test]
    fn splits_without_losing_a_cent() {
        assert_eq!(amounts(&eur(100).split(3).unwrap()), [34, 33, 33]);
        assert_eq!(amounts(&eur(-100).split(3).unwrap()), [-34, -33, -33]);
        assert_eq!(amounts(&eur(200).split(3).unwrap()), [67, 67, 66]);
        assert_eq!(amounts(&eur(2).split(4).unwrap()), [1, 1, 0, 0]);
        assert_eq!(amounts(&eur(0).split(2).unwrap()), [0, 0]);
        assert_eq!(amounts(&eur(7).split(1).unwrap()), [7]);
        let jpy = Money::new(1000, Currency::JPY).split(3).unwrap();
        assert_eq!(amounts(&jpy), [334, 333, 333]);
        assert!(jpy.iter().all(|m| m.currency == Currency::JPY));
    }

    #[test]
    fn allocates_by_ratio_with_largest_remainder() {
        assert_eq!(amounts(&eur(1000).allocate(&[70, 30]).unwrap()), [700, 300]);
        // 5 × 1/3 = 1.67 and 5 × 2/3 = 3.33: the first has the larger remainder.
        assert_eq!(amounts(&eur(5).allocate(&[1, 2]).unwrap()), [2, 3]);
        // 0.10 × [1,2]/3 = 3.33 and 6.67: the leftover cent goes to the second part.
        assert_eq!(amounts(&eur(10).allocate(&[1, 2]).unwrap()), [3, 7]);
        assert_eq!(amounts(&eur(-10).allocate(&[1, 2]).unwrap()), [-3, -7]);
        // 1.00 × [1,1,1,7]/10 exact; 0.99 × same = 9.9, 9.9, 9.9, 69.3 → 10, 10, 10, 69.
        assert_eq!(
            amounts(&eur(99).allocate(&[1, 1, 1, 7]).unwrap()),
            [10, 10, 10, 69]
        );
        // 10 × [1,1,4]/6 = 1.67, 1.67, 6.67: the remainders tie, so the two leftover
        // cents go to the earlier parts.
        assert_eq!(amounts(&eur(10).allocate(&[1, 1, 4]).unwrap()), [2, 2, 6]);
        assert_eq!(
            amounts(&eur(100).allocate(&[0, 1, 0]).unwrap()),
            [0, 100, 0]
        );
        assert_eq!(
            amounts(&eur(101).allocate(&[1, 0, 1]).unwrap()),
            [51, 0, 50]
        );
    }

    #[test]
    fn rejects_empty_and_all_zero_weights() {
        assert_eq!(eur(100).allocate(&[]), Err(MoneyError::NoParts));
        assert_eq!(eur(100).split(0), Err(MoneyError::NoParts));
        assert_eq!(eur(100).allocate(&[0, 0]), Err(MoneyError::ZeroWeights));
    }

    #[test]
    fn handles_extreme_amounts_and_weights() {
        let parts = eur(i64::MIN).split(2).unwrap();
        assert_eq!(amounts(&parts), [i64::MIN / 2, i64::MIN / 2]);
        let parts = eur(i64::MAX).allocate(&[u64::MAX, u64::MAX, 1]).unwrap();
        assert_eq!(
            parts
                .iter()
                .map(|m| i128::from(m.amount_minor))
                .sum::<i128>(),
            i128::from(i64::MAX)
        );
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_total(
            amount in any::<i64>(),
            weights in proptest::collection::vec(0_u64..1_000_000, 1..20),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = eur(amount).allocate(&weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            let sum: i128 = parts.iter().map(|m| i128::from(m.amount_minor)).sum();
            prop_assert_eq!(sum, i128::from(amount));
            let total_weight: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for (part, weight) in parts.iter().zip(&weights) {
                // Each part is within one unit of its exact proportional share.
                let exact_times_w = i128::from(amount) * i128::from(*weight);
                let diff = i128::from(part.amount_minor) * total_weight - exact_times_w;
                prop_assert!(diff.abs() < total_weight, "part {} off by {diff}/{total_weight}", part.amount_minor);
                if *weight == 0 {
                    prop_assert_eq!(part.amount_minor, 0);
                }
            }
        }

        #[test]
        fn equal_split_differs_by_at_most_one(amount in any::<i64>(), n in 1_usize..50) {
            let parts = amounts(&eur(amount).split(n).unwrap());
            let max = parts.iter().max().copied().unwrap_or_default();
            let min = parts.iter().min().copied().unwrap_or_default();
            prop_assert!(max - min <= 1);
            prop_assert_eq!(parts.iter().map(|a| i128::from(*a)).sum::<i128>(), i128::from(amount));
        }
    }
}
