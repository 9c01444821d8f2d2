//! The price history of a product.
//!
//! A period covers the days from `valid_from` (included) to `valid_to` (excluded); the
//! latest period has no `valid_to`. Periods never overlap and follow each other without
//! gaps, because the history only grows at its end: a new price must start after the
//! start of the latest period, which then ends the day before (its `valid_to` becomes
//! the new `valid_from`). Anything else, a date between two existing periods, on an
//! existing start or before the first period, is refused: the price of a day before the
//! new `valid_from` never changes and an ended period is never rewritten, so what a
//! contract or invoice read for a past period stays true. `valid_from` itself may be in
//! the past (a price decided late), as long as it follows the latest start.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One period of a product's price history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePeriod {
    /// UUIDv7.
    pub id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// Price excluding VAT, in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217 currency, the product's.
    pub currency: String,
    /// First day the price applies.
    pub valid_from: NaiveDate,
    /// First day it no longer applies; `None` for the latest period.
    pub valid_to: Option<NaiveDate>,
    /// When the period was recorded.
    pub created_at: DateTime<Utc>,
}

impl PricePeriod {
    /// Returns whether the period covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|end| date < end)
    }
}

/// Returns the period of `periods` covering `date`, if any.
pub fn price_at(periods: &[PricePeriod], date: NaiveDate) -> Option<&PricePeriod> {
    periods.iter().find(|p| p.covers(date))
}

/// Why a new price cannot start on the date asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The date is on or before the start of the latest period.
    #[error(
        "a new price must start after {latest_start}, the start of the latest price; \
         the history only grows at its end"
    )]
    NotAfterLatest {
        /// Start of the latest period.
        latest_start: NaiveDate,
    },
}

/// What appending a price starting on a date does to the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Append {
    /// The latest period and the `valid_to` it gets, when it must be ended.
    pub close: Option<(Uuid, NaiveDate)>,
    /// The amount in force the day before the new price, when there was one.
    pub previous_amount: Option<i64>,
}

