//! Every problem found in a batch, with the path of the field at fault.

use std::fmt;

/// One problem in a batch: the field path (`"transactions[3].debtor_iban"`) and what is
/// wrong with it, lowercase without a trailing period. The pair maps directly onto a
/// `google.rpc.BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path of the field in the [`crate::Batch`], with `[i]` for list positions.
    pub field: String,
    /// What is wrong.
    pub description: String,
}

impl Problem {
    /// Returns a problem of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Why a batch cannot be written: every problem found, in field order (batch fields,
/// creditor, then each transaction in input order), never only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the sepa batch: {}", problems.len(), list(problems))]
pub struct SepaError {
    /// The problems, at least one.
    pub problems: Vec<Problem>,
}

impl SepaError {
    /// Returns the `(field, description)` pairs, ready for `crm_kit::bad_request`.
    pub fn field_violations(&self) -> Vec<(String, String)> {
        self.problems
            .iter()
            .map(|p| (p.field.clone(), p.description.clone()))
            .collect()
    }
}

/// Lists the first problems in the message; the full list stays in `problems`.
fn list(problems: &[Problem]) -> String {
    const SHOWN: usize = 5;
    let mut text = problems
        .iter()
        .take(SHOWN)
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > SHOWN {
        text.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_lists_the_first_problems_and_counts_the_rest() {
        let problems: Vec<Problem> = (0..7)
            .map(|i| Problem::new(format!("transactions[{i}].amount_minor"), "too small"))
            .collect();
        let error = SepaError { problems };
        let message = error.to_string();
        assert!(message.starts_with("7 problem(s) in the sepa batch: transactions[0]"));
        assert!(message.ends_with("; and 2 more"), "{message}");
        assert_eq!(error.field_violations().len(), 7);
        assert_eq!(
            error.field_violations()[6],
            (
                "transactions[6].amount_minor".to_owned(),
                "too small".to_owned()
            )
        );
    }
}
