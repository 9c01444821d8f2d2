//! The retry policy of an organisation: its defaults (domain-rules 6.2 DESIGN) and the
//! rules a change must follow.

use std::collections::HashSet;

use super::dates::DateRules;

/// Most re-presentations a policy may allow.
pub const MAX_RETRIES_LIMIT: u32 = 5;
/// Longest window a policy may set, in calendar days.
pub const MAX_WINDOW_DAYS: u32 = 60;
/// Longest submission lead time a policy may set, in TARGET days.
pub const MAX_LEAD_DAYS: u32 = 10;
/// Most reason codes a policy may retry (the SEPA table holds about twenty).
pub const MAX_CODES: usize = 32;

/// How a reason code is handled (domain-rules 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonClass {
    /// May be retried (AM04; MS03 once).
    Soft,
    /// The client must act; never retried.
    Hard,
    /// The creditor's data must be fixed, then resubmitted by hand.
    Technical,
    /// The debtor disputes the debit (MD06).
    Dispute,
}

impl ReasonClass {
    /// Returns the class's name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonClass::Soft => "soft",
            ReasonClass::Hard => "hard",
            ReasonClass::Technical => "technical",
            ReasonClass::Dispute => "dispute",
        }
    }
}

/// What the SEPA reason table says of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonFacts {
    /// Its class.
    pub class: ReasonClass,
    /// Whether the table allows automatic re-presentation at all.
    pub retryable: bool,
    /// Most automatic re-presentations the code allows whatever the policy says (MS03:
    /// 1); 0 when only the policy limits them.
    pub retry_limit: u32,
}

/// Returns what the platform's SEPA reason table (`crm_sepa::reason`) says of `code`,
/// or `None` for a code outside it.
pub fn table_facts(code: &str) -> Option<ReasonFacts> {
    use crm_sepa::reason::ReasonClass as Sepa;
    let row = crm_sepa::reason::lookup(code)?;
    let class = match row.class {
        Sepa::Soft => ReasonClass::Soft,
        Sepa::Hard => ReasonClass::Hard,
        Sepa::Technical => ReasonClass::Technical,
        Sepa::Dispute => ReasonClass::Dispute,
    };
    Some(ReasonFacts {
        class,
        retryable: row.retryable,
        retry_limit: row.retry_limit(),
    })
}

/// A code the policy retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryableCode {
    /// The reason code, uppercase.
    pub code: String,
    /// Most retries of a chain caused by this code; 0: only `max_retries` limits them.
    pub max_retries: u32,
}

/// An organisation's retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The codes retried.
    pub retryable_codes: Vec<RetryableCode>,
    /// Most re-presentations of one collection.
    pub max_retries: u32,
    /// Calendar days from the first rejection within which attempts fall.
    pub window_days: u32,
    /// Calendar days between a failure and the next attempt.
    pub spacing_days: u32,
    /// Whether attempts move to the next pay-day anchor.
    pub align_to_pay_days: bool,
    /// TARGET days between handing an attempt to payments and its collection.
    pub submission_lead_days: u32,
}

impl Default for Policy {
    /// Returns domain-rules 6.2's default: AM04, MS03 once, 3 retries within 30 days,
    /// 8 days apart, aligned to pay days, and payments' default lead time of 2 days.
    fn default() -> Self {
        Self {
            retryable_codes: vec![
                RetryableCode {
                    code: "AM04".into(),
                    max_retries: 0,
                },
                RetryableCode {
                    code: "MS03".into(),
                    max_retries: 1,
                },
            ],
            max_retries: 3,
            window_days: 30,
            spacing_days: 8,
            align_to_pay_days: true,
            submission_lead_days: 2,
        }
    }
}

impl Policy {
    /// Returns the date rules of the policy.
    pub fn date_rules(&self) -> DateRules {
        DateRules {
            spacing_days: self.spacing_days,
            window_days: self.window_days,
            lead_days: self.submission_lead_days,
            align_to_pay_days: self.align_to_pay_days,
        }
    }

    /// Returns the rule of `code`, if the policy retries it.
    pub fn code(&self, code: &str) -> Option<&RetryableCode> {
        self.retryable_codes.iter().find(|c| c.code == code)
    }
}

/// A policy as stored; the default is the defaults at version 0.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredPolicy {
    /// The policy.
    pub policy: Policy,
    /// 0 for the defaults, then incremented by each change.
    pub version: i64,
    /// When it last changed.
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who changed it last.
    pub updated_by: Option<uuid::Uuid>,
}

