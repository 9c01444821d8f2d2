//! Entries are a function of the facts stored for a contract: its signature (with the
//! terms fixed then), the payments received, refunded or returned, and its termination.
//! [`derive`] walks them in arrival order and gives every entry they imply, each under a
//! deterministic key (source event, kind, beneficiary), so deriving again, after a
//! redelivery or in a recomputation, gives the same entries.
//!
//! A fact's entries depend only on the contract's terms and on the facts that arrived
//! before it: a new fact never changes the entries of an earlier one, except that facts
//! which arrived before the signature earn nothing until it arrives.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

pub use super::facts::{Draft, Fact, FactBody};
use super::formula::{self, Trigger};
use super::money::{Overflow, effective_bps, mul_div, sum};
use super::plan::Upfront;
use super::terms::{Manager, Part, Terms};
use super::{Cause, Kind, Source};

/// A commission that a later event may claw back, with its split over the parts.
#[derive(Debug, Clone)]
struct Earned {
    key: String,
    commercial_id: Uuid,
    amount: i64,
    per_part: Vec<i64>,
    /// 0 for the seller's own commission, the level for an override.
    level: i32,
    overrides: Vec<Earned>,
}

#[derive(Debug)]
struct Receipt {
    payment_id: Option<Uuid>,
    amount: i64,
    return_deadline: Option<NaiveDate>,
    refunded: i64,
    earned: Option<Earned>,
}

/// What is being walked: the contract's terms and the drafts so far.
struct Walk<'a> {
    terms: &'a Terms,
    out: Vec<Draft>,
    /// Amount already clawed back per entry key (positive).
    clawed: HashMap<String, i64>,
}

/// Returns the rate shown on a line made of parts contributing `rates` (`None` for a
/// fixed amount): the common rate when they share one and cover the base, 0 when all
/// are fixed amounts, otherwise the effective rate.
fn shown_rate(rates: &[Option<i32>], covers_base: bool, amount: i64, base: i64) -> i32 {
    match rates.first() {
        None => 0,
        Some(_) if rates.iter().all(Option::is_none) => 0,
        Some(Some(first)) if covers_base && rates.iter().all(|r| *r == Some(*first)) => *first,
        Some(_) => effective_bps(amount, base),
    }
}

