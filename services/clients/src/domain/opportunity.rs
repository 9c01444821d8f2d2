//! Opportunities: possible sales moving through the pipeline's stages. NEW, QUALIFIED,
//! PROPOSAL and NEGOTIATION are open and an opportunity moves freely between them; WON
//! and LOST are final.

use chrono::{DateTime, NaiveDate, Utc};
use crm_shared::money::Currency;
use uuid::Uuid;

/// Stage of an opportunity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Just entered the pipeline.
    New,
    /// Qualified as a real prospect.
    Qualified,
    /// A proposal was made.
    Proposal,
    /// Terms are being negotiated.
    Negotiation,
    /// Won; final.
    Won,
    /// Lost; final.
    Lost,
}

text_enum!(Stage { New = "new", Qualified = "qualified", Proposal = "proposal", Negotiation = "negotiation", Won = "won", Lost = "lost" });

impl Stage {
    /// Every open stage, in pipeline order.
    pub const OPEN: [Stage; 4] = [
        Stage::New,
        Stage::Qualified,
        Stage::Proposal,
        Stage::Negotiation,
    ];

    /// Returns whether the opportunity may still move.
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Won | Stage::Lost)
    }

    /// Returns the probability of winning, in percent, an opportunity gets on entering
    /// the stage when none is given.
    pub fn default_probability(self) -> i32 {
        match self {
            Stage::New => 10,
            Stage::Qualified => 25,
            Stage::Proposal => 50,
            Stage::Negotiation => 75,
            Stage::Won => 100,
            Stage::Lost => 0,
        }
    }
}

/// An amount in integer minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// ISO 4217 code.
    pub currency_code: String,
    /// Minor units, never negative.
    pub amount_minor: i64,
}

/// The fields of an opportunity a caller sets directly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpportunityData {
    /// The sales agent in charge.
    pub commercial_id: Option<Uuid>,
    /// The product of interest.
    pub product_id: Option<Uuid>,
    /// What the client is interested in, in free text.
    pub product_interest: String,
    /// Expected amount.
    pub amount: Option<Amount>,
    /// Probability of winning in percent; `None` takes the stage's default.
    pub probability: Option<i32>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
}

/// A stored opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opportunity {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The fields; the probability is always set once stored.
    pub data: OpportunityData,
    /// Stage.
    pub stage: Stage,
    /// Why it was lost.
    pub lost_reason: String,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

impl Opportunity {
    /// Returns the stored probability (the stage's default if somehow missing).
    pub fn probability(&self) -> i32 {
        self.data
            .probability
            .unwrap_or_else(|| self.stage.default_probability())
    }
}

const MAX_INTEREST: usize = 500;
const MAX_LOST_REASON: usize = 500;

/// Returns whether `p` is a percentage, recording a violation at `field` when not.
pub fn check_probability(p: i32, field: &str, v: &mut Vec<(String, String)>) {
    if !(0..=100).contains(&p) {
        v.push((field.to_owned(), "must be between 0 and 100".into()));
    }
}

/// Checks an amount at `field`: a supported currency, never negative.
pub fn check_amount(amount: &mut Amount, field: &str, v: &mut Vec<(String, String)>) {
    amount.currency_code = amount.currency_code.trim().to_owned();
    if Currency::from_code(&amount.currency_code).is_err() {
        v.push((
            format!("{field}.currency_code"),
            "must be a supported ISO 4217 code in capitals, for example EUR".into(),
        ));
    }
    if amount.amount_minor < 0 {
        v.push((
            format!("{field}.amount_minor"),
            "must not be negative".into(),
        ));
    }
}

/// Returns a lost reason trimmed, or why it is refused.
pub fn check_lost_reason(reason: &str) -> Result<String, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("is required".into());
    }
    if reason.chars().count() > MAX_LOST_REASON {
        return Err(format!("must be at most {MAX_LOST_REASON} characters"));
    }
    if reason.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(reason.to_owned())
}

/// Returns `data` normalised, or every violation with field paths under `prefix`.
pub fn validate(
    mut data: OpportunityData,
    prefix: &str,
) -> Result<OpportunityData, Vec<(String, String)>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");
    data.product_interest = data.product_interest.trim().to_owned();
    if data.product_interest.chars().count() > MAX_INTEREST {
        v.push((
            field("product_interest"),
            format!("must be at most {MAX_INTEREST} characters"),
        ));
    }
    if let Some(amount) = &mut data.amount {
        check_amount(amount, &field("amount"), &mut v);
    }
    if let Some(p) = data.probability {
        check_probability(p, &field("probability"), &mut v);
    }
    if let Some(d) = data.expected_close_date
        && d < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(d)
    {
        v.push((
            field("expected_close_date"),
            "must be after 2000-01-01".into(),
        ));
    }
    if v.is_empty() { Ok(data) } else { Err(v) }
}

/// Returns why an opportunity in stage `from` cannot move to the open stage `to`.
pub fn check_move(from: Stage, to: Stage) -> Result<(), String> {
    if !from.is_open() {
        return Err(format!(
            "the opportunity is {} and cannot change any more",
            from.as_str()
        ));
    }
    if from == to {
        return Err(format!("the opportunity is already {}", to.as_str()));
    }
    Ok(())
}

/// Returns why an opportunity in stage `from` cannot be closed (won or lost).
pub fn check_close(from: Stage) -> Result<(), String> {
    if from.is_open() {
        Ok(())
    } else {
        Err(format!(
            "the opportunity is {} and cannot change any more",
            from.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stages_do_not_move() {
        assert_eq!(check_move(Stage::New, Stage::Proposal), Ok(()));
        assert_eq!(check_move(Stage::Negotiation, Stage::New), Ok(()));
        assert!(check_move(Stage::New, Stage::New).is_err());
        assert!(check_move(Stage::Won, Stage::New).is_err());
        assert!(check_move(Stage::Lost, Stage::Qualified).is_err());
        assert!(check_close(Stage::Qualified).is_ok());
        assert!(check_close(Stage::Won).is_err());
        assert!(Stage::OPEN.iter().all(|s| s.is_open()));
    }

    #[test]
    fn probabilities_default_per_stage() {
        let defaults: Vec<i32> = [
            Stage::New,
            Stage::Qualified,
            Stage::Proposal,
            Stage::Negotiation,
            Stage::Won,
            Stage::Lost,
        ]
        .iter()
        .map(|s| s.default_probability())
        .collect();
        assert_eq!(defaults, [10, 25, 50, 75, 100, 0]);
        for s in Stage::OPEN {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn every_violation_is_reported() {
        let err = validate(
            OpportunityData {
                product_interest: "x".repeat(501),
                amount: Some(Amount {
                    currency_code: "eur".into(),
                    amount_minor: -1,
                }),
                probability: Some(101),
                expected_close_date: NaiveDate::from_ymd_opt(1999, 1, 1),
                ..OpportunityData::default()
            },
            "opportunity",
        )
        .expect_err("invalid");
        let fields: Vec<_> = err.into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "opportunity.product_interest",
                "opportunity.amount.currency_code",
                "opportunity.amount.amount_minor",
                "opportunity.probability",
                "opportunity.expected_close_date",
            ]
        );
    }
}
