// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#![allow(clippy::inconsistent_digit_grouping)]

use super::*;
use crate::domain::plan::{ClawbackMode, OverrideRate, Rule, Target, Upfront};
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

struct World {
    seller: Uuid,
    m1: Uuid,
    m2: Uuid,
    contract: Uuid,
    seq: i64,
}

impl World {
    fn new() -> Self {
        Self {
            seller: Uuid::now_v7(),
            m1: Uuid::now_v7(),
            m2: Uuid::now_v7(),
            contract: Uuid::now_v7(),
            seq: 0,
        }
    }

    fn rule(mode: ClawbackMode, months: i32) -> Rule {
        Rule {
            target: Target::Category("santé".into()),
            upfront: Upfront::Rate(5000),
            recurring_bps: 1000,
            overrides: vec![
                OverrideRate {
                    level: 1,
                    bps: 1000,
                },
                OverrideRate { level: 2, bps: 500 },
            ],
            clawback_months: months,
            mode,
        }
    }

    /// Terms of a contract starting 2026-01-01 with a first-year premium of 1200.00,
    /// one rule (50 % upfront, 10 % recurring, overrides 10 % and 5 %).
    fn terms(&self, mode: ClawbackMode, months: i32) -> Terms {
        Terms {
            commercial_id: self.seller,
            currency: "EUR".into(),
            start_date: d(2026, 1, 1),
            total_annual_premium: 1200_00,
            parts: vec![Part {
                rule: Self::rule(mode, months),
                annual_premium: 1200_00,
            }],
            plan_id: None,
            upline: vec![
                Manager {
                    level: 1,
                    commercial_id: self.m1,
                },
                Manager {
                    level: 2,
                    commercial_id: self.m2,
                },
            ],
        }
    }

    fn fact(
        &mut self,
        event_type: &str,
        date: NaiveDate,
        payment: Option<Uuid>,
        body: FactBody,
    ) -> Fact {
        self.seq += 1;
        Fact {
            seq: self.seq,
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            contract_id: self.contract,
            payment_id: payment,
            event_date: date,
            body,
        }
    }

    fn signed(&mut self, terms: Terms) -> Fact {
        self.fact(
            "contract.signed",
            d(2026, 1, 1),
            None,
            FactBody::Signed(terms),
        )
    }

    fn received(&mut self, payment: Uuid, amount: i64, date: NaiveDate) -> Fact {
        self.fact(
            "payment.received",
            date,
            Some(payment),
            FactBody::Received {
                amount,
                currency: "EUR".into(),
                return_deadline: None,
                upline: None,
            },
        )
    }

    fn refunded(&mut self, payment: Uuid, amount: i64, date: NaiveDate) -> Fact {
        self.fact(
            "payment.refunded",
            date,
            Some(payment),
            FactBody::Refunded {
                amount,
                currency: "EUR".into(),
            },
        )
    }

    fn terminated(&mut self, cause: Cause, date: NaiveDate) -> Fact {
        self.fact(
            "contract.terminated",
            date,
            None,
            FactBody::Terminated { cause },
        )
    }
}

fn summary(drafts: &[Draft]) -> Vec<(Kind, Uuid, i64)> {
    drafts
        .iter()
        .map(|d| (d.kind, d.commercial_id, d.amount))
        .collect()
}

fn clawbacks(drafts: &[Draft]) -> Vec<(Uuid, i64)> {
    drafts
        .iter()
        .filter(|d| d.kind == Kind::Clawback)
        .map(|d| (d.commercial_id, d.amount))
        .collect()
}

/// Signature: the seller's upfront is 50 % of the first-year premium; the managers get
/// 10 % and 5 % of it, on the same base, linked to it.
#[test]
fn a_signature_gives_the_upfront_and_the_overrides() {
    let mut w = World::new();
    let signed = w.signed(w.terms(ClawbackMode::Full, 12));
    let drafts = derive(std::slice::from_ref(&signed)).expect("derive");
    assert_eq!(
        summary(&drafts),
        [
            (Kind::Upfront, w.seller, 600_00),
            (Kind::Override, w.m1, 60_00),
            (Kind::Override, w.m2, 30_00),
        ]
    );
    let upfront = &drafts[0];
    assert_eq!(
        (upfront.base, upfront.rate_bps, upfront.source),
        (1200_00, 5000, Source::Contract)
    );
    assert_eq!(
        upfront.key,
        format!("{}:upfront:{}", signed.event_id, w.seller)
    );
    let o2 = &drafts[2];
    assert_eq!((o2.base, o2.rate_bps, o2.override_level), (600_00, 500, 2));
    assert_eq!(o2.parent_key.as_deref(), Some(upfront.key.as_str()));
    assert_eq!(o2.source_commercial_id, Some(w.seller));
}