impl Walk<'_> {
    fn draft(
        &self,
        fact: &Fact,
        source: Source,
        kind: Kind,
        key: String,
        commercial: Uuid,
    ) -> Draft {
        Draft {
            fact_seq: fact.seq,
            key,
            commercial_id: commercial,
            kind,
            source,
            contract_id: fact.contract_id,
            payment_id: match source {
                Source::Payment => fact.payment_id,
                Source::Contract => None,
            },
            currency: self.terms.currency.clone(),
            base: 0,
            rate_bps: 0,
            amount: 0,
            event_date: fact.event_date,
            trigger: fact.event_type.clone(),
            trigger_event_id: fact.event_id,
            source_commercial_id: None,
            override_level: 0,
            original_key: None,
            parent_key: None,
        }
    }

    /// Records the seller's commission `per_part` on `base` (kind `kind`) and the
    /// overrides of `upline` on it; returns it, `None` when it is zero.
    #[allow(clippy::too_many_arguments)]
    fn earn(
        &mut self,
        fact: &Fact,
        source: Source,
        kind: Kind,
        per_part: Vec<i64>,
        base: i64,
        rates: Vec<Option<i32>>,
        covers_base: bool,
        upline: &[Manager],
    ) -> Result<Option<Earned>, Overflow> {
        let amount = sum(per_part.iter().copied())?;
        if amount == 0 {
            return Ok(None);
        }
        let seller = self.terms.commercial_id;
        let key = format!("{}:{}:{}", fact.event_id, kind.as_str(), seller);
        let mut d = self.draft(fact, source, kind, key.clone(), seller);
        d.base = base;
        d.amount = amount;
        d.rate_bps = shown_rate(&rates, covers_base, amount, base);
        self.out.push(d);
        let mut overrides = Vec::new();
        for m in upline {
            let contributing: Vec<(&Part, i64)> = self
                .terms
                .parts
                .iter()
                .zip(per_part.iter().copied())
                .filter(|(_, a)| *a != 0)
                .collect();
            let o_parts = self
                .terms
                .parts
                .iter()
                .zip(per_part.iter().copied())
                .map(|(p, a)| formula::override_amount(p, a, m.level))
                .collect::<Result<Vec<_>, _>>()?;
            let o_amount = sum(o_parts.iter().copied())?;
            if o_amount == 0 {
                continue;
            }
            let o_key = format!("{}:override:{}:{}", fact.event_id, m.level, m.commercial_id);
            let mut o = self.draft(fact, source, Kind::Override, o_key.clone(), m.commercial_id);
            let o_rates: Vec<Option<i32>> = contributing
                .iter()
                .map(|(p, _)| Some(p.rule.override_bps(m.level)))
                .collect();
            o.base = amount;
            o.amount = o_amount;
            o.rate_bps = shown_rate(&o_rates, true, o_amount, amount);
            o.source_commercial_id = Some(seller);
            o.override_level = m.level;
            o.parent_key = Some(key.clone());
            self.out.push(o);
            overrides.push(Earned {
                key: o_key,
                commercial_id: m.commercial_id,
                amount: o_amount,
                per_part: o_parts,
                level: m.level,
                overrides: Vec::new(),
            });
        }
        Ok(Some(Earned {
            key,
            commercial_id: seller,
            amount,
            per_part,
            level: 0,
            overrides,
        }))
    }

    /// Claws back `earned` and its overrides so that their totals clawed back reach
    /// `targets` (per part, of the seller's commission); earlier clawbacks are deducted,
    /// so a later trigger only takes what is left.
    fn claw(
        &mut self,
        fact: &Fact,
        source: Source,
        earned: &Earned,
        targets: &[i64],
    ) -> Result<(), Overflow> {
        let seller_target = sum(targets.iter().copied())?.min(earned.amount);
        self.claw_one(fact, source, earned, seller_target);
        for o in &earned.overrides {
            let parts = self
                .terms
                .parts
                .iter()
                .zip(targets.iter().copied())
                .map(|(p, t)| formula::override_amount(p, t, o.level))
                .collect::<Result<Vec<_>, _>>()?;
            let target = sum(parts)?.min(o.amount);
            self.claw_one(fact, source, o, target);
        }
        Ok(())
    }

    fn claw_one(&mut self, fact: &Fact, source: Source, e: &Earned, target: i64) {
        let already = self.clawed.get(&e.key).copied().unwrap_or(0);
        let more = target - already;
        if more <= 0 {
            return;
        }
        let key = format!("{}:clawback:{}", fact.event_id, e.key);
        let mut d = self.draft(fact, source, Kind::Clawback, key, e.commercial_id);
        d.base = e.amount;
        d.amount = -more;
        d.original_key = Some(e.key.clone());
        if e.level > 0 {
            d.source_commercial_id = Some(self.terms.commercial_id);
            d.override_level = e.level;
        }
        self.out.push(d);
        self.clawed.insert(e.key.clone(), target);
    }

    /// Claws back the advance per each part's mode and window.
    fn claw_advance(
        &mut self,
        fact: &Fact,
        source: Source,
        advance: &Earned,
        trigger: &Trigger,
    ) -> Result<(), Overflow> {
        let targets = self
            .terms
            .parts
            .iter()
            .zip(advance.per_part.iter().copied())
            .map(|(p, a)| {
                formula::advance_clawback(
                    p,
                    a,
                    self.terms.start_date,
                    trigger,
                    self.terms.total_annual_premium,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.claw(fact, source, advance, &targets)
    }
}

/// Returns the premiums collected and final at `date`, net of refunds.
fn collected(receipts: &[Receipt], date: NaiveDate) -> i64 {
    receipts
        .iter()
        .filter(|r| r.return_deadline.is_none_or(|d| d <= date))
        .map(|r| r.amount - r.refunded)
        .fold(0_i64, i64::saturating_add)
}

/// Returns every entry the facts of one contract give, in arrival order of the facts
/// (parents before the overrides and clawbacks that name them). Without a signature
/// fact, or under terms that earn nothing, there is none.
pub fn derive(facts: &[Fact]) -> Result<Vec<Draft>, Overflow> {
    let mut facts: Vec<&Fact> = facts.iter().collect();
    facts.sort_by_key(|f| f.seq);
    let Some((signed, terms)) = facts.iter().find_map(|f| match &f.body {
        FactBody::Signed(t) => Some((*f, t)),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    if !terms.earns() {
        return Ok(Vec::new());
    }
    let mut walk = Walk {
        terms,
        out: Vec::new(),
        clawed: HashMap::new(),
    };
    let per_part = terms
        .parts
        .iter()
        .map(|p| formula::upfront(p, &terms.currency))
        .collect::<Result<Vec<_>, _>>()?;
    let with_upfront: Vec<&Part> = terms
        .parts
        .iter()
        .zip(&per_part)
        .filter(|(_, a)| **a != 0)
        .map(|(p, _)| p)
        .collect();
    let base = sum(with_upfront.iter().map(|p| p.annual_premium))?;
    let rates = with_upfront
        .iter()
        .map(|p| match p.rule.upfront {
            Upfront::Rate(bps) => Some(bps),
            Upfront::None | Upfront::Amount { .. } => None,
        })
        .collect();
    let advance = walk.earn(
        signed,
        Source::Contract,
        Kind::Upfront,
        per_part,
        base,
        rates,
        true,
        &terms.upline,
    )?;
    let covers = sum(terms.parts.iter().map(|p| p.annual_premium))? == terms.total_annual_premium;
    let mut receipts: Vec<Receipt> = Vec::new();
    for fact in facts {
        match &fact.body {
            FactBody::Signed(_) => {}
            FactBody::Received {
                amount,
                currency,
                return_deadline,
                upline,
            } => {
                let earned = if *currency == terms.currency {
                    let per_part = terms
                        .parts
                        .iter()
                        .map(|p| formula::recurring(p, *amount, terms.total_annual_premium))
                        .collect::<Result<Vec<_>, _>>()?;
                    let rates = terms
                        .parts
                        .iter()
                        .map(|p| Some(p.rule.recurring_bps))
                        .collect();
                    let upline = upline.as_deref().unwrap_or(&terms.upline);
                    walk.earn(
                        fact,
                        Source::Payment,
                        Kind::Recurring,
                        per_part,
                        *amount,
                        rates,
                        covers,
                        upline,
                    )?
                } else {
                    None
                };
                receipts.push(Receipt {
                    payment_id: fact.payment_id,
                    amount: if *currency == terms.currency {
                        *amount
                    } else {
                        0
                    },
                    return_deadline: *return_deadline,
                    refunded: 0,
                    earned,
                });
            }
            FactBody::Refunded { amount, currency } => {
                if *currency != terms.currency {
                    continue;
                }
                let receipt = fact
                    .payment_id
                    .and_then(|p| receipts.iter_mut().rev().find(|r| r.payment_id == Some(p)));
                if let Some(r) = receipt {
                    r.refunded = r.refunded.saturating_add(*amount).min(r.amount);
                    if let Some(e) = &r.earned {
                        let targets = terms
                            .parts
                            .iter()
                            .zip(e.per_part.iter().copied())
                            .map(|(p, a)| {
                                if formula::inside_window(
                                    terms.start_date,
                                    p.rule.clawback_months,
                                    fact.event_date,
                                ) {
                                    mul_div(a, r.refunded, r.amount)
                                } else {
                                    Ok(0)
                                }
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        let e = e.clone();
                        walk.claw(fact, Source::Payment, &e, &targets)?;
                    }
                }
                if let Some(advance) = &advance {
                    let trigger = Trigger {
                        date: fact.event_date,
                        cause: Cause::Lapse,
                        collected: collected(&receipts, fact.event_date),
                    };
                    walk.claw_advance(fact, Source::Payment, advance, &trigger)?;
                }
            }
            FactBody::Terminated { cause } => {
                if let Some(advance) = &advance {
                    let trigger = Trigger {
                        date: fact.event_date,
                        cause: *cause,
                        collected: collected(&receipts, fact.event_date),
                    };
                    walk.claw_advance(fact, Source::Contract, advance, &trigger)?;
                }
            }
        }
    }
    Ok(walk.out)
}

#[cfg(test)]
mod tests;