/// Returns how a price starting on `valid_from` joins a history whose latest period
/// (the one starting last) is `latest`, or why it cannot.
pub fn plan_append(latest: Option<&PricePeriod>, valid_from: NaiveDate) -> Result<Append, Refusal> {
    let Some(latest) = latest else {
        return Ok(Append {
            close: None,
            previous_amount: None,
        });
    };
    if valid_from <= latest.valid_from {
        return Err(Refusal::NotAfterLatest {
            latest_start: latest.valid_from,
        });
    }
    // The latest period is open-ended by construction; should it ever end earlier, it is
    // only shortened, never lengthened, so no two periods can overlap.
    let close = match latest.valid_to {
        Some(end) if end <= valid_from => None,
        _ => Some((latest.id, valid_from)),
    };
    let previous_amount = valid_from
        .pred_opt()
        .filter(|day| latest.covers(*day))
        .map(|_| latest.amount_minor);
    Ok(Append {
        close,
        previous_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn period(amount: i64, from: NaiveDate, to: Option<NaiveDate>) -> PricePeriod {
        PricePeriod {
            id: Uuid::now_v7(),
            product_id: Uuid::nil(),
            amount_minor: amount,
            currency: "EUR".into(),
            valid_from: from,
            valid_to: to,
            created_at: Utc::now(),
        }
    }

    /// Applies a new price to a history the way the store does, or refuses it.
    fn apply(history: &mut Vec<PricePeriod>, amount: i64, from: NaiveDate) -> Result<(), Refusal> {
        let latest = history.iter().max_by_key(|p| p.valid_from);
        let plan = plan_append(latest, from)?;
        if let Some((id, to)) = plan.close {
            for p in history.iter_mut().filter(|p| p.id == id) {
                p.valid_to = Some(to);
            }
        }
        history.push(period(amount, from, None));
        Ok(())
    }

    #[test]
    fn the_first_price_opens_the_history() {
        let plan = plan_append(None, day(2026, 1, 1)).expect("first");
        assert_eq!(plan.close, None);
        assert_eq!(plan.previous_amount, None);
    }

    #[test]
    fn a_new_price_ends_the_latest_the_day_before() {
        let mut h = Vec::new();
        apply(&mut h, 1000, day(2026, 1, 1)).expect("first");
        apply(&mut h, 1200, day(2026, 7, 1)).expect("second");
        assert_eq!(h[0].valid_to, Some(day(2026, 7, 1)));
        assert_eq!(
            price_at(&h, day(2026, 6, 30)).map(|p| p.amount_minor),
            Some(1000)
        );
        assert_eq!(
            price_at(&h, day(2026, 7, 1)).map(|p| p.amount_minor),
            Some(1200)
        );
        assert_eq!(
            price_at(&h, day(2099, 1, 1)).map(|p| p.amount_minor),
            Some(1200)
        );
        assert_eq!(price_at(&h, day(2025, 12, 31)), None);
        // The day after the latest start is the earliest a price may follow.
        let plan = plan_append(h.last(), day(2026, 7, 2)).expect("next day");
        assert_eq!(plan.previous_amount, Some(1200));
    }

    #[test]
    fn dates_on_or_before_the_latest_start_are_refused() {
        let mut h = Vec::new();
        apply(&mut h, 1000, day(2026, 1, 1)).expect("first");
        apply(&mut h, 1200, day(2026, 7, 1)).expect("second");
        let before = h.clone();
        for d in [
            day(2026, 3, 1),
            day(2026, 7, 1),
            day(2026, 1, 1),
            day(2025, 1, 1),
        ] {
            assert_eq!(
                apply(&mut h, 9, d),
                Err(Refusal::NotAfterLatest {
                    latest_start: day(2026, 7, 1)
                }),
                "{d}"
            );
        }
        assert_eq!(h, before, "a refusal changes nothing");
    }

    #[test]
    fn an_ended_latest_period_is_never_lengthened() {
        let latest = period(5, day(2026, 1, 1), Some(day(2026, 2, 1)));
        let plan = plan_append(Some(&latest), day(2026, 3, 1)).expect("after a gap");
        assert_eq!(plan.close, None);
        assert_eq!(plan.previous_amount, None);
        let plan = plan_append(Some(&latest), day(2026, 1, 15)).expect("shortened");
        assert_eq!(plan.close, Some((latest.id, day(2026, 1, 15))));
        assert_eq!(plan.previous_amount, Some(5));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever prices are asked for, in whatever order, the history stays a chain
        /// of periods without overlap or gap, only the latest is open, and no accepted
        /// price changes the price of a day before its start.
        #[test]
        fn histories_never_overlap(requests in prop::collection::vec((0i64..100_000, 0u32..400), 1..30)) {
            let origin = day(2020, 1, 1);
            let mut h: Vec<PricePeriod> = Vec::new();
            for (amount, offset) in requests {
                let from = origin + chrono::Days::new(u64::from(offset));
                let probe = |h: &[PricePeriod]| -> Vec<Option<i64>> {
                    (0..u64::from(offset))
                        .map(|i| price_at(h, origin + chrono::Days::new(i)).map(|p| p.amount_minor))
                        .collect()
                };
                let earlier = probe(&h);
                let before = h.clone();
                match apply(&mut h, amount, from) {
                    Ok(()) => prop_assert_eq!(earlier, probe(&h)),
                    Err(_) => prop_assert_eq!(&h, &before),
                }
                let mut sorted = h.clone();
                sorted.sort_by_key(|p| p.valid_from);
                for pair in sorted.windows(2) {
                    prop_assert_eq!(pair[0].valid_to, Some(pair[1].valid_from));
                }
                prop_assert_eq!(sorted.iter().filter(|p| p.valid_to.is_none()).count(), 1);
            }
        }
    }
}
