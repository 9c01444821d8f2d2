//! The terms a contract is signed under, fixed at signature and kept in the contract's
//! fact: its lines' first-year premiums grouped by the plan rule that applies to them,
//! and the managers above the seller. Later plan changes do not touch signed contracts.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::{Overflow, sum};
use super::plan::{PlanData, Rule};

/// How often a line is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Once (one-off products): counted once in the first year.
    Once,
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
    /// Returns how many times a year the line is billed.
    pub fn per_year(self) -> i64 {
        match self {
            Frequency::Once | Frequency::Annual => 1,
            Frequency::Monthly => 12,
            Frequency::Quarterly => 4,
            Frequency::SemiAnnual => 2,
        }
    }
}

/// A line of a signed contract, as the event gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The product.
    pub product_id: Uuid,
    /// Units.
    pub quantity: i64,
    /// Unit price (minor units).
    pub unit_price: i64,
    /// Currency of the unit price.
    pub currency: String,
    /// Billing frequency.
    pub frequency: Frequency,
}

/// Returns a line's first-year premium: unit price × quantity × billings a year.
pub fn annual_premium(line: &Line) -> Result<i64, Overflow> {
    line.unit_price
        .checked_mul(line.quantity)
        .and_then(|a| a.checked_mul(line.frequency.per_year()))
        .ok_or(Overflow)
}

/// The lines of a contract that one rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The rule, as it stood at signature.
    pub rule: Rule,
    /// Sum of the first-year premiums of those lines.
    pub annual_premium: i64,
}

/// A manager above the seller at signature (or at a payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manager {
    /// 1 for the seller's manager, 2 above, and so on.
    pub level: i32,
    /// The manager's sales-agent record.
    pub commercial_id: Uuid,
}

/// What commission a signed contract earns, fixed at signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The seller.
    pub commercial_id: Uuid,
    /// The contract's currency (its first line's); lines in another one earn nothing.
    pub currency: String,
    /// Start date: clawback windows run from it.
    pub start_date: NaiveDate,
    /// First-year premium of every line in the contract's currency with a positive
    /// premium, commissioned or not: the denominator that spreads a payment over the
    /// lines.
    pub total_annual_premium: i64,
    /// One part per rule that applies to some line.
    pub parts: Vec<Part>,
    /// The plan the rules came from, if any.
    pub plan_id: Option<Uuid>,
    /// The active managers above the seller at signature.
    pub upline: Vec<Manager>,
}

impl Terms {
    /// Returns whether the contract earns anything at all.
    pub fn earns(&self) -> bool {
        !self.parts.is_empty()
    }
}

