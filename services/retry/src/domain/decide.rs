//! What to do after a rejection (domain-rules 6.1 and 6.2): schedule the next attempt,
//! or stop and say why.

use chrono::NaiveDate;

use super::dates::{due_date, plan};
use super::policy::{Policy, ReasonClass};
use super::state::StopReason;

/// A rejection, as payment.rejected reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The reason code, uppercase.
    pub code: String,
    /// Its class, when the event gives one.
    pub class: Option<ReasonClass>,
    /// The day of the rejection.
    pub date: NaiveDate,
    /// Country of the debtor's account (two uppercase letters), when known.
    pub debtor_country: Option<String>,
}

/// What the chain has been through before this rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// Day of the chain's first rejection; the window counts from it.
    pub first_rejection: NaiveDate,
    /// Presentations made, the one just rejected included (1 after a first failure).
    pub presentations: u32,
    /// Attempts of the chain already caused by this rejection's code.
    pub retries_for_code: u32,
}

/// The decision after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Present again.
    Retry {
        /// Presentation number of the new payment.
        attempt_number: u32,
        /// Collection date, a TARGET day.
        scheduled: NaiveDate,
        /// Day to hand it to payments.
        due: NaiveDate,
    },
    /// No further attempt.
    Stop(StopReason),
}

/// Returns the decision after `rejection` for a chain with `history`, taken on `today`
/// under `policy`. MD06 and MD07, hard, technical and dispute codes stop at once,
/// whatever the policy; then the code must be one the policy retries, for the debtor's
/// account country when the reason table limits it (MS03: AT, BE, DE, LU, SK), within
/// its own limit (MS03: once) and the policy's max_retries, and a valid day must be
/// left in the window.
pub fn decide(
    policy: &Policy,
    history: &History,
    rejection: &Rejection,
    today: NaiveDate,
) -> Decision {
    match rejection.code.as_str() {
        "MD06" => return Decision::Stop(StopReason::Dispute),
        "MD07" => return Decision::Stop(StopReason::DebtorDeceased),
        _ => {}
    }
    match rejection.class {
        Some(ReasonClass::Hard) => return Decision::Stop(StopReason::HardCode),
        Some(ReasonClass::Technical) => return Decision::Stop(StopReason::TechnicalCode),
        Some(ReasonClass::Dispute) => return Decision::Stop(StopReason::Dispute),
        Some(ReasonClass::Soft) | None => {}
    }
    let Some(rule) = policy.code(&rejection.code) else {
        return Decision::Stop(StopReason::CodeNotRetried);
    };
    // A code the reason table retries for some countries only (MS03) is retried for an
    // account known to be in one of them.
    if let Some(row) = crm_sepa::reason::lookup(&rejection.code)
        && !row.retry_countries.is_empty()
        && !rejection
            .debtor_country
            .as_deref()
            .is_some_and(|country| row.retry_countries.contains(&country))
    {
        return Decision::Stop(StopReason::CodeNotRetried);
    }
    if rule.max_retries > 0 && history.retries_for_code >= rule.max_retries {
        return Decision::Stop(StopReason::CodeLimitReached);
    }
    let retries_made = history.presentations.saturating_sub(1);
    if retries_made >= policy.max_retries {
        return Decision::Stop(StopReason::MaxRetries);
    }
    let rules = policy.date_rules();
    match plan(&rules, history.first_rejection, rejection.date, today) {
        Some(scheduled) => Decision::Retry {
            attempt_number: history.presentations + 1,
            scheduled,
            due: due_date(scheduled, rules.lead_days, today),
        },
        None => Decision::Stop(StopReason::WindowElapsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::RetryableCode;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("in range")
    }

    fn rejection(code: &str, class: Option<ReasonClass>, date: NaiveDate) -> Rejection {
        Rejection {
            code: code.into(),
            class,
            date,
            debtor_country: Some("DE".into()),
        }
    }

    fn first(presentations: u32, retries_for_code: u32) -> History {
        History {
            first_rejection: d(2026, 3, 2),
            presentations,
            retries_for_code,
        }
    }

    #[test]
    fn am04_is_retried_on_the_next_anchor() {
        let decision = decide(
            &Policy::default(),
            &first(1, 0),
            &rejection("AM04", Some(ReasonClass::Soft), d(2026, 3, 2)),
            d(2026, 3, 2),
        );
        assert_eq!(
            decision,
            Decision::Retry {
                attempt_number: 2,
                scheduled: d(2026, 3, 25),
                due: d(2026, 3, 23),
            }
        );
    }

    #[test]
    fn final_codes_stop_at_once_whatever_the_policy() {
        let p = Policy::default();
        let today = d(2026, 3, 2);
        let cases = [
            ("MD06", None, StopReason::Dispute),
            ("MD06", Some(ReasonClass::Soft), StopReason::Dispute),
            ("MD07", Some(ReasonClass::Hard), StopReason::DebtorDeceased),
            ("MD01", Some(ReasonClass::Hard), StopReason::HardCode),
            ("AC04", Some(ReasonClass::Hard), StopReason::HardCode),
            (
                "AG02",
                Some(ReasonClass::Technical),
                StopReason::TechnicalCode,
            ),
            ("XX01", Some(ReasonClass::Dispute), StopReason::Dispute),
            // A hard class wins even over a policy naming the code.
            ("AM04", Some(ReasonClass::Hard), StopReason::HardCode),
            ("MS02", None, StopReason::CodeNotRetried),
        ];
        for (code, class, reason) in cases {
            assert_eq!(
                decide(&p, &first(1, 0), &rejection(code, class, today), today),
                Decision::Stop(reason),
                "{code}"
            );
        }
    }

    #[test]
    fn ms03_is_retried_once() {
        let p = Policy::default();
        let today = d(2026, 3, 2);
        let ms03 = rejection("MS03", Some(ReasonClass::Soft), today);
        assert!(matches!(
            decide(&p, &first(1, 0), &ms03, today),
            Decision::Retry { .. }
        ));
        assert_eq!(
            decide(&p, &first(2, 1), &ms03, today),
            Decision::Stop(StopReason::CodeLimitReached)
        );
        // AM04 after an MS03 retry is still retried.
        let am04 = rejection("AM04", Some(ReasonClass::Soft), today);
        assert!(matches!(
            decide(&p, &first(2, 0), &am04, today),
            Decision::Retry {
                attempt_number: 3,
                ..
            }
        ));
    }

    #[test]
    fn ms03_is_retried_only_for_the_countries_of_the_table() {
        let p = Policy::default();
        let today = d(2026, 3, 2);
        for country in ["AT", "BE", "DE", "LU", "SK"] {
            let mut ms03 = rejection("MS03", Some(ReasonClass::Soft), today);
            ms03.debtor_country = Some(country.into());
            assert!(
                matches!(
                    decide(&p, &first(1, 0), &ms03, today),
                    Decision::Retry { .. }
                ),
                "{country}"
            );
        }
        for country in [Some("FR"), Some("ES"), None] {
            let mut ms03 = rejection("MS03", Some(ReasonClass::Soft), today);
            ms03.debtor_country = country.map(str::to_owned);
            assert_eq!(
                decide(&p, &first(1, 0), &ms03, today),
                Decision::Stop(StopReason::CodeNotRetried),
                "{country:?}"
            );
        }
        // AM04 has no country rule.
        let mut am04 = rejection("AM04", Some(ReasonClass::Soft), today);
        am04.debtor_country = None;
        assert!(matches!(
            decide(&p, &first(1, 0), &am04, today),
            Decision::Retry { .. }
        ));
    }

    #[test]
    fn max_retries_counts_re_presentations() {
        let p = Policy {
            window_days: 60,
            ..Policy::default()
        };
        let today = d(2026, 3, 2);
        let am04 = rejection("AM04", None, today);
        for presentations in 1..=3 {
            assert!(matches!(
                decide(&p, &first(presentations, presentations - 1), &am04, today),
                Decision::Retry { .. }
            ));
        }
        assert_eq!(
            decide(&p, &first(4, 3), &am04, today),
            Decision::Stop(StopReason::MaxRetries)
        );
        let never = Policy {
            max_retries: 0,
            ..Policy::default()
        };
        assert_eq!(
            decide(&never, &first(1, 0), &am04, today),
            Decision::Stop(StopReason::MaxRetries)
        );
    }

    #[test]
    fn a_rejection_late_in_the_window_exhausts_it() {
        assert_eq!(
            decide(
                &Policy::default(),
                &first(2, 1),
                &rejection("AM04", None, d(2026, 3, 26)),
                d(2026, 3, 26)
            ),
            Decision::Stop(StopReason::WindowElapsed)
        );
    }

    #[test]
    fn a_code_removed_from_the_policy_is_not_retried() {
        let p = Policy {
            retryable_codes: vec![RetryableCode {
                code: "MS03".into(),
                max_retries: 1,
            }],
            ..Policy::default()
        };
        let today = d(2026, 3, 2);
        assert_eq!(
            decide(
                &p,
                &first(1, 0),
                &rejection("AM04", Some(ReasonClass::Soft), today),
                today
            ),
            Decision::Stop(StopReason::CodeNotRetried)
        );
    }
}