/// A payment received: 10 % recurring on the amount, and the overrides on it.
#[test]
fn a_payment_gives_the_recurring_commission_and_overrides() {
    let mut w = World::new();
    let pay = Uuid::now_v7();
    let facts = [
        w.signed(w.terms(ClawbackMode::Full, 12)),
        w.received(pay, 100_05, d(2026, 2, 5)),
    ];
    let drafts = derive(&facts).expect("derive");
    let recurring: Vec<_> = drafts.iter().filter(|d| d.fact_seq == 2).collect();
    assert_eq!(
        recurring
            .iter()
            .map(|d| (d.kind, d.amount))
            .collect::<Vec<_>>(),
        // 10 % of 100.05 = 10.005 → 10.01; 10 % of it → 1.00; 5 % → 0.50.
        [
            (Kind::Recurring, 10_01),
            (Kind::Override, 1_00),
            (Kind::Override, 50)
        ]
    );
    assert_eq!((recurring[0].base, recurring[0].rate_bps), (100_05, 1000));
    assert_eq!(
        (recurring[0].source, recurring[0].payment_id),
        (Source::Payment, Some(pay))
    );
}

/// A lapse inside the window under FULL claws back the whole advance and every override
/// on it; on the window's first day outside, nothing.
#[test]
fn full_clawback_inside_the_window_only() {
    let mut w = World::new();
    let signed = w.signed(w.terms(ClawbackMode::Full, 12));
    let inside = w.terminated(Cause::Lapse, d(2026, 12, 31));
    let drafts = derive(&[signed.clone(), inside]).expect("derive");
    assert_eq!(
        clawbacks(&drafts),
        [(w.seller, -600_00), (w.m1, -60_00), (w.m2, -30_00)]
    );
    let claw = drafts
        .iter()
        .find(|d| d.kind == Kind::Clawback)
        .expect("clawback");
    assert_eq!(claw.original_key.as_deref(), Some(drafts[0].key.as_str()));
    assert_eq!(claw.base, 600_00);
    let outside = w.terminated(Cause::Lapse, d(2027, 1, 1));
    assert!(clawbacks(&derive(&[signed, outside]).expect("derive")).is_empty());
}

/// PRORATA in month 4 of 12 gives back 8/12, the overrides with it.
#[test]
fn prorata_clawback_follows_the_months_left() {
    let mut w = World::new();
    let facts = [
        w.signed(w.terms(ClawbackMode::Prorata, 12)),
        w.terminated(Cause::Lapse, d(2026, 4, 15)),
    ];
    let drafts = derive(&facts).expect("derive");
    assert_eq!(
        clawbacks(&drafts),
        [(w.seller, -400_00), (w.m1, -40_00), (w.m2, -20_00)]
    );
}

/// EARNED_ON_CASH: four monthly premiums of 100.00 collected earn 4/12 of the advance;
/// the rest goes back. A payment still inside its return window does not count.
#[test]
fn earned_on_cash_keeps_what_the_cash_earned() {
    let mut w = World::new();
    let mut facts = vec![w.signed(w.terms(ClawbackMode::EarnedOnCash, 24))];
    for month in 1..=4 {
        facts.push(w.received(Uuid::now_v7(), 100_00, d(2026, month, 5)));
    }
    let mut late = w.received(Uuid::now_v7(), 100_00, d(2026, 5, 5));
    if let FactBody::Received {
        return_deadline, ..
    } = &mut late.body
    {
        *return_deadline = Some(d(2026, 5, 12));
    }
    facts.push(late);
    facts.push(w.terminated(Cause::Lapse, d(2026, 5, 10)));
    let drafts = derive(&facts).expect("derive");
    // Earned: 600.00 × 400/1200 = 200.00; back: 400.00, overrides 40.00 and 20.00.
    assert_eq!(
        clawbacks(&drafts),
        [(w.seller, -400_00), (w.m1, -40_00), (w.m2, -20_00)]
    );
}