/// Returns the terms of a contract with `lines`, under `plan` (none: nothing earned),
/// each product's category taken from `categories`.
pub fn terms(
    commercial_id: Uuid,
    start_date: NaiveDate,
    lines: &[Line],
    plan: Option<(Uuid, &PlanData)>,
    categories: &HashMap<Uuid, String>,
    upline: Vec<Manager>,
) -> Result<Terms, Overflow> {
    let currency = lines
        .first()
        .map(|l| l.currency.clone())
        .unwrap_or_default();
    let mut premiums = Vec::with_capacity(lines.len());
    let mut by_rule: BTreeMap<usize, i64> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.currency == currency) {
        let premium = annual_premium(line)?;
        // A free line or a discount line earns nothing and spreads no payment.
        if premium <= 0 {
            continue;
        }
        premiums.push(premium);
        let found = plan.and_then(|(_, p)| {
            p.rule_for(
                line.product_id,
                categories.get(&line.product_id).map(String::as_str),
            )
        });
        if let Some(index) = found {
            let slot = by_rule.entry(index).or_insert(0);
            *slot = slot.checked_add(premium).ok_or(Overflow)?;
        }
    }
    let parts = match plan {
        Some((_, p)) => by_rule
            .into_iter()
            .filter_map(|(index, annual_premium)| {
                p.rules.get(index).map(|rule| Part {
                    rule: rule.clone(),
                    annual_premium,
                })
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Terms {
        commercial_id,
        currency,
        start_date,
        total_annual_premium: sum(premiums)?,
        parts,
        plan_id: plan.map(|(id, _)| id),
        upline,
    })
}

/// Returns the products whose category decides their rule: those with no product rule,
/// when the plan has category rules.
pub fn products_needing_category(lines: &[Line], plan: &PlanData) -> Vec<Uuid> {
    if !plan.has_category_rules() {
        return Vec::new();
    }
    let mut ids: Vec<Uuid> = lines
        .iter()
        .map(|l| l.product_id)
        .filter(|id| plan.rule_for(*id, None).is_none())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::domain::plan::{ClawbackMode, Target, Upfront};

    fn rule(target: Target) -> Rule {
        Rule {
            target,
            upfront: Upfront::Rate(4000),
            recurring_bps: 500,
            overrides: Vec::new(),
            clawback_months: 12,
            mode: ClawbackMode::Full,
        }
    }

    fn line(product: Uuid, price: i64, quantity: i64, frequency: Frequency) -> Line {
        Line {
            product_id: product,
            quantity,
            unit_price: price,
            currency: "EUR".into(),
            frequency,
        }
    }

    #[test]
    fn annual_premiums_follow_the_billing_frequency() {
        let p = Uuid::now_v7();
        assert_eq!(
            annual_premium(&line(p, 49_90, 1, Frequency::Monthly)),
            Ok(598_80)
        );
        assert_eq!(
            annual_premium(&line(p, 100_00, 2, Frequency::Quarterly)),
            Ok(800_00)
        );
        assert_eq!(
            annual_premium(&line(p, 300_00, 1, Frequency::SemiAnnual)),
            Ok(600_00)
        );
        assert_eq!(
            annual_premium(&line(p, 500_00, 1, Frequency::Annual)),
            Ok(500_00)
        );
        assert_eq!(
            annual_premium(&line(p, 80_00, 1, Frequency::Once)),
            Ok(80_00)
        );
        assert_eq!(
            annual_premium(&line(p, i64::MAX / 2, 1, Frequency::Monthly)),
            Err(Overflow)
        );
    }

    #[test]
    fn lines_group_by_the_rule_that_applies() {
        let (health, car, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let plan = PlanData {
            name: "p".into(),
            rules: vec![
                rule(Target::Category("santé".into())),
                rule(Target::Product(car)),
            ],
            ..Default::default()
        };
        let lines = [
            line(health, 50_00, 1, Frequency::Monthly),
            line(car, 30_00, 1, Frequency::Monthly),
            line(other, 10_00, 1, Frequency::Monthly),
            line(health, 20_00, 1, Frequency::Annual),
            Line {
                currency: "CHF".into(),
                ..line(car, 99_00, 1, Frequency::Annual)
            },
            line(car, -5_00, 1, Frequency::Monthly),
            line(health, 0, 3, Frequency::Monthly),
        ];
        let categories = HashMap::from([(health, "Santé".to_owned()), (other, "auto".to_owned())]);
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let plan_id = Uuid::now_v7();
        let t = terms(
            Uuid::now_v7(),
            start,
            &lines,
            Some((plan_id, &plan)),
            &categories,
            vec![],
        )
        .expect("terms");
        assert_eq!(t.currency, "EUR");
        assert_eq!(t.total_annual_premium, 600_00 + 360_00 + 120_00 + 20_00);
        let parts: Vec<_> = t.parts.iter().map(|p| p.annual_premium).collect();
        assert_eq!(parts, [620_00, 360_00]);
        assert_eq!(t.plan_id, Some(plan_id));
        assert!(t.earns());
        assert_eq!(products_needing_category(&lines, &plan), {
            let mut ids = vec![health, other];
            ids.sort_unstable();
            ids
        });
        let none = terms(Uuid::now_v7(), start, &lines, None, &categories, vec![]).expect("terms");
        assert!(!none.earns());
    }
}
