//! Commission plans: rules per product or category, and their validation, which reports
//! every problem of a plan at once.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Field violations: (path, description).
pub type Violations = Vec<(String, String)>;

/// Longest plan name.
pub const MAX_NAME: usize = 200;
/// Longest plan description.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most rules in a plan.
pub const MAX_RULES: usize = 200;
/// Longest category.
pub const MAX_CATEGORY: usize = 100;
/// Deepest override level (the hierarchy's depth limit).
pub const MAX_LEVEL: i32 = 10;
/// Clawback windows a rule may have, in months.
pub const WINDOWS: [i32; 3] = [12, 24, 36];
/// Largest fixed upfront amount, in minor units.
pub const MAX_FIXED_AMOUNT: i64 = 99_999_999_999;

/// Whether a plan applies to new contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStatus {
    /// In use.
    Active,
    /// Read-only, applies to no new contract.
    Archived,
}

impl PlanStatus {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::Archived => "archived",
        }
    }

    /// Returns the status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(PlanStatus::Active),
            "archived" => Some(PlanStatus::Archived),
            _ => None,
        }
    }
}

/// How an advance is clawed back inside the window (domain-rules 8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClawbackMode {
    /// The whole advance.
    Full,
    /// advance × (N − months elapsed) / N.
    Prorata,
    /// The part of the advance not yet earned on the premiums collected.
    EarnedOnCash,
}

/// What a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// One product.
    Product(Uuid),
    /// Every product of a category (compared trimmed and without regard to case).
    Category(String),
}

/// The upfront part of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Upfront {
    /// No upfront commission.
    None,
    /// Basis points of the first-year premium.
    Rate(i32),
    /// A fixed amount per contract.
    Amount {
        /// ISO 4217 code.
        currency: String,
        /// Minor units.
        amount_minor: i64,
    },
}

/// A manager override: basis points of the subordinate's commission at one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRate {
    /// 1 for the seller's manager, 2 above, and so on.
    pub level: i32,
    /// Basis points of the subordinate's commission.
    pub bps: i32,
}

/// The commission terms of a product or a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// What it applies to.
    pub target: Target,
    /// Upfront commission at signature.
    pub upfront: Upfront,
    /// Basis points of each payment received.
    pub recurring_bps: i32,
    /// Manager overrides, sorted by level.
    pub overrides: Vec<OverrideRate>,
    /// Clawback window in months from the start.
    pub clawback_months: i32,
    /// How the advance is clawed back inside the window.
    pub mode: ClawbackMode,
}

impl Rule {
    /// Returns the override rate of `level`, 0 when the rule has none there.
    pub fn override_bps(&self, level: i32) -> i32 {
        self.overrides
            .iter()
            .find(|o| o.level == level)
            .map_or(0, |o| o.bps)
    }
}

/// What a plan says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanData {
    /// Name, unique in the organisation without regard to case.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Whether it is the organisation's default plan.
    pub is_default: bool,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Its id.
    pub id: Uuid,
    /// Its organisation.
    pub organisation_id: Uuid,
    /// What it says.
    pub data: PlanData,
    /// Active or archived.
    pub status: PlanStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

/// Returns the key a category is compared by.
pub fn category_key(category: &str) -> String {
    category.trim().to_lowercase()
}

impl PlanData {
    /// Returns the index of the rule that applies to `product` of `category`: the
    /// product's own rule, else its category's.
    pub fn rule_for(&self, product: Uuid, category: Option<&str>) -> Option<usize> {
        let by_product = self
            .rules
            .iter()
            .position(|r| r.target == Target::Product(product));
        by_product.or_else(|| {
            let key = category_key(category?);
            self.rules.iter().position(|r| match &r.target {
                Target::Category(c) => category_key(c) == key,
                Target::Product(_) => false,
            })
        })
    }

    /// Returns whether some rule applies to a category, so categories are worth reading.
    pub fn has_category_rules(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.target, Target::Category(_)))
    }
}