/// Returns whether `code` has the shape of an ISO 20022 reason code: four uppercase
/// letters or digits.
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == 4
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Returns every rule `policy` breaks as (field, description), fields under `prefix`.
/// `table` says what the SEPA reason table holds of a code (`None`: it does not know
/// it); the service passes [`table_facts`].
pub fn validate(
    policy: &Policy,
    table: impl Fn(&str) -> Option<ReasonFacts>,
    prefix: &str,
) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");
    if policy.max_retries > MAX_RETRIES_LIMIT {
        v.push((
            field("max_retries"),
            format!("must be between 0 and {MAX_RETRIES_LIMIT}"),
        ));
    }
    if !(1..=MAX_WINDOW_DAYS).contains(&policy.window_days) {
        v.push((
            field("window_days"),
            format!("must be between 1 and {MAX_WINDOW_DAYS}"),
        ));
    }
    if policy.spacing_days < 1 {
        v.push((field("spacing_days"), "must be at least 1".into()));
    } else if policy.spacing_days > policy.window_days {
        v.push((
            field("spacing_days"),
            "must not exceed window_days: no attempt could fit".into(),
        ));
    }
    if !(1..=MAX_LEAD_DAYS).contains(&policy.submission_lead_days) {
        v.push((
            field("submission_lead_days"),
            format!("must be between 1 and {MAX_LEAD_DAYS}"),
        ));
    }
    if policy.retryable_codes.len() > MAX_CODES {
        v.push((
            field("retryable_codes"),
            format!("must hold at most {MAX_CODES} codes"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, rule) in policy.retryable_codes.iter().enumerate() {
        let at = |name: &str| format!("{prefix}.retryable_codes[{i}].{name}");
        if rule.code.is_empty() {
            v.push((at("code"), "is required".into()));
        } else if !is_code_shaped(&rule.code) {
            v.push((
                at("code"),
                "must be a four-character ISO 20022 reason code".into(),
            ));
        } else if !seen.insert(rule.code.as_str()) {
            v.push((at("code"), format!("{} is listed twice", rule.code)));
        } else {
            match table(&rule.code) {
                None => v.push((
                    at("code"),
                    format!("{} is not in the SEPA reason table", rule.code),
                )),
                Some(facts) if facts.class != ReasonClass::Soft => v.push((
                    at("code"),
                    format!(
                        "{} is a {} code and can never be retried automatically",
                        rule.code,
                        facts.class.as_str()
                    ),
                )),
                Some(facts) if !facts.retryable => v.push((
                    at("code"),
                    format!("{} is not retryable in the SEPA reason table", rule.code),
                )),
                Some(facts) if facts.retry_limit > 0 => {
                    if rule.max_retries == 0 || rule.max_retries > facts.retry_limit {
                        v.push((
                            at("max_retries"),
                            format!(
                                "{} may be retried at most {} time(s): must be between 1 and {}",
                                rule.code, facts.retry_limit, facts.retry_limit
                            ),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        if rule.max_retries > MAX_RETRIES_LIMIT {
            v.push((
                at("max_retries"),
                format!("must be between 0 and {MAX_RETRIES_LIMIT}"),
            ));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> impl Fn(&str) -> Option<ReasonFacts> {
        table_facts
    }

    fn fields(v: &[(String, String)]) -> Vec<&str> {
        v.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn the_sepa_table_gives_classes_and_limits() {
        let facts = |code| table_facts(code).expect("in range");
        assert_eq!(facts("AM04").class, ReasonClass::Soft);
        assert_eq!(facts("AM04").retry_limit, 0);
        assert_eq!(facts("MS03").retry_limit, 1);
        assert_eq!(facts("MD01").class, ReasonClass::Hard);
        assert!(!facts("MD01").retryable);
        assert_eq!(facts("AG02").class, ReasonClass::Technical);
        assert_eq!(facts("MD06").class, ReasonClass::Dispute);
        assert_eq!(table_facts("ZZ99"), None);
    }

    #[test]
    fn the_default_policy_is_valid() {
        assert!(validate(&Policy::default(), table(), "policy").is_empty());
    }

    #[test]
    fn every_numeric_rule_is_reported() {
        let policy = Policy {
            max_retries: 6,
            window_days: 0,
            spacing_days: 0,
            submission_lead_days: 11,
            ..Policy::default()
        };
        let v = validate(&policy, table(), "policy");
        assert_eq!(
            fields(&v),
            [
                "policy.max_retries",
                "policy.window_days",
                "policy.spacing_days",
                "policy.submission_lead_days"
            ]
        );
        let wide = Policy {
            window_days: 61,
            spacing_days: 10,
            ..Policy::default()
        };
        assert_eq!(fields(&validate(&wide, table(), "p")), ["p.window_days"]);
        let spaced = Policy {
            window_days: 10,
            spacing_days: 11,
            ..Policy::default()
        };
        assert_eq!(fields(&validate(&spaced, table(), "p")), ["p.spacing_days"]);
    }

    #[test]
    fn every_code_rule_is_reported() {
        let rule = |code: &str, max_retries| RetryableCode {
            code: code.into(),
            max_retries,
        };
        let policy = Policy {
            retryable_codes: vec![
                rule("AM04", 0),
                rule("", 0),
                rule("am04x", 0),
                rule("AM04", 0),
                rule("ZZ99", 0),
                rule("MD01", 0),
                rule("AG02", 0),
                rule("MD06", 0),
                rule("MS03", 2),
                rule("AM04", 9),
            ],
            ..Policy::default()
        };
        let v = validate(&policy, table(), "policy");
        assert_eq!(
            fields(&v),
            [
                "policy.retryable_codes[1].code",
                "policy.retryable_codes[2].code",
                "policy.retryable_codes[3].code",
                "policy.retryable_codes[4].code",
                "policy.retryable_codes[5].code",
                "policy.retryable_codes[6].code",
                "policy.retryable_codes[7].code",
                "policy.retryable_codes[8].max_retries",
                "policy.retryable_codes[9].code",
                "policy.retryable_codes[9].max_retries",
            ]
        );
        assert!(v[4].1.contains("hard"), "{v:?}");
        assert!(v[5].1.contains("technical"), "{v:?}");
        assert!(v[6].1.contains("dispute"), "{v:?}");
    }

    #[test]
    fn a_limited_code_needs_a_limit_within_the_table() {
        let policy = |n| Policy {
            retryable_codes: vec![RetryableCode {
                code: "MS03".into(),
                max_retries: n,
            }],
            ..Policy::default()
        };
        assert_eq!(validate(&policy(0), table(), "p").len(), 1);
        assert!(validate(&policy(1), table(), "p").is_empty());
        assert_eq!(validate(&policy(2), table(), "p").len(), 1);
    }
}