/// Renunciation takes the whole advance back whatever the mode; the end of the term
/// takes nothing.
#[test]
fn renunciation_and_end_of_term() {
    let mut w = World::new();
    let signed = w.signed(w.terms(ClawbackMode::Prorata, 12));
    let renounced = w.terminated(Cause::Renunciation, d(2026, 1, 10));
    let drafts = derive(&[signed.clone(), renounced]).expect("derive");
    assert_eq!(
        clawbacks(&drafts),
        [(w.seller, -600_00), (w.m1, -60_00), (w.m2, -30_00)]
    );
    let ended = w.terminated(Cause::EndOfTerm, d(2026, 6, 30));
    assert!(clawbacks(&derive(&[signed, ended]).expect("derive")).is_empty());
}

/// A refund inside the window reverses the recurring commission on the refunded
/// premium (pro rata to the amount refunded) and triggers the advance's clawback per
/// mode; a second trigger only takes what the first left.
#[test]
fn refunds_reverse_their_premium_and_triggers_add_up() {
    let mut w = World::new();
    let pay = Uuid::now_v7();
    let facts = vec![
        w.signed(w.terms(ClawbackMode::Prorata, 12)),
        w.received(pay, 100_00, d(2026, 2, 5)),
        // Half of the premium refunded in month 3: 5.00 of recurring back, and the
        // advance per PRORATA: 9/12 of 600.00 = 450.00.
        w.refunded(pay, 50_00, d(2026, 3, 10)),
        // The rest refunded in month 4: the other 5.00; the advance target is now
        // 8/12, less than already taken: nothing more.
        w.refunded(pay, 50_00, d(2026, 4, 10)),
        w.terminated(Cause::Lapse, d(2026, 5, 1)),
    ];
    let drafts = derive(&facts).expect("derive");
    let of = |seq: i64| -> Vec<(Uuid, i64)> {
        drafts
            .iter()
            .filter(|d| d.fact_seq == seq && d.kind == Kind::Clawback)
            .map(|d| (d.commercial_id, d.amount))
            .collect()
    };
    assert_eq!(
        of(3),
        [
            (w.seller, -5_00),
            (w.m1, -50),
            (w.m2, -25),
            (w.seller, -450_00),
            (w.m1, -45_00),
            (w.m2, -22_50)
        ]
    );
    assert_eq!(of(4), [(w.seller, -5_00), (w.m1, -50), (w.m2, -25)]);
    assert!(of(5).is_empty());
    let recurring_back: i64 = drafts
        .iter()
        .filter(|d| d.kind == Kind::Clawback && d.source == Source::Payment && d.base == 10_00)
        .map(|d| d.amount)
        .sum();
    assert_eq!(recurring_back, -10_00);
}

/// Facts that arrived before the signature earn once it arrives, and deriving again
/// gives the same entries with the same keys.
#[test]
fn derivation_is_deterministic_and_repairs_order() {
    let mut w = World::new();
    let pay = Uuid::now_v7();
    let early = w.received(pay, 100_00, d(2026, 1, 5));
    assert!(
        derive(std::slice::from_ref(&early))
            .expect("derive")
            .is_empty()
    );
    let signed = w.signed(w.terms(ClawbackMode::Full, 12));
    let facts = [early, signed];
    let first = derive(&facts).expect("derive");
    assert_eq!(first.len(), 6);
    assert_eq!(first, derive(&facts).expect("derive again"));
}

/// Terms that earn nothing give nothing; a payment in another currency earns nothing.
#[test]
fn nothing_to_earn() {
    let mut w = World::new();
    let mut t = w.terms(ClawbackMode::Full, 12);
    t.parts.clear();
    let facts = [
        w.signed(t),
        w.received(Uuid::now_v7(), 100_00, d(2026, 2, 1)),
    ];
    assert!(derive(&facts).expect("derive").is_empty());
    let mut w = World::new();
    let mut chf = w.received(Uuid::now_v7(), 100_00, d(2026, 2, 1));
    if let FactBody::Received { currency, .. } = &mut chf.body {
        *currency = "CHF".into();
    }
    let facts = [w.signed(w.terms(ClawbackMode::Full, 12)), chf];
    assert_eq!(derive(&facts).expect("derive").len(), 3);
}