/// A rule as sent, before its checks.
#[derive(Debug, Clone, Default)]
pub struct RuleDraft {
    /// Product id text.
    pub product_id: String,
    /// Category text.
    pub category: String,
    /// Upfront basis points.
    pub upfront_bps: i32,
    /// Fixed upfront amount: (currency, minor units).
    pub upfront_amount: Option<(String, i64)>,
    /// Recurring basis points.
    pub recurring_bps: i32,
    /// Overrides: (level, basis points).
    pub overrides: Vec<(i32, i32)>,
    /// Window in months.
    pub clawback_months: i32,
    /// Mode; `None` when unset (or unknown, already reported).
    pub mode: Option<ClawbackMode>,
}

/// A plan as sent, before its checks.
#[derive(Debug, Clone, Default)]
pub struct PlanDraft {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Default flag.
    pub is_default: bool,
    /// Rules.
    pub rules: Vec<RuleDraft>,
}

fn check_bps(value: i32, field: String, v: &mut Violations) {
    if !(0..=10_000).contains(&value) {
        v.push((field, "must be between 0 and 10000 basis points".into()));
    }
}

/// Returns the plan of `draft`, or every violation, with paths under `prefix` (for
/// example "plan"). `is_currency` says whether a currency code is supported.
pub fn validate(
    draft: &PlanDraft,
    prefix: &str,
    is_currency: impl Fn(&str) -> bool,
) -> Result<PlanData, Violations> {
    let mut v = Violations::new();
    let name = draft.name.trim();
    if name.is_empty() {
        v.push((format!("{prefix}.name"), "is required".into()));
    } else if name.chars().count() > MAX_NAME {
        v.push((
            format!("{prefix}.name"),
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    if draft.description.chars().count() > MAX_DESCRIPTION {
        v.push((
            format!("{prefix}.description"),
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    if draft.rules.len() > MAX_RULES {
        v.push((
            format!("{prefix}.rules"),
            format!("must hold at most {MAX_RULES} rules"),
        ));
    }
    let mut targets = HashSet::new();
    let mut rules = Vec::with_capacity(draft.rules.len());
    for (i, r) in draft.rules.iter().enumerate() {
        let at = format!("{prefix}.rules[{i}]");
        if let Some(rule) = validate_rule(r, &at, &is_currency, &mut v) {
            let key = match &rule.target {
                Target::Product(id) => format!("p:{id}"),
                Target::Category(c) => format!("c:{}", category_key(c)),
            };
            if !targets.insert(key) {
                let field = match rule.target {
                    Target::Product(_) => "product_id",
                    Target::Category(_) => "category",
                };
                v.push((
                    format!("{at}.{field}"),
                    "another rule has the same target".into(),
                ));
            }
            rules.push(rule);
        }
    }
    if v.is_empty() {
        Ok(PlanData {
            name: name.to_owned(),
            description: draft.description.trim().to_owned(),
            is_default: draft.is_default,
            rules,
        })
    } else {
        Err(v)
    }
}

fn validate_rule(
    r: &RuleDraft,
    at: &str,
    is_currency: &impl Fn(&str) -> bool,
    v: &mut Violations,
) -> Option<Rule> {
    let before = v.len();
    let product = r.product_id.trim();
    let category = r.category.trim();
    let target = match (product.is_empty(), category.is_empty()) {
        (true, true) => {
            v.push((
                format!("{at}.product_id"),
                "a product or a category is required".into(),
            ));
            None
        }
        (false, false) => {
            v.push((
                format!("{at}.category"),
                "must be empty when product_id is set".into(),
            ));
            None
        }
        (false, true) => match uuid::Uuid::parse_str(product) {
            Ok(id) => Some(Target::Product(id)),
            Err(_) => {
                v.push((format!("{at}.product_id"), "must be a UUID".into()));
                None
            }
        },
        (true, false) if category.chars().count() > MAX_CATEGORY => {
            v.push((
                format!("{at}.category"),
                format!("must be at most {MAX_CATEGORY} characters"),
            ));
            None
        }
        (true, false) => Some(Target::Category(category.to_owned())),
    };
    check_bps(r.upfront_bps, format!("{at}.upfront_rate_basis_points"), v);
    check_bps(
        r.recurring_bps,
        format!("{at}.recurring_rate_basis_points"),
        v,
    );
    let upfront = match &r.upfront_amount {
        None if r.upfront_bps > 0 => Upfront::Rate(r.upfront_bps),
        None => Upfront::None,
        Some((currency, amount)) => {
            if r.upfront_bps != 0 {
                v.push((
                    format!("{at}.upfront_amount"),
                    "must be unset when upfront_rate_basis_points is set".into(),
                ));
            }
            if !is_currency(currency) {
                v.push((
                    format!("{at}.upfront_amount.currency_code"),
                    "must be a supported ISO 4217 code in capitals, for example EUR".into(),
                ));
            }
            if !(1..=MAX_FIXED_AMOUNT).contains(amount) {
                v.push((
                    format!("{at}.upfront_amount.amount_minor"),
                    format!("must be between 1 and {MAX_FIXED_AMOUNT}"),
                ));
            }
            Upfront::Amount {
                currency: currency.clone(),
                amount_minor: *amount,
            }
        }
    };
    let mut levels = HashSet::new();
    let mut overrides = Vec::with_capacity(r.overrides.len());
    for (k, (level, bps)) in r.overrides.iter().enumerate() {
        let o = format!("{at}.overrides[{k}]");
        if !(1..=MAX_LEVEL).contains(level) {
            v.push((
                format!("{o}.level"),
                format!("must be between 1 and {MAX_LEVEL}"),
            ));
        } else if !levels.insert(*level) {
            v.push((
                format!("{o}.level"),
                "another override has the same level".into(),
            ));
        }
        if !(1..=10_000).contains(bps) {
            v.push((
                format!("{o}.rate_basis_points"),
                "must be between 1 and 10000 basis points".into(),
            ));
        }
        overrides.push(OverrideRate {
            level: *level,
            bps: *bps,
        });
    }
    overrides.sort_by_key(|o| o.level);
    if !WINDOWS.contains(&r.clawback_months) {
        v.push((
            format!("{at}.clawback_months"),
            "must be 12, 24 or 36".into(),
        ));
    }
    if r.mode.is_none() && !v.iter().any(|(f, _)| *f == format!("{at}.clawback_mode")) {
        v.push((format!("{at}.clawback_mode"), "is required".into()));
    }
    match (target, r.mode) {
        (Some(target), Some(mode)) if v.len() == before => Some(Rule {
            target,
            upfront,
            recurring_bps: r.recurring_bps,
            overrides,
            clawback_months: r.clawback_months,
            mode,
        }),
        _ => None,
    }
}

#[cfg(test)]
// Amounts are written as euros_cents (600_00 is 600.00 EUR).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn eur(code: &str) -> bool {
        code == "EUR"
    }

    fn rule() -> RuleDraft {
        RuleDraft {
            category: "Santé".into(),
            upfront_bps: 4000,
            recurring_bps: 500,
            overrides: vec![(1, 1000), (2, 500)],
            clawback_months: 24,
            mode: Some(ClawbackMode::Prorata),
            ..Default::default()
        }
    }

    fn plan(rules: Vec<RuleDraft>) -> PlanDraft {
        PlanDraft {
            name: " Standard ".into(),
            rules,
            ..Default::default()
        }
    }

    fn fields(draft: &PlanDraft) -> Vec<String> {
        validate(draft, "plan", eur)
            .expect_err("invalid")
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_valid_plan_is_trimmed_and_sorted() {
        let mut r = rule();
        r.overrides = vec![(2, 500), (1, 1000)];
        let data = validate(&plan(vec![r]), "plan", eur).expect("valid");
        assert_eq!(data.name, "Standard");
        let rule = &data.rules[0];
        assert_eq!(rule.upfront, Upfront::Rate(4000));
        assert_eq!(
            rule.overrides.iter().map(|o| o.level).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!((rule.override_bps(1), rule.override_bps(3)), (1000, 0));
    }

    /// Every violation of a plan is reported, each at its own path.
    #[test]
    fn every_violation_is_reported() {
        let both = RuleDraft {
            product_id: Uuid::now_v7().to_string(),
            ..rule()
        };
        let neither = RuleDraft {
            category: String::new(),
            ..rule()
        };
        let bad = RuleDraft {
            product_id: "nope".into(),
            category: String::new(),
            upfront_bps: 10_001,
            upfront_amount: Some(("XXX".into(), 0)),
            recurring_bps: -1,
            overrides: vec![(0, 100), (3, 0), (3, 100), (11, 20_000)],
            clawback_months: 18,
            mode: None,
        };
        let long_category = RuleDraft {
            category: "x".repeat(MAX_CATEGORY + 1),
            ..rule()
        };
        let draft = PlanDraft {
            name: "x".repeat(MAX_NAME + 1),
            description: "d".repeat(MAX_DESCRIPTION + 1),
            is_default: false,
            rules: vec![both, neither, bad, long_category],
        };
        assert_eq!(
            fields(&draft),
            [
                "plan.name",
                "plan.description",
                "plan.rules[0].category",
                "plan.rules[1].product_id",
                "plan.rules[2].product_id",
                "plan.rules[2].upfront_rate_basis_points",
                "plan.rules[2].recurring_rate_basis_points",
                "plan.rules[2].upfront_amount",
                "plan.rules[2].upfront_amount.currency_code",
                "plan.rules[2].upfront_amount.amount_minor",
                "plan.rules[2].overrides[0].level",
                "plan.rules[2].overrides[1].rate_basis_points",
                "plan.rules[2].overrides[2].level",
                "plan.rules[2].overrides[3].level",
                "plan.rules[2].overrides[3].rate_basis_points",
                "plan.rules[2].clawback_months",
                "plan.rules[2].clawback_mode",
                "plan.rules[3].category",
            ]
        );
    }

    #[test]
    fn names_are_required_and_targets_unique() {
        let mut draft = plan(vec![
            rule(),
            RuleDraft {
                category: " santé ".into(),
                ..rule()
            },
        ]);
        draft.name = "  ".into();
        assert_eq!(fields(&draft), ["plan.name", "plan.rules[1].category"]);
        let product = Uuid::now_v7().to_string();
        let by_product = |_: ()| RuleDraft {
            product_id: product.clone(),
            category: String::new(),
            ..rule()
        };
        let draft = plan(vec![by_product(()), by_product(())]);
        assert_eq!(fields(&draft), ["plan.rules[1].product_id"]);
        let too_many = plan(vec![RuleDraft::default(); MAX_RULES + 1]);
        assert!(fields(&too_many).contains(&"plan.rules".to_owned()));
    }

    #[test]
    fn a_fixed_upfront_amount_replaces_the_rate() {
        let r = RuleDraft {
            upfront_bps: 0,
            upfront_amount: Some(("EUR".into(), 150_00)),
            ..rule()
        };
        let data = validate(&plan(vec![r]), "plan", eur).expect("valid");
        assert_eq!(
            data.rules[0].upfront,
            Upfront::Amount {
                currency: "EUR".into(),
                amount_minor: 150_00
            }
        );
        let none = RuleDraft {
            upfront_bps: 0,
            ..rule()
        };
        let data = validate(&plan(vec![none]), "plan", eur).expect("valid");
        assert_eq!(data.rules[0].upfront, Upfront::None);
    }

    #[test]
    fn a_product_rule_wins_over_its_category() {
        let product = Uuid::now_v7();
        let other = Uuid::now_v7();
        let data = validate(
            &plan(vec![
                rule(),
                RuleDraft {
                    product_id: product.to_string(),
                    category: String::new(),
                    ..rule()
                },
            ]),
            "plan",
            eur,
        )
        .expect("valid");
        assert_eq!(data.rule_for(product, Some("santé")), Some(1));
        assert_eq!(data.rule_for(other, Some(" SANTÉ ")), Some(0));
        assert_eq!(data.rule_for(other, Some("auto")), None);
        assert_eq!(data.rule_for(other, None), None);
        assert!(data.has_category_rules());
    }
}
