//! SEPA R-transaction reason codes as this service stores and serves them. The table
//! itself is `crm_sepa::reason`, the platform's single one; the seed migration writes
//! its rows from [`reason_codes`].

pub use crm_sepa::reason::ReasonClass;

/// A SEPA R-transaction reason code, as a row of the `reason_codes` data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonCode {
    /// The ISO 20022 code.
    pub code: String,
    /// What it means.
    pub meaning: String,
    /// How it is handled.
    pub class: ReasonClass,
    /// The action to take.
    pub action: String,
    /// Whether automatic re-presentation is allowed.
    pub retryable: bool,
    /// Most automatic re-presentations the code allows; 0 when only the policy limits.
    pub retry_limit: i32,
    /// Countries whose accounts are retried, when restricted.
    pub retry_countries: Vec<String>,
    /// Whether the code makes the mandate FAILED.
    pub fails_mandate: bool,
}

impl From<&crm_sepa::reason::ReasonCode> for ReasonCode {
    fn from(row: &crm_sepa::reason::ReasonCode) -> Self {
        ReasonCode {
            code: row.code.to_owned(),
            meaning: row.meaning.to_owned(),
            class: row.class,
            action: row.action.to_owned(),
            retryable: row.retryable,
            retry_limit: i32::try_from(row.retry_limit()).unwrap_or(i32::MAX),
            retry_countries: row
                .retry_countries
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            fails_mandate: row.fails_mandate,
        }
    }
}

/// Returns every reason code of `crm_sepa::reason`, by code: the rows of the
/// `reason_codes` data set.
pub fn reason_codes() -> Vec<ReasonCode> {
    let mut rows: Vec<ReasonCode> = crm_sepa::reason::all()
        .iter()
        .map(ReasonCode::from)
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version;

    /// The data set's version as released. The `reason_codes` table is seeded once by
    /// a migration: when `crm_sepa::reason` changes, add a migration that rewrites the
    /// rows, then update this value.
    const RELEASED_VERSION: &str = "8e636db0cf4883ea";

    #[test]
    fn the_served_table_is_the_released_one() {
        assert_eq!(
            version::of("reason_codes", &reason_codes()),
            RELEASED_VERSION,
            "crm_sepa::reason changed: add a referentiel migration updating reason_codes"
        );
    }

    #[test]
    fn rows_come_from_crm_sepa() {
        let rows = reason_codes();
        assert_eq!(rows.len(), crm_sepa::reason::all().len());
        let ms03 = rows.iter().find(|r| r.code == "MS03").expect("MS03");
        assert_eq!(ms03.class, ReasonClass::Soft);
        assert_eq!(ms03.retry_limit, 1);
        assert_eq!(ms03.retry_countries, ["AT", "BE", "DE", "LU", "SK"]);
        let md07 = rows.iter().find(|r| r.code == "MD07").expect("MD07");
        assert!(md07.fails_mandate && !md07.retryable);
    }
}