/// Several rules on one contract: the rate shown is the effective one; a fixed amount
/// shows no rate.
#[test]
fn several_rules_and_fixed_amounts() {
    let mut w = World::new();
    let mut t = w.terms(ClawbackMode::Full, 12);
    let mut other = World::rule(ClawbackMode::Full, 12);
    other.target = Target::Category("auto".into());
    other.upfront = Upfront::Rate(2000);
    other.recurring_bps = 500;
    t.parts.push(Part {
        rule: other,
        annual_premium: 600_00,
    });
    t.total_annual_premium = 1800_00;
    t.upline.clear();
    let facts = [
        w.signed(t.clone()),
        w.received(Uuid::now_v7(), 180_00, d(2026, 2, 1)),
    ];
    let drafts = derive(&facts).expect("derive");
    // Upfront: 600.00 + 120.00 on 1800.00 = 40 %.
    assert_eq!(
        (drafts[0].amount, drafts[0].base, drafts[0].rate_bps),
        (720_00, 1800_00, 4000)
    );
    // Recurring: 10 % of 120.00 + 5 % of 60.00 = 15.00 on 180.00 = 8.33 %.
    assert_eq!(
        (drafts[1].amount, drafts[1].base, drafts[1].rate_bps),
        (15_00, 180_00, 833)
    );
    let mut fixed = t;
    fixed.parts.truncate(1);
    fixed.total_annual_premium = 1200_00;
    fixed.parts[0].rule.upfront = Upfront::Amount {
        currency: "EUR".into(),
        amount_minor: 150_00,
    };
    let drafts = derive(&[w.signed(fixed)]).expect("derive");
    assert_eq!((drafts[0].amount, drafts[0].rate_bps), (150_00, 0));
}

#[derive(Debug, Clone)]
enum Step {
    Pay(i64),
    Refund(usize, i64),
    Terminate(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1_i64..500_00).prop_map(Step::Pay),
        (0_usize..8, 1_i64..500_00).prop_map(|(i, a)| Step::Refund(i, a)),
        (0_u8..3).prop_map(Step::Terminate),
    ]
}

fn build(mode: ClawbackMode, months: i32, steps: &[Step]) -> Vec<Fact> {
    let mut w = World::new();
    let mut facts = vec![w.signed(w.terms(mode, months))];
    let mut payments = Vec::new();
    for (day, s) in steps.iter().enumerate() {
        let date = d(2026, 1, 1) + chrono::Duration::days(day as i64 * 25);
        match s {
            Step::Pay(a) => {
                let p = Uuid::now_v7();
                payments.push(p);
                facts.push(w.received(p, *a, date));
            }
            Step::Refund(i, a) => {
                let p = payments.get(*i).copied().unwrap_or_else(Uuid::now_v7);
                facts.push(w.refunded(p, *a, date));
            }
            Step::Terminate(c) => {
                let cause = [Cause::Lapse, Cause::Renunciation, Cause::EndOfTerm][usize::from(*c)];
                facts.push(w.terminated(cause, date));
            }
        }
    }
    facts
}

proptest! {
    /// Whatever happens to a contract, no entry is clawed back beyond its amount, keys
    /// are unique, and a new fact never changes the entries of the earlier ones.
    #[test]
    fn clawbacks_never_exceed_and_history_is_stable(
        steps in proptest::collection::vec(step(), 0..12),
        mode in 0..3_usize,
        window in 0..3_usize,
    ) {
        let mode = [ClawbackMode::Full, ClawbackMode::Prorata, ClawbackMode::EarnedOnCash][mode];
        let facts = build(mode, [12, 24, 36][window], &steps);
        let drafts = derive(&facts)?;
        let mut keys = std::collections::HashSet::new();
        for d in &drafts {
            prop_assert!(keys.insert(d.key.clone()), "duplicate key {}", d.key);
            prop_assert_eq!(d.amount < 0, d.kind == Kind::Clawback);
        }
        for original in drafts.iter().filter(|d| d.kind != Kind::Clawback) {
            let back: i64 = drafts
                .iter()
                .filter(|d| d.original_key.as_deref() == Some(original.key.as_str()))
                .map(|d| d.amount)
                .sum();
            prop_assert!(back <= 0 && -back <= original.amount);
        }
        for k in 1..facts.len() {
            let earlier = derive(&facts[..k])?;
            prop_assert_eq!(&drafts[..earlier.len()], &earlier[..]);
        }
    }
}
